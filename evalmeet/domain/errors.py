"""Domain errors: a snake_case code, a message a moderator understands, an HTTP status hint."""

from __future__ import annotations


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
        """The ``{"code", "message"}`` body used by the API and socket acks."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    """The input is malformed or out of range."""

    status = 422
    code = "validation_error"


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
