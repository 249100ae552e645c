"""Questions from the floor, as moderators see and moderate them."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.questions import QuestionListOut, QuestionModerate, QuestionOut
from evalmeet.services import lists
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import questions as question_service
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, documented, moderator, page_query, route
from evalmeet.web.auth import actor_name


@route("GET", "/items/<int:item_id>/questions", who=moderator, exists=meetings.get_item)
@documented("200", QuestionListOut, paged=True)
def list_questions(item_id: int) -> Any:
    """All questions on an item (moderators see pending and hidden ones too), oldest first."""
    page = lists.questions_page(db.session, item_id, page_query())
    return answer(
        QuestionListOut(item_id=item_id, questions=[QuestionOut.of(q) for q in page.rows]), page=page
    )


@route("PATCH", "/questions/<int:question_id>", who=moderator, exists=question_service.get_question)
@documented("200", QuestionOut, json=QuestionModerate)
def moderate_question(question_id: int) -> Any:
    """``{status?: approved|hidden|answered|pending, answer?}``."""
    change = body_of(QuestionModerate)
    question = edge.commit(question_service.moderate_question(db.session, question_id, change, actor_name()))
    return answer(QuestionOut.of(question))
