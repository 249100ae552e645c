"""Paper ballots through the real server (``evalmeet serve``), on SQLite and on PostgreSQL: the
moderator marks paper voters over the API, phones vote over Socket.IO, the scrutineers' count is
entered with ``PUT /items/{id}/paper_count``, and the result merges both channels."""

from __future__ import annotations

import pytest

from tests.e2e.test_live_meeting import Screen, setup_meeting

pytestmark = pytest.mark.server


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_paper_and_phone_ballots_through_the_real_server(server):
    srv = server
    meeting_id, roster, (item_id, other_id) = setup_meeting(srv, reps=7, items=2)
    phone_reps, paper_reps = roster[:4], roster[4:]
    for rep in paper_reps:
        answer = srv.api("PATCH", f"representatives/{rep['id']}", {"ballot": "paper"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["ballot"] == "paper"
        assert srv.api("PATCH", f"representatives/{rep['id']}", {"present": True}).status_code == 200
    listed = srv.api("GET", f"meetings/{meeting_id}/representatives").json()["representatives"]
    assert [r["ballot"] for r in listed] == ["phone"] * 4 + ["paper"] * 3
    bad = srv.api("PATCH", f"representatives/{roster[0]['id']}", {"ballot": "carrier pigeon"})
    assert bad.status_code == 422 and error_code(bad) == "validation_error"

    body = {"counts": {"satisfied": 2}, "invalid": 0, "scrutineers": ["张监票", "李监票"]}
    early = srv.api("PUT", f"items/{item_id}/paper_count", body)
    assert early.status_code == 409 and error_code(early) == "voting_not_open"

    phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in phone_reps]
    paper_phone = Screen(srv.url, {"token": paper_reps[0]["join_token"]})  # a paper voter's link
    try:
        assert paper_phone.events["state"][0]["me"]["ballot"] == "paper"
        opened = srv.api("POST", f"items/{item_id}/voting/open")
        assert opened.status_code == 200, opened.text
        switch = srv.api("PATCH", f"representatives/{roster[0]['id']}", {"ballot": "paper"})
        assert switch.status_code == 409 and error_code(switch) == "voting_open"
        assert switch.json()["error"]["message"]

        refused = paper_phone.vote(item_id, "satisfied")
        assert refused["ok"] is False and refused["error"]["code"] == "paper_voter"
        for phone, choice in zip(
            phones, ["satisfied", "dissatisfied", "dissatisfied", "dissatisfied"], strict=True
        ):
            ack = phone.vote(item_id, choice)
            assert ack["ok"] is True, ack

        too_many = srv.api(
            "PUT", f"items/{item_id}/paper_count", {**body, "counts": {"satisfied": 3}, "invalid": 1}
        )
        assert too_many.status_code == 409 and error_code(too_many) == "too_many_paper_ballots"
        wrong = srv.api("PUT", f"items/{item_id}/paper_count", {**body, "counts": {"pass": 1}})
        assert wrong.status_code == 422
        missing = srv.api("PUT", "items/999999/paper_count", body)
        assert missing.status_code == 404

        entered = srv.api("PUT", f"items/{item_id}/paper_count", {**body, "invalid": 1})
        assert entered.status_code == 200, entered.text
        assert entered.json()["ballots"] == 2 and entered.json()["paper_present"] == 3
        assert phones[0].wait(lambda: (phones[0].last("progress") or {}).get("ballots") == 6)
        # a later PUT replaces the earlier one
        replaced = srv.api(
            "PUT",
            f"items/{item_id}/paper_count",
            {"counts": {"satisfied": 2, "basically_satisfied": 1}, "scrutineers": ["张监票"]},
        )
        assert replaced.status_code == 200, replaced.text
        assert phones[0].wait(lambda: (phones[0].last("progress") or {}).get("ballots") == 7)

        closed = srv.api("POST", f"items/{item_id}/voting/close")
        assert closed.status_code == 200, closed.text
        result = srv.api("GET", f"items/{item_id}/result").json()
        assert result == closed.json()
        assert result["counts"] == {"satisfied": 3, "basically_satisfied": 1, "dissatisfied": 3}
        assert (result["ballots"], result["present"], result["satisfaction"]) == (7, 7, "4/7")
        assert result["passed"] is False
        assert result["channels"] == {
            "phone": {"counts": {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 3}, "ballots": 4},
            "paper": {
                "counts": {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 0},
                "ballots": 3,
                "invalid": 0,
                "scrutineers": ["张监票"],
            },
        }
        assert phones[0].wait(lambda: (phones[0].last("result") or {}).get("channels") == result["channels"])
        late = srv.api("PUT", f"items/{item_id}/paper_count", body)
        assert late.status_code == 409 and error_code(late) == "voting_closed"

        # between votes the switch goes through; the next item counts the new paper voter
        back = srv.api("PATCH", f"representatives/{paper_reps[0]['id']}", {"ballot": "phone"})
        assert back.status_code == 200 and back.json()["ballot"] == "phone"
        assert srv.api("POST", f"items/{other_id}/voting/open").status_code == 200
        two = srv.api("PUT", f"items/{other_id}/paper_count", {"counts": {"satisfied": 2}, "scrutineers": []})
        assert two.status_code == 200 and two.json()["paper_present"] == 2
        assert paper_phone.vote(other_id, "satisfied")["ok"] is True
        small = srv.api("POST", f"items/{other_id}/voting/close").json()
        assert small["channels"]["paper"] == {"ballots": 2, "invalid": 0, "scrutineers": []}
        assert small["channels"]["phone"] == {"ballots": 1}
        assert small["counts"]["satisfied"] == 3 and small["ballots"] == 3
    finally:
        for screen in [*phones, paper_phone]:
            screen.close()
