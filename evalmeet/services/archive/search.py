"""The archive: closed, non-rehearsal meetings and their items, searchable and filterable.

Everything here reads frozen records (item status, ``ItemResult`` rows, actions); nothing is
recomputed from ballots. Filters are :class:`~evalmeet.schemas.archive.ArchiveFilters`, read
leniently from a query string: a value that cannot be understood is dropped and named in
``problems`` so the page can say so, instead of failing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain import clock
from evalmeet.domain.states import DECIDED_ITEM_STATUSES, UNFINISHED_ACTION_STATUSES
from evalmeet.models import Action, Appeal, Item, ItemResult, Meeting, Question, ResponsiblePerson
from evalmeet.models.base import UTCDateTime, contains_text
from evalmeet.schemas.archive import MAX_YEAR, METHOD_FILTERS, NO_DEPARTMENT, NO_METHOD, ArchiveFilters
from evalmeet.services.archive.sheet_figures import SheetFigures, figures_of
from evalmeet.services.followup import appeals
from evalmeet.services.followup.actions import is_overdue, overdue_condition

# Meetings happen in China: dates in filters and on pages are China days (domain/clock).
PAGE_SIZE = 20
PUBLIC_QUESTION_STATUSES = ("approved", "answered")
# A person with this many failed items "fails repeatedly" (多次未通过).
REPEAT_FAILURES = 2
_S = TypeVar("_S", bound=Select)


# --- shared helpers ---------------------------------------------------------------------------


def meeting_date(meeting: Meeting) -> datetime | None:
    """The date a meeting is filed under: scheduled, else started, else finished, else created."""
    return meeting.scheduled_at or meeting.started_at or meeting.finished_at or meeting.created_at


def meeting_date_column() -> ColumnElement[datetime]:
    """:func:`meeting_date` in SQL."""
    return func.coalesce(
        Meeting.scheduled_at,
        Meeting.started_at,
        Meeting.finished_at,
        Meeting.created_at,
        type_=UTCDateTime(),
    )


def day_start(day: date) -> datetime:
    """Midnight China time at the start of ``day`` (as a UTC instant)."""
    return clock.china_midnight_utc(day)


def archived() -> list[ColumnElement[bool]]:
    """Conditions on ``Meeting`` for the archive: closed and not a rehearsal."""
    return [Meeting.status == "closed", Meeting.rehearsal.is_(False)]


def date_conditions(filters: ArchiveFilters) -> list[ColumnElement[bool]]:
    """Conditions on ``Meeting`` for the filters' date range (whole days, China time)."""
    when = meeting_date_column()
    conds = []
    if filters.date_from:
        conds.append(when >= day_start(filters.date_from))
    if filters.date_to and filters.date_to.year < MAX_YEAR:
        conds.append(when < day_start(filters.date_to + timedelta(days=1)))
    return conds


def percent(value: Fraction | None) -> str:
    """``Fraction(2, 3)`` → ``"66.7%"``, rounded half up from the exact value (display only)."""
    if value is None:
        return "—"
    tenths = int(value * 1000 + Fraction(1, 2))  # floor of a non-negative value
    return f"{tenths // 10}.{tenths % 10}%"


def action_condition(which: str, today: date) -> ColumnElement[bool]:
    """Conditions on ``Action`` for an action filter (see ``ACTION_FILTERS``)."""
    if which == "unresolved":
        return Action.status.in_(UNFINISHED_ACTION_STATUSES)
    if which == "overdue":
        return overdue_condition(today)
    return Action.status == which


# --- item rows --------------------------------------------------------------------------------


@dataclass
class ItemRow:
    """An archived item with its meeting, person, every result round and its actions."""

    item: Item
    meeting: Meeting
    person: ResponsiblePerson
    results: list[ItemResult]
    actions: list[Action]
    today: date
    questions: list[Question] = field(default_factory=list)
    appeals: dict[int, list[Appeal]] = field(default_factory=dict)  # by action id, oldest first

    def sheet(self, result: ItemResult) -> SheetFigures:
        """A round's figures per criterion and per rater group (labelled by the meeting's rules)."""
        return figures_of(result, self.meeting.rules)

    def latest_appeal(self, action: Action) -> Appeal | None:
        """The action's latest appeal (pending, or the last decision), if it was appealed."""
        rows = self.appeals.get(action.id)
        return rows[-1] if rows else None

    @property
    def result(self) -> ItemResult | None:
        """The current (latest) result, or None when never voted."""
        return self.results[-1] if self.results else None

    @property
    def satisfaction(self) -> Fraction | None:
        """The current result's satisfaction as an exact fraction."""
        result = self.result
        if result is None or not result.satisfaction_den:
            return None
        return Fraction(result.satisfaction_num, result.satisfaction_den)

    @property
    def date(self) -> datetime | None:
        """The meeting's date."""
        return meeting_date(self.meeting)

    def overdue(self, action: Action) -> bool:
        """Whether one of this item's actions is overdue."""
        return is_overdue(action, self.today)

    @property
    def overdue_count(self) -> int:
        """How many of this item's actions are overdue."""
        return sum(1 for action in self.actions if self.overdue(action))


def item_rows(
    session: Session, items: Iterable[Item], today: date, *, with_questions: bool = False
) -> list[ItemRow]:
    """Rows for ``items`` (in the given order), loading results, actions and questions in bulk."""
    items = list(items)
    ids = [item.id for item in items]
    results: dict[int, list[ItemResult]] = defaultdict(list)
    actions: dict[int, list[Action]] = defaultdict(list)
    questions: dict[int, list[Question]] = defaultdict(list)
    if ids:
        for result in session.scalars(
            select(ItemResult).where(ItemResult.item_id.in_(ids)).order_by(ItemResult.vote_round)
        ):
            results[result.item_id].append(result)
        for action in session.scalars(select(Action).where(Action.item_id.in_(ids)).order_by(Action.id)):
            actions[action.item_id].append(action)
        if with_questions:
            for question in session.scalars(
                select(Question)
                .where(Question.item_id.in_(ids), Question.status.in_(PUBLIC_QUESTION_STATUSES))
                .order_by(Question.id)
            ):
                questions[question.item_id].append(question)
    appealed = appeals.appeals_by_action(session, [a.id for rows in actions.values() for a in rows])
    return [
        ItemRow(
            item=item,
            meeting=item.meeting,
            person=item.responsible_person,
            results=results[item.id],
            actions=actions[item.id],
            today=today,
            questions=questions[item.id],
            appeals={a.id: appealed[a.id] for a in actions[item.id] if a.id in appealed},
        )
        for item in items
    ]


# --- search -----------------------------------------------------------------------------------


@dataclass
class ArchivePage:
    """One page of matching items, with totals over every match."""

    filters: ArchiveFilters
    rows: list[ItemRow]
    total: int
    passed: int
    failed: int
    matching_actions: int | None
    page: int
    pages: int
    departments: list[str]
    repeat_failures: dict[int, int]
    methods: tuple[str, ...] = METHOD_FILTERS


def _item_conditions(filters: ArchiveFilters, today: date) -> list[ColumnElement[bool]]:
    conds = [*archived(), *date_conditions(filters), Item.status.in_(DECIDED_ITEM_STATUSES)]
    if filters.department:
        if filters.department == NO_DEPARTMENT:
            conds.append(ResponsiblePerson.department.in_(("", NO_DEPARTMENT)))
        else:
            conds.append(ResponsiblePerson.department == filters.department)
    if filters.method:
        if filters.method == NO_METHOD:
            conds.append(or_(Item.procurement_method.is_(None), Item.procurement_method == ""))
        else:
            conds.append(Item.procurement_method == filters.method)
    if filters.result:
        conds.append(Item.status == filters.result)
    if filters.person:
        conds.append(contains_text(ResponsiblePerson.name, filters.person))
    if filters.text:
        needle = filters.text
        asked = exists(
            select(Question.id)
            .where(
                Question.item_id == Item.id,
                Question.status.in_(PUBLIC_QUESTION_STATUSES),
                or_(contains_text(Question.text, needle), contains_text(Question.answer, needle)),
            )
            .correlate(Item)
        )
        conds.append(
            or_(
                contains_text(Meeting.title, needle),
                contains_text(Item.title, needle),
                contains_text(Item.description, needle),
                asked,
            )
        )
    if filters.action:
        conds.append(
            exists(
                select(Action.id)
                .where(Action.item_id == Item.id, action_condition(filters.action, today))
                .correlate(Item)
            )
        )
    return conds


def joined(stmt: _S) -> _S:
    """``stmt`` joined from ``Item`` to its meeting and responsible person."""
    return stmt.join(Meeting, Meeting.id == Item.meeting_id).join(
        ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id
    )


def departments(session: Session) -> list[str]:
    """Departments of the people behind archived items, sorted (blank ones as ``NO_DEPARTMENT``)."""
    names = session.scalars(
        joined(select(ResponsiblePerson.department).select_from(Item)).where(*archived()).distinct()
    )
    return sorted({name or NO_DEPARTMENT for name in names})


def repeat_failures(
    session: Session, person_ids: Iterable[int], at_least: int = REPEAT_FAILURES
) -> dict[int, int]:
    """Failed archived items per person, for the given people with at least ``at_least`` failures."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    counts = session.execute(
        select(Item.responsible_person_id, func.count())
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(*archived(), Item.status == "failed", Item.responsible_person_id.in_(ids))
        .group_by(Item.responsible_person_id)
    ).all()
    return {int(pid): int(n) for pid, n in counts if n >= at_least}


def _matching_actions(
    session: Session, conds: list[ColumnElement[bool]], filters: ArchiveFilters, today: date
) -> int | None:
    """How many actions of the matching items the action filter picks (None without that filter)."""
    if not filters.action:
        return None
    return (
        session.scalar(
            joined(select(func.count()).select_from(Action).join(Item, Item.id == Action.item_id)).where(
                *conds, action_condition(filters.action, today)
            )
        )
        or 0
    )


def search(
    session: Session, filters: ArchiveFilters, today: date | None = None, page_size: int = PAGE_SIZE
) -> ArchivePage:
    """Evaluated items of archived meetings matching every filter, newest meeting first."""
    today = today or clock.today()
    conds = _item_conditions(filters, today)
    by_status: dict[str, int] = dict(
        session.execute(
            joined(select(Item.status, func.count()).select_from(Item)).where(*conds).group_by(Item.status)
        ).all()
    )
    passed, failed = int(by_status.get("passed", 0)), int(by_status.get("failed", 0))
    total = passed + failed
    pages = max(1, -(-total // page_size))
    page = min(filters.page, pages)
    stmt = (
        joined(select(Item))
        .where(*conds)
        .options(selectinload(Item.meeting), selectinload(Item.responsible_person))
        .order_by(meeting_date_column().desc(), Meeting.id.desc(), Item.position, Item.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = item_rows(session, session.scalars(stmt), today)
    return ArchivePage(
        filters=filters.model_copy(update={"page": page}),
        rows=rows,
        total=total,
        passed=passed,
        failed=failed,
        matching_actions=_matching_actions(session, conds, filters, today),
        page=page,
        pages=pages,
        departments=departments(session),
        repeat_failures=repeat_failures(session, (row.person.id for row in rows)),
    )
