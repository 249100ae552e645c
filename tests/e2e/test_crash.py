"""SIGKILL at chosen points of the vote path, then restart: nothing acked is ever lost.

Failpoints (evalmeet/failpoints.py) make the real server kill itself:
- ``vote_before_commit``: the ballot was processed but not committed — after the restart it is
  fully absent; the phone's resend with the same key then counts it once.
- ``vote_after_commit``: committed but the ack never left — after the restart it is fully
  there; the resend returns the same receipt and counts nothing.
And a plain crash mid-vote: voting stays open, acked ballots stay, phones reconnect and resync.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

import pytest
import socketio

from evalmeet.services.voting.ballots import receipt_for
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server
NS = "/live"


def new_key() -> str:
    return secrets.token_hex(16)


def phone(srv: LiveServer, token: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(srv.url, namespaces=[NS], auth={"token": token}, transports=["websocket"], wait_timeout=20)
    return client


def cast(
    client: socketio.Client, item_id: int, key: str, choice: str = "satisfied", timeout: float = 10
) -> Any:
    return client.call(
        "cast_vote", {"item_id": item_id, "choice": choice, "key": key}, namespace=NS, timeout=timeout
    )


def rows(srv: LiveServer, sql: str, *args: Any) -> list[tuple]:
    path = srv.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def prepare(srv: LiveServer, reps: int = 3) -> tuple[int, list[str]]:
    meeting = srv.api("POST", "meetings", {"title": "崩溃测试", "quorum": "1/3"}).json()
    tokens = [
        srv.api(
            "POST", f"meetings/{meeting['id']}/representatives", {"name": f"r{n}", "employee_no": f"{n}"}
        ).json()["join_token"]
        for n in range(reps)
    ]
    item = srv.api(
        "POST", f"meetings/{meeting['id']}/items", {"title": "焦炭", "responsible_person": {"name": "王"}}
    ).json()
    assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200
    return item["id"], tokens


def close_and_count(srv: LiveServer, item_id: int) -> dict[str, Any]:
    response = srv.api("POST", f"items/{item_id}/voting/close")
    assert response.status_code == 200, response.text
    return response.json()


def crash_on(srv: LiveServer, failpoint: str) -> None:
    srv.stop()
    srv.env["EVALMEET_FAILPOINTS"] = failpoint
    srv.start()


def recover(srv: LiveServer) -> None:
    srv.kill()  # reap the process that killed itself
    srv.env.pop("EVALMEET_FAILPOINTS", None)
    srv.start()


@pytest.mark.parametrize("failpoint", ["vote_before_commit", "vote_after_commit"])
def test_sigkill_in_the_vote_path_never_loses_or_doubles(tmp_path, failpoint):
    with live_server(tmp_path) as srv:
        item_id, tokens = prepare(srv)
        # One ballot acked normally first: it must survive everything below.
        first = phone(srv, tokens[0])
        first.call("sync", None, namespace=NS, timeout=10)
        assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
        acked_key = new_key()
        acked = cast(first, item_id, acked_key)
        assert acked["ok"] is True
        first.disconnect()

        crash_on(srv, failpoint)
        victim = phone(srv, tokens[1])
        key = new_key()
        with pytest.raises(socketio.exceptions.TimeoutError):
            cast(victim, item_id, key, timeout=5)  # the server dies before answering
        assert not srv.running
        victim.disconnect()

        before = rows(srv, "SELECT count(*) FROM ballots WHERE item_id = ?", item_id)[0][0]
        parts = rows(srv, "SELECT count(*) FROM participations WHERE item_id = ?", item_id)[0][0]
        assert before == parts, "a ballot without its participation (or the reverse) was stored"
        assert before == (1 if failpoint == "vote_before_commit" else 2)

        recover(srv)
        # Voting is still open after the crash; the phone resends with the same key.
        again = phone(srv, tokens[1])
        answer = cast(again, item_id, key)
        assert answer["ok"] is True and answer["receipt"] == receipt_for(item_id, 1, key)
        replay = phone(srv, tokens[0])
        assert cast(replay, item_id, acked_key)["receipt"] == acked["receipt"]
        again.disconnect()
        replay.disconnect()

        result = close_and_count(srv, item_id)
        assert result["ballots"] == 2 and result["counts"]["satisfied"] == 2
        receipts = srv.api("GET", f"items/{item_id}/receipts").json()["receipts"]
        assert sorted(receipts) == sorted([acked["receipt"], answer["receipt"]])


def test_crash_mid_vote_keeps_voting_open_and_phones_resync(tmp_path):
    with live_server(tmp_path) as srv:
        item_id, tokens = prepare(srv, reps=4)
        phones = [phone(srv, t) for t in tokens[:3]]
        assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
        receipts = [cast(p, item_id, new_key())["receipt"] for p in phones[:2]]
        srv.restart(crash=True)
        for p in phones:
            p.disconnect()
        # After the restart: same voting round open, the two acked ballots there, and a phone that
        # voted is told so in its fresh snapshot.
        states: list[dict[str, Any]] = []
        back = socketio.Client(reconnection=False)
        back.on("state", states.append, namespace=NS)
        back.connect(
            srv.url, namespaces=[NS], auth={"token": tokens[0]}, transports=["websocket"], wait_timeout=20
        )
        snapshot = back.call("sync", None, namespace=NS, timeout=10)["state"]
        assert snapshot["phase"] == "voting" and snapshot["voting"]["has_voted"] is True
        third = phone(srv, tokens[2])
        assert snapshot["voting"]["item_id"] == item_id
        receipts.append(cast(third, item_id, new_key())["receipt"])
        back.disconnect()
        third.disconnect()
        result = close_and_count(srv, item_id)
        assert result["ballots"] == 3
        assert sorted(srv.api("GET", f"items/{item_id}/receipts").json()["receipts"]) == sorted(receipts)
