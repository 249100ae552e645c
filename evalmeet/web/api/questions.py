"""Questions from the floor, as moderators see and moderate them."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.realtime import broadcast
from evalmeet.schemas.questions import QuestionListOut, QuestionOut
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import questions as question_service
from evalmeet.web.api.base import (
    answer,
    body,
    bp,
    documented,
    moderator,
)
from evalmeet.web.auth import actor_name


@bp.get("/items/<int:item_id>/questions")
@documented("200", QuestionListOut)
@moderator
def list_questions(item_id: int) -> Any:
    """All questions on an item (moderators see pending and hidden ones too)."""
    meetings.get_item(db.session, item_id)
    rows = question_service.questions_for(db.session, item_id, public_only=False)
    return answer(QuestionListOut(item_id=item_id, questions=[QuestionOut.of(q) for q in rows]))


@bp.patch("/questions/<int:question_id>")
@documented("200", QuestionOut)
@moderator
def moderate_question(question_id: int) -> Any:
    """``{status?: approved|hidden|answered|pending, answer?}``."""
    data = body()
    question = question_service.moderate_question(
        db.session, question_id, data.get("status"), actor_name(), data.get("answer")
    )
    meeting_id = question.item.meeting_id
    db.session.commit()
    broadcast.questions_changed(meeting_id)
    return answer(QuestionOut.of(question))
