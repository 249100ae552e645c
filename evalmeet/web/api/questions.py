"""Questions from the floor, as moderators see and moderate them."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.query import PageQuery
from evalmeet.schemas.questions import QuestionListOut, QuestionModerate, QuestionOut
from evalmeet.services import lists
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import questions as question_service
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, bp, documented, moderator, page_query, paged_answer
from evalmeet.web.auth import actor_name


@bp.get("/items/<int:item_id>/questions")
@documented("200", QuestionListOut, query=PageQuery, paged=True)
@moderator
def list_questions(item_id: int) -> Any:
    """All questions on an item (moderators see pending and hidden ones too), oldest first."""
    meetings.get_item(db.session, item_id)
    page = lists.questions_page(db.session, item_id, page_query())
    return paged_answer(
        QuestionListOut(item_id=item_id, questions=[QuestionOut.of(q) for q in page.rows]), page
    )


@bp.patch("/questions/<int:question_id>")
@documented("200", QuestionOut, json=QuestionModerate)
@moderator
def moderate_question(question_id: int) -> Any:
    """``{status?: approved|hidden|answered|pending, answer?}``."""
    question_service.get_question(db.session, question_id)  # an unknown id is a 404, whatever the body
    change = body_of(QuestionModerate)
    question = edge.commit(question_service.moderate_question(db.session, question_id, change, actor_name()))
    return answer(QuestionOut.of(question))
