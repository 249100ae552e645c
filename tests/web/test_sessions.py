"""Logins are rows on the server: a cookie replayed after logout, a new password or a disabled
account is refused on pages, on the API and on the console's socket; logout ends only its own
session; the cookie carries nothing but the session's random secret.

No test here holds an app context across requests (no ``session`` fixture): a cached user on a
shared ``g`` could otherwise make a replay look refused when the server would have let it in.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from evalmeet.extensions import db, socketio
from evalmeet.models import Account, AuditEntry, LoginSession
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.schemas.accounts import NewPassword
from evalmeet.services.accounts import users as accounts
from tests.conftest import make_account
from tests.factories import build_meeting
from tests.realtime.conftest import refusal

PASSWORD = "correct horse"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a pinned moment for the idle-time tests


def log_in(app: Flask, username: str = "li.mod", role: str = "moderator", new: bool = True) -> FlaskClient:
    """A browser logged in as ``username`` (created first unless ``new`` is False)."""
    if new:
        make_account(app, username, role, PASSWORD)
    browser = app.test_client()
    response = browser.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": form_csrf(browser)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def form_csrf(browser: FlaskClient, url: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def session_cookie(browser: FlaskClient) -> str:
    cookie = browser.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A different client sending only a copied session cookie (an attacker who kept it)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie, domain="localhost")
    return thief


def assert_refused_everywhere(app: Flask, cookie: str, csrf: str, meeting_id: int) -> None:
    """Pages send the copied cookie to the login form, the API answers 401, the socket refuses."""
    thief = replay(app, cookie)
    page = thief.get("/meetings")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    listing = thief.get("/api/v1/meetings")
    assert listing.status_code == 401 and listing.get_json()["error"]["code"] == "unauthorized"
    created = thief.post("/api/v1/meetings", json={"title": "planted"}, headers={"X-CSRFToken": csrf})
    assert created.status_code == 401 and created.get_json()["error"]["code"] == "unauthorized"
    refused = refusal(app, {"meeting_id": meeting_id}, flask_client=thief)
    assert refused["data"]["code"] == "unauthorized"


def assert_works_everywhere(app: Flask, cookie: str, csrf: str, meeting_id: int) -> None:
    thief = replay(app, cookie)
    assert thief.get("/meetings").status_code == 200
    assert thief.get("/api/v1/meetings").status_code == 200
    auth = {"meeting_id": meeting_id}
    console = socketio.test_client(app, namespace=NAMESPACE, auth=auth, flask_test_client=thief)
    assert console.is_connected(NAMESPACE)
    console.disconnect(namespace=NAMESPACE)


def a_meeting(app: Flask) -> int:
    with app.app_context():
        meeting_id = build_meeting(db.session, reps=2, items=1).id
        db.session.remove()
    return meeting_id


def test_a_cookie_replayed_after_logout_is_refused_on_pages_api_and_socket(app: Flask) -> None:
    meeting_id = a_meeting(app)
    browser = log_in(app)
    cookie, csrf = session_cookie(browser), form_csrf(browser, "/meetings")
    assert_works_everywhere(app, cookie, csrf, meeting_id)  # the copy works while logged in

    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 302

    assert_refused_everywhere(app, cookie, csrf, meeting_id)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
        assert db.session.scalar(select(func.count()).select_from(Account)) == 1  # nothing planted


def test_logout_ends_only_its_own_session(app: Flask) -> None:
    meeting_id = a_meeting(app)
    office = log_in(app)
    laptop = log_in(app, new=False)
    office_cookie, laptop_cookie = session_cookie(office), session_cookie(laptop)
    csrf = form_csrf(office, "/meetings")

    office.post("/logout", data={"csrf_token": csrf})

    assert_refused_everywhere(app, office_cookie, csrf, meeting_id)
    assert_works_everywhere(app, laptop_cookie, form_csrf(laptop, "/meetings"), meeting_id)


def test_a_new_password_ends_every_session_and_token(app: Flask) -> None:
    meeting_id = a_meeting(app)
    token = make_account(app, "li.mod", "moderator", PASSWORD)
    one, two = log_in(app, new=False), log_in(app, new=False)
    cookies = [session_cookie(one), session_cookie(two)]
    csrf = form_csrf(one, "/meetings")

    with app.app_context():
        account = accounts.account_named(db.session, "li.mod")
        ended = accounts.set_password(db.session, account, NewPassword(password="a brand new password")).value
        db.session.commit()

    assert (ended.sessions, ended.tokens) == (2, 1)
    for cookie in cookies:
        assert_refused_everywhere(app, cookie, csrf, meeting_id)
    bearer = app.test_client().get("/api/v1/meetings", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401


def test_disabling_ends_sessions_and_tokens_and_enabling_brings_back_only_the_login(app: Flask) -> None:
    meeting_id = a_meeting(app)
    token = make_account(app, "li.mod", "moderator", PASSWORD)
    browser = log_in(app, new=False)
    cookie, csrf = session_cookie(browser), form_csrf(browser, "/meetings")

    with app.app_context():
        ended = accounts.set_active(db.session, "li.mod", False).value
        db.session.commit()

    assert (ended.sessions, ended.tokens) == (1, 1)
    assert_refused_everywhere(app, cookie, csrf, meeting_id)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/meetings", headers=headers).status_code == 401
    stranger = app.test_client()
    refused = stranger.post(
        "/login", data={"username": "li.mod", "password": PASSWORD, "csrf_token": form_csrf(stranger)}
    )
    assert refused.status_code == 401

    with app.app_context():
        accounts.set_active(db.session, "li.mod", True)
        db.session.commit()
        events = db.session.scalars(select(AuditEntry.event).order_by(AuditEntry.id)).all()

    assert events[-2:] == ["account.disabled", "account.enabled"]
    assert_works_everywhere(app, session_cookie(log_in(app, new=False)), csrf, meeting_id)
    assert app.test_client().get("/api/v1/meetings", headers=headers).status_code == 401  # stays ended


def test_the_cookie_carries_only_a_random_secret_and_the_database_only_its_hash(app: Flask) -> None:
    browser = log_in(app)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data = serializer.loads(session_cookie(browser))

    secret = data["_user_id"]
    with app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.username == "li.mod"))
        hashes = db.session.scalars(select(LoginSession.id_hash)).all()
    assert len(secret) >= 40 and str(account_id) not in secret.split(":")
    assert hashes == [hashlib.sha256(secret.encode()).hexdigest()]


def test_logging_in_again_in_the_same_browser_ends_the_earlier_session(app: Flask) -> None:
    browser = log_in(app)
    first = session_cookie(browser)
    again = {"username": "li.mod", "password": PASSWORD, "csrf_token": form_csrf(browser)}
    assert browser.post("/login", data=again).status_code == 302

    assert session_cookie(browser) != first
    assert replay(app, first).get("/meetings").status_code == 302
    assert browser.get("/meetings").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_a_forged_or_old_style_user_id_is_anonymous(app: Flask) -> None:
    make_account(app, "li.mod", "moderator", PASSWORD)
    browser = app.test_client()
    browser.get("/login")
    for forged in ("1:0", "1", "x" * 43):  # the old account:epoch form, an id, a made-up secret
        with browser.session_transaction() as sess:
            sess["_user_id"] = forged
            sess["_fresh"] = True
        assert browser.get("/meetings").status_code == 302


def test_a_session_idle_too_long_ends_and_seen_is_written_at_most_every_few_minutes(
    app: Flask,
) -> None:
    make_account(app, "li.mod", "moderator", PASSWORD)
    idle = timedelta(days=30)
    with app.app_context():
        account = accounts.account_named(db.session, "li.mod")
        secret = accounts.start_session(db.session, account, now=T0)
        row = db.session.get(LoginSession, hashlib.sha256(secret.encode()).hexdigest())

        assert accounts.session_account(db.session, secret, idle, T0 + timedelta(minutes=4)) is account
        assert row.last_seen_at == T0  # not written for every request
        assert accounts.session_account(db.session, secret, idle, T0 + timedelta(minutes=6)) is account
        assert row.last_seen_at == T0 + timedelta(minutes=6)
        later = row.last_seen_at + idle + timedelta(seconds=1)
        assert accounts.session_account(db.session, secret, idle, later) is None
        db.session.flush()
        assert db.session.get(LoginSession, row.id_hash) is None  # gone, like a logout
        db.session.rollback()


def test_idle_sessions_are_forgotten_when_the_account_logs_in(app: Flask) -> None:
    make_account(app, "li.mod", "moderator", PASSWORD)
    idle = timedelta(days=30)
    with app.app_context():
        account = accounts.account_named(db.session, "li.mod")
        accounts.start_session(db.session, account, now=T0)
        accounts.start_session(db.session, account, now=T0 + timedelta(days=20))

        assert accounts.end_idle_sessions(db.session, account, idle, now=T0 + timedelta(days=31)) == 1
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
        db.session.rollback()
