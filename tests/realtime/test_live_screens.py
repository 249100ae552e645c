"""What the live screens were missing (issue 13), on the channel: a phone whose representative
is marked present or absent gets its own snapshot at once; a question's author is told what
became of it, and nobody else is; a re-vote's snapshot carries its reason; a closed meeting's
snapshot carries every item's result."""

from __future__ import annotations

from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Meeting
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.schemas.live import LiveStateOut, MyQuestionOut
from tests.conftest import both_databases
from tests.realtime.conftest import connect, received, wait_for

pytestmark = both_databases


def test_a_phone_marked_absent_gets_its_own_snapshot_at_once(app, session, plain_meeting, api):
    m = plain_meeting(reps=3, items=1, present=0)
    rep, other = m.reps[0], m.reps[1]
    phone = connect(app, {"token": rep.join_token})
    bystander = connect(app, {"token": other.join_token})
    received(phone)
    received(bystander)

    assert api.patch(f"representatives/{rep.id}", {"present": False}).status_code == 200

    own = [s for s in wait_for(phone, "state") if "me" in s]
    assert own, "the phone got no snapshot of its own"
    assert own[-1]["me"]["id"] == rep.id
    assert own[-1]["me"]["present"] is False
    LiveStateOut.model_validate(own[-1])
    # the others' phones get no one else's "me"
    assert all("me" not in s for s in received(bystander, "state"))

    assert api.patch(f"representatives/{rep.id}", {"present": True}).status_code == 200
    back = [s for s in wait_for(phone, "state") if "me" in s]
    assert back[-1]["me"]["present"] is True


def test_a_questions_author_is_told_when_it_is_approved_or_hidden(app, session, plain_meeting, api):
    m = plain_meeting(reps=3, items=1)
    item_id = m.items[0].id
    assert api.post(f"items/{item_id}/present").status_code == 200
    assert api.post(f"meetings/{m.id}/questions/open").status_code == 200
    author = connect(app, {"token": m.reps[0].join_token})
    other = connect(app, {"token": m.reps[1].join_token})
    ack = author.emit(
        "ask_question", {"item_id": item_id, "text": "为何只有一家报价？"}, namespace=NAMESPACE, callback=True
    )
    assert ack["ok"] is True
    received(author)
    received(other)

    assert api.patch(f"questions/{ack['question_id']}", {"status": "approved"}).status_code == 200
    (told,) = wait_for(author, "my_question")
    assert told == {"question_id": ack["question_id"], "item_id": item_id, "status": "approved"}
    assert MyQuestionOut.model_validate(told).json_dict() == told

    assert api.patch(f"questions/{ack['question_id']}", {"status": "hidden"}).status_code == 200
    (hidden,) = wait_for(author, "my_question")
    assert hidden["status"] == "hidden"
    assert received(other, "my_question") == []


def test_a_revotes_snapshot_carries_its_reason_and_round_one_none(app, session, plain_meeting, api):
    m = plain_meeting(reps=3, items=1)
    item_id = m.items[0].id
    display = db.session.scalar(select(Meeting.display_token).where(Meeting.id == m.id))
    projector = connect(app, {"display": display})
    phone = connect(app, {"token": m.reps[0].join_token})
    assert api.post(f"items/{item_id}/voting/open").status_code == 200
    assert wait_for(projector, "state")[-1]["voting"]["revote_reason"] is None
    api.post(f"items/{item_id}/voting/close")
    received(projector)
    received(phone)

    assert api.post(f"items/{item_id}/revote", {"reason": "计票有误"}).status_code == 200

    for sock in (projector, phone):
        voting = wait_for(sock, "state")[-1]["voting"]
        assert (voting["round"], voting["revote_reason"]) == (2, "计票有误")


def test_a_closed_meetings_snapshot_summarises_every_item(app, session, plain_meeting, api):
    m = plain_meeting(reps=3, items=2)
    first, second = m.items[0].id, m.items[1].id
    display = db.session.scalar(select(Meeting.display_token).where(Meeting.id == m.id))
    projector = connect(app, {"display": display})
    assert "summary" not in received(projector, "state")[-1]  # only once the meeting has closed
    assert api.post(f"items/{first}/voting/open").status_code == 200
    phone = connect(app, {"token": m.reps[0].join_token})
    assert phone.emit(
        "cast_vote",
        {"item_id": first, "choice": "satisfied", "key": "k" * 32},
        namespace=NAMESPACE,
        callback=True,
    )["ok"]
    assert api.post(f"items/{first}/voting/close").status_code == 200
    received(projector)

    assert api.post(f"meetings/{m.id}/finish").status_code == 200

    summary = wait_for(projector, "state")[-1]["summary"]
    assert [(row["id"], row["status"]) for row in summary] == [(first, "passed"), (second, "pending")]
    assert summary[0]["result"]["counts"]["satisfied"] == 1
    assert summary[0]["result"]["ballots"] == 1
    assert summary[1]["result"] is None
