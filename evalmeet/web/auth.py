"""Logging in and out, who the caller is (session or Bearer token), and the page layout's helpers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user

from evalmeet.extensions import db, login_manager
from evalmeet.models import Account
from evalmeet.services import accounts
from evalmeet.web.throttle import client_ip, limiter

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


# Per-request caches that extensions keep on ``g``: the caller (ours and Flask-Login's), the
# locale (Flask-Babel) and the rendered CSRF token (Flask-WTF).
_REQUEST_CACHES = ("account", "via_token", "_login_user", "_flask_babel", "csrf_token")


@bp.before_app_request
def _fresh_request_state() -> None:
    """Start every request without those caches.

    In production each request has its own app context, so this changes nothing there; but
    when requests run inside one long-lived app context (the test suite's database fixture),
    a locale, a logged-out user or a CSRF token from before ``session.clear()`` would
    otherwise carry over into the next request.
    """
    for name in _REQUEST_CACHES:
        g.pop(name, None)


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


def _login_redirect() -> Any:
    """To the login form, coming back here afterwards."""
    here = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=here))


def moderator_page(view: F) -> F:
    """Pages for admins and moderators: log in first; viewers get 403."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None:
            return _login_redirect()
        if not account.can_moderate:
            abort(403, description=_("This page is for moderators and administrators."))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def login_required_page(view: F) -> F:
    """Pages for any logged-in account (viewers included)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return _login_redirect()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def home_url(account: Account | None) -> str:
    """Where an account starts: moderators at their meetings, viewers in the archive."""
    if account is not None and account.can_moderate:
        return url_for("moderator.meetings")
    return url_for("archive.index")


def _safe_next(target: str | None, account: Account | None = None) -> str:
    """``target`` when it is a path on this site, else the account's home (no open redirects)."""
    home = home_url(account)
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return home
    # Browsers drop tabs and newlines and read "\\" as "/": "/\t/evil" would become "//evil".
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


@bp.app_context_processor
def _layout_helpers() -> dict[str, Any]:
    """What base.html needs on every page: the language switch."""

    def lang_url(code: str, path: str | None = None) -> str:
        """This page (or ``path``) in another language: ``?lang=en`` / ``?lang=zh``."""
        if path is None:
            path = request.path
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
        else:
            args = []
        return path + "?" + urlencode([*args, ("lang", code)])

    return {"lang_url": lang_url}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; ``next`` (a path on this site) is where to go afterwards."""
    if request.method == "POST":
        username = (request.form.get("username") or "")[:64]
        password = (request.form.get("password") or "")[:256]
        ip = client_ip()
        if limiter.blocked("login", ip, username) or limiter.blocked("login_ip", ip):
            return render_template(
                "auth/login.html",
                username=username,
                error=_("Too many failed attempts. Please wait a few minutes and try again."),
            ), 429
        account = accounts.authenticate(db.session, username, password)
        if account is None:
            db.session.rollback()
            limiter.failed("login", ip, username)
            limiter.failed("login_ip", ip)
            return render_template(
                "auth/login.html", username=username, error=_("Wrong username or password.")
            ), 401
        db.session.commit()
        limiter.succeeded("login", ip, username)
        session.clear()  # a fresh session at login: no fixation
        login_user(SessionUser(account))
        return redirect(_safe_next(request.args.get("next"), account))
    return render_template("auth/login.html", username="", error=None)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out (POST, CSRF-protected)."""
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))
