"""Logging in and out, who the caller is (session or Bearer token), and the page layout's helpers.

A login is a row on the server (``LoginSession``, see services/accounts.py); the signed cookie
carries only that session's random secret as Flask-Login's user id. Every request, the console's
Socket.IO connect included, looks the row up, so a cookie replayed after logout, a new password
or a disabled account finds nothing and the caller is anonymous: pages send it to the login
form, the API answers 401 ``unauthorized``, the socket is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_user, logout_user

from evalmeet.extensions import db, login_manager
from evalmeet.models import Account
from evalmeet.schemas.accounts import LoginForm
from evalmeet.schemas.base import parse
from evalmeet.services.accounts import users as accounts
from evalmeet.web import edge
from evalmeet.web.guessing import client_address, guards

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


class SessionUser(UserMixin):
    """Flask-Login's view of a logged-in session: its account, and the secret its cookie holds."""

    def __init__(self, account: Account, secret: str) -> None:
        self.account = account
        self.secret = secret

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the session's secret, nothing about the account."""
        return self.secret

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
    """Start every request without those caches, and with its login session checked.

    In production each request has its own app context, so the first part changes nothing
    there; but when requests run inside one long-lived app context (the test suite's database
    fixture), a locale, a logged-out user or a CSRF token from before ``session.clear()`` would
    otherwise carry over into the next request.

    The session row is looked up here, before the view runs, and that short transaction is
    committed at once: it may note when the session was last seen (or drop an idle one), and
    nothing else can be in it yet.
    """
    for name in _REQUEST_CACHES:
        g.pop(name, None)
    if "_user_id" in session and request.endpoint != "static":
        _ = current_user.is_authenticated  # runs _load_user
        db.session.commit()


def max_idle() -> timedelta:
    """How long a login session may go unused before it ends by itself."""
    return timedelta(days=float(current_app.config.get("LOGIN_SESSION_IDLE_DAYS", 30)))


@login_manager.user_loader
def _load_user(secret: str) -> SessionUser | None:
    account = accounts.session_account(db.session, secret, max_idle())
    return SessionUser(account, secret) if account is not None else None


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
        form = parse(LoginForm, request.form.to_dict())
        username = form.username
        address = client_address()
        logins = guards().logins
        if logins.blocked(address, username):
            return render_template(
                "auth/login.html",
                username=username,
                error=_("Too many failed attempts. Please wait a few minutes and try again."),
            ), 429
        account = accounts.authenticate(db.session, username, form.password)
        if account is None:
            db.session.rollback()
            logins.failed(address, username)
            return render_template(
                "auth/login.html", username=username, error=_("Wrong username or password.")
            ), 401
        previous = current_user._get_current_object()
        # this browser was logged in already: that session ends
        before = previous.secret if isinstance(previous, SessionUser) else None
        secret = edge.commit(accounts.log_in(db.session, account, before, max_idle()))
        logins.succeeded(address, username)
        # A fresh cookie at login (no fixation): nothing from before survives, and the new
        # session's secret was never seen by anyone before this answer.
        session.clear()
        login_user(SessionUser(account, secret))
        return redirect(_safe_next(request.args.get("next"), account))
    return render_template("auth/login.html", username="", error=None)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out (POST, CSRF-protected): this session's row goes, so its cookie is dead everywhere;
    the account's other sessions (another browser, another computer) stay."""
    user = current_user._get_current_object()
    if isinstance(user, SessionUser):
        edge.commit(accounts.log_out(db.session, user.secret))
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("auth.login"))
