"""Questions (质询) from representatives, moderated before the room sees them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotAllowed, NotFound
from evalmeet.domain.states import check_question_move
from evalmeet.models import Question, QuestionSupport, Representative
from evalmeet.models.base import utcnow
from evalmeet.schemas.live import AskQuestionBody, SupportQuestionBody
from evalmeet.schemas.questions import QuestionListOut, QuestionModerate, QuestionOut
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, Event, QuestionAsked, QuestionModerated, QuestionsChanged, done
from evalmeet.services.meetings.meeting import get_item

MAX_PENDING_PER_REP = 5


@dataclass(frozen=True)
class AnsweredQuestion:
    """A question the room saw, with the secretary's answer summary, as the record shows it (the
    minutes, the public page): never who asked."""

    text: str
    answer: str

    @classmethod
    def of(cls, question: Question) -> AnsweredQuestion:
        """The record of ``question``."""
        return cls(question.text, question.answer)


def ask_question(session: Session, rep: Representative, ask: AskQuestionBody) -> Done[Question]:
    """A present representative asks about the item on the floor while questions are open."""
    item = get_item(session, ask.item_id)
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
    question = Question(item_id=item.id, representative_id=rep.id, text=ask.text)
    session.add(question)
    session.flush()
    return done(question, QuestionAsked(item.meeting_id, item.id))


def get_question(session: Session, question_id: int) -> Question:
    """The question or NotFound."""
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound(
            f"question {question_id} not found", code="question_not_found", question_id=question_id
        )
    return question


def moderate_question(
    session: Session, question_id: int, change: QuestionModerate, actor: str
) -> Done[Question]:
    """Approve, hide, mark answered (optionally with the secretary's answer summary)."""
    question = get_question(session, question_id)
    if change.status is not None:
        check_question_move(question.id, question.status, change.status)
        question.status = change.status
    if change.answer is not None:
        question.answer = change.answer
        if question.answer and question.status in ("approved", "pending"):
            question.status = "answered"
    session.flush()
    meeting_id = question.item.meeting_id
    audit.append(
        session,
        actor,
        "question.moderated",
        {"question_id": question.id, "status": question.status},
        meeting_id,
    )
    events: tuple[Event, ...] = (QuestionsChanged(meeting_id),)
    if question.representative_id is not None:
        events = (
            *events,
            QuestionModerated(
                meeting_id, question.representative_id, question.id, question.item_id, question.status
            ),
        )
    return Done(question, events)


def questions_for(session: Session, item_id: int, *, public_only: bool) -> list[Question]:
    """An item's questions: all of them for moderators, approved/answered for the room."""
    stmt = select(Question).where(Question.item_id == item_id).order_by(Question.id)
    if public_only:
        stmt = stmt.where(Question.status.in_(("approved", "answered")))
    return list(session.scalars(stmt))


def moderators_list(session: Session, item_id: int | None) -> QuestionListOut:
    """``{item_id, questions}``: every question of the item (pending and hidden too), for the
    moderators' list; no item on the floor is an empty list."""
    rows = questions_for(session, item_id, public_only=False) if item_id is not None else []
    return QuestionListOut(item_id=item_id, questions=[QuestionOut.of(q) for q in rows])


# --- support from the floor -------------------------------------------------------------------

_INSERT_SUPPORT = {
    name: dialect_insert(QuestionSupport)
    .on_conflict_do_nothing(index_elements=["question_id", "representative_id"])
    .returning(QuestionSupport.id)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


def support_question(session: Session, rep: Representative, body: SupportQuestionBody) -> Done[int]:
    """A representative backs an approved question of the item on the floor; answers how many
    back it now. Once per representative (the unique constraint, not a read, decides): a
    repeat changes nothing and answers the same count."""
    question = session.get(Question, body.question_id, with_for_update=True)
    if question is None or question.item.meeting_id != rep.meeting_id or rep.revoked:
        raise Conflict("there is no such question to support", code="invalid_question")
    meeting = question.item.meeting
    if (
        question.status != "approved"
        or meeting.status != "live"
        or meeting.current_item_id != question.item_id
    ):
        raise Conflict(
            "only approved questions on the item on the floor can be supported", code="invalid_question"
        )
    conn = session.connection()
    added = conn.execute(
        _INSERT_SUPPORT[conn.dialect.name],
        [{"question_id": question.id, "representative_id": rep.id, "created_at": utcnow()}],
    ).first()
    if added is None:
        return done(question.support)
    session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(support=Question.support + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(question, ["support"])
    return done(question.support, QuestionsChanged(meeting.id))
