"""``ask_question`` over ``/live`` and the ``questions`` event for moderators."""

from __future__ import annotations

from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Meeting, Question
from evalmeet.realtime.rooms import NAMESPACE
from tests.realtime.conftest import connect, received, received_by_name


def ask(sock, item_id, text="为什么只有一家供应商？"):
    """Emit ask_question and return the ack."""
    return sock.emit("ask_question", {"item_id": item_id, "text": text}, namespace=NAMESPACE, callback=True)


def screens(app, api, meeting):
    """(projector, console) connected to the meeting, their welcome events drained."""
    token = db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting.id))
    projector = connect(app, {"display": token})
    console = connect(app, {"api_token": api.token, "meeting_id": meeting.id})
    received(projector)
    received(console)
    return projector, console


def test_question_is_stored_and_shown_to_moderators_only(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=1)
    item_id = meeting.items[0].id
    api.post(f"items/{item_id}/present")
    phone, neighbour = (connect(app, {"token": rep.join_token}) for rep in meeting.reps[:2])
    projector, console = screens(app, api, meeting)
    received(neighbour)

    ack = ask(phone, item_id)

    assert ack["ok"] is True and isinstance(ack["question_id"], int)
    db.session.remove()
    stored = db.session.get(Question, ack["question_id"])
    assert stored.text == "为什么只有一家供应商？" and stored.status == "pending"
    questions = received(console, "questions")
    assert len(questions) == 1 and questions[0]["item_id"] == item_id
    assert [(q["id"], q["text"], q["status"]) for q in questions[0]["questions"]] == [
        (ack["question_id"], "为什么只有一家供应商？", "pending")
    ]
    assert "representative_id" not in questions[0]["questions"][0]
    assert received(projector) == []  # pending questions are not shown to the room
    assert received(neighbour) == []


def test_moderation_reaches_console_projector_and_phones(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=1)
    item_id = meeting.items[0].id
    api.post(f"items/{item_id}/present")
    phone = connect(app, {"token": meeting.reps[0].join_token})
    projector, console = screens(app, api, meeting)
    hidden_id = ask(phone, item_id, "无关的问题")["question_id"]
    kept_id = ask(connect(app, {"token": meeting.reps[1].join_token}), item_id)["question_id"]
    received(console)
    received(phone)

    assert api.patch(f"questions/{kept_id}", {"status": "approved"}).status_code == 200
    assert api.patch(f"questions/{hidden_id}", {"status": "hidden"}).status_code == 200
    assert api.patch(f"questions/{kept_id}", {"answer": "只有这家有资质。"}).status_code == 200

    latest = received(console, "questions")[-1]
    assert {q["id"]: q["status"] for q in latest["questions"]} == {hidden_id: "hidden", kept_id: "answered"}
    assert [q["answer"] for q in latest["questions"] if q["id"] == kept_id] == ["只有这家有资质。"]
    for screen in (projector, phone):
        shown = received(screen, "state")[-1]["item"]["questions"]
        assert [(q["id"], q["status"], q["answer"]) for q in shown] == [
            (kept_id, "answered", "只有这家有资质。")
        ]


def test_question_errors(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=2)
    first, second = (item.id for item in meeting.items)
    other = plain_meeting(reps=1, items=1)
    phone = connect(app, {"token": meeting.reps[0].join_token})
    assert ask(phone, first)["error"]["code"] == "questions_closed"  # nothing on the floor yet
    api.post(f"items/{first}/present")
    assert ask(phone, second)["error"]["code"] == "questions_closed"  # not the item on the floor
    assert ask(phone, other.items[0].id)["error"]["code"] == "not_allowed"
    assert ask(phone, first, "")["error"]["code"] == "validation_error"
    assert ask(phone, first, "   ")["error"]["code"] == "validation_error"
    assert ask(phone, first, "问" * 501)["error"]["code"] == "validation_error"
    assert ask(phone, first, 42)["error"]["code"] == "validation_error"
    assert ask(phone, "1")["error"]["code"] == "invalid_item"
    for payload in (None, "why?", [first, "why?"], {"item_id": first}, {"text": "why?"}):
        ack = phone.emit("ask_question", payload, namespace=NAMESPACE, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload" and ack["error"]["message"]
    api.post(f"meetings/{meeting.id}/questions/close")
    assert ask(phone, first)["error"]["code"] == "questions_closed"
    db.session.remove()
    assert db.session.scalar(select(Question.id)) is None


def test_moderators_get_the_questions_on_the_floor_when_connecting(app, session, plain_meeting, api):
    meeting = plain_meeting(reps=3, items=1)
    item_id = meeting.items[0].id
    api.post(f"items/{item_id}/present")
    question_id = ask(connect(app, {"token": meeting.reps[0].join_token}), item_id)["question_id"]

    console = connect(app, {"api_token": api.token, "meeting_id": meeting.id})

    got = received_by_name(console)
    assert got["questions"][0]["item_id"] == item_id
    assert [q["id"] for q in got["questions"][0]["questions"]] == [question_id]
