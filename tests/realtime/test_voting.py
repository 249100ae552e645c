"""``cast_vote`` over ``/live``: every outcome and error code, progress, result, durability."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.extensions import db
from evalmeet.models import Ballot, Meeting, Participation
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.schemas.live import VoteAck
from evalmeet.services.meetings import conduct
from tests.realtime.conftest import call, connect, received, received_by_name

KEY_A = "a" * 16 + "0123456789abcdef"
KEY_B = "b" * 16 + "0123456789abcdef"


def vote(sock, item_id, choice="satisfied", key=KEY_A, **extra):
    """Emit cast_vote and return the ack."""
    return sock.emit(
        "cast_vote",
        {"item_id": item_id, "choice": choice, "key": key, **extra},
        namespace=NAMESPACE,
        callback=True,
    )


def counted(item_id: int) -> tuple[int, int]:
    """(participations, ballots) as committed, read on a connection of its own."""
    with Session(db.engine) as fresh:
        people = fresh.scalar(
            select(func.count()).select_from(Participation).where(Participation.item_id == item_id)
        )
        ballots = fresh.scalar(select(func.count()).select_from(Ballot).where(Ballot.item_id == item_id))
    return people or 0, ballots or 0


def opened(plain_meeting, api, **kw):
    """A live meeting with voting open on its first item."""
    meeting = plain_meeting(**kw)
    assert api.post(f"items/{meeting.items[0].id}/voting/open").status_code == 200
    return meeting


def test_vote_is_acked_with_a_receipt_and_committed_first(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    phone = connect(app, {"token": meeting.reps[0].join_token})

    ack = vote(phone, item_id)

    assert ack["ok"] is True
    assert len(ack["receipt"]) == 14 and ack["receipt"].count("-") == 2
    assert ack["item_id"] == item_id
    assert counted(item_id) == (1, 1)  # committed before the ack was returned


def test_the_ack_is_what_its_model_documents(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    phone = connect(app, {"token": meeting.reps[0].join_token})
    ack = vote(phone, meeting.items[0].id)
    assert VoteAck.model_validate(ack).json_dict() == ack
    assert set(ack) == {"ok", "receipt", "item_id"}


def test_a_revote_sends_every_screen_the_new_rounds_progress(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    assert vote(connect(app, {"token": meeting.reps[0].join_token}), item_id)["ok"] is True
    api.post(f"items/{item_id}/voting/close")
    projector_token = db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting.id))
    projector = connect(app, {"display": projector_token})
    received(projector)

    assert api.post(f"items/{item_id}/revote", {"reason": "计票有误"}).status_code == 200

    got = received_by_name(projector)
    assert got["state"][-1]["voting"]["round"] == 2
    assert got["progress"] == [{"item_id": item_id, "ballots": 0, "present": 3}]


def test_same_key_twice_is_the_same_ballot(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    phone = connect(app, {"token": meeting.reps[0].join_token})
    first = vote(phone, item_id, "dissatisfied")
    again = vote(phone, item_id, "dissatisfied")
    assert first["ok"] and again["ok"] and again["receipt"] == first["receipt"]
    assert counted(item_id) == (1, 1)
    # a different key from the same person is refused
    other = vote(phone, item_id, "satisfied", key=KEY_B)
    assert other["ok"] is False and other["error"]["code"] == "already_voted"
    # and a second phone of the same person (same token) too
    twin = connect(app, {"token": meeting.reps[0].join_token})
    assert vote(twin, item_id, key=KEY_B)["error"]["code"] == "already_voted"
    assert vote(twin, item_id, "dissatisfied")["receipt"] == first["receipt"]
    result = api.post(f"items/{item_id}/voting/close").get_json()
    assert result["counts"] == {"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 1}
    assert result["ballots"] == 1


def test_voting_closed(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=2)
    phone = connect(app, {"token": meeting.reps[0].join_token})
    assert vote(phone, meeting.items[0].id)["error"]["code"] == "voting_closed"  # never opened
    api.post(f"items/{meeting.items[1].id}/voting/open")
    receipt = vote(phone, meeting.items[1].id)["receipt"]
    api.post(f"items/{meeting.items[1].id}/voting/close")
    latecomer = connect(app, {"token": meeting.reps[1].join_token})
    late = vote(latecomer, meeting.items[1].id, key=KEY_B)
    assert late["ok"] is False and late["error"]["code"] == "voting_closed"
    # a new ballot after the close is refused as such, voter or not (contract.md's refusal order:
    # voting_closed comes before already_voted)
    assert vote(phone, meeting.items[1].id, key=KEY_B)["error"]["code"] == "voting_closed"
    # the same key after the close: the ack was lost, the ballot was counted: same receipt
    again = vote(phone, meeting.items[1].id)
    assert again == {"ok": True, "receipt": receipt, "item_id": meeting.items[1].id}


def test_a_retry_from_an_earlier_round_stays_out_of_a_revote(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    phone = connect(app, {"token": meeting.reps[0].join_token})
    assert vote(phone, item_id, round=1)["ok"] is True
    api.post(f"items/{item_id}/voting/close")
    assert api.post(f"items/{item_id}/revote", {"reason": "a procedural error"}).status_code == 200

    stale = vote(phone, item_id, key=KEY_B, round=1)
    assert stale["ok"] is False and stale["error"]["code"] == "voting_closed"
    assert vote(phone, item_id, key=KEY_B, round=9)["error"]["code"] == "invalid_round"
    assert vote(phone, item_id, key=KEY_B, round="2")["error"]["code"] == "invalid_round"
    for not_whole in (True, 2.0, [2]):  # not a round number (True == 1 and 2.0 == 2 in Python)
        assert vote(phone, item_id, key=KEY_B, round=not_whole)["error"]["code"] == "invalid_round"
    fresh = vote(phone, item_id, key=KEY_B, round=2)
    assert fresh["ok"] is True
    assert counted(item_id) == (2, 2)  # one per round


def test_not_present(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    phone = connect(app, {"token": meeting.reps[2].join_token})
    conduct.set_present(db.session, meeting.reps[2].id, False, "mod")  # left the hall
    db.session.commit()
    ack = vote(phone, item_id)
    assert ack["ok"] is False and ack["error"]["code"] == "not_present"
    assert counted(item_id) == (0, 0)


def test_invalid_choice(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    phone = connect(app, {"token": meeting.reps[0].join_token})
    for choice in ("pass", "SATISFIED", "", 1, None, ["satisfied"]):
        ack = vote(phone, meeting.items[0].id, choice)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_choice", choice
    assert counted(meeting.items[0].id) == (0, 0)


def test_pass_fail_scale(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3, scale="pass_fail")
    phone = connect(app, {"token": meeting.reps[0].join_token})
    assert received(phone, "state")[0]["voting"]["choices"] == ["pass", "fail"]
    assert vote(phone, meeting.items[0].id, "satisfied")["error"]["code"] == "invalid_choice"
    assert vote(phone, meeting.items[0].id, "pass")["ok"] is True


def test_other_meetings_item_is_not_allowed(app, session, plain_meeting, api):
    mine = plain_meeting(reps=3)
    theirs = opened(plain_meeting, api, reps=3)
    phone = connect(app, {"token": mine.reps[0].join_token})
    ack = vote(phone, theirs.items[0].id)
    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed"


def test_garbage_payloads(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    phone = connect(app, {"token": meeting.reps[0].join_token})
    for payload in (
        None,
        "satisfied",
        42,
        ["satisfied"],
        {},
        {"item_id": item_id},
        {"item_id": item_id, "choice": "satisfied"},
        {"choice": "satisfied", "key": KEY_A},
        {"item_id": item_id, "choice": "x" * 10_000, "key": KEY_A},
    ):
        ack = phone.emit("cast_vote", payload, namespace=NAMESPACE, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", payload
    ack = phone.emit("cast_vote", namespace=NAMESPACE, callback=True)
    assert ack["error"]["code"] == "invalid_payload"
    assert vote(phone, item_id, key="short")["error"]["code"] == "invalid_key"
    assert vote(phone, item_id, key=12345)["error"]["code"] == "invalid_key"
    assert vote(phone, "1")["error"]["code"] == "invalid_item"
    assert vote(phone, True)["error"]["code"] == "invalid_item"
    assert vote(phone, 987654)["error"]["code"] == "item_not_found"
    assert counted(item_id) == (0, 0)
    assert vote(phone, item_id)["ok"] is True  # the socket still works


def test_has_voted_after_reconnect(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    phone = connect(app, {"token": meeting.reps[0].join_token})
    state = received(phone, "state")[0]
    assert state["voting"]["has_voted"] is False and state["voting"]["round"] == 1
    vote(phone, meeting.items[0].id)
    phone.disconnect(NAMESPACE)
    again = connect(app, {"token": meeting.reps[0].join_token})
    assert received(again, "state")[0]["voting"]["has_voted"] is True
    other = connect(app, {"token": meeting.reps[1].join_token})
    assert received(other, "state")[0]["voting"]["has_voted"] is False


def test_progress_goes_to_everyone_and_never_has_counts(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=4, items=1, present=3)
    item_id = meeting.items[0].id
    projector_token = db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting.id))
    projector = connect(app, {"display": projector_token})
    console = connect(app, {"api_token": api.token, "meeting_id": meeting.id})
    phones = [connect(app, {"token": rep.join_token}) for rep in meeting.reps[:3]]
    for sock in [projector, console, *phones]:
        received(sock)

    api.post(f"items/{item_id}/voting/open")
    for sock in [projector, console, *phones]:
        assert received(sock, "progress") == [{"item_id": item_id, "ballots": 0, "present": 3}]

    choices = ["satisfied", "dissatisfied", "satisfied"]
    for n, (phone, choice) in enumerate(zip(phones, choices, strict=True), 1):
        assert vote(phone, item_id, choice, key=f"{KEY_A[:-1]}{n}")["ok"]
        for sock in [projector, console, *phones]:
            got = received(sock, "progress")
            assert got == [{"item_id": item_id, "ballots": n, "present": 3}]
    # a repeated key counts nothing and announces nothing
    vote(phones[0], item_id, "satisfied", key=f"{KEY_A[:-1]}1")
    assert received(projector, "progress") == []


def test_result_reaches_every_screen_at_close(app, session, plain_meeting, api):
    meeting = opened(plain_meeting, api, reps=3)
    item_id = meeting.items[0].id
    projector_token = db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting.id))
    phones = [connect(app, {"token": rep.join_token}) for rep in meeting.reps]
    projector = connect(app, {"display": projector_token})
    console = connect(app, {"api_token": api.token, "meeting_id": meeting.id})
    for phone, choice in zip(phones, ["satisfied", "basically_satisfied", "dissatisfied"], strict=True):
        assert vote(phone, item_id, choice, key=f"key-{choice}-0123456789")["ok"]
    for sock in [projector, console, *phones]:
        received(sock)

    closed = api.post(f"items/{item_id}/voting/close").get_json()

    for sock in [projector, console, *phones]:
        got = received_by_name(sock)
        assert got["result"] == [closed]
        assert got["result"][0]["counts"] == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
        assert got["result"][0]["satisfaction"] == "2/3" and got["result"][0]["passed"] is True
        assert got["state"][-1]["phase"] == "result"
        assert got["state"][-1]["result"]["item_id"] == item_id
        assert "progress" not in got


def test_phones_share_one_state_whose_has_voted_they_keep(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=4, items=1, present=3)
    item_id = meeting.items[0].id
    voter, waiter = (connect(app, {"token": rep.join_token}) for rep in meeting.reps[:2])
    api.post(f"items/{item_id}/voting/open")
    opened_states = received(voter, "state")
    assert opened_states[-1]["voting"]["has_voted"] is False  # nobody has voted: exact for all
    assert "me" not in opened_states[-1]
    received(waiter)
    vote(voter, item_id)

    api.patch(f"representatives/{meeting.reps[3].id}", {"present": True})  # attendance changes

    shared = received(waiter, "state")[-1]
    assert shared["attendance"]["present"] == 4
    assert shared["voting"]["has_voted"] is None  # unknown in a shared snapshot: keep your own
    assert received(voter, "state")[-1] == shared
    assert call(voter, "sync", {})["state"]["voting"]["has_voted"] is True
    assert call(waiter, "sync", {})["state"]["voting"]["has_voted"] is False
