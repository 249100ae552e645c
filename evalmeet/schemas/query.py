"""Query strings of pages (filters), read leniently: a value that does not fit is dropped.

A filter page must never fail on a bad link: ``parse_query`` validates the query string as a
model and, where a value is refused, drops it (the field keeps its default) and names it, so
the page can say "we ignored …". The field types here clean a query value (no control
characters, trimmed, blank = not given) before checking it; each also accepts the value
already parsed, so services and tests can build the same models directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

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
