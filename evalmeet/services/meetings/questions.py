"""Questions (质询) from representatives, moderated before the room sees them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from evalmeet.domain.states import check_question_move
from evalmeet.models import Question, Representative
from evalmeet.services.accounts import audit
from evalmeet.services.meetings.meeting import get_item
from evalmeet.services.validate import is_id, text

MAX_QUESTION = 500
MAX_PENDING_PER_REP = 5


def ask_question(session: Session, rep: Representative, item_id: Any, question_text: Any) -> Question:
    """A present representative asks about the item on the floor while questions are open."""
    if not is_id(item_id):
        raise ValidationFailed("item_id must be an item id", code="invalid_item")
    body = text(question_text, "text", max_len=MAX_QUESTION, multiline=True)
    item = get_item(session, item_id)
    meeting = item.meeting
    if item.meeting_id != rep.meeting_id or rep.revoked:
        raise NotAllowed(
            "you are not on the roster of this item's meeting", code="not_allowed", reason="not_on_roster"
        )
    if not rep.present:
        raise NotAllowed("you have not checked in to this meeting", code="not_present")
    if meeting.status != "live" or meeting.current_item_id != item.id or not meeting.questions_open:
        raise Conflict("questions on this item are not open", code="questions_closed")
    pending = (
        session.scalar(
            select(func.count())
            .select_from(Question)
            .where(
                Question.item_id == item.id,
                Question.representative_id == rep.id,
                Question.status == "pending",
            )
        )
        or 0
    )
    if pending >= MAX_PENDING_PER_REP:
        raise Conflict("please wait until your earlier questions are handled", code="too_many_questions")
    question = Question(item_id=item.id, representative_id=rep.id, text=body)
    session.add(question)
    session.flush()
    return question


def get_question(session: Session, question_id: Any) -> Question:
    """The question or NotFound."""
    question = session.get(Question, question_id) if is_id(question_id) else None
    if question is None:
        raise NotFound(
            f"question {question_id} not found", code="question_not_found", question_id=question_id
        )
    return question


def moderate_question(
    session: Session, question_id: Any, status: Any, actor: str, answer: Any = None
) -> Question:
    """Approve, hide, mark answered (optionally with the secretary's answer summary)."""
    question = get_question(session, question_id)
    if status is not None:
        check_question_move(question.id, question.status, status)
        question.status = status
    if answer is not None:
        question.answer = text(answer, "answer", max_len=5000, required=False, multiline=True)
        if question.answer and question.status in ("approved", "pending"):
            question.status = "answered"
    session.flush()
    audit.append(
        session,
        actor,
        "question.moderated",
        {"question_id": question.id, "status": question.status},
        question.item.meeting_id,
    )
    return question


def questions_for(session: Session, item_id: int, *, public_only: bool) -> list[Question]:
    """An item's questions: all of them for moderators, approved/answered for the room."""
    stmt = select(Question).where(Question.item_id == item_id).order_by(Question.id)
    if public_only:
        stmt = stmt.where(Question.status.in_(("approved", "answered")))
    return list(session.scalars(stmt))
