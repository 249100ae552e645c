"""Archived meetings: the list (with attendance and outcome counts) and one meeting's record."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain import clock
from evalmeet.domain.errors import NotFound
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.models import Item, Meeting, Representative
from evalmeet.schemas.archive import ArchiveFilters
from evalmeet.schemas.types import is_id
from evalmeet.services.archive.search import (
    PAGE_SIZE,
    ItemRow,
    archived,
    date_conditions,
    item_rows,
    meeting_date,
    meeting_date_column,
)
from evalmeet.services.archive.stats import meetings_and_attendances


@dataclass
class MeetingSummary:
    """An archived meeting with its attendance and outcome counts."""

    meeting: Meeting
    present: int
    roster: int
    evaluated: int
    passed: int
    failed: int

    @property
    def date(self) -> datetime | None:
        """The meeting's date."""
        return meeting_date(self.meeting)


@dataclass
class MeetingsPage:
    """A page of archived meetings, with totals over every match."""

    filters: ArchiveFilters
    rows: list[MeetingSummary]
    total: int
    attendances: int
    page: int
    pages: int


def _count_by_meeting(session: Session, stmt: Select[int, int]) -> dict[int, int]:
    return {int(mid): int(n) for mid, n in session.execute(stmt).all()}


def meeting_summaries(session: Session, meetings: list[Meeting]) -> list[MeetingSummary]:
    """Attendance and outcome counts for the given meetings, in bulk."""
    ids = [m.id for m in meetings]
    if not ids:
        return []
    present = _count_by_meeting(
        session,
        select(Representative.meeting_id, func.count())
        .where(Representative.meeting_id.in_(ids), Representative.present.is_(True))
        .group_by(Representative.meeting_id),
    )
    roster = _count_by_meeting(
        session,
        select(Representative.meeting_id, func.count())
        .where(Representative.meeting_id.in_(ids), Representative.revoked.is_(False))
        .group_by(Representative.meeting_id),
    )
    outcomes: dict[int, dict[str, int]] = defaultdict(dict)
    for mid, status, n in session.execute(
        select(Item.meeting_id, Item.status, func.count())
        .where(Item.meeting_id.in_(ids), Item.status.in_(DECIDED_ITEM_STATUSES))
        .group_by(Item.meeting_id, Item.status)
    ):
        outcomes[mid][status] = int(n)
    return [
        MeetingSummary(
            meeting=m,
            present=present.get(m.id, 0),
            roster=roster.get(m.id, 0),
            evaluated=sum(outcomes[m.id].values()),
            passed=outcomes[m.id].get("passed", 0),
            failed=outcomes[m.id].get("failed", 0),
        )
        for m in meetings
    ]


def meetings_in_range(session: Session, filters: ArchiveFilters, page_size: int = PAGE_SIZE) -> MeetingsPage:
    """Archived meetings within the filters' date range (other filters do not apply)."""
    when = meeting_date_column()
    conds = [*archived(), *date_conditions(filters)]
    ids = select(Meeting.id).where(*conds)
    total, attendances = meetings_and_attendances(session, ids)
    pages = max(1, -(-total // page_size))
    page = min(filters.page, pages)
    meetings = list(
        session.scalars(
            select(Meeting)
            .where(*conds)
            .order_by(when.desc(), Meeting.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    only_dates = ArchiveFilters(date_from=filters.date_from, date_to=filters.date_to, page=page)
    return MeetingsPage(
        filters=only_dates,
        rows=meeting_summaries(session, meetings),
        total=total,
        attendances=attendances,
        page=page,
        pages=pages,
    )


@dataclass
class MeetingRecord:
    """Everything the archive shows about one meeting."""

    summary: MeetingSummary
    attendees: list[str]
    items: list[ItemRow]

    @property
    def meeting(self) -> Meeting:
        """The meeting itself."""
        return self.summary.meeting

    @property
    def overdue_count(self) -> int:
        """Overdue actions across the meeting's items."""
        return sum(row.overdue_count for row in self.items)


def archived_meeting(session: Session, meeting_id: Any) -> Meeting:
    """A closed, non-rehearsal meeting, or NotFound (drafts, live meetings and rehearsals alike)."""
    meeting = session.get(Meeting, meeting_id) if is_id(meeting_id) else None
    if meeting is None or meeting.status != "closed" or meeting.rehearsal:
        raise NotFound(
            f"meeting {meeting_id} is not in the archive",
            code="meeting_not_found",
            reason="not_archived",
            meeting_id=meeting_id,
        )
    return meeting


def meeting_record(session: Session, meeting_id: Any, today: date | None = None) -> MeetingRecord:
    """An archived meeting: attendance, every item with results, questions and actions."""
    today = today or clock.today()
    meeting = archived_meeting(session, meeting_id)
    items = session.scalars(
        select(Item)
        .where(Item.meeting_id == meeting.id)
        .options(selectinload(Item.responsible_person))
        .order_by(Item.position, Item.id)
    )
    attendees = list(
        session.scalars(
            select(Representative.name)
            .where(Representative.meeting_id == meeting.id, Representative.present.is_(True))
            .order_by(Representative.name, Representative.id)
        )
    )
    return MeetingRecord(
        summary=meeting_summaries(session, [meeting])[0],
        attendees=attendees,
        items=item_rows(session, items, today, with_questions=True),
    )
