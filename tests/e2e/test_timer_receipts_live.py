"""The countdown and the receipts anyone can check, through the real server (``evalmeet serve``)
on SQLite and on PostgreSQL: an API client, a projector and phones on ``/live``, and anonymous
HTTP like a representative at home would use.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests

from tests.conftest import drop_postgres_schema, postgres_schema_url
from tests.e2e.test_live_meeting import Screen, display_token, setup_meeting
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {}
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        env["EVALMEET_DATABASE_URL"] = postgres_schema_url()
    try:
        with live_server(tmp_path_factory.mktemp(f"timer-{request.param}"), env) as server:
            yield server
    finally:
        if env:
            drop_postgres_schema(env["EVALMEET_DATABASE_URL"])


def anonymous(srv: LiveServer, path: str) -> requests.Response:
    return requests.get(srv.url + path, timeout=30)


def test_the_timer_reaches_every_screen_with_the_servers_clock(srv):
    meeting_id, roster, _items = setup_meeting(srv, reps=3)
    projector = Screen(srv.url, {"display": display_token(srv, meeting_id)})
    phone = Screen(srv.url, {"token": roster[0]["join_token"]})
    try:
        first = projector.last("state")
        assert first["timer"] is None and datetime.fromisoformat(first["now"]).utcoffset() == timedelta(0)
        started = srv.api("POST", f"meetings/{meeting_id}/timer", {"seconds": 120, "label": "质询时间"})
        assert started.status_code == 200, started.text
        timer = started.json()
        assert set(timer) == {"label", "seconds", "ends_at"}
        assert (timer["label"], timer["seconds"]) == ("质询时间", 120)
        for screen in (projector, phone):
            assert screen.wait(lambda s=screen: (s.last("state") or {}).get("timer") == timer), screen.last(
                "state"
            )
            state = screen.last("state")
            # counted on the server's clock: ends_at is 120 s after it started, just before `now`
            left = datetime.fromisoformat(timer["ends_at"]) - datetime.fromisoformat(state["now"])
            assert timedelta(seconds=100) < left <= timedelta(seconds=120), left
        # a phone that reconnects (or syncs) gets it in its own snapshot too
        assert phone.call("sync", {})["state"]["timer"] == timer
        stopped = srv.api("DELETE", f"meetings/{meeting_id}/timer")
        assert stopped.status_code == 204 and stopped.content == b""
        for screen in (projector, phone):
            assert screen.wait(lambda s=screen: s.last("state")["timer"] is None)
        refused = srv.api("POST", f"meetings/{meeting_id}/timer", {"seconds": 3601})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_error"
        anon = requests.post(
            f"{srv.url}/api/v1/meetings/{meeting_id}/timer", json={"seconds": 60}, timeout=30
        )
        assert anon.status_code == 401 and anon.json()["error"]["code"] == "unauthorized"
    finally:
        projector.close()
        phone.close()


def test_a_one_second_timer_stays_at_zero_until_stopped(srv):
    meeting_id, _roster, _items = setup_meeting(srv, reps=1)
    timer = srv.api("POST", f"meetings/{meeting_id}/timer", {"seconds": 1}).json()
    projector = Screen(srv.url, {"display": display_token(srv, meeting_id)})
    try:
        time.sleep(1.5)
        assert projector.call("sync", {})["state"]["timer"] == timer  # still there, at zero
        state = projector.call("sync", {})["state"]
        assert datetime.fromisoformat(state["now"]) > datetime.fromisoformat(timer["ends_at"])
    finally:
        projector.close()
    assert srv.api("DELETE", f"meetings/{meeting_id}/timer").status_code == 204


def test_receipts_are_checked_by_anyone_once_the_round_closed(srv):
    meeting_id, roster, (item_id,) = setup_meeting(srv, reps=3)
    phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]
    try:
        assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
        acks = [
            phone.vote(item_id, choice)
            for phone, choice in zip(phones, ("satisfied", "satisfied", "dissatisfied"), strict=True)
        ]
        assert all(a["ok"] for a in acks), acks
        receipts = [a["receipt"] for a in acks]
        # open round: not found, through the API and the page alike
        hidden = anonymous(srv, f"/api/v1/receipts/{receipts[0]}")
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "receipt_not_found"
        assert 'data-result="not_found"' in anonymous(srv, f"/verify?code={receipts[0]}").text
        assert srv.api("POST", f"items/{item_id}/voting/close").status_code == 200
        for receipt in receipts:
            checked = anonymous(srv, f"/api/v1/receipts/{receipt}")
            assert checked.status_code == 200
            assert checked.json() == {"receipt": receipt, "item_id": item_id, "round": 1, "counted": True}
            page = anonymous(srv, f"/verify?code={receipt}").text
            assert 'data-result="counted"' in page and "dissatisfied" not in page and "不满意" not in page
        unknown = anonymous(srv, "/api/v1/receipts/AAAA-BBBB-CCCC")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "receipt_not_found"
        # a re-vote: round 1's receipts answer with round 1, round 2's are hidden while it is open
        assert srv.api("POST", f"items/{item_id}/revote", {"reason": "计票有误"}).status_code == 200
        again = phones[0].call(
            "cast_vote",
            {"item_id": item_id, "choice": "satisfied", "key": "round-two-key-0123456789", "round": 2},
        )
        assert again["ok"] is True, again
        assert anonymous(srv, f"/api/v1/receipts/{receipts[1]}").json()["round"] == 1
        assert anonymous(srv, f"/api/v1/receipts/{again['receipt']}").status_code == 404
        assert srv.api("POST", f"items/{item_id}/voting/close").status_code == 200
        assert anonymous(srv, f"/api/v1/receipts/{again['receipt']}").json()["round"] == 2
        # the list: a login until the meeting is published, then anyone; the public page lists them
        listed = anonymous(srv, f"/api/v1/items/{item_id}/receipts")
        assert listed.status_code == 401 and listed.json()["error"]["code"] == "unauthorized"
        assert srv.api("POST", f"meetings/{meeting_id}/finish").status_code == 200
        assert srv.api("POST", f"meetings/{meeting_id}/publish").status_code == 200
        public = anonymous(srv, f"/api/v1/items/{item_id}/receipts")
        assert public.status_code == 200 and public.json() == {
            "item_id": item_id,
            "receipts": [again["receipt"]],
        }
        page = anonymous(srv, f"/public/meetings/{meeting_id}").text
        for receipt in [*receipts, again["receipt"]]:
            assert f"/verify?code={receipt}" in page
    finally:
        for phone in phones:
            phone.close()
