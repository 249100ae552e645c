"""Field types with our refusals: each check raises a pydantic error whose type is our ``reason``.

``evalmeet.schemas.base.parse`` turns the first such error into a
:class:`~evalmeet.domain.errors.ValidationFailed` with ``field`` and ``reason`` (and the
parameters its sentence needs, such as ``max``), which the edges translate by code. The JSON
Schema each type shows in the OpenAPI document is given next to the check, so the document
says what the check accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from annotated_types import GroupedMetadata
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from evalmeet.domain import clock
from evalmeet.domain.errors import ValidationFailed
from evalmeet.domain.rules import format_fraction, parse_fraction

MAX_ID = 2**31 - 1
MAX_DECIMAL = Decimal("99999999999999.99")


class Rules(GroupedMetadata):
    """A field's check and its JSON Schema, used as ``Annotated[str, Text(200)]``."""

    def __init__(self, check: Callable[[Any], Any], schema: dict[str, Any]) -> None:
        self._items = (BeforeValidator(check), WithJsonSchema(schema))

    def __iter__(self) -> Any:
        return iter(self._items)


def refuse(reason: str, message: str, **params: Any) -> PydanticCustomError:
    """A pydantic error of type ``reason`` (``message``: English, for logs; ``params``: its values)."""
    return PydanticCustomError(reason, message, params)


def _from_domain(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Let a domain parser (which raises ValidationFailed) serve as a field check."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except ValidationFailed as err:
            params = {k: v for k, v in err.details.items() if k not in ("field", "reason")}
            raise refuse(str(err.details.get("reason", "invalid")), err.message, **params) from None

    return run


def is_id(value: Any) -> bool:
    """Whether ``value`` can be a row id (an int in 1 … 2³¹−1, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


# --- text ------------------------------------------------------------------------------------------


def _text_check(max_len: int, required: bool, multiline: bool, min_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise refuse("not_text", "must be a string")
        value = value.strip()
        if required and not value:
            raise refuse("required", "is required")
        if len(value) > max_len:
            raise refuse("too_long", f"is longer than {max_len} characters", max=max_len)
        if value and len(value) < min_len:
            raise refuse("too_short", f"is shorter than {min_len} characters", min=min_len)
        if "\x00" in value:
            raise refuse("nul_character", "contains a NUL character")
        if not multiline and ("\n" in value or "\r" in value):
            raise refuse("not_single_line", "must be a single line")
        return value

    return check


def Text(  # noqa: N802
    max_len: int = 200,
    *,
    required: bool = True,
    multiline: bool = False,
    min_len: int = 0,
    nullable: bool = False,
) -> Rules:
    """A trimmed string of at most ``max_len`` characters; a required one must not be blank.

    Missing or null is the empty string (refused when required); ``nullable``: null stays None
    (a PATCH that sends null leaves the field as it is).
    """
    schema: dict[str, Any] = {"type": "string", "maxLength": max_len}
    if not required or nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    check: Callable[[Any], str | None] = _text_check(max_len, required, multiline, min_len)
    return Rules(_unless_null(check) if nullable else check, schema)


def _unless_null(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``check``, except that None passes as None."""

    def run(value: Any) -> Any:
        return None if value is None else check(value)

    return run


_EMAIL_BAD = set(' \t\r\n<>,;:"()[]\\')


def _email_check(value: Any) -> str:
    text = _text_check(254, False, False, 0)(value)
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local or domain.startswith(".") or domain.endswith("."):
        raise refuse("not_email", "must be an e-mail address like name@example.com")
    if any(ch in _EMAIL_BAD for ch in text):
        raise refuse("not_email", "must be an e-mail address like name@example.com")
    return text


Email = Annotated[
    str,
    BeforeValidator(_email_check),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "maxLength": 254, "examples": ["li@example.com"]}, {"type": "null"}]}
    ),
]
"""An e-mail address (one line, ``name@domain``), or "" (missing or null: none)."""


# --- numbers ---------------------------------------------------------------------------------------


def _whole_check(low: int, high: int, optional: bool) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        if optional and (value is None or value == ""):
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise refuse("not_whole_number", "must be a whole number")
        if not low <= value <= high:
            raise refuse("out_of_range", f"must be between {low} and {high}", low=low, high=high)
        return value

    return check


def Whole(low: int = 0, high: int = 1_000_000, *, optional: bool = False) -> Rules:  # noqa: N802
    """A whole number in ``low … high`` (a form's digits are read too); ``optional``: or None."""
    schema: dict[str, Any] = {"type": "integer", "minimum": low, "maximum": high}
    if optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return Rules(_whole_check(low, high, optional), schema)


Id = Annotated[
    int,
    BeforeValidator(_whole_check(1, MAX_ID, False)),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


def _ids_check(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(is_id(v) for v in value):
        raise refuse("not_ids", "must be a list of ids")
    return list(value)


Ids = Annotated[
    list[int],
    BeforeValidator(_ids_check),
    WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}),
]


def _money_check(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise refuse("not_amount", "must be an amount")
    try:
        if isinstance(value, float):
            value = repr(value)
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise refuse("not_amount", "must be an amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_DECIMAL:
        raise refuse("not_amount", "must be a non-negative amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise refuse("too_many_decimals", "has more than two decimals")
    return amount.quantize(Decimal("0.01"))


Money = Annotated[
    Decimal | None,
    BeforeValidator(_money_check),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number", "minimum": 0}, {"type": "null"}]}),
]
"""A non-negative amount with at most two decimals (a string or a number), or None."""


def _fraction_check(value: Any) -> str:
    return format_fraction(parse_fraction(value))


Fraction = Annotated[
    str,
    BeforeValidator(_from_domain(_fraction_check)),
    WithJsonSchema({"type": "string", "pattern": r"^\s*\d+\s*(/\s*\d+\s*)?$", "examples": ["2/3"]}),
]
"""A fraction in (0, 1] written ``"2/3"``, kept in that normal form."""


# --- dates -----------------------------------------------------------------------------------------


_T = TypeVar("_T")


def _iso_check(value: Any, parse: Callable[[str], _T], max_len: int, reason: str, message: str) -> _T | None:
    """``value`` read by ``parse`` from an ISO text of at most ``max_len`` characters; None for
    none; else refused with ``reason``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise refuse(reason, message)
    try:
        return parse(value)
    except ValueError:
        raise refuse(reason, message) from None


def _date_check(value: Any) -> date | None:
    return _iso_check(value, date.fromisoformat, 10, "not_date", "must be a date like 2026-12-31")


OptionalDate = Annotated[
    date | None,
    BeforeValidator(_date_check),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
]
"""An ISO date (YYYY-MM-DD), or None."""


def _parse_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _datetime_check(value: Any) -> datetime | None:
    parsed = _iso_check(
        value, _parse_datetime, 40, "not_datetime", "must be a date-time like 2026-12-01T09:00"
    )
    return None if parsed is None else clock.from_china_input(parsed)


OptionalDateTime = Annotated[
    datetime | None,
    BeforeValidator(_datetime_check),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]}),
]
"""An ISO date-time (without a zone: China time), as an aware UTC instant; or None."""


# --- choices ---------------------------------------------------------------------------------------


def OneOf(allowed: Iterable[str], *, optional: bool = False) -> Rules:  # noqa: N802
    """One of the allowed strings (``optional``: or None)."""
    options = tuple(allowed)

    def check(value: Any) -> str | None:
        if optional and value is None:
            return None
        if not isinstance(value, str) or value not in options:
            raise refuse("not_one_of", f"must be one of: {', '.join(options)}", allowed=", ".join(options))
        return value

    schema: dict[str, Any] = {"type": "string", "enum": list(options)}
    if optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return Rules(check, schema)


def _yes_no_check(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "0", "false", "off", "no", ""):
        return value.lower() in ("1", "true", "on", "yes")
    raise refuse("not_yes_no", "must be true or false")


YesNo = Annotated[bool, BeforeValidator(_yes_no_check), WithJsonSchema({"type": "boolean"})]
"""A JSON boolean (or a form's on/true/1/yes and off/false/0/no)."""


# --- output ----------------------------------------------------------------------------------------


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


MoneyText = Annotated[
    Decimal | None,
    PlainSerializer(_money_text, return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string", "examples": ["1234.50"]}, {"type": "null"}]}),
]
"""An amount in an answer: a string with two decimals, so no float touches it."""


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


When = Annotated[
    datetime | None,
    PlainSerializer(_iso, return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}),
]
"""An instant in an answer: ISO 8601 text, or null."""

Day = Annotated[
    date | None,
    PlainSerializer(_iso, return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
]
"""A calendar day in an answer: ``YYYY-MM-DD``, or null."""
