"""SQLite busy (another process holds the write lock) or PostgreSQL gone: the phone gets a clear
error it can retry, nothing half-stored, and the retry with the same key succeeds once."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import func, select

from evalmeet.extensions import db
from evalmeet.models import Ballot, Participation
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import make_test_app
from tests.factories import build_meeting
from tests.realtime.conftest import connect

KEY = "retry-key-0123456789abcdef"


def phone_with_voting_open(app: Any) -> tuple[int, Any]:
    """A started meeting of three with voting open on its item: (item id, a connected phone)."""
    with app.app_context():
        live = build_meeting(db.session, reps=3)
        rounds.open_voting(db.session, live.items[0].id, "mod")
        db.session.commit()
        item_id, token = live.items[0].id, live.reps[0].join_token
        db.session.remove()
    return item_id, connect(app, {"token": token})


def vote(phone: Any, item_id: int) -> Any:
    """The phone's ``cast_vote`` (always with KEY, as a resend would be) and its ack."""
    payload = {"item_id": item_id, "choice": "satisfied", "key": KEY}
    return phone.emit("cast_vote", payload, namespace=NAMESPACE, callback=True)


def test_sqlite_busy_gives_a_retryable_error_then_the_resend_counts_once(tmp_path):
    app = make_test_app(
        f"sqlite:///{tmp_path / 'busy.db'}", tmp_path / "instance", SQLITE_BUSY_TIMEOUT_MS=200
    )
    item_id, phone = phone_with_voting_open(app)
    assert phone.is_connected(NAMESPACE)

    other_process = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # e.g. a long maintenance job holding the lock
    try:
        ack = vote(phone, item_id)
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    assert ack["ok"] is False and ack["error"]["code"] == "temporarily_unavailable", ack
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
        assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
        db.session.remove()

    again = vote(phone, item_id)
    assert again["ok"] is True and again["receipt"] == voting.receipt_for(item_id, 1, KEY)
    phone.disconnect(namespace=NAMESPACE)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
        db.session.remove()
        db.engine.dispose()


def test_postgres_connection_lost_is_survived(tmp_path):
    from sqlalchemy import create_engine, text

    from tests.conftest import POSTGRES_URL, drop_postgres_schema, postgres_schema_url

    url = postgres_schema_url()
    app = make_test_app(url, tmp_path / "instance")
    try:
        item_id, phone = phone_with_voting_open(app)
        with app.app_context():
            pids = [db.session.scalar(text("SELECT pg_backend_pid()"))]
            db.session.remove()
        # The database drops every connection of the app (a restart, a failover, a network cut).
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()
        answers = []
        for _ in range(2):  # the phone resends with the same key until it gets an ok
            ack = vote(phone, item_id)
            answers.append(ack)
            if ack["ok"]:
                break
        assert answers[-1]["ok"] is True, answers
        assert all(a["ok"] or a["error"]["code"] == "temporarily_unavailable" for a in answers)
        phone.disconnect(namespace=NAMESPACE)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_postgres_schema(url)
