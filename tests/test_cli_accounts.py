"""The account commands for real, in subprocesses: ``revoke-tokens`` prints the count alone,
``set-password`` and ``disable-user`` end the sessions and tokens a running app accepts,
``enable-user`` lets the account log in again. The app is in-process on the same SQLite file."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from evalmeet.extensions import db
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.services.accounts import users as accounts
from tests import test_cli
from tests.test_cli import Cli

# test_cli.py's fixtures, used here by name: a fresh migrated database per test.
cli, templates, migrated = test_cli.cli, test_cli.templates, test_cli.migrated

PASSWORD = "correct horse"


def make_user(cli_: Cli, username: str, tokens: int = 0) -> list[str]:
    """An account (and API tokens) made in-process: only the commands under test run as
    subprocesses (each one costs seconds)."""
    with cli_.app() as app, app.app_context():
        accounts.create_user(
            db.session, AccountCreate(username=username, role="moderator", password=PASSWORD)
        )
        made = [accounts.create_token(db.session, username).value for _ in range(tokens)]
        db.session.commit()
    return made


def logged_in(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf[1]}
    response = browser.post("/login", data=form)
    assert response.status_code == 302
    return browser


def bearer(app: Flask, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return app.test_client().get("/api/v1/meetings", headers=headers).status_code


def audit(cli_: Cli, event: str) -> list[dict[str, Any]]:
    rows = cli_.rows("SELECT payload FROM audit_log WHERE event = ? ORDER BY id", event)
    return [json.loads(payload) for (payload,) in rows]


def test_revoke_tokens_prints_exactly_the_count_and_the_tokens_stop_working(migrated: Cli) -> None:
    tokens = make_user(migrated, "mod", tokens=3)
    (kept,) = make_user(migrated, "other", tokens=1)

    first = migrated("revoke-tokens", "mod")
    again = migrated("revoke-tokens", "mod")

    assert (first.returncode, first.stdout, first.stderr) == (0, "3\n", "")
    assert (again.returncode, again.stdout) == (0, "0\n")
    with migrated.app() as app:
        assert [bearer(app, t) for t in tokens] == [401, 401, 401]
        assert bearer(app, kept) == 200  # another account's token is untouched
    assert audit(migrated, "tokens.revoked") == [
        {"username": "mod", "count": 3},
        {"username": "mod", "count": 0},
    ]


def test_unknown_users_are_one_line_errors(migrated: Cli) -> None:
    for command in ("revoke-tokens", "disable-user", "enable-user"):
        result = migrated(command, "ghost")
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == "evalmeet: no user 'ghost'\n"


def test_set_password_ends_the_sessions_and_tokens_a_running_app_accepts(migrated: Cli) -> None:
    (token,) = make_user(migrated, "mod", tokens=1)
    with migrated.app() as app:
        browser = logged_in(app, "mod")
        assert browser.get("/meetings").status_code == 200 and bearer(app, token) == 200

        result = migrated("set-password", "mod", stdin="a brand new password\n")

        assert result.returncode == 0, result.stderr
        assert "ended 1 session(s) and 1 API token(s)" in result.stdout
        assert browser.get("/meetings").status_code == 302
        assert bearer(app, token) == 401
    assert audit(migrated, "account.password_set") == [
        {"username": "mod", "sessions_ended": 1, "tokens_revoked": 1}
    ]


def test_disable_user_then_enable_user(migrated: Cli) -> None:
    (old_token,) = make_user(migrated, "mod", tokens=1)
    with migrated.app() as app:
        browser = logged_in(app, "mod")

        disabled = migrated("disable-user", "mod")
        refused_token = migrated("create-token", "mod")

        assert disabled.returncode == 0, disabled.stderr
        assert disabled.stdout == "disabled account 'mod'; ended 1 session(s) and 1 API token(s)\n"
        assert browser.get("/meetings").status_code == 302
        assert bearer(app, old_token) == 401
        assert refused_token.returncode == 1 and "disabled" in refused_token.stderr
        assert refused_token.stdout == ""
        with app.app_context():
            assert accounts.authenticate(db.session, "mod", PASSWORD) is None

        enabled = migrated("enable-user", "mod")
        new_token = migrated("create-token", "mod").stdout.strip()

        assert enabled.returncode == 0 and enabled.stdout == "enabled account 'mod'\n"
        assert logged_in(app, "mod").get("/meetings").status_code == 200
        assert bearer(app, new_token) == 200
        assert bearer(app, old_token) == 401  # ended for good
    assert audit(migrated, "account.disabled") == [
        {"username": "mod", "sessions_ended": 1, "tokens_revoked": 1}
    ]
    assert audit(migrated, "account.enabled") == [{"username": "mod"}]
