"""Parsing socket payloads and shaping acknowledgements (``{"ok": ...}``).

A refusal's message is translated by its code (``evalmeet.web.error_text``), in the language
of the socket's handshake (``?lang=en`` or the language cookie; Chinese otherwise).
"""

from __future__ import annotations

from typing import Any

from evalmeet.domain.errors import DomainError
from evalmeet.web import error_text

MAX_TEXT_FIELD = 4000


class InvalidPayload(DomainError):
    """The event's payload is not the object the contract describes."""

    status = 400
    code = "invalid_payload"


class RateLimited(DomainError):
    """The socket sent events faster than allowed."""

    status = 429
    code = "rate_limited"


def ok(**fields: Any) -> dict[str, Any]:
    """A successful acknowledgement."""
    return {"ok": True, **fields}


def refusal(code: str) -> dict[str, Any]:
    """A failed acknowledgement with a code (for failures that are not a domain error)."""
    error_text.socket_locale()
    return {"ok": False, "error": {"code": code, "message": error_text.message_for(code)}}


def error_ack(err: DomainError) -> dict[str, Any]:
    """A failed acknowledgement from a domain error."""
    error_text.socket_locale()
    return {"ok": False, "error": error_text.error_body(err)}


def event_object(payload: Any, *fields: str) -> dict[str, Any]:
    """The payload as a dict holding ``fields``; anything else is ``invalid_payload``.

    Values are passed through untouched (the services validate types and ranges), except that
    over-long strings are refused here so nothing huge reaches a service or a log line.
    """
    if not isinstance(payload, dict):
        raise InvalidPayload("the event needs a JSON object")
    missing = [name for name in fields if name not in payload]
    if missing:
        raise InvalidPayload(
            f"missing field(s): {', '.join(missing)}", reason="missing_fields", fields=missing
        )
    for name in fields:
        value = payload[name]
        if isinstance(value, str) and len(value) > MAX_TEXT_FIELD:
            raise InvalidPayload(f"{name} is too long", reason="too_long", field=name, max=MAX_TEXT_FIELD)
    if not _utf8(payload):
        raise InvalidPayload(
            "the event holds text that is not valid Unicode (a lone surrogate)", reason="not_unicode"
        )
    return payload


def _utf8(value: Any, depth: int = 0) -> bool:
    """Whether every string in ``value`` can be written as UTF-8 (no lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if depth > 20:
        return False
    if isinstance(value, dict):
        return all(_utf8(k, depth + 1) and _utf8(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_utf8(v, depth + 1) for v in value)
    return True


def auth_object(auth: Any) -> dict[str, Any]:
    """The connection's ``auth`` data: a dict (possibly empty); anything else is refused."""
    if auth is None:
        return {}
    if not isinstance(auth, dict) or not _utf8(auth):
        raise InvalidPayload("auth must be an object")
    return auth
