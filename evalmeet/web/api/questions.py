"""Questions from the floor, as moderators see and moderate them."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.questions import QuestionListOut, QuestionModerate, QuestionOut
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import questions as question_service
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, bp, documented, moderator
from evalmeet.web.auth import actor_name


@bp.get("/items/<int:item_id>/questions")
@documented("200", QuestionListOut)
@moderator
def list_questions(item_id: int) -> Any:
    """All questions on an item (moderators see pending and hidden ones too)."""
    meetings.get_item(db.session, item_id)
    return answer(question_service.moderators_list(db.session, item_id))


@bp.patch("/questions/<int:question_id>")
@documented("200", QuestionOut, json=QuestionModerate)
@moderator
def moderate_question(question_id: int) -> Any:
    """``{status?: approved|hidden|answered|pending, answer?}``."""
    change = body_of(QuestionModerate)
    question = edge.commit(question_service.moderate_question(db.session, question_id, change, actor_name()))
    return answer(QuestionOut.of(question))
