"""Logging in and out, and who the caller is (session or Bearer token)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user

from evalmeet.extensions import db, login_manager
from evalmeet.models import Account
from evalmeet.services import accounts

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


class SessionUser(UserMixin):
    """Flask-Login's view of an account; the epoch ends old sessions after a password change."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def get_id(self) -> str:
        return f"{self.account.id}:{self.account.session_epoch}"

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def can_moderate(self) -> bool:
        return self.account.can_moderate


@login_manager.user_loader
def _load_user(user_id: str) -> SessionUser | None:
    try:
        account_id, epoch = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    account = accounts.get_account(db.session, account_id)
    if account is None or not account.active or account.session_epoch != epoch:
        return None
    return SessionUser(account)


def current_account() -> Account | None:
    """The caller: a Bearer token's account, else the logged-in session's, else None."""
    if g.get("account") is not None:
        return cast(Account, g.account)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        account = accounts.account_for_token(db.session, header[7:].strip())
        g.account = account
        g.via_token = account is not None
        return account
    if current_user.is_authenticated:
        g.account = current_user.account
        g.via_token = False
        return cast(Account, current_user.account)
    return None


def actor_name() -> str:
    """Who to write in the audit log."""
    account = current_account()
    return account.username if account else "anonymous"


def moderator_page(view: F) -> F:
    """Pages for admins and moderators: log in first; viewers get 403."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None:
            return redirect(url_for("auth.login", next=request.full_path))
        if not account.can_moderate:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def login_required_page(view: F) -> F:
    """Pages for any logged-in account (viewers included)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("moderator.meetings")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form."""
    if request.method == "POST":
        username = (request.form.get("username") or "")[:64]
        password = (request.form.get("password") or "")[:256]
        account = accounts.authenticate(db.session, username, password)
        if account is None:
            db.session.rollback()
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", username=username), 401
        db.session.commit()
        session.clear()  # a fresh session at login: no fixation
        login_user(SessionUser(account))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out (POST, CSRF-protected)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
