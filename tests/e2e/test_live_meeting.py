"""End to end: the real server (``evalmeet serve``), a moderator over HTTP with an API token, 30
phones and a projector as python-socketio clients over WebSocket.

Every ballot acked is counted exactly once, the result reaches every screen, a phone whose
connection is cut in the middle of voting reconnects by itself and re-sends with the same key,
and after a crash of the server every screen reconnects and phones that voted still show it.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import socketio
import websocket
from sqlalchemy import create_engine, select

from evalmeet.models import Meeting
from evalmeet.services.voting.ballots import receipt_for
from tests.factories import item_body
from tests.over_api import started_meeting
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server

NS = "/live"
EVENTS = ("state", "progress", "result", "questions", "revoked")
CHOICES = ("satisfied", "basically_satisfied", "dissatisfied")


class Screen:
    """One python-socketio client on ``/live`` that records what it receives."""

    def __init__(self, url: str, auth: dict[str, Any]) -> None:
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.3, reconnection_delay_max=1.5)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.connects = 0
        self.cond = threading.Condition()
        # python-engineio does not close a WebSocket that broke (cut, server crash): we do, at the
        # end, so no socket is left for the garbage collector to complain about.
        self.transports: list[Any] = []
        for name in EVENTS:
            self.sio.on(name, self._recorder(name), namespace=NS)
        self.sio.on("connect", self._on_connect, namespace=NS)
        self.sio.connect(url, namespaces=[NS], auth=auth, transports=["websocket"], wait_timeout=20)

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(payload: Any) -> None:
            with self.cond:
                self.events[name].append(payload)
                self.cond.notify_all()

        return record

    def _on_connect(self) -> None:
        with self.cond:
            self.transports.append(self.sio.eio.ws)
            self.connects += 1
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout: float = 15) -> bool:
        """Block until ``predicate()`` holds (checked whenever something arrives)."""
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def last(self, name: str) -> Any:
        with self.cond:
            return self.events[name][-1] if self.events[name] else None

    def call(self, event: str, data: Any) -> Any:
        return self.sio.call(event, data, namespace=NS, timeout=20)

    def vote(self, item_id: int, choice: str, key: str | None = None) -> Any:
        """cast_vote and wait for the ack (a fresh random key unless given)."""
        return self.call("cast_vote", {"item_id": item_id, "choice": choice, "key": key or new_key()})

    def cut(self) -> None:
        """Kill the TCP connection under the WebSocket, as a phone leaving Wi-Fi range would."""
        import socket as pysocket

        self.sio.eio.ws.sock.shutdown(pysocket.SHUT_RDWR)

    def close(self) -> None:
        self.sio.disconnect()
        for ws in self.transports:
            if ws is not None:
                ws.shutdown()


def new_key() -> str:
    """What a phone makes: 32 random URL-safe characters."""
    return secrets.token_urlsafe(24)


def display_token(srv: LiveServer, meeting_id: int) -> str:
    engine = create_engine(srv.db_url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(select(Meeting.display_token).where(Meeting.id == meeting_id)))
    finally:
        engine.dispose()


def setup_meeting(srv: LiveServer, reps: int, items: int = 1) -> tuple[int, list[dict[str, Any]], list[int]]:
    """A started meeting over the API: (meeting id, roster entries with join tokens, item ids)."""
    people = [
        {"name": f"代表{n:02d}", "employee_no": f"E{n:04d}", "department": "炼钢厂"} for n in range(reps)
    ]
    specs = [
        item_body(
            f"采购项目 {n}：转炉耐火材料",
            (f"采购员{n}", "采购员", "供应处"),
            prices=("480000.00", "100.00", "126.00"),
        )
        for n in range(1, items + 1)
    ]
    meeting, roster, made = started_meeting(srv, {"title": "2026年第3次采购民主评价会"}, people, specs)
    return meeting["id"], roster, [item["id"] for item in made]


@contextmanager
def meeting_on_screens(srv: LiveServer, reps: int) -> Iterator[tuple[int, Screen, list[Screen]]]:
    """A started meeting of ``reps`` with one item, its projector and every phone connected:
    (item id, projector, phones); the screens are closed afterwards."""
    meeting_id, roster, (item_id,) = setup_meeting(srv, reps=reps)
    projector = Screen(srv.url, {"display": display_token(srv, meeting_id)})
    phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]
    try:
        yield item_id, projector, phones
    finally:
        for screen in [projector, *phones]:
            screen.close()


def test_thirty_phones_and_a_projector(tmp_path):
    with live_server(tmp_path) as srv:
        with meeting_on_screens(srv, reps=30) as (item_id, projector, phones):
            # connecting checked everyone in
            assert all(p.events["state"][0]["me"]["present"] for p in phones)  # each one's own snapshot
            assert projector.wait(lambda: projector.last("state")["attendance"]["present"] == 30), (
                projector.last("state")["attendance"]
            )
            assert srv.api("POST", f"items/{item_id}/present").status_code == 200
            assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
            for screen in [projector, *phones]:
                assert screen.wait(lambda s=screen: (s.last("state") or {}).get("phase") == "voting")
            assert phones[0].last("state")["voting"]["choices"] == list(CHOICES)
            assert phones[0].last("state")["item"]["risk_flags"]

            cast: Counter[str] = Counter()
            receipts = []
            # phone 29 is cut off right after sending: it reconnects by itself and re-sends
            flaky = phones[29]
            flaky_key = secrets.token_urlsafe(24)
            connects_before = flaky.connects
            ballot = {"item_id": item_id, "choice": "dissatisfied", "key": flaky_key}
            flaky.sio.emit("cast_vote", ballot, namespace=NS)
            flaky.cut()
            for n, phone in enumerate(phones[:29]):
                choice = CHOICES[n % 3] if n % 5 else "satisfied"
                ack = phone.vote(item_id, choice)
                assert ack["ok"] is True, ack
                cast[choice] += 1
                receipts.append(ack["receipt"])
            assert flaky.wait(lambda: flaky.connects > connects_before, timeout=20), "no reconnect"
            again = flaky.vote(item_id, "dissatisfied", flaky_key)
            assert again == {"ok": True, "receipt": receipt_for(item_id, 1, flaky_key), "item_id": item_id}
            cast["dissatisfied"] += 1
            receipts.append(again["receipt"])
            # a second ballot from the same phone with another key is refused
            refused = flaky.vote(item_id, "satisfied")
            assert refused["ok"] is False and refused["error"]["code"] == "already_voted"

            # the projector saw "n of 30" fill up, and the last value got out
            assert projector.wait(lambda: (projector.last("progress") or {}).get("ballots") == 30), (
                projector.last("progress")
            )
            assert all(set(p) == {"item_id", "ballots", "present"} for p in projector.events["progress"])

            closed = srv.api("POST", f"items/{item_id}/voting/close")
            assert closed.status_code == 200, closed.text
            result = closed.json()
            for screen in [projector, *phones]:
                assert screen.wait(lambda s=screen: bool(s.events["result"])), "result did not arrive"
                assert s_result(screen) == result
            assert result["counts"] == {c: cast[c] for c in CHOICES}
            assert result["ballots"] == 30 and result["present"] == 30
            listed = srv.api("GET", f"items/{item_id}/receipts").json()["receipts"]
            assert listed == sorted(receipts)


def s_result(screen: Screen) -> Any:
    with screen.cond:
        assert len(screen.events["result"]) == 1
        return screen.events["result"][0]


def test_refusals_and_origins_on_the_real_server(tmp_path):
    with live_server(tmp_path) as srv:
        meeting_id, roster, _items = setup_meeting(srv, reps=2)
        bad = socketio.Client(reconnection=False)
        errors: list[Any] = []
        bad.on("connect_error", errors.append, namespace=NS)
        with pytest.raises(socketio.exceptions.ConnectionError):
            bad.connect(
                srv.url, namespaces=[NS], auth={"token": "n" * 32}, transports=["websocket"], wait_timeout=10
            )
        # the refusal is translated by its code, in the handshake's language (Chinese by default)
        assert errors == [{"message": "该入场链接无效。", "data": {"code": "invalid_token"}}]
        # Polling: a foreign Origin is answered 400.
        probe = f"{srv.url}/socket.io/?EIO=4&transport=polling"
        assert requests.get(probe, headers={"Origin": "http://evil.example"}, timeout=10).status_code == 400
        assert requests.get(probe, headers={"Origin": srv.url}, timeout=10).status_code == 200
        # WebSocket: gevent-websocket completes the upgrade before the app answers, so the refusal
        # is a socket closed without the Engine.IO open packet.
        assert engineio_open(srv.port, "http://evil.example") is None
        assert engineio_open(srv.port, "http://127.0.0.1.evil.example") is None
        assert (engineio_open(srv.port, srv.url) or "").startswith("0{")


def engineio_open(port: int, origin: str) -> str | None:
    """The Engine.IO open packet a WebSocket from ``origin`` receives, or None when refused."""
    url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    try:
        ws = websocket.create_connection(url, origin=origin, timeout=10)
    except websocket.WebSocketBadStatusException:
        return None
    try:
        return ws.recv() or None
    except (websocket.WebSocketConnectionClosedException, OSError):
        return None
    finally:
        ws.shutdown()  # close the socket at once (a closing handshake may be impossible here)


def test_screens_recover_after_a_server_crash(tmp_path):
    with live_server(tmp_path) as srv:
        with meeting_on_screens(srv, reps=5) as (item_id, projector, phones):
            srv.api("POST", f"items/{item_id}/voting/open")
            receipts = {}
            for n in (0, 1, 2):
                ack = phones[n].vote(item_id, "satisfied")
                assert ack["ok"] is True
                receipts[n] = ack["receipt"]
            before = [s.connects for s in [projector, *phones]]

            srv.restart(crash=True)  # SIGKILL: no shutdown code runs

            for screen, count in zip([projector, *phones], before, strict=True):
                assert screen.wait(lambda s=screen, c=count: s.connects > c, timeout=30), "no reconnect"
            for n, phone in enumerate(phones):
                assert phone.wait(lambda p=phone: p.last("state")["voting"] is not None)
                assert phone.last("state")["voting"]["has_voted"] is (n in receipts)
            assert projector.last("state")["phase"] == "voting"
            for n in (3, 4):
                ack = phones[n].vote(item_id, "dissatisfied")
                assert ack["ok"] is True
                receipts[n] = ack["receipt"]
            result = srv.api("POST", f"items/{item_id}/voting/close").json()
            assert result["counts"] == {"satisfied": 3, "basically_satisfied": 0, "dissatisfied": 2}
            assert srv.api("GET", f"items/{item_id}/receipts").json()["receipts"] == sorted(receipts.values())
            assert projector.wait(lambda: bool(projector.events["result"]))
