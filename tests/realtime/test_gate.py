"""The cross-worker gate on a real Redis: one sender per interval, and the newest value still
gets out from the worker that was turned away.

Two "workers" are two Flask apps sharing one Redis channel (as two processes would); their
sends are recorded instead of emitted. gevent greenlets run the delayed retries.
"""

from __future__ import annotations

import uuid

import gevent
import pytest

from evalmeet.realtime import gate as gate_module
from evalmeet.realtime.gate import ClusterGate
from tests.conftest import REDIS_URL, make_test_app, require_service
from tests.e2e.cluster import redis_problem

INTERVAL = 0.3


@pytest.fixture
def workers(tmp_path):
    problem = redis_problem(REDIS_URL)
    if problem:
        require_service("Redis", problem)
    channel = f"test-gate-{uuid.uuid4().hex}"
    apps = []
    for name in ("a", "b"):
        app = make_test_app(f"sqlite:///{tmp_path / name}.db", tmp_path / name)
        app.config.update(MESSAGE_QUEUE=REDIS_URL, MESSAGE_QUEUE_CHANNEL=channel)
        apps.append(app)
    gates = [ClusterGate(), ClusterGate()]  # one per process
    yield list(zip(apps, gates, strict=True))
    for gate in gates:
        gate.reset()


def test_one_worker_sends_per_interval_and_the_other_sends_once_it_opens(workers):
    (app_a, gate_a), (app_b, gate_b) = workers
    sent: list[tuple[str, float]] = []
    start = gevent.get_hub().loop.now()

    def sender(name):
        return lambda: sent.append((name, gevent.get_hub().loop.now() - start))

    with app_a.app_context():
        gate_a.send(app_a, "progress:phones:1", INTERVAL, sender("a"))
    with app_b.app_context():
        gate_b.send(app_b, "progress:phones:1", INTERVAL, sender("b"))  # a ballot committed on b
    assert [name for name, _t in sent] == ["a"]  # b was turned away, not sent twice
    gevent.sleep(INTERVAL * 2.5)
    assert [name for name, _t in sent] == ["a", "b"]  # b's newer count still went out...
    assert sent[1][1] >= INTERVAL * 0.9  # ...once a's interval was over


def test_a_retry_that_finds_a_newer_holder_leaves_it_to_that_holder(workers, monkeypatch):
    (app_a, gate_a), (app_b, gate_b) = workers
    # b retries this long after a's key expires: wide enough that a loaded machine still runs a's
    # own claim (4 ms after expiry) first — the order this test is about.
    monkeypatch.setattr(gate_module, "_MARGIN", 0.15)
    sent: list[str] = []
    with app_a.app_context():
        gate_a.send(app_a, "progress:staff:2", INTERVAL, lambda: sent.append("a"))
    with app_b.app_context():
        gate_b.send(app_b, "progress:staff:2", INTERVAL, lambda: sent.append("b"))
    # a sends again the moment its interval ends (its own trailing update), before b's retry.
    gevent.sleep(INTERVAL + 0.004)
    with app_a.app_context():
        gate_a.send(app_a, "progress:staff:2", INTERVAL, lambda: sent.append("a again"))
    gevent.sleep(INTERVAL * 2)
    assert sent == ["a", "a again"]  # a read the database after b's commit: b need not send


def test_other_streams_and_single_workers_are_not_held_back(workers, tmp_path):
    (app_a, gate_a), (app_b, gate_b) = workers
    sent: list[str] = []
    with app_a.app_context():
        gate_a.send(app_a, "progress:phones:3", INTERVAL, lambda: sent.append("phones 3"))
        gate_a.send(app_a, "progress:staff:3", INTERVAL, lambda: sent.append("staff 3"))
        gate_a.send(app_a, "progress:phones:4", INTERVAL, lambda: sent.append("phones 4"))
    solo = make_test_app(f"sqlite:///{tmp_path / 'solo'}.db", tmp_path / "solo")  # no message queue
    with solo.app_context():
        for _ in range(3):
            ClusterGate().send(solo, "progress:phones:3", INTERVAL, lambda: sent.append("solo"))
    assert sent == ["phones 3", "staff 3", "phones 4", "solo", "solo", "solo"]


def test_without_redis_a_worker_sends_rather_than_stays_silent(workers):
    (app_a, gate_a), _b = workers
    app_a.config["MESSAGE_QUEUE"] = "redis://127.0.0.1:1/0"  # nothing listens there
    sent: list[str] = []
    with app_a.app_context():
        gate_a.send(app_a, "progress:phones:5", INTERVAL, lambda: sent.append("a"))
        gate_a.send(app_a, "progress:phones:5", INTERVAL, lambda: sent.append("a"))
    assert sent == ["a", "a"]
