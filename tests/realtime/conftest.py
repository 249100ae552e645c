"""Helpers for the live-channel tests: Flask-SocketIO test clients on ``/live``."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from socketio import packet

from evalmeet.extensions import db, socketio
from evalmeet.realtime import broadcast
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.meetings import roster


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    """Each test starts with no progress/state emits remembered."""
    broadcast.throttle.reset()


def connect(app: Flask, auth: Any = None, flask_client: Any = None, headers: Any = None) -> Any:
    """A Socket.IO test client on ``/live`` (check ``.is_connected(NAMESPACE)``)."""
    return socketio.test_client(
        app, namespace=NAMESPACE, auth=auth, flask_test_client=flask_client, headers=headers
    )


def _take(sock: Any) -> list[dict[str, Any]]:
    """Events received since the last call (also after the server disconnected the socket)."""
    got = [e for e in sock.queue if e["namespace"] == NAMESPACE]
    sock.queue = [e for e in sock.queue if e["namespace"] != NAMESPACE]
    return got


def received(sock: Any, name: str | None = None) -> list[Any]:
    """Payloads of the events received since the last call (all names, or only ``name``)."""
    got = _take(sock)
    return [e["args"][0] if len(e["args"]) == 1 else e["args"] for e in got if name in (None, e["name"])]


def received_by_name(sock: Any) -> dict[str, list[Any]]:
    """Events received since the last call, grouped by name."""
    out: dict[str, list[Any]] = {}
    for e in _take(sock):
        out.setdefault(e["name"], []).append(e["args"][0] if len(e["args"]) == 1 else e["args"])
    return out


def refusal(app: Flask, auth: Any = None, flask_client: Any = None, headers: Any = None) -> dict[str, Any]:
    """Try to connect and return the CONNECT_ERROR payload the server sent (``{message, data}``)."""
    sock = socketio.test_client(app, namespace="/", flask_test_client=flask_client)
    seen: list[Any] = []
    send = socketio.server._send_packet

    def spy(eio_sid: str, pkt: Any) -> None:
        if pkt.packet_type == packet.CONNECT_ERROR and pkt.namespace == NAMESPACE:
            seen.append(pkt.data)
        send(eio_sid, pkt)

    socketio.server._send_packet = spy
    try:
        sock.connect(namespace=NAMESPACE, auth=auth, headers=headers)
    finally:
        socketio.server._send_packet = send
    assert not sock.is_connected(NAMESPACE), "the connection was accepted"
    assert seen, "no connect_error was sent"
    return dict(seen[-1])


def wait_for(sock: Any, name: str, timeout: float = 2.0) -> list[Any]:
    """Let background greenlets run until ``name`` arrives; returns those payloads."""
    deadline = timeout
    got: list[Any] = []
    while deadline > 0:
        got = received(sock, name)
        if got:
            return got
        socketio.sleep(0.02)
        deadline -= 0.02
    return got


@pytest.fixture
def plain_meeting(meeting_factory: Any) -> Any:
    """Like ``meeting_factory`` but returns plain values (ids, tokens, names), which stay usable
    after socket handlers remove the shared database session."""
    from types import SimpleNamespace

    def make(**kw: Any) -> Any:
        live = meeting_factory(**kw)
        return SimpleNamespace(
            id=live.id,
            reps=[SimpleNamespace(id=r.id, join_token=r.join_token, name=r.name) for r in live.reps],
            items=[SimpleNamespace(id=i.id) for i in live.items],
        )

    return make


def stale_browser(app: Flask, plain_meeting: Any) -> Any:
    """A browser that joined by its link and whose representative was then revoked: its session
    cookie is signed but stale."""
    live = plain_meeting(reps=1, items=1)
    browser = app.test_client()
    browser.get(f"/j/{live.reps[0].join_token}")
    roster.revoke_representative(db.session, live.reps[0].id, "test")
    db.session.commit()
    return browser


def call(sock: Any, event: str, *args: Any) -> Any:
    """Emit ``event`` on ``/live`` and return the server's ack."""
    return sock.emit(event, *args, namespace=NAMESPACE, callback=True)


def refused_code(app: Flask, auth: Any = None, flask_client: Any = None) -> str:
    """The error code of a refused connection."""
    return str(refusal(app, auth, flask_client)["data"]["code"])
