"""Input checks shared by every use case: type, length, range; errors name the field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from evalmeet.domain import clock
from evalmeet.domain.errors import ValidationFailed

MAX_DECIMAL = Decimal("99999999999999.99")


def text(
    value: Any, field: str, *, max_len: int = 200, required: bool = True, multiline: bool = False
) -> str:
    """A trimmed string; required ones must not be blank."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string", field=field, reason="not_text")
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{field} is required", field=field, reason="required")
    if len(value) > max_len:
        raise ValidationFailed(
            f"{field} is longer than {max_len} characters", field=field, reason="too_long", max=max_len
        )
    if "\x00" in value:
        raise ValidationFailed(f"{field} contains a NUL character", field=field, reason="nul_character")
    if not multiline and ("\n" in value or "\r" in value):
        raise ValidationFailed(f"{field} must be a single line", field=field, reason="not_single_line")
    return value


def optional_int(value: Any, field: str, *, minimum: int = 0, maximum: int = 1_000_000) -> int | None:
    """An integer within range, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be a whole number", field=field, reason="not_whole_number")
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValidationFailed(f"{field} must be a whole number", field=field, reason="not_whole_number")
        value = int(value)
    if not isinstance(value, int):
        raise ValidationFailed(f"{field} must be a whole number", field=field, reason="not_whole_number")
    if not minimum <= value <= maximum:
        raise ValidationFailed(
            f"{field} must be between {minimum} and {maximum}",
            field=field,
            reason="out_of_range",
            low=minimum,
            high=maximum,
        )
    return value


def optional_money(value: Any, field: str) -> Decimal | None:
    """A non-negative amount with at most two decimals, or None. Floats are read via str."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationFailed(f"{field} must be an amount", field=field, reason="not_amount")
    try:
        if isinstance(value, float):
            value = repr(value)
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field} must be an amount", field=field, reason="not_amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_DECIMAL:
        raise ValidationFailed(f"{field} must be a non-negative amount", field=field, reason="not_amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{field} has more than two decimals", field=field, reason="too_many_decimals")
    return amount.quantize(Decimal("0.01"))


def optional_date(value: Any, field: str) -> date | None:
    """An ISO date (YYYY-MM-DD), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 10:
        raise ValidationFailed(f"{field} must be a date like 2026-12-31", field=field, reason="not_date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{field} must be a date like 2026-12-31", field=field, reason="not_date"
        ) from None


def optional_datetime(value: Any, field: str) -> datetime | None:
    """An ISO date-time, or None. Without a zone it is taken as China time (UTC+8)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValidationFailed(
            f"{field} must be a date-time like 2026-12-01T09:00", field=field, reason="not_datetime"
        )
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{field} must be a date-time like 2026-12-01T09:00", field=field, reason="not_datetime"
        ) from None
    return clock.from_china_input(parsed)


def one_of(value: Any, field: str, allowed: Iterable[str], *, default: str | None = None) -> str:
    """One of the allowed strings (or the default when missing)."""
    allowed = tuple(allowed)
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise ValidationFailed(
            f"{field} must be one of: {', '.join(allowed)}",
            field=field,
            reason="not_one_of",
            allowed=", ".join(allowed),
        )
    return value


def mapping(value: Any, field: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise ValidationFailed(f"{field} must be an object", field=field, reason="not_object")
    return value


def boolean(value: Any, field: str, default: bool = False) -> bool:
    """A JSON boolean (or a form's on/true/1)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "0", "false", "off", "no", ""):
        return value.lower() in ("1", "true", "on", "yes")
    raise ValidationFailed(f"{field} must be true or false", field=field, reason="not_yes_no")


MAX_ID = 2**31 - 1


def is_id(value: Any) -> bool:
    """Whether ``value`` can be a row id (an int in 1 … 2³¹−1, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
