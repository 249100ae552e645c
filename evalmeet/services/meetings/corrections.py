"""Corrections after close (更正): an admin fixes a typo in a finished meeting's texts.

A finished meeting is locked: results, ballots and attendance never change. Its texts may be
corrected — the meeting's title and location, an item's title and description, a question's text
and its answer summary, a representative's name, a responsible person's name and position — each
with a reason. Every correction is kept (old and new wording, who, when, why) as the meeting's
revision history, shown on its pages, and written to the audit chain. Anything else (a status, a
count, a ballot, who was present) is refused with ``not_correctable``.

A responsible person is one row for every meeting they answered for: correcting their name
corrects it everywhere (the history of this meeting records it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import Correction, Item, Meeting, Question, Representative, ResponsiblePerson
from evalmeet.schemas.appeals import CorrectionCreate
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.meetings.meeting import get_meeting


@dataclass(frozen=True)
class Rule:
    """How one correctable text is checked: its length, one line or several, required or not."""

    max_len: int
    multiline: bool = False
    required: bool = True


# (target, field) → its rule; nothing outside this table can be corrected.
CORRECTABLE: dict[tuple[str, str], Rule] = {
    ("meeting", "title"): Rule(200),
    ("meeting", "location"): Rule(200, required=False),
    ("item", "title"): Rule(200),
    ("item", "description"): Rule(10_000, multiline=True, required=False),
    ("question", "text"): Rule(500, multiline=True),
    ("question", "answer"): Rule(5000, multiline=True, required=False),
    ("representative", "name"): Rule(100),
    ("responsible_person", "name"): Rule(100),
    ("responsible_person", "position"): Rule(100, required=False),
}
TARGETS = ("meeting", "item", "question", "representative", "responsible_person")


def _row(session: Session, meeting: Meeting, target: str, target_id: int | None) -> Any:
    """The row a correction changes, which must belong to ``meeting`` (else NotFound)."""
    if target == "meeting":
        return meeting
    row: Any = None
    if target_id is not None:
        if target == "item":
            row = session.scalar(select(Item).where(Item.id == target_id, Item.meeting_id == meeting.id))
        elif target == "question":
            row = session.scalar(
                select(Question)
                .join(Item, Item.id == Question.item_id)
                .where(Question.id == target_id, Item.meeting_id == meeting.id)
            )
        elif target == "representative":
            row = session.scalar(
                select(Representative).where(
                    Representative.id == target_id, Representative.meeting_id == meeting.id
                )
            )
        elif target == "responsible_person":
            row = session.scalar(
                select(ResponsiblePerson)
                .join(Item, Item.responsible_person_id == ResponsiblePerson.id)
                .where(ResponsiblePerson.id == target_id, Item.meeting_id == meeting.id)
                .limit(1)
            )
    if row is None:
        raise NotFound(
            f"{target} {target_id} is not part of meeting {meeting.id}",
            code="correction_target_not_found",
            target=target,
            target_id=target_id,
            meeting_id=meeting.id,
        )
    return row


def _checked(value: str, rule: Rule) -> str:
    """The new text, refused like a form field (``value``) when it does not fit."""
    reason = None
    if "\x00" in value:
        reason = "nul_character"
    elif rule.required and not value:
        reason = "required"
    elif len(value) > rule.max_len:
        raise ValidationFailed("value: too long", field="value", reason="too_long", max=rule.max_len)
    elif not rule.multiline and ("\n" in value or "\r" in value):
        reason = "not_single_line"
    if reason is not None:
        raise ValidationFailed(f"value: {reason}", field="value", reason=reason)
    return value


def correct(session: Session, meeting_id: Any, data: CorrectionCreate, actor: str) -> Done[Correction]:
    """Correct one text of a finished meeting, keeping the old wording and the reason."""
    meeting = get_meeting(session, meeting_id)
    rule = CORRECTABLE.get((data.target, data.field))
    if rule is None:
        raise Conflict(
            f"{data.target}.{data.field} cannot be corrected: only texts can, never results, ballots "
            "or attendance",
            code="not_correctable",
            target=data.target,
            field=data.field,
        )
    require_meeting_status(meeting.id, meeting.status, "closed", doing="correct its texts", reason="correct")
    row = _row(session, meeting, data.target, data.target_id)
    new = _checked(data.value, rule)
    old = getattr(row, data.field) or ""
    if new == old:
        raise ValidationFailed("value: unchanged", field="value", reason="unchanged")
    if data.target == "responsible_person" and data.field == "name":
        twin = session.scalar(
            select(ResponsiblePerson.id).where(
                ResponsiblePerson.name == new,
                ResponsiblePerson.department == row.department,
                ResponsiblePerson.id != row.id,
            )
        )
        if twin is not None:
            raise Conflict(
                f"another responsible person of {row.department!r} is already called {new!r}",
                code="person_exists",
                name=new,
                department=row.department,
                person_id=twin,
            )
    setattr(row, data.field, new)
    correction = Correction(
        meeting_id=meeting.id,
        target=data.target,
        target_id=row.id,
        field=data.field,
        old_value=old,
        new_value=new,
        reason=data.reason,
        author=actor[:64],
    )
    session.add(correction)
    session.flush()
    audit.append(
        session,
        actor,
        "meeting.corrected",
        {
            "correction_id": correction.id,
            "target": data.target,
            "target_id": row.id,
            "field": data.field,
            "old": old,
            "new": new,
            "reason": data.reason,
        },
        meeting.id,
    )
    return done(correction, MeetingChanged(meeting.id))


def corrections_of(session: Session, meeting_id: int) -> list[Correction]:
    """A meeting's revision history, oldest first."""
    return list(
        session.scalars(select(Correction).where(Correction.meeting_id == meeting_id).order_by(Correction.id))
    )


@dataclass(frozen=True)
class Option:
    """One text the correction form offers: what it is, where it is, what it says now."""

    target: str
    target_id: int
    field: str
    where: str  # "1. 焦炭采购", a person's name, … (empty for the meeting itself)
    current: str
    rule: Rule

    @property
    def key(self) -> str:
        """The form's value for it: ``target:id:field``."""
        return f"{self.target}:{self.target_id}:{self.field}"


def options(session: Session, meeting_id: Any) -> list[Option]:
    """Every text of the meeting a correction may change, in the order of the record."""
    meeting = get_meeting(session, meeting_id)
    out = [
        Option("meeting", meeting.id, f, "", getattr(meeting, f) or "", CORRECTABLE["meeting", f])
        for f in ("title", "location")
    ]
    persons: dict[int, ResponsiblePerson] = {}
    for number, item in enumerate(meeting.items, start=1):
        where = f"{number}. {item.title}"
        for f in ("title", "description"):
            out.append(Option("item", item.id, f, where, getattr(item, f) or "", CORRECTABLE["item", f]))
        persons.setdefault(item.responsible_person_id, item.responsible_person)
        questions = session.scalars(
            select(Question).where(Question.item_id == item.id).order_by(Question.id)
        ).all()
        for q_number, question in enumerate(questions, start=1):
            spot = f"{where} · Q{q_number}"
            for f in ("text", "answer"):
                out.append(
                    Option(
                        "question",
                        question.id,
                        f,
                        spot,
                        getattr(question, f) or "",
                        CORRECTABLE["question", f],
                    )
                )
    for person in persons.values():
        for f in ("name", "position"):
            out.append(
                Option(
                    "responsible_person",
                    person.id,
                    f,
                    person.name,
                    getattr(person, f) or "",
                    CORRECTABLE["responsible_person", f],
                )
            )
    for rep in meeting.representatives:
        out.append(
            Option(
                "representative",
                rep.id,
                "name",
                rep.employee_no,
                rep.name,
                CORRECTABLE["representative", "name"],
            )
        )
    return out
