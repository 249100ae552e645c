"""Public disclosure (厂务公开): what anyone may read about a published meeting.

The pages get plain frozen records built here, never model objects, so a template cannot reach
what is not meant to be public: no representatives (only how many attended), no join or display
tokens, no pending or hidden questions and nothing about who asked what, no follow-up owners or
notes. Results are the frozen counts the room saw when voting closed, each round with the sorted
receipt codes of its ballots (never a choice next to one: a representative finds their own code
there, or checks it on /verify).
Only published, closed, non-rehearsal meetings exist here; anything else is NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain import clock
from evalmeet.domain.errors import NotFound
from evalmeet.domain.sheets import Rules
from evalmeet.models import Ballot, Item, Meeting
from evalmeet.schemas.query import PageQuery
from evalmeet.schemas.types import is_id
from evalmeet.services import paging
from evalmeet.services.archive.meetings import meeting_summaries
from evalmeet.services.archive.search import archived, item_rows, meeting_date, meeting_date_column, percent
from evalmeet.services.archive.sheet_figures import SheetFigures, figures_of
from evalmeet.services.meetings.questions import AnsweredQuestion


@dataclass(frozen=True)
class PublicRound:
    """One frozen round of voting: counts per choice, ballots, satisfaction, outcome."""

    round: int
    counts: tuple[tuple[str, int], ...]
    ballots: int
    present: int
    satisfaction_num: int
    satisfaction_den: int
    pass_threshold: str
    passed: bool
    superseded_reason: str | None
    # Phone and paper apart, as frozen (null for rounds from before paper ballots).
    channels: dict[str, Any] | None = None
    receipts: tuple[str, ...] = ()
    # Each criterion's and rater group's figures and the average score, as frozen.
    sheet: SheetFigures = field(default_factory=SheetFigures)

    @property
    def satisfaction_text(self) -> str:
        """``"2/3 (66.7%)"``."""
        if not self.satisfaction_den:
            return "—"
        rate = Fraction(self.satisfaction_num, self.satisfaction_den)
        return f"{self.satisfaction_num}/{self.satisfaction_den} ({percent(rate)})"


@dataclass(frozen=True)
class PublicAction:
    """A follow-up action as the public sees it: kind, status, deadline."""

    kind: str
    status: str
    due_date: date | None
    overdue: bool


@dataclass(frozen=True)
class PublicItem:
    """An item with its responsible person, results, questions and actions."""

    id: int
    position: int
    title: str
    person_name: str
    person_department: str
    person_position: str
    procurement_method: str | None
    amount: Decimal | None
    status: str
    rounds: tuple[PublicRound, ...]
    questions: tuple[AnsweredQuestion, ...]
    actions: tuple[PublicAction, ...]

    @property
    def result(self) -> PublicRound | None:
        """The current result."""
        return self.rounds[-1] if self.rounds else None


@dataclass(frozen=True)
class PublicMeeting:
    """A published meeting: title, date, attendance count, outcome counts and (on its page) items."""

    id: int
    title: str
    date: datetime | None
    location: str
    present: int
    evaluated: int
    passed: int
    failed: int
    published_at: datetime | None
    items: tuple[PublicItem, ...] = ()
    # The scale, criteria, groups and pass rule its results follow (public like the results).
    rules: Rules | None = None


def _published() -> Any:
    return select(Meeting).where(*archived(), Meeting.published.is_(True))


def _summary(meeting: Meeting, present: int, evaluated: int, passed: int, failed: int) -> PublicMeeting:
    return PublicMeeting(
        id=meeting.id,
        title=meeting.title,
        date=meeting_date(meeting),
        location=meeting.location,
        present=present,
        evaluated=evaluated,
        passed=passed,
        failed=failed,
        published_at=meeting.published_at,
    )


def public_meetings(session: Session) -> list[PublicMeeting]:
    """Published meetings, newest first, with attendance and outcome counts."""
    meetings = list(session.scalars(_published().order_by(meeting_date_column().desc(), Meeting.id.desc())))
    return [
        _summary(s.meeting, s.present, s.evaluated, s.passed, s.failed)
        for s in meeting_summaries(session, meetings)
    ]


# Newest first by the date a meeting is filed under, then by id (the order of the whole list).
PUBLIC: paging.Keyset[Meeting] = paging.Keyset(
    "public",
    paging.keys((meeting_date_column(), datetime), (Meeting.id, int)),
    key_of=lambda m: (meeting_date(m), m.id),
)


def public_page(
    session: Session, query: PageQuery, *, default: int | None = paging.DEFAULT_LIMIT
) -> paging.Page[PublicMeeting]:
    """One page of :func:`public_meetings` (``default`` rows when ``query`` names no limit)."""
    found = paging.page(
        session, _published(), PUBLIC, limit=query.limit, cursor=query.cursor, default=default
    )
    rows = [
        _summary(s.meeting, s.present, s.evaluated, s.passed, s.failed)
        for s in meeting_summaries(session, found.rows)
    ]
    return paging.Page(rows, next=found.next, prev=found.prev)


def public_meeting(session: Session, meeting_id: Any, today: date | None = None) -> PublicMeeting:
    """One published meeting with its items; NotFound unless it is published."""
    today = today or clock.today()
    meeting = session.scalar(_published().where(Meeting.id == meeting_id)) if is_id(meeting_id) else None
    if meeting is None:
        raise NotFound(
            f"meeting {meeting_id} has not been published",
            code="meeting_not_found",
            reason="not_published",
            meeting_id=meeting_id,
        )
    summary = meeting_summaries(session, [meeting])[0]
    items = session.scalars(
        select(Item)
        .where(Item.meeting_id == meeting.id)
        .options(selectinload(Item.responsible_person))
        .order_by(Item.position, Item.id)
    )
    receipts = _receipts_by_round(session, meeting.id)
    public_items = []
    for row in item_rows(session, items, today, with_questions=True):
        rounds = tuple(
            PublicRound(
                round=r.vote_round,
                counts=tuple((choice, int(r.counts.get(choice, 0))) for choice in meeting.rules.scale.keys),
                ballots=r.ballots,
                present=r.present,
                satisfaction_num=r.satisfaction_num,
                satisfaction_den=r.satisfaction_den,
                pass_threshold=r.pass_threshold,
                passed=r.passed,
                superseded_reason=r.superseded_reason,
                channels=r.channels,
                receipts=tuple(receipts.get((row.item.id, r.vote_round), ())),
                sheet=figures_of(r, meeting.rules),
            )
            for r in row.results
        )
        public_items.append(
            PublicItem(
                id=row.item.id,
                position=row.item.position,
                title=row.item.title,
                person_name=row.person.name,
                person_department=row.person.department,
                person_position=row.person.position,
                procurement_method=row.item.procurement_method,
                amount=row.item.amount,
                status=row.item.status,
                rounds=rounds,
                questions=tuple(AnsweredQuestion.of(q) for q in row.questions),
                actions=tuple(
                    PublicAction(a.kind, a.status, a.due_date, row.overdue(a)) for a in row.actions
                ),
            )
        )
    public = _summary(meeting, summary.present, summary.evaluated, summary.passed, summary.failed)
    return replace(public, items=tuple(public_items), rules=meeting.rules)


def _receipts_by_round(session: Session, meeting_id: int) -> dict[tuple[int, int], list[str]]:
    """The meeting's receipt codes by (item, round), sorted: one query, no choices."""
    rows = session.execute(
        select(Ballot.item_id, Ballot.vote_round, Ballot.receipt)
        .join(Item, Item.id == Ballot.item_id)
        .where(Item.meeting_id == meeting_id)
        .order_by(Ballot.receipt)
    )
    found: dict[tuple[int, int], list[str]] = {}
    for item_id, vote_round, receipt in rows:
        found.setdefault((item_id, vote_round), []).append(receipt)
    return found
