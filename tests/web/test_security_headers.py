"""Security headers, cookie flags and CSRF on forms, as a browser would see them."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_test_app


def test_every_page_has_a_strict_csp_and_the_usual_headers(client):
    for path in ["/login", "/public", "/api/v1/openapi.json", "/j/not-a-valid-token-at-all-xxxx"]:
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_or_styles_in_templates():
    from pathlib import Path

    for template in Path(__file__).resolve().parents[2].joinpath("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        # The one kind allowed: a build's script put into the page by web/static_files.INLINE,
        # which the policy names by its hash (test_static_live checks the hash on the real page).
        inline = r"(?!\{\{ inline_script\()"
        for match in re.finditer(rf"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>{inline}", text):
            pytest.fail(f"inline script in {template}: {match.group(0)}")
        assert " style=" not in text, f"inline style attribute in {template}"
        assert "<style" not in text, f"style element in {template}"


def test_session_cookie_flags(app, login):
    client = login("moderator")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALMEET_ENV", "production")
    app = make_test_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "instance")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    set_cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie


def test_login_renews_the_session(app, client):
    from tests.conftest import csrf_token, make_account

    make_account(app, "renew", "moderator", "renew password")
    client.get("/login")
    before = client.get_cookie("session").value
    client.post(
        "/login", data={"username": "renew", "password": "renew password", "csrf_token": csrf_token(client)}
    )
    after = client.get_cookie("session").value
    assert before != after


def test_post_forms_without_csrf_are_refused(app, login, meeting_factory):
    live = meeting_factory(reps=1, start=False)
    client = login("moderator")
    for path in [
        "/meetings/new",
        f"/meetings/{live.id}/start",
        f"/meetings/{live.id}/items",
        f"/meetings/{live.id}/representatives",
        f"/items/{live.items[0].id}/remove",
        "/logout",
    ]:
        response = client.post(path, data={"title": "x", "name": "n", "employee_no": "9"})
        assert response.status_code == 400, (path, response.status_code)


def test_every_answer_says_how_long_the_server_worked_on_it(client):
    for path in ["/public", "/api/v1/stats", "/login"]:
        timing = client.get(path).headers["Server-Timing"]
        assert re.fullmatch(r"app;dur=\d+\.\d", timing), timing
