"""No engine the app makes ever puts statement parameters — a ballot's choice and receipt — into an
error message or a log line (``hide_parameters=True``, secrecy.md)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from evalmeet.db import make_engine
from evalmeet.extensions import db
from evalmeet.models import Ballot
from tests.conftest import both_databases

PACKAGE = Path(__file__).resolve().parent.parent / "evalmeet"
CHOICE = "basically_satisfied"
RECEIPT = "QWER-TYUI-ZXCV"
BALLOT_ID = "f" * 32


def duplicate_ballot(conn, item_id):
    row = {"id": BALLOT_ID, "item_id": item_id, "vote_round": 1, "choice": CHOICE, "receipt": RECEIPT}
    conn.execute(insert(Ballot.__table__), row)
    conn.execute(insert(Ballot.__table__), row)  # the same receipt again: a unique violation


@both_databases
def test_a_failed_ballot_insert_shows_no_parameters(app, session, meeting_factory, caplog):
    item_id = meeting_factory(reps=3).items[0].id
    session.close()
    # The engine's own statement log at INFO would print the parameters of every statement.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    with pytest.raises(IntegrityError) as failure, db.engine.begin() as conn:
        duplicate_ballot(conn, item_id)
    message = str(failure.value)
    assert "INSERT INTO ballots" in message and "parameters hidden" in message
    assert "unique" in message.lower()  # what went wrong is still said
    if db.engine.dialect.name == "postgresql":  # without its DETAIL ("Key (id)=(...) exists")
        assert failure.value.orig.diag.constraint_name  # the diagnostics stay for code
    logged = caplog.text
    assert "INSERT INTO ballots" in logged  # the log was on: the test can see what it prints
    for secret in (CHOICE, RECEIPT, BALLOT_ID):
        assert secret not in message and secret not in logged


@both_databases
@pytest.mark.fresh_app  # it adds a route
def test_an_unexpected_error_on_a_page_logs_no_parameters(app, session, meeting_factory, caplog):
    item_id = meeting_factory(reps=3).items[0].id
    session.close()

    @app.get("/test-failing-insert")
    def failing() -> str:
        duplicate_ballot(db.session.connection(), item_id)
        return "unreachable"

    response = app.test_client().get("/test-failing-insert", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert "unhandled error" in caplog.text and "IntegrityError" in caplog.text
    for secret in (CHOICE, RECEIPT, BALLOT_ID):
        assert secret not in caplog.text and secret not in response.get_data(as_text=True)


def test_every_engine_hides_parameters(app, tmp_path):
    assert db.engine.hide_parameters is True
    for url in (f"sqlite:///{tmp_path / 'x.db'}", "postgresql+psycopg://nobody@127.0.0.1:1/none"):
        engine = make_engine(url)
        assert engine.hide_parameters is True
        engine.dispose()
    assert make_engine(f"sqlite:///{tmp_path / 'y.db'}", hide_parameters=False).hide_parameters is True


def test_make_engine_is_the_only_create_engine_in_the_app():
    """Migrations, backups, the CLI: every engine goes through db.make_engine."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("create_engine", "create_async_engine", "engine_from_config"):
                    found.append(path.relative_to(PACKAGE).as_posix())
    assert found and set(found) == {"db.py"}, found
