"""Guessing join and display links: a valid link always gets in at once, whatever its address sent
before (a hall behind one NAT); invalid ones past the threshold are answered late, 429 with
Retry-After; the waiting is bounded; several workers share the count through Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
import redis
from flask import Flask
from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Meeting
from evalmeet.services.meetings import conduct
from evalmeet.web.guessing import guards
from evalmeet.web.guessing import init_app as init_guessing
from tests.conftest import REDIS_URL, make_test_app, released_after, require_service

DELAY = 1.0  # seconds an invalid link waits past the threshold, in these tests
THRESHOLD = 20  # LINK_MISS_LIMIT's count (the default, "20 per 5 minutes")
PAGE = {"Accept": "text/html"}


@pytest.fixture
def app(db_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The app with a delay short enough for tests and long enough to measure."""
    yield from released_after(make_test_app(db_url, tmp_path / "instance", LINK_MISS_DELAY=DELAY))


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def miss(client: Any, n: int, **kw: Any) -> Any:
    return client.get(f"/j/guessed-token-{n:04d}-xxxxxxxxxxxx", headers=PAGE, **kw)


def display_token(meeting_id: int) -> str:
    return str(db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting_id)))


def test_a_valid_link_gets_in_at_once_after_many_bad_ones_from_the_same_address(app, client, meeting_factory):
    live = meeting_factory(reps=40, present=0)
    for rep in live.reps[:30]:  # 30 valid joins from one address (one NAT): never counted
        assert client.get(f"/j/{rep.join_token}").status_code == 302
    for n in range(THRESHOLD):
        response, took = timed(lambda n=n: miss(client, n))
        assert response.status_code == 404 and took < DELAY  # a mistyped link: told at once
    slowed, took = timed(lambda: miss(client, 99))
    assert slowed.status_code == 429 and took >= DELAY

    for rep in live.reps[30:]:  # 10 more valid joins right after, from the same address
        joined, took = timed(lambda rep=rep: client.get(f"/j/{rep.join_token}", headers=PAGE))
        assert joined.status_code == 302 and joined.headers["Location"] == "/phone"
        assert took < DELAY
    assert conduct.representative_by_token(db.session, live.reps[-1].join_token).present


def test_invalid_links_past_the_threshold_are_answered_late_with_429_and_retry_after(app, client):
    for n in range(THRESHOLD):
        miss(client, n)

    page, took = timed(lambda: miss(client, 100))
    english = miss(client, 101, query_string={"lang": "en"})
    api = client.get("/j/guessed-token-0102-xxxxxxxxxxxx", headers={"Accept": "application/json"})

    assert page.status_code == 429 and took >= DELAY
    assert 1 <= int(page.headers["Retry-After"]) <= 300
    text = page.get_data(as_text=True)
    assert "无效链接过多" in text and "您入场凭条上的有效链接仍可立即使用" in text
    assert "too_many_attempts" in text
    assert "The valid link on your slip still works at once" in english.get_data(as_text=True)
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_attempts"
    assert "Retry-After" in api.headers
    # Another address is not slowed down by this one's guesses.
    other, took = timed(lambda: miss(app.test_client(), 1, environ_base={"REMOTE_ADDR": "10.0.0.9"}))
    assert other.status_code == 404 and took < DELAY


def test_display_links_are_slowed_too_and_share_the_count_with_join_links(
    app, client, session, meeting_factory
):
    live = meeting_factory(reps=2)
    token = display_token(live.id)
    for n in range(THRESHOLD // 2):
        assert miss(client, n).status_code == 404
    for n in range(THRESHOLD // 2):
        response, took = timed(lambda n=n: client.get(f"/screen/guessed-display-{n:04d}-xxxxxxxxxx"))
        assert response.status_code == 404 and took < DELAY

    slowed, took = timed(lambda: client.get("/screen/guessed-display-9999-xxxxxxxxxx", headers=PAGE))
    valid, valid_took = timed(lambda: client.get(f"/screen/{token}"))

    assert slowed.status_code == 429 and took >= DELAY
    assert int(slowed.headers["Retry-After"]) >= 1
    assert "请求过于频繁" in slowed.get_data(as_text=True)  # the 429 heading, in Chinese
    assert valid.status_code == 200 and valid_took < DELAY


def test_waiting_is_bounded_per_address_and_in_the_process(app):
    with app.test_request_context("/j/x", environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        links = guards().links
        links.delay, links.waiting_per_address, links.waiting = 0.5, 2, 3
        for _ in range(THRESHOLD):
            assert links.missed("10.1.1.1") is None and links.missed("10.1.1.2") is None

        def attempt(address: str) -> float:
            started = time.monotonic()
            assert links.missed(address) is not None
            return time.monotonic() - started

        same = [gevent.spawn(attempt, "10.1.1.1") for _ in range(5)]
        gevent.sleep(0.1)
        assert links.waiting_now() == 2  # at most 2 wait for one address
        other = [gevent.spawn(attempt, "10.1.1.2") for _ in range(3)]
        gevent.sleep(0.1)
        assert links.waiting_now() == 3  # and at most 3 in the process
        gevent.joinall(same + other, timeout=5)

    waited = sorted(g.value >= 0.5 for g in same)
    assert waited.count(True) == 2 and waited.count(False) == 3  # the rest were refused at once
    assert [g.value >= 0.5 for g in other].count(True) == 1
    assert links.waiting_now() == 0


def counting_in(app: Flask, **config: Any) -> Flask:
    """``app`` with its guessing limits rebuilt on other settings (a Redis). Only the guards
    are rebuilt: an app made with MESSAGE_QUEUE would leave Flask-SocketIO's global server
    with a Redis client manager that later tests' Socket.IO test clients refuse."""
    app.config.update(config)
    init_guessing(app)
    return app


def test_a_broken_counter_locks_nobody_out(app, client, meeting_factory, dead_redis_port):
    counting_in(app, MESSAGE_QUEUE=f"redis://127.0.0.1:{dead_redis_port}/0")
    token = meeting_factory(reps=1).reps[0].join_token
    for n in range(THRESHOLD + 5):
        response, took = timed(lambda n=n: miss(client, n))
        assert response.status_code == 404 and took < DELAY  # nothing counted, nothing slowed
    assert client.get(f"/j/{token}").status_code == 302


@pytest.fixture
def dead_redis_port() -> int:
    """A local port nothing listens on (a Redis that is down)."""
    from tests.server import free_port

    return free_port()


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        require_service("Redis", str(exc))
    yield REDIS_URL
    client.close()


def test_workers_sharing_redis_share_the_count(db_url, tmp_path, redis_url):
    channel = f"guess-test-{time.monotonic_ns()}"
    workers = [make_test_app(db_url, tmp_path / name, LINK_MISS_DELAY=DELAY) for name in ("a", "b", "c")]
    shared = {"MESSAGE_QUEUE": redis_url, "MESSAGE_QUEUE_CHANNEL": channel}
    first, second = (counting_in(worker, **shared) for worker in workers[:2])
    elsewhere = counting_in(workers[2], **{**shared, "MESSAGE_QUEUE_CHANNEL": channel + "-other"})
    try:
        for n in range(THRESHOLD):
            assert miss(first.test_client(), n).status_code == 404

        slowed, took = timed(lambda: miss(second.test_client(), 50))
        apart, apart_took = timed(lambda: miss(elsewhere.test_client(), 51))

        assert slowed.status_code == 429 and took >= DELAY  # the other worker knew
        assert apart.status_code == 404 and apart_took < DELAY  # another installation did not
    finally:
        keys = redis.Redis.from_url(redis_url).keys(f"{channel}*")
        if keys:
            redis.Redis.from_url(redis_url).delete(*keys)
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
