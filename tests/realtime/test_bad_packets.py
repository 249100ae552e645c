"""Packets a client can craft: lone surrogates, JSON nested too deep, a client-sent ``connect``
event. Each is bad input — an ack with a code, or nothing at all — never an ``internal_error``,
a traceback in the log, or a second welcome."""

from __future__ import annotations

import logging

import pytest

from evalmeet.extensions import socketio
from evalmeet.realtime import live
from evalmeet.realtime.rooms import NAMESPACE
from tests.realtime.conftest import call, connect, received

KEY = "key-surrogate-0123456789"


@pytest.fixture
def phone(app, plain_meeting):
    meeting = plain_meeting(reps=3, items=1)
    sock = connect(app, {"token": meeting.reps[0].join_token})
    received(sock)
    return sock, meeting


def raw(sock, text: str) -> None:
    """Feed the server one encoded Socket.IO packet as if it came over the wire."""
    socketio.server._handle_eio_message(sock.eio_sid, text)


def test_a_lone_surrogate_is_invalid_payload(app, phone, api):
    sock, meeting = phone
    api.post(f"items/{meeting.items[0].id}/voting/open")
    for event, payload in (
        ("ask_question", {"item_id": meeting.items[0].id, "text": "\ud800 为什么"}),
        ("cast_vote", {"item_id": meeting.items[0].id, "choice": "satisfied\udc00", "key": KEY}),
        ("cast_vote", {"item_id": meeting.items[0].id, "choice": "satisfied", "key": KEY + "\ud83d"}),
    ):
        ack = call(sock, event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", (event, ack)


def test_json_nested_too_deep_is_invalid_payload_without_a_traceback(app, phone, caplog):
    sock, _meeting = phone
    deep = "[" * 5000 + "]" * 5000
    with caplog.at_level(logging.DEBUG):
        raw(sock, f'2{NAMESPACE},7["cast_vote",{deep}]')
        raw(sock, f"2{NAMESPACE},8[not json")
        socketio.sleep(0.1)
    assert sock.acks["args"][0]["error"]["code"] == "invalid_payload"
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    # the socket still works
    assert call(sock, "sync")["ok"] is True


def test_a_client_sent_connect_event_is_ignored_quietly(app, phone, caplog):
    sock, meeting = phone
    before = dict(live.clients)
    with caplog.at_level(logging.DEBUG):
        for _ in range(20):
            raw(sock, f'2{NAMESPACE},["connect"]')
            raw(sock, f'2{NAMESPACE},["connect",{{"token":"{meeting.reps[1].join_token}"}}]')
        socketio.sleep(0.1)
    assert received(sock, "state") == []  # no second welcome
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert live.clients == before  # still the first representative, nobody else
    assert sock.is_connected(NAMESPACE)


def test_a_deeply_nested_auth_is_refused_with_a_message(app, plain_meeting):
    from tests.realtime.conftest import refusal

    plain_meeting(reps=1)
    refused = refusal(app, {"token": "\ud800" * 20})
    assert refused["data"]["code"] == "invalid_payload"
