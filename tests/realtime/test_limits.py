"""Rate limits per socket, the progress throttle with its trailing emit, and allowed origins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from evalmeet.extensions import db, socketio
from evalmeet.realtime import broadcast, origin_checker
from evalmeet.realtime.ratelimit import Pace, TokenBucket
from evalmeet.realtime.rooms import NAMESPACE, reps_room
from tests.conftest import make_test_app
from tests.realtime.conftest import call, connect, received, wait_for

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=20, clock=clock)
    assert [bucket.take() for _ in range(21)] == [True] * 20 + [False]
    clock.now += 0.11  # one token back (and a tenth of another)
    assert bucket.take() is True and bucket.take() is False
    clock.now += 100  # never more than the burst
    assert sum(bucket.take() for _ in range(30)) == 20


def test_pace_allows_one_action_per_interval():
    clock = FakeClock()
    pace = Pace(3, clock=clock)
    assert pace.ready()
    pace.record()
    clock.now += 2.9
    assert not pace.ready()
    clock.now += 0.1
    assert pace.ready()


@pytest.fixture
def app(db_url: str, tmp_path: Any) -> Iterator[Flask]:
    """A tight budget: 5 events, then (practically) none; questions 0.3 s apart; progress 0.3 s."""
    app = make_test_app(
        db_url,
        tmp_path / "instance",
        LIVE_EVENT_RATE=0.01,
        LIVE_EVENT_BURST=5,
        QUESTION_INTERVAL=0.3,
        PROGRESS_INTERVAL=0.3,
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_cast_vote_is_rate_limited_per_socket(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=1)
    api.post(f"items/{meeting.items[0].id}/voting/open")
    phone = connect(app, {"token": meeting.reps[0].join_token})
    acks = [phone.emit("cast_vote", "garbage", namespace=NAMESPACE, callback=True) for _ in range(6)]
    assert [a["error"]["code"] for a in acks] == ["invalid_payload"] * 5 + ["rate_limited"]
    vote = {"item_id": meeting.items[0].id, "choice": "satisfied", "key": "k" * 32}
    assert call(phone, "cast_vote", vote)["error"]["code"] == "rate_limited"
    # the limit is per socket: another phone is unaffected
    other = connect(app, {"token": meeting.reps[1].join_token})
    assert other.emit("cast_vote", vote, namespace=NAMESPACE, callback=True)["ok"] is True


def test_questions_are_paced(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=1)
    item_id = meeting.items[0].id
    api.post(f"items/{item_id}/present")
    phone = connect(app, {"token": meeting.reps[0].join_token})

    def ask(text: str) -> Any:
        return call(phone, "ask_question", {"item_id": item_id, "text": text})

    assert ask("first")["ok"] is True
    second = ask("second")
    assert second["ok"] is False and second["error"]["code"] == "rate_limited"
    socketio.sleep(0.35)
    assert ask("third")["ok"] is True


def test_progress_is_throttled_but_the_last_value_gets_out(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=5, items=1)
    item_id = meeting.items[0].id
    phones = [connect(app, {"token": rep.join_token}) for rep in meeting.reps]
    projector = phones[0]
    api.post(f"items/{item_id}/voting/open")
    assert received(projector, "progress") == [{"item_id": item_id, "ballots": 0, "present": 5}]

    for n, phone in enumerate(phones):
        vote = {"item_id": item_id, "choice": "satisfied", "key": f"key-{n}-0123456789abcdef"}
        assert phone.emit("cast_vote", vote, namespace=NAMESPACE, callback=True)["ok"] is True
    assert received(projector, "progress") == []  # within the interval: held back
    db.session.remove()  # let the trailing emit have the (single SQLite) connection

    trailing = wait_for(projector, "progress", timeout=3)

    assert trailing == [{"item_id": item_id, "ballots": 5, "present": 5}]
    socketio.sleep(0.4)
    assert received(projector, "progress") == []  # exactly one trailing emit


def test_foreign_origins_are_refused(app, client):
    assert client.get(HANDSHAKE).status_code == 200  # no Origin: not a browser, allowed
    assert client.get(HANDSHAKE, headers={"Origin": "http://localhost"}).status_code == 200
    refused = client.get(HANDSHAKE, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert client.get(HANDSHAKE, headers={"Origin": "https://localhost"}).status_code == 400


def test_configured_extra_origins(db_url, tmp_path):
    app = make_test_app(db_url, tmp_path / "i2", CORS_ORIGINS="https://intranet.example, https://b.example")
    try:
        client = app.test_client()
        ok = client.get(HANDSHAKE, headers={"Origin": "https://intranet.example"})
        assert ok.status_code == 200
        assert ok.headers["Access-Control-Allow-Origin"] == "https://intranet.example"
        assert client.get(HANDSHAKE, headers={"Origin": "https://b.example"}).status_code == 200
        assert client.get(HANDSHAKE, headers={"Origin": "http://localhost"}).status_code == 200
        assert client.get(HANDSHAKE, headers={"Origin": "https://evil.example"}).status_code == 400
    finally:
        with app.app_context():
            db.engine.dispose()


def test_origin_checker_never_allows_everyone():
    check = origin_checker(["*"])
    assert check("https://evil.example", {"HTTP_HOST": "vote.example", "wsgi.url_scheme": "https"}) is False
    proxied = origin_checker([], behind_proxy=True)
    environ = {
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "vote.example",
    }
    assert proxied("https://vote.example", environ) is True
    assert origin_checker([])("https://vote.example", environ) is False  # forwarded only behind a proxy


def test_a_big_rooms_phones_hear_progress_within_the_budget(app, session, plain_meeting):
    meeting = plain_meeting(reps=5, items=1)
    phones = [connect(app, {"token": rep.join_token}) for rep in meeting.reps]
    assert all(phone.is_connected(NAMESPACE) for phone in phones)
    room = reps_room(meeting.id)
    app.config.update(PHONE_PROGRESS_INTERVAL=0.25, PHONE_PROGRESS_BUDGET=2)
    try:
        assert broadcast.phone_interval(room) == 2.5  # 5 phones, 2 messages a second
        app.config["PHONE_PROGRESS_BUDGET"] = 100
        assert broadcast.phone_interval(room) == 0.25  # a small room: the interval as set
        assert broadcast.phone_interval(reps_room(meeting.id + 999)) == 0.25  # nobody there
        app.config["PHONE_PROGRESS_BUDGET"] = 0
        app.config["PHONE_PROGRESS_INTERVAL"] = 0.5
        assert broadcast.phone_interval(room) == 0.5  # no budget
    finally:
        app.config.update(PHONE_PROGRESS_INTERVAL=None, PHONE_PROGRESS_BUDGET=0)
