"""Accounts: create, authenticate (argon2id), API tokens (only hashes stored)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.models import ROLES, Account, ApiToken
from evalmeet.services import audit
from evalmeet.services.validate import one_of, text

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A real hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def create_user(session: Session, username: str, password: str, role: str) -> Account:
    """Create an account; refuse a taken name or a short password."""
    username = text(username, "username", max_len=64)
    role = one_of(role, "role", ROLES)
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"password must have at least {MIN_PASSWORD} characters",
            field="password",
            reason="too_short",
            min=MIN_PASSWORD,
        )
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", code="user_exists", username=username)
    account = Account(username=username, password_hash=hash_password(password), role=role)
    session.add(account)
    session.flush()
    audit.append(session, "system", "account.created", {"username": username, "role": role})
    return account


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The active account whose password matches, else None (constant work either way)."""
    account = session.scalar(select(Account).where(Account.username == username))
    stored = account.password_hash if account and account.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if account is None or not account.active:
        return None
    if _hasher.check_needs_rehash(stored):
        account.password_hash = hash_password(password)
    return account


def set_password(session: Session, account: Account, password: str) -> None:
    """Change a password and end every existing session of the account."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            f"password must have at least {MIN_PASSWORD} characters",
            field="password",
            reason="too_short",
            min=MIN_PASSWORD,
        )
    account.password_hash = hash_password(password)
    account.session_epoch += 1
    session.flush()


def token_digest(token: str) -> str:
    """SHA-256 of an API token (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, username: str) -> str:
    """Issue a new API token for ``username``; only its hash is kept."""
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise NotFound(f"no user {username!r}", code="user_not_found", username=username)
    token = "em_" + secrets.token_urlsafe(32)
    session.add(ApiToken(account_id=account.id, token_hash=token_digest(token)))
    session.flush()
    audit.append(session, "system", "token.created", {"username": username})
    return token


def account_for_token(session: Session, token: str) -> Account | None:
    """The active account owning a non-revoked token, else None."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked.is_(False))
    )
    if row is None or not row.account.active:
        return None
    return row.account


def get_account(session: Session, account_id: int) -> Account | None:
    """Account by id."""
    return session.get(Account, account_id)


def ensure_admin(session: Session) -> str | None:
    """Create an ``admin`` account when there is no admin; return its one-time password."""
    if session.scalar(select(Account.id).where(Account.role == "admin").limit(1)) is not None:
        return None
    password = secrets.token_urlsafe(12)
    create_user(session, "admin", password, "admin")
    return password
