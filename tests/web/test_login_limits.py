"""Log-in guessing is slowed by counting failures; viewers land in the archive."""

from __future__ import annotations

from tests.conftest import csrf_token, make_account


def post_login(client, username, password):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
    )


def test_failed_logins_are_limited_and_success_resets(app, client):
    make_account(app, "guarded", "moderator", "right password!")
    for _ in range(5):
        assert post_login(client, "guarded", "wrong").status_code == 401
    blocked = post_login(client, "guarded", "right password!")
    assert blocked.status_code == 429
    assert "失败次数过多" in blocked.get_data(as_text=True)
    # Another account from the same address is still fine (a hall shares one NAT address).
    make_account(app, "other", "moderator", "other password")
    assert post_login(client, "other", "other password").status_code == 302


def test_success_clears_earlier_failures(app, client):
    make_account(app, "forgetful", "moderator", "right password!")
    for _ in range(4):
        post_login(client, "forgetful", "wrong")
    assert post_login(client, "forgetful", "right password!").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    for _ in range(4):
        assert post_login(client, "forgetful", "wrong").status_code == 401
    assert post_login(client, "forgetful", "right password!").status_code == 302


def test_viewer_lands_in_the_archive(app, client):
    make_account(app, "reader", "viewer", "viewer password")
    response = post_login(client, "reader", "viewer password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/archive")
    page = client.get("/archive").get_data(as_text=True)
    assert 'href="/dashboard"' in page and 'href="/actions"' in page and 'href="/meetings"' not in page
