"""Base models and the one parser that turns input into a model or a coded refusal."""

from __future__ import annotations

from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from evalmeet.domain.errors import ValidationFailed


class Body(BaseModel):
    """A request body or a socket payload: unknown keys are ignored (older and newer clients)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def given(self) -> set[str]:
        """The fields the client sent (for partial updates: what to change)."""
        return set(self.model_fields_set)


class Out(BaseModel):
    """A response: serialised with ``json_dict`` exactly as the OpenAPI document describes it."""

    model_config = ConfigDict(from_attributes=True)

    def json_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of this answer."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_row(cls, row: Any, **given: Any) -> Self:
        """The answer whose fields are ``row``'s attributes of the same names, but for those
        ``given`` here (what the row does not hold, or holds in another form)."""
        copied = {name: getattr(row, name) for name in cls.model_fields if name not in given}
        return cls.model_validate({**copied, **given})


class RowOut(Out):
    """A response that is one row as it is: each field its attribute of the same name."""

    @classmethod
    def of(cls, row: Any) -> Self:
        """The answer for ``row``."""
        return cls.model_validate(row)


M = TypeVar("M", bound=BaseModel)

# pydantic's own error types, as our reasons (the checks in types.py raise ours directly)
_REASONS = {
    "missing": "required",
    "string_type": "not_text",
    "int_type": "not_whole_number",
    "int_parsing": "not_whole_number",
    "int_from_float": "not_whole_number",
    "bool_type": "not_yes_no",
    "bool_parsing": "not_yes_no",
    "dict_type": "not_object",
    "model_type": "not_object",
    "model_attributes_type": "not_object",
    "list_type": "not_list",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "literal_error": "not_one_of",
    "enum": "not_one_of",
}
_PARAMS = {"max_length": "max", "min_length": "min", "ge": "low", "le": "high", "expected": "allowed"}


def refusal(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    """The first problem pydantic found, as our ``validation_error`` with field and reason."""
    return _failure(exc.errors(include_url=False, include_input=False)[0], prefix)


def _failure(error: Any, prefix: str) -> ValidationFailed:
    field = prefix + ".".join(str(part) for part in error["loc"]) or "body"
    reason = _REASONS.get(error["type"], error["type"])
    params = {_PARAMS.get(k, k): v for k, v in (error.get("ctx") or {}).items() if k != "error"}
    message = "is required" if reason == "required" else error["msg"]
    return ValidationFailed(f"{field} {message}", field=field, reason=reason, **params)


def parse(model: type[M], data: object, *, prefix: str = "") -> M:
    """``data`` (a decoded JSON object or a form's dict) as ``model``, or a ``ValidationFailed``."""
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be an object", field="body", reason="not_object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc, prefix) from None


def refusals(model: type[BaseModel], data: dict[str, Any]) -> list[ValidationFailed]:
    """Every problem of ``data`` as ``model`` (the first of each field), in field order; [] when
    it is good. For reporting all of a row's problems at once (an uploaded file's preview)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [_failure(error, "") for error in exc.errors(include_url=False, include_input=False)]
    return []
