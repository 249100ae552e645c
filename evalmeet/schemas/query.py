"""Query strings of pages (filters), read leniently: a value that does not fit is dropped.

A filter page must never fail on a bad link: ``parse_query`` validates the query string as a
model and, where a value is refused, drops it (the field keeps its default) and names it, so
the page can say "we ignored …". The field types here clean a query value (no control
characters, trimmed, blank = not given) before checking it; each also accepts the value
already parsed, so services and tests can build the same models directly.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from evalmeet.schemas.base import refusal
from evalmeet.schemas.types import Rules, refuse

M = TypeVar("M", bound=BaseModel)


def parse_query(model: type[M], args: Mapping[str, Any]) -> tuple[M, list[str]]:
    """``args`` (a query string: its first value per name) as ``model``, and the names dropped.

    Every refused value is dropped and named (in the model's field order); what is left is
    validated again. Nothing is refused as a whole unless the model itself is (a bug).
    """
    data = {str(name): args.get(name) for name in args}
    dropped: list[str] = []
    while True:
        try:
            return model.model_validate(data), dropped
        except ValidationError as exc:
            names = [str(e["loc"][0]) for e in exc.errors(include_url=False) if e["loc"]]
            bad = [name for name in dict.fromkeys(names) if name in data]
            if not bad:
                raise refusal(exc) from None
            for name in bad:
                del data[name]
            dropped += bad


def _clean(value: Any) -> Any:
    """A query value without control characters, trimmed; blank is None. Other types pass."""
    if not isinstance(value, str):
        return value
    value = "".join(ch for ch in value if ch.isprintable()).strip()
    return value or None


def _schema(kind: str, **more: Any) -> dict[str, Any]:
    return {"anyOf": [{"type": kind, **more}, {"type": "null"}]}


def QueryText(max_len: int = 100) -> Rules:  # noqa: N802
    """Free text of at most ``max_len`` characters (longer is refused); blank is None."""

    def check(value: Any) -> str | None:
        value = _clean(value)
        if value is None:
            return None
        if not isinstance(value, str):
            raise refuse("not_text", "must be a string")
        if len(value) > max_len:
            raise refuse("too_long", f"is longer than {max_len} characters", max=max_len)
        return value

    return Rules(check, _schema("string", maxLength=max_len))


def QueryPrefix(max_len: int = 100) -> Rules:  # noqa: N802
    """Free text cut to its first ``max_len`` characters (never refused); blank is None."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        return value.strip()[:max_len] or None

    return Rules(check, _schema("string"))


def QueryChoice(allowed: Iterable[str]) -> Rules:  # noqa: N802
    """One of the allowed codes, or None when blank."""
    options = tuple(allowed)

    def check(value: Any) -> str | None:
        value = _clean(value)
        if value is None:
            return None
        if value not in options:
            raise refuse("not_one_of", f"must be one of: {', '.join(options)}", allowed=", ".join(options))
        return str(value)

    return Rules(check, _schema("string", enum=list(options)))


def QueryDate(first_year: int = 1970, last_year: int = 2999) -> Rules:  # noqa: N802
    """A ``YYYY-MM-DD`` day in ``first_year … last_year``, or None when blank."""

    def check(value: Any) -> date | None:
        value = _clean(value)
        if value is None:
            return None
        if not isinstance(value, date):
            if not isinstance(value, str) or len(value) != 10:
                raise refuse("not_date", "must be a date like 2026-12-31")
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise refuse("not_date", "must be a date like 2026-12-31") from None
        if not first_year <= value.year <= last_year:
            raise refuse(
                "out_of_range", f"must be in {first_year} … {last_year}", low=first_year, high=last_year
            )
        return value

    return Rules(check, _schema("string", format="date"))


def QueryYear(first_year: int = 1970, last_year: int = 2999) -> Rules:  # noqa: N802
    """A year ``YYYY`` in ``first_year … last_year``, or None when blank."""

    def check(value: Any) -> int | None:
        value = _clean(value)
        if value is None:
            return None
        if isinstance(value, str) and value.isdecimal() and len(value) == 4:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not first_year <= value <= last_year:
            raise refuse(
                "out_of_range",
                f"must be a year in {first_year} … {last_year}",
                low=first_year,
                high=last_year,
            )
        return value

    return Rules(check, _schema("integer", minimum=first_year, maximum=last_year))


def QueryPage(max_digits: int = 6) -> Rules:  # noqa: N802
    """A page number from 1, of at most ``max_digits`` digits; blank is page 1."""

    def check(value: Any) -> int:
        value = _clean(value)
        if value is None:
            return 1
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        if isinstance(value, str) and value.isdecimal() and len(value) <= max_digits and int(value) >= 1:
            return int(value)
        raise refuse("out_of_range", "must be a page number", low=1, high=10**max_digits - 1)

    return Rules(check, {"type": "integer", "minimum": 1})


def QueryFlag(*on: str) -> Rules:  # noqa: N802
    """A checkbox: True for one of the ``on`` values (or True itself), else False; never refused."""
    values = frozenset(on)

    def check(value: Any) -> bool:
        return value is True or (isinstance(value, str) and value in values)

    return Rules(check, {"type": "string", "enum": sorted(values)})


# --- paged lists (keyset) ----------------------------------------------------------------------
#
# A page of a list ends at a row; the link to the next page carries that row's sort key, not an
# offset, so rows added or removed meanwhile never make a row appear twice or go missing. The key
# travels as an opaque token: URL-safe base64 of a small JSON array ``[list, direction, *key]``
# (the list it belongs to, ``"n"`` for the rows after the key or ``"p"`` for those before it,
# then the key's values). Clients only ever copy it from a ``Link`` header or a page link.

PAGE_MAX = 500  # the largest ``limit`` a client may ask for
CURSOR_MAX = 400  # characters of a cursor token; any longer is refused unread

Key = tuple[int | str, ...]


class Cursor(BaseModel):
    """Where a page starts: after (``forward``) or before the row whose sort key is ``key``."""

    model_config = ConfigDict(frozen=True)

    list: str
    key: Key
    forward: bool = True

    def token(self) -> str:
        """The opaque text of this cursor, for a URL."""
        raw = json.dumps([self.list, "n" if self.forward else "p", *self.key], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def read(cls, token: str) -> Cursor:
        """The cursor a token names; ``ValueError`` for anything that is not one of ours."""
        if len(token) > CURSOR_MAX or not token.isascii():
            raise ValueError("not a cursor")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw.decode())
        except (ValueError, UnicodeDecodeError):
            raise ValueError("not a cursor") from None
        if not isinstance(data, list) or len(data) < 3:
            raise ValueError("not a cursor")
        name, direction, *key = data
        scalars = all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in key)
        if not isinstance(name, str) or direction not in ("n", "p") or not scalars:
            raise ValueError("not a cursor")
        return cls(list=name, key=tuple(key), forward=direction == "n")


def QueryLimit(high: int = PAGE_MAX) -> Rules:  # noqa: N802
    """How many rows a page holds: a whole number in 1 … ``high``; blank is not given."""

    def check(value: Any) -> int | None:
        value = _clean(value)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.isdecimal() and len(value) <= 6:
            number = int(value)
        else:
            raise refuse("not_whole_number", "must be a whole number")
        if not 1 <= number <= high:
            raise refuse("out_of_range", f"must be in 1 … {high}", low=1, high=high)
        return number

    return Rules(check, {"type": "integer", "minimum": 1, "maximum": high})


def QueryCursor() -> Rules:  # noqa: N802
    """A cursor token from a ``Link`` header or a page link; blank is the first page."""

    def check(value: Any) -> Cursor | None:
        if isinstance(value, Cursor) or value is None:
            return value
        if isinstance(value, str) and not value.strip():
            return None  # ``?cursor=``: the first page
        if not isinstance(value, str):  # (control characters are no cursor's: refused, not cut)
            raise refuse("invalid_cursor", "is not a cursor of this list")
        try:
            return Cursor.read(value)
        except ValueError:
            raise refuse("invalid_cursor", "is not a cursor of this list") from None

    return Rules(check, {"type": "string", "maxLength": CURSOR_MAX})


class PageQuery(BaseModel):
    """``?limit=&cursor=`` of a paged list: the page's size and where it starts.

    ``limit`` (1 … 500) is the most rows per page; ``cursor`` is the token of the ``Link:
    <…>; rel="next"`` (or ``rel="prev"``) header of the page before, opaque to clients. Other
    names in the query string are ignored here.
    """

    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int | None, QueryLimit()] = None
    cursor: Annotated[Cursor | None, QueryCursor()] = None
