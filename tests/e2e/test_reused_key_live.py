"""The review's attack, on the real server: one representative resends another's key from 10
sockets while the hall votes. Before the fix the receipt's unique constraint failed whole
group-commit batches (honest ballots answered ``internal_error``) and SQLAlchemy logged the
batch's parameters — honest choices with their receipts — to stderr."""

from __future__ import annotations

import threading
import time

import pytest

from tests.e2e.test_live_meeting import CHOICES, Screen, new_key, setup_meeting
from tests.server import live_server

pytestmark = pytest.mark.server


def test_a_stolen_key_hammered_from_ten_sockets_fails_only_the_thief(tmp_path):
    with live_server(tmp_path) as srv:
        meeting_id, roster, (item_id,) = setup_meeting(srv, reps=21)
        victim, thief, honest = roster[0], roster[1], roster[2:]
        victim_phone = Screen(srv.url, {"token": victim["join_token"]})
        thieves = [Screen(srv.url, {"token": thief["join_token"]}) for _ in range(10)]
        phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in honest]
        try:
            assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
            stolen = new_key()
            first = victim_phone.vote(item_id, "dissatisfied", stolen)
            assert first["ok"] is True, first
            thief_acks: list[dict] = []
            stop = threading.Event()

            def hammer(sock: Screen) -> None:
                while not stop.is_set():
                    thief_acks.append(sock.vote(item_id, "satisfied", stolen))

            threads = [threading.Thread(target=hammer, args=(s,)) for s in thieves]
            for t in threads:
                t.start()
            time.sleep(0.3)
            honest_acks = [None] * len(phones)

            def cast(n: int) -> None:
                honest_acks[n] = phones[n].vote(item_id, CHOICES[n % 3])

            voters = [threading.Thread(target=cast, args=(n,)) for n in range(len(phones))]
            for t in voters:
                t.start()
            for t in voters:
                t.join(30)
            time.sleep(1.0)
            stop.set()
            for t in threads:
                t.join(30)

            assert all(a and a["ok"] for a in honest_acks), honest_acks
            assert len(thief_acks) > 20
            codes = {a["error"]["code"] for a in thief_acks}
            # each socket's event rate limit slows the hammering down, nothing else answers it
            assert "invalid_key" in codes and codes <= {"invalid_key", "rate_limited"}, codes
            result = srv.api("POST", f"items/{item_id}/voting/close").json()
            assert result["ballots"] == 1 + len(phones)  # the thief counted nowhere
            log = srv.log()
            receipts = [first["receipt"]] + [a["receipt"] for a in honest_acks]
            assert not [r for r in receipts if r in log], "a receipt was written to the log"
            for word in ("basically_satisfied", "dissatisfied", "Traceback", "internal_error", "INSERT"):
                assert word not in log, word
        finally:
            for screen in [victim_phone, *thieves, *phones]:
                screen.close()
