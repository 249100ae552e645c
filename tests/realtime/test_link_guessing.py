"""Guessing through the socket's ``auth``: invalid ``token`` and ``display`` values count like
invalid join links (one count per address), past the threshold they are refused late with
``too_many_attempts``; a valid one always connects at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Meeting
from evalmeet.realtime.rooms import NAMESPACE
from tests.conftest import make_test_app, released_after
from tests.realtime.conftest import connect, received, refusal, stale_browser

DELAY = 0.05  # short: a burst of 40 slowed refusals must stay quick to run
THRESHOLD = 20


@pytest.fixture
def app(db_url: str, tmp_path: Any) -> Iterator[Flask]:
    yield from released_after(make_test_app(db_url, tmp_path / "instance", LINK_MISS_DELAY=DELAY))


def bad(n: int) -> str:
    return f"guessed-{n:04d}-xxxxxxxxxxxxxxxxxxxx"


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_burst_of_60_bad_socket_tokens_is_limited_and_a_valid_one_still_connects(
    app, session, plain_meeting
):
    live = plain_meeting(reps=2, items=1)

    codes, took = timed(lambda: [refusal(app, {"token": bad(n)})["data"]["code"] for n in range(60)])

    assert codes[:THRESHOLD] == ["invalid_token"] * THRESHOLD
    assert codes[THRESHOLD:] == ["too_many_attempts"] * (60 - THRESHOLD)
    assert took >= (60 - THRESHOLD) * DELAY  # every one past the threshold waited
    slowed = refusal(app, {"token": bad(61)})
    assert "入场凭条上的有效链接仍可立即使用" in slowed["message"]  # translated, Chinese first
    assert slowed["data"]["retry_after"] >= 1

    phone, took = timed(lambda: connect(app, {"token": live.reps[0].join_token}))
    assert phone.is_connected(NAMESPACE) and took < 1.0
    assert received(phone, "state")[0]["me"]["id"] == live.reps[0].id


def test_bad_display_auths_are_slowed_and_a_valid_display_still_connects(app, session, plain_meeting):
    live = plain_meeting(reps=2, items=1)
    token = db.session.scalar(select(Meeting.display_token).where(Meeting.id == live.id))
    db.session.remove()

    first = [refusal(app, {"display": bad(n)})["data"]["code"] for n in range(THRESHOLD)]
    slowed, took = timed(lambda: refusal(app, {"display": bad(99)}))
    screen, screen_took = timed(lambda: connect(app, {"display": token}))

    assert first == ["invalid_display_token"] * THRESHOLD
    assert slowed["data"]["code"] == "too_many_attempts" and took >= DELAY
    assert screen.is_connected(NAMESPACE) and screen_took < 1.0


def test_join_links_and_socket_tokens_share_one_count(db_url, tmp_path):
    # Behind the proxy, so both paths see the same (forwarded) address: the Socket.IO test
    # client has no REMOTE_ADDR of its own.
    app = make_test_app(db_url, tmp_path / "instance", LINK_MISS_DELAY=DELAY, BEHIND_PROXY=True)
    phone = {"X-Forwarded-For": "198.51.100.4"}
    try:
        browser = app.test_client()
        for n in range(THRESHOLD):
            response = browser.get(f"/j/{bad(n)}", headers={"Accept": "text/html", **phone})
            assert response.status_code == 404

        assert refusal(app, {"token": bad(500)}, headers=phone)["data"]["code"] == "too_many_attempts"
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_stale_session_cookie_is_not_counted_as_a_guess(app, session, plain_meeting):
    browser = stale_browser(app, plain_meeting)

    codes = [refusal(app, None, flask_client=browser)["data"]["code"] for _ in range(THRESHOLD + 5)]

    assert codes == ["invalid_token"] * (THRESHOLD + 5)  # a signed cookie is no guess


def test_behind_the_proxy_socket_guesses_count_per_forwarded_address(db_url, tmp_path):
    app = make_test_app(db_url, tmp_path / "instance", LINK_MISS_DELAY=DELAY, BEHIND_PROXY=True)
    try:
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        neighbour = {"X-Forwarded-For": "203.0.113.8"}
        for n in range(THRESHOLD):
            refusal(app, {"token": bad(n)}, headers=guesser)

        assert refusal(app, {"token": bad(90)}, headers=guesser)["data"]["code"] == "too_many_attempts"
        # Both come from the proxy's own address: without the forwarded one they would share.
        assert refusal(app, {"token": bad(91)}, headers=neighbour)["data"]["code"] == "invalid_token"
    finally:
        with app.app_context():
            db.engine.dispose()
