"""Argon2's cost: full strength everywhere but the testing config, whatever the environment says.

The suite hashes with the cheapest argon2id parameters (TestingConfig.FAST_PASSWORD_HASHES) so an
account fixture is not a fifth of a second; these tests make sure that never reaches an
installation, and that a cheap hash which somehow did is made strong at the next login.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from flask import Flask

from evalmeet import create_app
from evalmeet.extensions import db
from evalmeet.models import Account
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.schemas.base import parse
from evalmeet.services.accounts import users
from tests.databases import create_schema

FULL = PasswordHasher()  # the library's recommended parameters, what production must use


def app_for(env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app built as ``EVALMEET_ENV=env`` would build it, on a database with the schema."""
    url = f"sqlite:///{tmp_path / (env + '.db')}"
    create_schema(url)
    monkeypatch.setenv("EVALMEET_ENV", env)
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / env), "SECRET_KEY": "k"})


def made_with(app: Flask) -> tuple[int, int, int]:
    """``(time_cost, memory_cost, parallelism)`` of a hash the app makes now."""
    with app.app_context():
        params = extract_parameters(users.hash_password("correct horse battery"))
        db.engine.dispose()
    return (params.time_cost, params.memory_cost, params.parallelism)


@pytest.mark.parametrize("env", ["production", "development"])
def test_installations_hash_at_full_strength_even_after_a_test_app(env, app, tmp_path, monkeypatch):
    assert users.hash_parameters() == (1, 8, 1)  # the shared test app hashes cheaply
    strong = app_for(env, tmp_path, monkeypatch)
    assert made_with(strong) == (FULL.time_cost, FULL.memory_cost, FULL.parallelism)
    assert FULL.memory_cost >= 64 * 1024 and FULL.time_cost >= 3  # RFC 9106's low-memory profile


def test_the_environment_cannot_switch_on_cheap_hashes(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALMEET_FAST_PASSWORD_HASHES", "1")
    strong = app_for("production", tmp_path, monkeypatch)
    assert strong.config["FAST_PASSWORD_HASHES"] is False
    assert made_with(strong) == (FULL.time_cost, FULL.memory_cost, FULL.parallelism)


def test_only_the_testing_config_hashes_cheaply(tmp_path, monkeypatch):
    cheap = app_for("testing", tmp_path, monkeypatch)
    assert made_with(cheap) == (1, 8, 1)


def test_a_cheap_hash_is_made_strong_at_the_first_full_strength_login(tmp_path, monkeypatch):
    cheap = app_for("testing", tmp_path, monkeypatch)
    with cheap.app_context():
        fields = {"username": "amy", "role": "moderator", "password": "correct horse battery"}
        users.create_user(db.session, parse(AccountCreate, fields))
        db.session.commit()
        db.engine.dispose()
    monkeypatch.setenv("EVALMEET_ENV", "production")
    url = cheap.config["DATABASE_URL"]
    strong = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "s"), "SECRET_KEY": "k"})
    with strong.app_context():
        assert users.authenticate(db.session, "amy", "correct horse battery") is not None
        db.session.commit()
        stored = db.session.query(Account).filter_by(username="amy").one().password_hash
        db.engine.dispose()
    assert extract_parameters(stored).memory_cost == FULL.memory_cost
    assert FULL.verify(stored, "correct horse battery")
