"""Every event of the ``/live`` namespace, through the real server, with python-socketio.

A meeting is run from the sockets' point of view: two consoles (the moderator's session cookie,
an API token), the projector (its display link), three phones (a join token; the session cookie
of a phone that opened its join link; a third whose link is then revoked). Every event the
server registers is sent, every event it pushes is received, and the lists are compared with
what ``evalmeet/realtime`` registers and emits, so a new event cannot slip past.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.smoke.conftest import app_url_map
from tests.smoke.live import EventLog, LiveClient
from tests.smoke.suite import Smoke

pytestmark = pytest.mark.server

REALTIME = Path(__file__).resolve().parents[2] / "evalmeet" / "realtime"


def registered_events() -> set[str]:
    """The events ``evalmeet/realtime`` registers on ``/live`` (``@socketio.on``, ``@live_event``)."""
    source = "\n".join(path.read_text() for path in REALTIME.glob("*.py"))
    return set(re.findall(r'@(?:socketio\.on|live_event)\(\s*"(\w+)"', source))


def pushed_events() -> set[str]:
    """The events ``evalmeet/realtime`` sends to clients (``emit``, ``_emit``, ``to_socket``)."""
    source = "\n".join(path.read_text() for path in REALTIME.glob("*.py"))
    return set(re.findall(r'\b(?:emit|_emit|to_socket)\(\s*(?:sid,\s*)?"(\w+)"', source))


def test_the_registered_events_are_the_servers() -> None:
    """What the source registers is what the Socket.IO server of a built app handles."""
    app_url_map()  # builds the app, which binds the namespace
    from evalmeet.extensions import socketio
    from evalmeet.realtime.wire_json import UNPARSEABLE

    # UNPARSEABLE is what a packet that does not parse becomes (tests/realtime/test_bad_packets.py)
    handled = set(socketio.server.handlers["/live"]) - {UNPARSEABLE}
    assert handled == registered_events() >= {"connect", "cast_vote"}


def test_every_live_event(smoke: Smoke) -> None:
    """Every registered event sent, every pushed event received, no error on the way."""
    log = EventLog()
    problems = smoke.run("live: every event", lambda: run_a_meeting(smoke, log))
    assert not problems, "\n".join(problems)
    assert log.sent == registered_events(), (
        f"sent {sorted(log.sent)}, registered {sorted(registered_events())}"
    )
    assert log.received == pushed_events(), (
        f"received {sorted(log.received)}, pushed {sorted(pushed_events())}"
    )


def run_a_meeting(smoke: Smoke, log: EventLog) -> None:
    """Consoles, projector and phones through one item: every event sent and pushed."""
    url = smoke.server.url
    made = smoke.factory.live(reps=3, items=2, present=False)
    first, second = made.items
    clients: list[LiveClient] = []
    try:
        moderator = smoke.moderator("zh")
        console = LiveClient(url, {"meeting_id": made.id}, browser=moderator, log=log)
        clients.append(console)
        clients.append(LiveClient(url, {"api_token": smoke.server.token, "meeting_id": made.id}, log=log))
        projector = LiveClient(url, {"display": smoke.factory.display_token(made.id)}, log=log)
        clients.append(projector)
        phone_a = LiveClient(
            url, {"token": made.reps[0]["join_token"], "device": "smoke-phone-a-0001"}, log=log
        )
        clients.append(phone_a)
        with smoke.visitor("anonymous", "zh") as browser:  # the phone that scanned its slip
            browser.get(f"/j/{made.reps[1]['join_token']}", expect=302)
            browser.get("/phone")
            phone_b = LiveClient(url, None, browser=browser, log=log)
        clients.append(phone_b)
        phone_c = LiveClient(url, {"token": made.reps[2]["join_token"]}, log=log)
        clients.append(phone_c)
        for phone in (phone_a, phone_b, phone_c):  # each one's own snapshot: connecting checked them in
            assert phone.wait("state", lambda s: "me" in s)["me"]["present"] is True
        projector.wait("state", lambda s: s["attendance"]["present"] == 3)

        smoke.factory.call("POST", f"items/{first}/present")
        question = phone_a.ask(first, "供应商资质审核了吗？")
        console.wait("questions", lambda q: any(x["id"] == question for x in q.get("questions", [])))
        smoke.factory.call("PATCH", f"questions/{question}", {"status": "approved"})
        # its author is told (and only its author)
        told = phone_a.wait("my_question")
        assert told == {"question_id": question, "item_id": first, "status": "approved"}, told
        assert phone_b.call("support_question", {"question_id": question}) == {"ok": True, "support": 1}
        assert phone_c.call("declare_recusal", {"item_id": second, "reason": "曾参与该项目询价。"}) == {
            "ok": True
        }
        for client in (console, projector, phone_b):
            ack = client.call("sync")
            assert ack["ok"] and ack["state"]["item"]["id"] == first, ack

        smoke.factory.call("POST", f"items/{first}/voting/open")
        receipts = [
            p.vote(first, c)["receipt"]
            for p, c in zip(
                (phone_a, phone_b, phone_c), ("satisfied", "satisfied", "dissatisfied"), strict=True
            )
        ]
        projector.wait("progress", lambda p: p["ballots"] == 3)
        smoke.factory.call("POST", f"items/{first}/voting/close")
        assert projector.wait("result")["ballots"] == 3
        assert phone_a.wait("result")["item_id"] == first
        assert sorted(receipts) == smoke.factory.call("GET", f"items/{first}/receipts")["receipts"]
        checked = smoke.factory.call("GET", f"receipts/{receipts[0]}")
        assert checked == {"receipt": receipts[0], "item_id": first, "round": 1, "counted": True}

        # phone A's link on a second device: a notice to the console and the projector
        clients.append(
            LiveClient(url, {"token": made.reps[0]["join_token"], "device": "smoke-other-0002"}, log=log)
        )
        assert projector.wait("alert")["alerts"][0]["kind"] == "second_device"
        smoke.factory.call("PATCH", f"representatives/{made.reps[2]['id']}", {"revoked": True})
        phone_c.wait("revoked")
        smoke.factory.call("POST", f"items/{second}/present")
        phone_a.wait("state", lambda s: (s.get("item") or {}).get("id") == second)
    finally:
        for client in clients:
            client.close()
