"""Reading socket payloads into their models, and shaping acknowledgements (``{"ok": ...}``).

The payload models live in :mod:`evalmeet.schemas.live`. A refusal's message is translated by its
code (``evalmeet.web.error_text``), in the language of the socket's handshake (``?lang=en`` or
the language cookie; Chinese otherwise).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from evalmeet.domain.errors import DomainError
from evalmeet.schemas.base import refusal as field_refusal
from evalmeet.schemas.live import InvalidPayload, LiveBody
from evalmeet.web import error_text

__all__ = ["InvalidPayload", "RateLimited", "error_ack", "parse_event", "refusal"]

B = TypeVar("B", bound=LiveBody)


class RateLimited(DomainError):
    """The socket sent events faster than allowed."""

    status = 429
    code = "rate_limited"


def parse_event(model: type[B], payload: Any) -> B:
    """``payload`` as ``model``: ``invalid_payload`` when it is not the event's object (see
    :class:`~evalmeet.schemas.live.LiveBody`), else a field's own refusal (``invalid_item``, or
    ``validation_error`` with ``field`` and ``reason`` as in every form)."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise field_refusal(exc) from None


def refusal(code: str) -> dict[str, Any]:
    """A failed acknowledgement with a code (for failures that are not a domain error)."""
    error_text.socket_locale()
    return {"ok": False, "error": {"code": code, "message": error_text.message_for(code)}}


def error_ack(err: DomainError) -> dict[str, Any]:
    """A failed acknowledgement from a domain error."""
    error_text.socket_locale()
    return {"ok": False, "error": error_text.error_body(err)}
