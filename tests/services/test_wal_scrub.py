"""A reader holding the SQLite WAL open must not defeat the scrub at close (secrecy.md).

Another process sits inside ``BEGIN; SELECT ...`` (a backup, a monitoring tool, a ``sqlite3``
shell) while the vote closes, so the first ``wal_checkpoint(TRUNCATE)`` cannot complete. While
it holds on, the ``-wal`` pairs every representative with a receipt (the attack, checked here so
the check is known to work); once it lets go, the scrubber's retries leave no pre-close ballot
page in any file.
"""

from __future__ import annotations

import ast
import logging
import time
from pathlib import Path

from sqlalchemy import select

from evalmeet import wal_scrub
from evalmeet.db import scrub_sqlite_wal
from evalmeet.extensions import db, socketio
from evalmeet.models import Ballot, Participation
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from evalmeet.wal_scrub import scrubber_for
from tests.conftest import make_test_app
from tests.factories import ballot, build_meeting
from tests.sqlite_files import PinnedReader, files_of, pair_by_first_frame, wal_frames

PATTERN = ["satisfied", "dissatisfied", "satisfied", "basically_satisfied", "dissatisfied", "satisfied"]


def vote_one_by_one(session, live, item):
    """Each ballot its own commit (as phones arrive); returns the voters' participation ids and
    receipts in voting order, and the ballot ids before close."""
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    receipts = []
    for n, (rep, choice) in enumerate(zip(live.reps, PATTERN, strict=True)):
        key = f"wal-scrub-key-{n:04d}-abcdefgh"
        receipts.append(voting.cast_ballot(session, rep, ballot(item.id, choice, key)).value.receipt)
        session.commit()
    by_rep = dict(
        session.execute(
            select(Participation.representative_id, Participation.id).where(Participation.item_id == item.id)
        ).all()
    )
    participation_ids = [by_rep[rep.id] for rep in live.reps]
    ballot_ids = list(session.scalars(select(Ballot.id).where(Ballot.item_id == item.id)))
    session.commit()
    return participation_ids, receipts, ballot_ids


def wait_until(predicate, timeout):
    """Yield to the scrubber's greenlet (socketio.sleep) until ``predicate()`` or the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        socketio.sleep(0.05)
    return predicate()


def db_path(app):
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def test_a_reader_across_the_close_then_the_files_come_clean(app, session, caplog):
    caplog.set_level(logging.INFO, logger="evalmeet.wal_scrub")
    path = db_path(app)
    live = build_meeting(session, reps=len(PATTERN))
    item = live.items[0]
    participation_ids, receipts, old_ballot_ids = vote_one_by_one(session, live, item)
    scrubber = scrubber_for(db.engine)

    with PinnedReader(path) as reader:
        rounds.close_voting(session, item.id, "mod")
        session.commit()
        session.close()  # the greenlet needs the one pooled connection
        assert scrub_sqlite_wal(db.engine) is False
        assert scrubber.pending and scrubber.retrying
        # What the reader keeps on disk: every representative paired with their receipt.
        frames = wal_frames(path + "-wal")
        assert pair_by_first_frame(frames, participation_ids, receipts) == dict(
            zip(participation_ids, receipts, strict=True)
        )
        # Retrying cannot succeed while it holds on; the task keeps going.
        socketio.sleep(0.6)
        assert scrubber.pending and scrubber.retrying and scrubber.attempts >= 2
        reader.release()

    # No write happens now: the timer alone must notice that the reader has gone.
    assert wait_until(lambda: not scrubber.pending, timeout=10), "the WAL was never scrubbed"
    assert wait_until(lambda: not scrubber.retrying, timeout=2)
    files = files_of(path)
    assert files.get("-wal", b"") == b""  # truncated to 0 bytes (or gone)
    assert pair_by_first_frame(wal_frames(path + "-wal"), participation_ids, receipts) == {}
    for old_id in old_ballot_ids:  # pre-close ballot rows: nowhere, not in free pages either
        assert all(old_id.encode() not in blob for blob in files.values()), old_id
    # The round itself is intact.
    after = sorted(session.scalars(select(Ballot.receipt).where(Ballot.item_id == item.id)))
    assert after == sorted(receipts)

    messages = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "evalmeet.wal_scrub"]
    assert any(level == logging.WARNING and "not scrubbed" in text for level, text in messages), messages
    assert messages[-1][0] == logging.INFO and "scrubbed" in messages[-1][1], messages
    logged = "\n".join(text for _level, text in messages)
    assert not any(r in logged for r in receipts) and "satisfied" not in logged


def test_a_later_write_retries_without_waiting_for_the_timer(app, session, monkeypatch):
    # A timer this slow never fires during the test: only the later commit can set it off.
    monkeypatch.setattr(wal_scrub, "FIRST_RETRY_S", 120.0)
    monkeypatch.setattr(wal_scrub, "MAX_RETRY_S", 120.0)
    path = db_path(app)
    live = build_meeting(session, reps=len(PATTERN), items=2)
    first, second = live.items
    participation_ids, _receipts, old_ballot_ids = vote_one_by_one(session, live, first)
    scrubber = scrubber_for(db.engine)
    with PinnedReader(path) as reader:
        rounds.close_voting(session, first.id, "mod")
        session.commit()
        session.close()
        assert scrub_sqlite_wal(db.engine) is False
        reader.release()
    socketio.sleep(0.5)
    assert scrubber.pending  # nobody wrote, the timer is far away
    assert files_of(path).get("-wal")  # the pre-close pages are still there

    rounds.open_voting(session, second.id, "mod")  # the meeting goes on: a later write
    session.commit()
    session.close()
    assert wait_until(lambda: not scrubber.pending, timeout=3)
    # Truncated; what is there now came after the close (the second item opening).
    frames = wal_frames(path + "-wal")
    for token in participation_ids + old_ballot_ids:
        assert not any(token.encode() in frame for frame in frames), token


def test_one_task_per_engine_and_each_attempt_never_waits_in_sqlite(tmp_path):
    # A long busy_timeout would make SQLite sleep in C (the whole event loop with it) while the
    # reader holds on; the checkpoint must run with 0 and put the connection's value back.
    url = f"sqlite:///{tmp_path / 'scrub.db'}"
    app = make_test_app(url, tmp_path / "instance", SQLITE_BUSY_TIMEOUT_MS=3000)
    with app.app_context():
        session = db.session
        live = build_meeting(session, reps=len(PATTERN), items=2)
        vote_one_by_one(session, live, live.items[0])
        scrubber = scrubber_for(db.engine)
        spawned = []
        real_spawn = scrubber.spawn
        assert real_spawn is not None

        def counting_spawn(work):
            spawned.append(work)
            return real_spawn(work)

        scrubber.spawn = counting_spawn
        with PinnedReader(tmp_path / "scrub.db") as reader:
            rounds.close_voting(session, live.items[0].id, "mod")
            session.commit()
            session.close()
            started = time.monotonic()
            assert scrub_sqlite_wal(db.engine) is False
            assert time.monotonic() - started < 0.5
            assert scrub_sqlite_wal(db.engine) is False  # a second request while pending
            socketio.sleep(0.3)
            assert len(spawned) == 1
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 3000
            reader.release()
        assert wait_until(lambda: not scrubber.pending, timeout=10)
        assert len(spawned) == 1
        db.session.remove()
        db.engine.dispose()


def test_postgres_has_nothing_to_scrub(tmp_path):
    from tests.conftest import drop_postgres_schema, postgres_schema_url

    url = postgres_schema_url()
    try:
        app = make_test_app(url, tmp_path / "instance")
        with app.app_context():
            assert scrub_sqlite_wal(db.engine) is True
            assert not scrubber_for(db.engine).pending
            db.engine.dispose()
    finally:
        drop_postgres_schema(url)


def _enclosing_calls(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Each node's parent."""
    parents = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    return parents


def _name(call: ast.Call) -> str | None:
    return getattr(call.func, "attr", None) or getattr(call.func, "id", None)


def _committed_through_the_edge(node: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
    """``edge.commit(<node>)``, or ``edge.form_post(lambda: <node>, ...)``."""
    parent = parents.get(node)
    if isinstance(parent, ast.Call) and _name(parent) == "commit" and node in parent.args:
        return ast.unparse(parent.func) == "edge.commit"
    if isinstance(parent, ast.Lambda):
        form_post = parents.get(parent)
        return isinstance(form_post, ast.Call) and ast.unparse(form_post.func) == "edge.form_post"
    return False


def test_every_edge_that_closes_a_vote_commits_it_through_the_edge():
    """Views and socket handlers: a call of close_voting is committed by ``edge.commit`` (or is the
    work of ``edge.form_post``), whose step for the close's VotingClosed event scrubs the log
    after the commit; none commits by hand (the demo closes in one CLI transaction, which SQLite
    folds in and deletes when the command's last connection closes)."""
    package = Path(__file__).resolve().parents[2] / "evalmeet"
    edges = 0
    for path in sorted([*(package / "web").rglob("*.py"), *(package / "realtime").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = _enclosing_calls(tree)
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            calls = [node for node in ast.walk(fn) if isinstance(node, ast.Call)]
            closes = [node for node in calls if _name(node) == "close_voting"]
            if not closes:
                continue
            edges += 1
            for close in closes:
                assert _committed_through_the_edge(close, parents), f"{path.name}:{fn.name} closes by hand"
            by_hand = [node for node in calls if ast.unparse(node.func) == "db.session.commit"]
            assert not by_hand, f"{path.name}:{fn.name} commits by hand"
    assert edges >= 1


def test_the_close_says_scrub_and_the_edge_does(app, session, monkeypatch):
    """The close's Done carries VotingClosed with the frozen result; edge.after_commit scrubs for it
    before it sends the result."""
    from evalmeet.services.events import VotingClosed
    from evalmeet.web import edge

    live = build_meeting(session, reps=3)
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    closing = rounds.close_voting(session, item.id, "mod")
    (event,) = closing.events
    assert isinstance(event, VotingClosed) and event.meeting_id == live.id
    assert event.result["item_id"] == item.id and event.result["ballots"] == 0
    steps = []
    monkeypatch.setattr(edge, "scrub_sqlite_wal", lambda engine: steps.append("scrub") or True)
    monkeypatch.setattr(edge.broadcast, "result", lambda meeting_id, payload: steps.append("result"))
    monkeypatch.setattr(edge.broadcast, "state_changed", lambda meeting_id, **kw: steps.append("state"))
    assert edge.commit(closing) is closing.value
    assert steps == ["scrub", "result", "state"]


def test_the_consoles_close_scrubs_the_log(app, session, login):
    """The console closes a vote with the API's close, over the browser session and its CSRF
    token: once it answers, no file holds a ballot row from before the close (secrecy.md)."""
    import re

    path = db_path(app)
    live = build_meeting(session, reps=len(PATTERN))
    item = live.items[0]
    _participation_ids, receipts, old_ballot_ids = vote_one_by_one(session, live, item)
    session.close()  # the requests need the one pooled connection
    before = files_of(path)
    assert all(any(old_id.encode() in blob for blob in before.values()) for old_id in old_ballot_ids)

    client = login("moderator")
    with app.app_context():  # a context per request: no cached CSRF token
        page = client.get(f"/meetings/{live.id}/console").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token, "the console renders no csrf-token meta"
    with app.app_context():
        closed = client.post(f"/api/v1/items/{item.id}/voting/close", headers={"X-CSRFToken": token.group(1)})
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert closed.get_json()["ballots"] == len(PATTERN)

    files = files_of(path)
    assert files.get("-wal", b"") == b""  # truncated to 0 bytes (or gone)
    for old_id in old_ballot_ids:  # pre-close ballot rows: nowhere, not in free pages either
        assert all(old_id.encode() not in blob for blob in files.values()), old_id
    after = sorted(session.scalars(select(Ballot.receipt).where(Ballot.item_id == item.id)))
    assert after == sorted(receipts)
