"""Domain errors: a snake_case code, its parameters, an English message for logs, an HTTP status hint.

The edges never show ``message`` to a user as it is: ``evalmeet.web.error_text`` translates
the error by its ``code`` (and, for a few codes, a ``reason`` naming the variant), filling the
translated sentence from ``details``. So a raise site passes every value its sentence needs
(the meeting id, the limit, ...) as keyword arguments; they also reach API clients as
``error.details``. The English ``message`` stays for logs and the command line.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base of every refusal the app explains to its user."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, object]:
        """The ``{"code", "message"}`` body in English (the edges translate ``message``)."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    """The input is malformed or out of range.

    ``field`` names the input, ``reason`` says what is wrong with it (``required``,
    ``too_long`` with ``max``, ``out_of_range`` with ``low`` and ``high``, ...); the edge
    composes "<field label>: <problem>" from them.
    """

    status = 422
    code = "validation_error"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        field: str | None = None,
        reason: str | None = None,
        **params: object,
    ) -> None:
        details: dict[str, object] = {}
        if field is not None:
            details["field"] = field
        if reason is not None:
            details["reason"] = reason
        super().__init__(message, code, **details, **params)
        self.field = field


def not_one_of(field: str, allowed: Iterable[str], message: str | None = None) -> ValidationFailed:
    """The refusal of a value of ``field`` that is none of ``allowed``."""
    names = ", ".join(allowed)
    return ValidationFailed(
        message or f"{field} must be one of {names}", field=field, reason="not_one_of", allowed=names
    )


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request does not fit the current state (wrong phase, duplicate, already done)."""

    status = 409
    code = "conflict"


class NotAllowed(DomainError):
    """The caller may not do this."""

    status = 403
    code = "not_allowed"
