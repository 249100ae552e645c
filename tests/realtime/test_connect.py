"""Connecting to ``/live``: who is let in, what they get, check-in, revocation, sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from evalmeet.extensions import db, socketio
from evalmeet.models import Meeting, Representative
from evalmeet.realtime import live
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.meetings import roster
from tests.conftest import make_account
from tests.realtime.conftest import (
    call,
    connect,
    received,
    received_by_name,
    refusal,
    refused_code,
    stale_browser,
    wait_for,
)

STATE_KEYS = {"meeting", "item", "phase", "voting", "attendance"}


def rep_row(rep_id: int) -> Representative:
    """A fresh read of a roster entry."""
    db.session.remove()
    return db.session.get(Representative, rep_id)


def display_token(meeting_id: int) -> str:
    return db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting_id))


# --- representatives ---------------------------------------------------------------------------


def test_phone_gets_its_own_state_and_is_checked_in(app, session, plain_meeting):
    live_meeting = plain_meeting(reps=3, items=1, present=1)
    rep = live_meeting.reps[2]
    assert rep_row(rep.id).present is False

    phone = connect(app, {"token": rep.join_token})

    assert phone.is_connected(NAMESPACE)
    states = received(phone, "state")
    own = states[0]
    assert STATE_KEYS <= own.keys()
    assert own["meeting"]["id"] == live_meeting.id
    assert own["meeting"]["title"] == "第一次采购评价会"
    assert own["meeting"]["status"] == "live"
    assert own["phase"] == "idle" and own["item"] is None and own["voting"] is None
    assert own["attendance"] == {"present": 2, "roster": 3, "needed": 2, "quorum_met": True}
    assert own["me"] == {"id": rep.id, "name": "代表3", "present": True, "ballot": "phone"}
    row = rep_row(rep.id)
    assert row.present is True and row.checked_in_by == "socket"


def test_check_in_is_broadcast_to_the_room(app, session, plain_meeting, api):
    live_meeting = plain_meeting(reps=3, items=1, present=0)
    projector = connect(app, {"display": display_token(live_meeting.id)})
    assert received(projector, "state")[0]["attendance"]["present"] == 0

    connect(app, {"token": live_meeting.reps[0].join_token})

    states = received(projector, "state")
    assert states and states[-1]["attendance"]["present"] == 1
    assert "me" not in states[-1]


def test_reconnecting_does_not_check_in_twice(app, session, plain_meeting):
    live_meeting = plain_meeting(reps=2, items=1, present=0)
    token = live_meeting.reps[0].join_token
    first = connect(app, {"token": token})
    first.disconnect(NAMESPACE)
    projector = connect(app, {"display": display_token(live_meeting.id)})
    received(projector)

    again = connect(app, {"token": token})

    assert received(again, "state")[0]["attendance"]["present"] == 1
    assert received(projector, "state") == []  # attendance did not change: nothing to announce


def test_draft_meeting_connects_without_check_in(app, session, plain_meeting):
    draft = plain_meeting(reps=2, start=False)
    phone = connect(app, {"token": draft.reps[0].join_token})
    state = received(phone, "state")[0]
    assert state["meeting"]["status"] == "draft"
    assert state["phase"] == "idle"
    assert state["me"]["present"] is False
    assert rep_row(draft.reps[0].id).present is False


def test_sync_after_the_meeting_starts_checks_the_phone_in(app, session, plain_meeting, api):
    draft = plain_meeting(reps=2, start=False)
    phone = connect(app, {"token": draft.reps[0].join_token})
    received(phone)
    assert api.post(f"meetings/{draft.id}/start").status_code == 200
    shared = received(phone, "state")[-1]
    assert shared["meeting"]["status"] == "live" and "me" not in shared

    ack = phone.emit("sync", {}, namespace=NAMESPACE, callback=True)

    assert ack["ok"] is True
    assert ack["state"]["me"]["present"] is True
    assert ack["state"]["attendance"]["present"] == 1
    assert rep_row(draft.reps[0].id).checked_in_by == "socket"


def test_session_cookie_from_the_join_link_is_enough(app, session, plain_meeting):
    live_meeting = plain_meeting(reps=2, items=1, present=0)
    rep = live_meeting.reps[1]
    browser = app.test_client()
    assert browser.get(f"/j/{rep.join_token}").status_code == 302

    phone = connect(app, None, flask_client=browser)

    assert phone.is_connected(NAMESPACE)
    assert received(phone, "state")[0]["me"]["id"] == rep.id
    assert rep_row(rep.id).checked_in_by == "link"  # the link checked in first


def test_bad_tokens_are_refused_with_a_message(app, session, plain_meeting):
    live_meeting = plain_meeting(reps=2, items=1)
    for auth in ({"token": "x" * 32}, {"token": "short"}, {"token": 12345}, {"token": None}):
        error = refusal(app, auth)
        assert error["message"] == "该入场链接无效。"  # translated by code, Chinese by default
        assert error["data"] == {"code": "invalid_token"}
    english = refusal(app, {"token": "x" * 32}, headers={"Cookie": "evalmeet_lang=en"})
    assert english["message"] == "This join link is not valid."
    roster.revoke_representative(db.session, live_meeting.reps[0].id, "test")
    db.session.commit()
    error = refusal(app, {"token": live_meeting.reps[0].join_token})
    assert error["data"]["code"] == "invalid_token"


def test_no_credentials_and_garbage_auth_are_refused(app, session):
    assert refused_code(app, None) == "no_credentials"
    assert refused_code(app, {}) == "no_credentials"
    assert "join link" in refusal(app, {}, headers={"Cookie": "evalmeet_lang=en"})["message"]
    assert "入场链接" in refusal(app, {})["message"]
    assert refused_code(app, "a-token-as-a-string") == "invalid_payload"
    assert refused_code(app, ["x"]) == "invalid_payload"


def test_stale_session_cookie_is_refused(app, session, plain_meeting):
    browser = stale_browser(app, plain_meeting)
    assert refused_code(app, None, flask_client=browser) == "invalid_token"


def test_revoking_a_link_disconnects_its_open_socket(app, session, plain_meeting, api):
    live_meeting = plain_meeting(reps=3, items=1)
    rep = live_meeting.reps[0]
    phone = connect(app, {"token": rep.join_token})
    other = connect(app, {"token": live_meeting.reps[1].join_token})
    received(phone)

    response = api.patch(f"representatives/{rep.id}", {"revoked": True})

    assert response.status_code == 200
    assert not phone.is_connected(NAMESPACE)
    revoked = [e for e in phone.queue if e["name"] == "revoked"]
    assert revoked and revoked[0]["args"][0]["code"] == "invalid_token"
    assert other.is_connected(NAMESPACE)
    assert live.clients.get(phone.eio_sid) is None


def test_a_replaced_link_is_refused_on_its_next_event(app, session, plain_meeting):
    live_meeting = plain_meeting(reps=2, items=1)
    rep = live_meeting.reps[0]
    phone = connect(app, {"token": rep.join_token})
    roster.reissue_join_token(db.session, rep.id, "test")  # no broadcast: only the handler's re-check
    db.session.commit()

    ack = phone.emit(
        "cast_vote",
        {"item_id": live_meeting.items[0].id, "choice": "satisfied", "key": "k" * 32},
        namespace=NAMESPACE,
        callback=True,
    )

    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed"
    assert wait_for(phone, "revoked")
    assert not phone.is_connected(NAMESPACE)


# --- projector ---------------------------------------------------------------------------------


def projector_after(app: Any, plain_meeting: Any, api: Any, action: str) -> tuple[Any, dict[str, list[Any]]]:
    """A meeting of three whose item had ``action`` done: (the item, what a projector got on connecting)."""
    live_meeting = plain_meeting(reps=3, items=1)
    item = live_meeting.items[0]
    api.post(f"items/{item.id}/{action}")
    projector = connect(app, {"display": display_token(live_meeting.id)})
    return item, received_by_name(projector)


def test_projector_connects_with_the_display_token(app, session, plain_meeting, api):
    item, got = projector_after(app, plain_meeting, api, "present")
    state = got["state"][0]
    assert STATE_KEYS <= state.keys() and "me" not in state
    assert state["phase"] == "questions"
    assert state["item"]["id"] == item.id
    assert state["item"]["risk_flags"]  # single source above the threshold, above benchmark
    assert "questions" not in got  # moderators only


def test_projector_gets_progress_on_connect_while_voting(app, session, plain_meeting, api):
    item, got = projector_after(app, plain_meeting, api, "voting/open")
    assert got["state"][0]["phase"] == "voting"
    assert got["state"][0]["voting"]["has_voted"] is False
    assert got["progress"] == [{"item_id": item.id, "ballots": 0, "present": 3}]


def test_bad_display_token_is_refused(app, session):
    error = refusal(app, {"display": "y" * 32})
    assert error["data"]["code"] == "invalid_display_token"


# --- moderators --------------------------------------------------------------------------------


def test_moderator_with_api_token_gets_state_and_questions(app, session, plain_meeting, api):
    live_meeting = plain_meeting(reps=3, items=1)
    item = live_meeting.items[0]
    api.post(f"items/{item.id}/present")

    console = connect(app, {"api_token": api.token, "meeting_id": live_meeting.id})

    got = received_by_name(console)
    assert got["state"][0]["item"]["id"] == item.id
    assert got["questions"] == [{"item_id": item.id, "questions": []}]


def test_moderator_with_logged_in_session(app, session, plain_meeting, login):
    live_meeting = plain_meeting(reps=2, items=1)
    browser = login("moderator")

    console = connect(app, {"meeting_id": live_meeting.id}, flask_client=browser)

    assert console.is_connected(NAMESPACE)
    got = received_by_name(console)
    assert got["state"][0]["meeting"]["id"] == live_meeting.id
    assert got["questions"] == [{"item_id": None, "questions": []}]


def test_moderator_connections_are_checked(app, session, plain_meeting, login):
    live_meeting = plain_meeting(reps=2, items=1)
    viewer_token = make_account(app, "viewer1", "viewer")
    assert refused_code(app, {"meeting_id": live_meeting.id}) == "unauthorized"
    assert refused_code(app, {"api_token": "em_nope", "meeting_id": live_meeting.id}) == "unauthorized"
    assert refused_code(app, {"api_token": 7, "meeting_id": live_meeting.id}) == "unauthorized"
    assert refused_code(app, {"api_token": viewer_token, "meeting_id": live_meeting.id}) == "forbidden"
    mod_token = make_account(app, "mod1", "moderator")
    assert refused_code(app, {"api_token": mod_token, "meeting_id": 99999}) == "meeting_not_found"
    assert refused_code(app, {"api_token": mod_token, "meeting_id": "1"}) == "meeting_not_found"
    viewer_browser = login("viewer")
    assert refused_code(app, {"meeting_id": live_meeting.id}, flask_client=viewer_browser) == "forbidden"


def test_staff_cannot_vote_or_ask(app, session, plain_meeting, api):
    live_meeting = plain_meeting(reps=2, items=1)
    item = live_meeting.items[0]
    api.post(f"items/{item.id}/voting/open")
    screens = [
        connect(app, {"display": display_token(live_meeting.id)}),
        connect(app, {"api_token": api.token, "meeting_id": live_meeting.id}),
    ]
    for screen in screens:
        vote = {"item_id": item.id, "choice": "satisfied", "key": "k" * 32}
        ack = screen.emit("cast_vote", vote, namespace=NAMESPACE, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "not_allowed"
        ack = call(screen, "ask_question", {"item_id": item.id, "text": "why?"})
        assert ack["error"]["code"] == "not_allowed"


def test_moderator_sync_returns_state_and_questions(app, session, plain_meeting, api):
    live_meeting = plain_meeting(reps=2, items=1)
    api.post(f"items/{live_meeting.items[0].id}/present")
    console = connect(app, {"api_token": api.token, "meeting_id": live_meeting.id})
    ack = console.emit("sync", namespace=NAMESPACE, callback=True)
    assert ack["ok"] is True
    assert ack["state"]["phase"] == "questions"
    assert ack["questions"]["item_id"] == live_meeting.items[0].id
    assert ack["progress"] is None
    assert call(console, "sync", "garbage")["error"]["code"] == "invalid_payload"


# --- sessions and teardown ---------------------------------------------------------------------


def test_the_database_session_is_removed_after_every_event(app, plain_meeting, session):
    live_meeting = plain_meeting(reps=2, items=1)
    token = live_meeting.reps[0].join_token
    db.session.remove()
    phone = connect(app, {"token": token})
    assert not db._session.registry.has()  # type: ignore[union-attr]
    phone.emit("sync", {}, namespace=NAMESPACE, callback=True)
    assert not db._session.registry.has()  # type: ignore[union-attr]


def test_without_an_outer_app_context_too(app, tmp_path):
    with app.app_context():
        from tests.factories import build_meeting

        token = build_meeting(db.session, reps=1, items=1).reps[0].join_token
        db.session.remove()
    phone = connect(app, {"token": token})
    assert phone.emit("sync", {}, namespace=NAMESPACE, callback=True)["ok"] is True
    with app.app_context():
        assert not db._session.registry.has()  # type: ignore[union-attr]
    assert socketio.server is not None
