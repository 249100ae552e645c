"""Accounts: a new account, a new password, the login form."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from evalmeet.models import ROLES
from evalmeet.schemas.base import Body
from evalmeet.schemas.types import OneOf, Text, refuse

MIN_PASSWORD = 8


def _password(value: Any) -> str:
    """A password: any text of at least :data:`MIN_PASSWORD` characters, kept exactly as typed."""
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise refuse("too_short", f"must have at least {MIN_PASSWORD} characters", min=MIN_PASSWORD)
    return value


Password = Annotated[
    str, BeforeValidator(_password), WithJsonSchema({"type": "string", "minLength": MIN_PASSWORD})
]


def _first(limit: int) -> BeforeValidator:
    """At most the first ``limit`` characters of what was typed (a login never refuses a field)."""
    return BeforeValidator(lambda value: value[:limit] if isinstance(value, str) else "")


class AccountCreate(Body):
    """``evalmeet create-user``: a name nobody has yet, a role, a long enough password."""

    username: Annotated[str, Text(64)]
    role: Annotated[str, OneOf(ROLES)]
    password: Password


class NewPassword(Body):
    """``evalmeet set-password``: the new password (every session and token of the account ends)."""

    password: Password


class LoginForm(Body):
    """The login form, as typed: a wrong name or password is "wrong", never a field error."""

    username: Annotated[str, _first(64)] = ""
    password: Annotated[str, _first(256)] = ""
