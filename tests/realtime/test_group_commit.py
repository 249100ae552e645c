"""The group commit on its own: batching, who gets which outcome, and nothing answered early.

The callers are gevent greenlets, as the server's event handlers are. The batch work is a fake
that records what it was given, so the batching itself is what is tested; the real batch
service (``voting.cast_ballots``) has its own tests in ``tests/services``.
"""

from __future__ import annotations

import gevent
import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import scoped_session

from evalmeet.domain.errors import Conflict
from evalmeet.extensions import db
from evalmeet.realtime.group_commit import GroupCommit


class Recorder:
    """A batch service that doubles numbers, refuses odd ones over 100, and logs everything."""

    def __init__(self, fail_batches: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.log: list[str] = []
        self.fail_batches = fail_batches

    def __call__(self, session, requests):
        self.batches.append(list(requests))
        self.log.append("work")
        session.execute(text("SELECT 1"))  # opens the transaction the group then commits
        if len(self.batches) <= self.fail_batches:
            raise RuntimeError("the database went away")
        return [Conflict("odd", code="odd") if r > 100 and r % 2 else r * 2 for r in requests]


def _callers(app, group: GroupCommit, requests: list[int], log: list[str]) -> list[object]:
    outcomes: list[object] = [None] * len(requests)

    def call(index: int, request: int) -> None:
        with app.app_context():
            try:
                outcomes[index] = group.run(request)
            except Exception as exc:  # noqa: BLE001 - the outcome under test
                outcomes[index] = exc
            log.append(f"answered {request}")

    gevent.joinall([gevent.spawn(call, i, r) for i, r in enumerate(requests)], raise_error=True)
    return outcomes


@pytest.fixture(autouse=True)
def _a_session_per_greenlet(app, monkeypatch):
    """As in the server, where gevent's monkey-patching makes thread-locals greenlet-local: each
    greenlet (event handler) has its own scoped session. These tests run unpatched."""
    registry = scoped_session(db.session.session_factory, scopefunc=gevent.getcurrent)
    monkeypatch.setattr(db, "_session", registry)
    yield
    registry.remove()


@pytest.fixture
def commits(app):
    """Appends "commit" to the returned log at every commit of the app's engine."""
    log: list[str] = []

    def on_commit(conn):
        gevent.sleep(0)  # a commit that yields (PostgreSQL under gevent does): waiters may run now
        log.append("commit")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", on_commit)
    yield log
    event.remove(engine, "commit", on_commit)


def test_concurrent_callers_share_batches_and_each_gets_its_own_outcome(app, commits):
    work = Recorder()
    work.log = commits
    group = GroupCommit(work, max_batch=16)
    requests = list(range(60)) + [101, 102, 103]
    outcomes = _callers(app, group, requests, commits)
    assert outcomes[:60] == [r * 2 for r in range(60)]
    assert outcomes[61] == 204  # a refusal is its caller's alone: its neighbours are answered
    assert all(isinstance(outcomes[i], Conflict) and outcomes[i].code == "odd" for i in (60, 62))
    assert sorted(r for batch in work.batches for r in batch) == sorted(requests)  # each once
    assert all(len(batch) <= 16 for batch in work.batches)
    assert len(work.batches) < len(requests) // 4  # they were batched, not one by one
    # Every answer comes after the commit of the batch that held it.
    for batch_no, batch in enumerate(work.batches):
        works = [i for i, line in enumerate(commits) if line == "work"]
        committed = commits.index("commit", works[batch_no])
        for request in batch:
            assert commits.index(f"answered {request}") > committed


def test_a_failed_batch_fails_all_its_callers_and_the_next_batch_still_runs(app, commits):
    work = Recorder(fail_batches=1)
    work.log = commits
    group = GroupCommit(work, max_batch=8)
    outcomes = _callers(app, group, list(range(20)), commits)
    failed = [o for o in outcomes if isinstance(o, RuntimeError)]
    assert len(failed) == len(work.batches[0]) >= 1
    assert [o for o in outcomes if not isinstance(o, RuntimeError)] == [
        r * 2 for r in range(20) if r not in work.batches[0]
    ]
    # The group is free again: a lone caller is a batch of one.
    assert _callers(app, group, [7], commits) == [14]
    assert work.batches[-1] == [7]


def test_without_group_commit_every_call_is_a_batch_of_one(app):
    app.config["VOTE_GROUP_COMMIT"] = False
    work = Recorder()
    group = GroupCommit(work)
    outcomes = _callers(app, group, [1, 2, 3, 105], [])
    assert outcomes[:3] == [2, 4, 6] and isinstance(outcomes[3], Conflict)
    assert work.batches == [[1], [2], [3], [105]]
