"""Socket.IO clients of the ``/live`` namespace (python-socketio, WebSocket) for the smoke suite.

A :class:`LiveClient` is a phone, a projector or a console: it connects with the ``auth`` (and
cookies) that screen would send, records every event the server pushes, and answers calls with
their acks. A shared :class:`EventLog` notes every event sent and received, so a test can compare
that with what the server registers and emits.
"""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import socketio

NAMESPACE = "/live"
PUSHED = ("state", "progress", "result", "questions", "revoked", "alert", "my_question")


@dataclass
class EventLog:
    """Which events clients sent to the server, and which the server pushed to clients."""

    sent: set[str] = field(default_factory=set)
    received: set[str] = field(default_factory=set)


class LiveClient:
    """One screen on ``/live``: connects at once (raises when refused)."""

    def __init__(
        self,
        url: str,
        auth: dict[str, Any] | None = None,
        *,
        browser: Any = None,
        log: EventLog | None = None,
    ) -> None:
        """``browser``: the page's browser (a :class:`~tests.smoke.browser.Browser`) whose cookies and
        User-Agent the socket sends, as a page's script does (a session checks both)."""
        self.log = log
        self.sio = socketio.Client(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.cond = threading.Condition()
        for name in PUSHED:
            self.sio.on(name, self._recorder(name), namespace=NAMESPACE)
        headers = {}
        if browser is not None:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in browser.http.cookies)
            headers["User-Agent"] = browser.http.headers["User-Agent"]
        self.sio.connect(
            url, namespaces=[NAMESPACE], auth=auth, headers=headers, transports=["websocket"], wait_timeout=20
        )
        if log is not None:
            log.sent.add("connect")

    def _recorder(self, name: str) -> Any:
        def record(payload: Any) -> None:
            with self.cond:
                self.events[name].append(payload)
                if self.log is not None:
                    self.log.received.add(name)
                self.cond.notify_all()

        return record

    def wait(self, name: str, predicate: Any = None, timeout: float = 15) -> Any:
        """The latest ``name`` event for which ``predicate`` holds (waits for it)."""

        def found() -> Any:
            return next((e for e in reversed(self.events[name]) if predicate is None or predicate(e)), None)

        with self.cond:
            assert self.cond.wait_for(lambda: found() is not None, timeout), (
                f"no {name} event{' matching' if predicate else ''} in {timeout}s; got {dict(self.events)}"
            )
            return found()

    def call(self, event: str, data: Any = None) -> Any:
        """Send ``event`` and return its ack."""
        if self.log is not None:
            self.log.sent.add(event)
        return self.sio.call(event, data, namespace=NAMESPACE, timeout=20)

    def vote(self, item_id: int, choice: str, vote_round: int | None = None) -> dict[str, Any]:
        """``cast_vote`` with a fresh key, as the phone makes one; the ack must be ``ok``."""
        payload: dict[str, Any] = {"item_id": item_id, "choice": choice, "key": secrets.token_urlsafe(24)}
        if vote_round is not None:
            payload["round"] = vote_round
        ack = self.call("cast_vote", payload)
        assert ack and ack.get("ok"), f"cast_vote {payload} -> {ack}"
        return dict(ack)

    def ask(self, item_id: int, text: str) -> int:
        """``ask_question``; returns the question's id."""
        ack = self.call("ask_question", {"item_id": item_id, "text": text})
        assert ack and ack.get("ok"), f"ask_question -> {ack}"
        return int(ack["question_id"])

    def close(self) -> None:
        """Disconnect (the ``disconnect`` event on the server)."""
        if self.sio.connected:
            self.sio.disconnect()
            if self.log is not None:
                self.log.sent.add("disconnect")
