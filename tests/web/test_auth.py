"""Logging in and out through the HTML forms, who may see moderator pages, and the language switch."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Account
from tests.conftest import make_account

PASSWORD = "correct horse"


def form_token(client: FlaskClient, url: str = "/login") -> str:
    """The CSRF token rendered into a form on ``url``."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_login(client: FlaskClient, username: str, password: str, next_url: str | None = None):  # type: ignore[no-untyped-def]
    path = "/login" if next_url is None else f"/login?next={next_url}"
    token = form_token(client, path)
    return client.post(path, data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def moderator(app: Flask) -> str:
    make_account(app, "li.moderator", "moderator", PASSWORD)
    return "li.moderator"


def test_login_page_is_chinese_with_a_csrf_protected_form(client: FlaskClient) -> None:
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page
    assert "<h1>登录</h1>" in page
    assert "用户名" in page and "密码" in page
    assert re.search(r'name="csrf_token" value="[^"]+"', page)
    # Not logged in: no logout button, no meetings link in the nav.
    assert "退出登录" not in page
    assert 'href="/public"' in page


def test_login_succeeds_and_shows_the_user_in_the_header(client: FlaskClient, moderator: str) -> None:
    response = post_login(client, moderator, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/meetings"
    page = client.get("/meetings").get_data(as_text=True)
    assert f'<span class="user-name" title="当前登录用户">{moderator}</span>' in page
    assert 'action="/logout"' in page


@pytest.mark.parametrize(
    "username,password", [("li.moderator", "wrong password"), ("nobody", PASSWORD), ("", "")]
)
def test_wrong_credentials_answer_401_with_a_message(
    client: FlaskClient, moderator: str, username: str, password: str
) -> None:
    response = post_login(client, username, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "用户名或密码错误。" in page
    assert f'value="{username}"' in page  # the name is kept, the password is not
    assert password not in page or password == ""
    assert client.get("/meetings").status_code == 302  # still anonymous


def test_deactivated_account_cannot_log_in(app: Flask, client: FlaskClient, moderator: str) -> None:
    with app.app_context():
        row = db.session.scalar(select(Account).where(Account.username == moderator))
        assert row is not None
        row.active = False
        db.session.commit()
    assert post_login(client, moderator, PASSWORD).status_code == 401


def test_login_without_csrf_token_is_refused(client: FlaskClient, moderator: str) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": moderator, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/meetings").status_code == 302


def test_login_starts_a_fresh_session(client: FlaskClient, moderator: str) -> None:
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    assert post_login(client, moderator, PASSWORD).status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/meetings/new", "/meetings/new"),
        ("/meetings?lang=en", "/meetings?lang=en"),
        ("//evil.example.com/", "/meetings"),
        ("https://evil.example.com/", "/meetings"),
        ("/\\evil.example.com", "/meetings"),
        ("/\t/evil.example.com", "/meetings"),
        ("/\n/evil.example.com", "/meetings"),
        ("javascript:alert(1)", "/meetings"),
        ("", "/meetings"),
    ],
)
def test_next_only_goes_to_paths_on_this_site(
    client: FlaskClient, moderator: str, target: str, expected: str
) -> None:
    from urllib.parse import quote

    response = post_login(client, moderator, PASSWORD, next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_is_sent_to_login_and_comes_back(client: FlaskClient, moderator: str) -> None:
    response = client.get("/meetings/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/meetings/new"
    response = post_login(client, moderator, PASSWORD, next_url="/meetings/new")
    assert response.headers["Location"] == "/meetings/new"
    assert client.get("/meetings/new").status_code == 200


def test_anonymous_post_is_redirected_not_executed(client: FlaskClient) -> None:
    response = client.post("/meetings/new", data={"title": "x"})
    # CSRF is checked first (400) or login is asked (302); never a created meeting.
    assert response.status_code in (302, 400)
    assert client.get("/").status_code == 302


def test_logout_needs_post_and_csrf_then_ends_the_session(client: FlaskClient, moderator: str) -> None:
    post_login(client, moderator, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/meetings").status_code == 200  # still logged in
    token = form_token(client, "/meetings")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "您已退出登录。" in client.get("/login").get_data(as_text=True)
    assert client.get("/meetings").status_code == 302


def test_viewer_gets_a_friendly_403(app: Flask, client: FlaskClient) -> None:
    make_account(app, "auditor", "viewer", PASSWORD)
    post_login(client, "auditor", PASSWORD)
    response = client.get("/meetings")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "您无权查看此页面" in page
    assert "此页面仅供主持人和管理员使用。" in page
    assert "auditor" in page
    assert "Traceback" not in page
    assert 'href="/meetings"' not in page  # no links into pages a viewer cannot open
    assert 'action="/logout"' in page  # but a way to switch accounts


def test_admin_may_see_moderator_pages(app: Flask, client: FlaskClient) -> None:
    make_account(app, "root", "admin", PASSWORD)
    post_login(client, "root", PASSWORD)
    assert client.get("/meetings").status_code == 200


def test_language_switch_sets_a_cookie_and_keeps_the_page(client: FlaskClient) -> None:
    page = client.get("/login?next=/meetings").get_data(as_text=True)
    assert 'href="/login?next=%2Fmeetings&amp;lang=en"' in page
    response = client.get("/login?next=/meetings&lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "<h1>Log in</h1>" in page and "Username" in page
    assert "evalmeet_lang=en" in response.headers.get("Set-Cookie", "")
    # The cookie keeps English on the next page without ?lang.
    assert "<h1>Log in</h1>" in client.get("/login").get_data(as_text=True)
    page = client.get("/login?lang=zh").get_data(as_text=True)
    assert "<h1>登录</h1>" in page
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)


def test_english_login_error(client: FlaskClient, moderator: str) -> None:
    client.get("/login?lang=en")
    response = post_login(client, moderator, "nope nope")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_unknown_language_falls_back_to_chinese(client: FlaskClient) -> None:
    response = client.get("/login?lang=xx")
    assert "<h1>登录</h1>" in response.get_data(as_text=True)
    assert "evalmeet_lang" not in response.headers.get("Set-Cookie", "")
