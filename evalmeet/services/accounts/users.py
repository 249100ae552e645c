"""Accounts: create, authenticate (argon2id), switch off and on; API tokens and logged-in
browser sessions (only hashes stored), and ending them.

A browser session is a ``LoginSession`` row: the cookie carries a random secret, the row its
hash. Every request looks the row up, so ending a session takes effect at once, on every worker:
logout ends its own row; a new password and disabling the account end all of them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotFound
from evalmeet.models import Account, ApiToken, LoginSession, utcnow
from evalmeet.schemas.accounts import AccountCreate, NewPassword
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, done

# argon2id with the library's current recommended parameters (RFC 9106, low memory): every
# installation hashes with these.
FULL_STRENGTH = PasswordHasher()
# The test suite only (``TestingConfig.FAST_PASSWORD_HASHES``): the same argon2id at its lowest
# cost, so an account fixture takes microseconds instead of a fifth of a second. A hash made with
# it is rehashed at full strength the first time a full-strength app verifies it.
FAST_FOR_TESTS = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_hasher = FULL_STRENGTH
# A real hash to verify against when the user does not exist, so timing does not tell; made on
# first use (not at import: every `evalmeet` command would pay for it), one per hasher.
_dummy_hashes: dict[int, str] = {}
# A session's last_seen_at is written at most this often: not one write per request.
SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class Ended:
    """How many browser sessions and API tokens a change ended."""

    sessions: int
    tokens: int


def use_fast_hashes(fast: bool) -> None:
    """Hash with :data:`FAST_FOR_TESTS` (``fast``) or :data:`FULL_STRENGTH`; ``create_app`` calls
    this for every app, so only an app built from the testing config hashes cheaply."""
    global _hasher
    _hasher = FAST_FOR_TESTS if fast else FULL_STRENGTH


def hash_parameters() -> tuple[int, int, int]:
    """``(time_cost, memory_cost in KiB, parallelism)`` of the hashes made now."""
    return (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)


def _dummy_hash() -> str:
    hasher = _hasher
    if id(hasher) not in _dummy_hashes:
        _dummy_hashes[id(hasher)] = hasher.hash(secrets.token_hex(8))
    return _dummy_hashes[id(hasher)]


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def create_user(session: Session, data: AccountCreate) -> Done[Account]:
    """Create an account; refuse a taken name (the model refuses a short password)."""
    username, role = data.username, data.role
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", code="user_exists", username=username)
    account = Account(username=username, password_hash=hash_password(data.password), role=role)
    session.add(account)
    session.flush()
    audit.append(session, "system", "account.created", {"username": username, "role": role})
    return done(account)


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The active account whose password matches, else None (constant work either way)."""
    account = session.scalar(select(Account).where(Account.username == username))
    stored = account.password_hash if account and account.active else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if account is None or not account.active:
        return None
    if _hasher.check_needs_rehash(stored):
        account.password_hash = hash_password(password)
    return account


def set_password(session: Session, account: Account, data: NewPassword) -> Done[Ended]:
    """Change a password and end every session and API token of the account: whoever held
    them because they knew (or stole) the old password is out."""
    account.password_hash = hash_password(data.password)
    ended = Ended(end_all_sessions(session, account), revoke_tokens(session, account))
    audit.append(
        session,
        "system",
        "account.password_set",
        {"username": account.username, "sessions_ended": ended.sessions, "tokens_revoked": ended.tokens},
    )
    return done(ended)


def account_named(session: Session, username: str) -> Account:
    """The account called ``username``; ``user_not_found`` otherwise."""
    account = session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise NotFound(f"no user {username!r}", code="user_not_found")
    return account


def revoke_tokens(session: Session, account: Account) -> int:
    """End every API token of the account that is still valid; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_all_tokens(session: Session, username: str) -> Done[int]:
    """``evalmeet revoke-tokens``: end every API token of ``username``; audited; says how many."""
    account = account_named(session, username)
    count = revoke_tokens(session, account)
    audit.append(session, "system", "tokens.revoked", {"username": account.username, "count": count})
    return done(count)


def set_active(session: Session, username: str, active: bool) -> Done[Ended]:
    """Switch an account on or off. Off ends its sessions and tokens (enabling again does not
    bring them back: new tokens are issued with ``create-token``)."""
    account = account_named(session, username)
    ended = Ended(0, 0)
    if not active:
        ended = Ended(end_all_sessions(session, account), revoke_tokens(session, account))
    if account.active != active or ended != Ended(0, 0):
        account.active = active
        payload: dict[str, object] = {"username": account.username}
        if not active:
            payload |= {"sessions_ended": ended.sessions, "tokens_revoked": ended.tokens}
        audit.append(session, "system", "account.enabled" if active else "account.disabled", payload)
    session.flush()
    return done(ended)


# --- browser sessions -------------------------------------------------------------------------


def start_session(session: Session, account: Account, now: datetime | None = None) -> str:
    """A new logged-in session for ``account``; returns the secret its cookie carries."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    row = LoginSession(id_hash=token_digest(secret), account_id=account.id, created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    return secret


def session_account(
    session: Session, secret: str, max_idle: timedelta, now: datetime | None = None
) -> Account | None:
    """The active account of a live session, else None (ended, unknown, idle past ``max_idle``,
    or its account disabled). Notes when the session was seen, at most every few minutes; the
    caller commits."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
        return None
    row = session.get(LoginSession, token_digest(secret))
    if row is None or not row.account.active:
        return None
    now = now or utcnow()
    if now - row.last_seen_at > max_idle:
        session.delete(row)  # idle too long: gone, like a logout
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return row.account


def log_in(session: Session, account: Account, previous: str | None, max_idle: timedelta) -> Done[str]:
    """A new browser session for ``account`` (whose password was right); returns its secret.

    The browser's ``previous`` session, when it had one, ends: a login never inherits one. The
    account's sessions idle past ``max_idle`` are forgotten (closed browsers never log out).
    """
    if previous is not None:
        end_session(session, previous)
    end_idle_sessions(session, account, max_idle)
    return done(start_session(session, account))


def log_out(session: Session, secret: str) -> Done[bool]:
    """Logout: this session ends (its cookie is dead everywhere); the account's others stay."""
    return done(end_session(session, secret))


def end_session(session: Session, secret: str) -> bool:
    """End one session (logout); the account's other sessions stay. True when it existed."""
    if not isinstance(secret, str):
        return False
    result = session.execute(delete(LoginSession).where(LoginSession.id_hash == token_digest(secret)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_all_sessions(session: Session, account: Account) -> int:
    """End every session of the account; returns how many."""
    result = session.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_idle_sessions(
    session: Session, account: Account, max_idle: timedelta, now: datetime | None = None
) -> int:
    """Forget the account's sessions nobody used for ``max_idle`` (run at login: closed browsers
    never log out, and their rows would otherwise stay forever)."""
    cutoff = (now or utcnow()) - max_idle
    result = session.execute(
        delete(LoginSession).where(LoginSession.account_id == account.id, LoginSession.last_seen_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def token_digest(token: str) -> str:
    """SHA-256 of an API token or a session secret (both random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, username: str) -> Done[str]:
    """Issue a new API token for ``username``; only its hash is kept. A disabled account gets
    none (it would not work: tokens of disabled accounts are refused)."""
    account = account_named(session, username)
    if not account.active:
        raise Conflict(
            f"account {username!r} is disabled (evalmeet enable-user {username})",
            code="account_disabled",
            username=username,
        )
    token = "em_" + secrets.token_urlsafe(32)
    session.add(ApiToken(account_id=account.id, token_hash=token_digest(token)))
    session.flush()
    audit.append(session, "system", "token.created", {"username": username})
    return done(token)


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


def ensure_admin(session: Session) -> Done[str | None]:
    """Create an ``admin`` account when there is no admin; say its one-time password."""
    if session.scalar(select(Account.id).where(Account.role == "admin").limit(1)) is not None:
        return done(None)
    password = secrets.token_urlsafe(12)
    create_user(session, AccountCreate(username="admin", role="admin", password=password))
    return done(password)
