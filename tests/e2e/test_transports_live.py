"""Both Socket.IO transports through the real server: long-polling first, then the upgrade to
WebSocket (what the console does, and any phone behind a proxy that delays WebSocket)."""

from __future__ import annotations

import time

import pytest
import socketio

from tests.e2e.test_live_meeting import setup_meeting
from tests.server import live_server

pytestmark = pytest.mark.server


def test_a_polling_client_upgrades_to_websocket_and_votes(tmp_path):
    with live_server(tmp_path) as srv:
        _meeting, roster, (item_id,) = setup_meeting(srv, reps=1)
        client = socketio.Client(reconnection=False)
        client.connect(
            srv.url,
            namespaces=["/live"],
            auth={"token": roster[0]["join_token"]},
            transports=["polling", "websocket"],
            wait_timeout=10,
        )
        try:
            deadline = time.monotonic() + 10
            while client.transport() != "websocket" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert client.transport() == "websocket"  # the upgrade's probe went through
            assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
            ack = client.call(
                "cast_vote", {"item_id": item_id, "choice": "satisfied", "key": "k" * 32}, namespace="/live"
            )
            assert ack["ok"] is True, ack
        finally:
            client.disconnect()
        assert "Traceback" not in srv.log()
