"""Responsible-person history: every item a person answered for, its results, actions, sanctions.

Only archived meetings count (closed, not rehearsals). A person fails "repeatedly" when two or
more of their archived items failed; the index sorts such people first.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain import clock
from evalmeet.domain.errors import NotFound
from evalmeet.domain.states import DISCIPLINE_KINDS, UNFINISHED_ACTION_STATUSES
from evalmeet.models import Action, Appeal, Item, Meeting, ResponsiblePerson
from evalmeet.models.base import contains_text
from evalmeet.schemas.archive import PeopleFilters
from evalmeet.schemas.query import Cursor, PageQuery
from evalmeet.schemas.types import is_id
from evalmeet.services.archive.search import (
    REPEAT_FAILURES,
    ItemRow,
    archived,
    item_rows,
    meeting_date,
    meeting_date_column,
)
from evalmeet.services.followup import appeals
from evalmeet.services.followup.actions import is_overdue, overdue_condition
from evalmeet.services.paging import DEFAULT_LIMIT, Page, invalid_cursor

# Sanctions on a person (warning included); DISCIPLINE_KINDS are the ones the statistics count.
SANCTION_KINDS = ("party_discipline", "administrative_discipline", "reassignment", "warning")


@dataclass
class PersonSummary:
    """One person's record in numbers."""

    person: ResponsiblePerson
    items: int = 0
    passed: int = 0
    failed: int = 0
    actions_open: int = 0
    actions_overdue: int = 0
    sanctions: Counter[str] = field(default_factory=Counter)
    last_date: datetime | None = None

    @property
    def repeat_failures(self) -> bool:
        """Two or more failed items."""
        return self.failed >= REPEAT_FAILURES

    @property
    def disciplined(self) -> bool:
        """Carries a party or administrative discipline or a reassignment (as the statistics count)."""
        return any(self.sanctions[kind] for kind in DISCIPLINE_KINDS)

    @property
    def sanction_total(self) -> int:
        """Every sanction, warnings included."""
        return sum(self.sanctions.values())


@dataclass
class PersonHistory:
    """A person's page: the summary, every archived item (newest first) and their sanctions."""

    summary: PersonSummary
    rows: list[ItemRow]
    appeals: dict[int, list[Appeal]] = field(default_factory=dict)  # by sanction action id

    @property
    def person(self) -> ResponsiblePerson:
        """The person."""
        return self.summary.person

    @property
    def sanctions(self) -> list[tuple[Action, ItemRow]]:
        """Sanction actions with the item they were imposed for, newest meeting first."""
        return [(action, row) for row in self.rows for action in row.actions if action.kind in SANCTION_KINDS]


def _archived_items(session: Session) -> Any:
    return (
        select(Item)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(*archived())
        .options(selectinload(Item.meeting), selectinload(Item.responsible_person))
        .order_by(meeting_date_column().desc(), Meeting.id.desc(), Item.position, Item.id)
    )


def _summaries(
    items: list[Item], actions: list[Action], today: date, overturned: frozenset[int] = frozenset()
) -> dict[int, PersonSummary]:
    """Each person's figures; a sanction in ``overturned`` (its appeal overturned it) is lifted."""
    out: dict[int, PersonSummary] = {}
    person_of_item: dict[int, int] = {}
    for item in items:
        summary = out.setdefault(item.responsible_person_id, PersonSummary(item.responsible_person))
        person_of_item[item.id] = item.responsible_person_id
        summary.items += 1
        if item.status == "passed":
            summary.passed += 1
        elif item.status == "failed":
            summary.failed += 1
        when = meeting_date(item.meeting)
        if when is not None and (summary.last_date is None or when > summary.last_date):
            summary.last_date = when
    for action in actions:
        summary = out[person_of_item[action.item_id]]
        if action.status in UNFINISHED_ACTION_STATUSES:
            summary.actions_open += 1
        if is_overdue(action, today):
            summary.actions_overdue += 1
        if action.kind in SANCTION_KINDS and action.id not in overturned:
            summary.sanctions[action.kind] += 1
    return out


def _overturned(session: Session, actions: list[Action]) -> frozenset[int]:
    """The sanctions among ``actions`` that an appeal overturned."""
    sanctions = [a.id for a in actions if a.kind in SANCTION_KINDS]
    by_action = appeals.appeals_by_action(session, sanctions)
    return frozenset(i for i, rows in by_action.items() if any(r.status == "overturned" for r in rows))


def _actions_for(session: Session, item_ids: list[int]) -> list[Action]:
    if not item_ids:
        return []
    return list(session.scalars(select(Action).where(Action.item_id.in_(item_ids)).order_by(Action.id)))


def people_index(
    session: Session, filters: PeopleFilters | None = None, today: date | None = None
) -> list[PersonSummary]:
    """Everyone who answered for an archived item: most failures first, then most items, then name.

    ``filters.name`` matches part of the name; ``filters.disciplined_only`` keeps the people the
    statistics count as disciplined (party or administrative discipline, or reassignment).

    Counted by the database (three grouped queries, whatever the archive's size), not by loading
    every archived item and action: ten years are 9,000 items.
    """
    today = today or clock.today()
    filters = filters or PeopleFilters()
    per_person = (
        select(
            Item.responsible_person_id,
            func.count(Item.id),
            func.sum(case((Item.status == "passed", 1), else_=0)),
            func.sum(case((Item.status == "failed", 1), else_=0)),
            func.max(meeting_date_column()),
        )
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(*archived())
        .group_by(Item.responsible_person_id)
    )
    if filters.name:
        per_person = per_person.join(
            ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id
        ).where(contains_text(ResponsiblePerson.name, filters.name))
    counted = {row[0]: row for row in session.execute(per_person)}
    if not counted:
        return []
    persons = {
        p.id: p
        for chunk in _chunks(list(counted))
        for p in session.scalars(select(ResponsiblePerson).where(ResponsiblePerson.id.in_(chunk)))
    }
    out: dict[int, PersonSummary] = {}
    for person_id, items, passed, failed, last in counted.values():
        out[person_id] = PersonSummary(
            persons[person_id],
            items=int(items),
            passed=int(passed or 0),
            failed=int(failed or 0),
            last_date=last,
        )
    archived_actions = (
        select(Item.responsible_person_id)
        .select_from(Action)
        .join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(*archived())
        .group_by(Item.responsible_person_id)
    )
    open_and_overdue = archived_actions.add_columns(
        func.sum(case((Action.status.in_(UNFINISHED_ACTION_STATUSES), 1), else_=0)),
        func.sum(case((overdue_condition(today), 1), else_=0)),
    )
    for person_id, open_n, overdue_n in session.execute(open_and_overdue):
        if person_id in out:
            out[person_id].actions_open = int(open_n or 0)
            out[person_id].actions_overdue = int(overdue_n or 0)
    sanctions = (
        archived_actions.add_columns(Action.kind, func.count(Action.id))
        .where(Action.kind.in_(SANCTION_KINDS), ~appeals.overturned_condition())
        .group_by(Action.kind)
    )
    for person_id, kind, n in session.execute(sanctions):
        if person_id in out:
            out[person_id].sanctions[kind] += int(n)
    people = [s for s in out.values() if s.disciplined or not filters.disciplined_only]
    people.sort(key=people_sort_key)
    return people


def people_sort_key(summary: PersonSummary) -> tuple[int, int, str, int]:
    """The index's order: most failures first, then most items, then name (and id)."""
    return (-summary.failed, -summary.items, summary.person.name, summary.person.id)


PEOPLE_LIST = "people"


def people_page(
    session: Session,
    filters: PeopleFilters | None,
    query: PageQuery,
    *,
    default: int = DEFAULT_LIMIT,
    today: date | None = None,
) -> tuple[Page[PersonSummary], int]:
    """One page of :func:`people_index`, and how many people the whole index holds.

    The page is the ``limit`` people after (or before) the cursor's, keyed by the index's order
    (failures, items, name, id), so a page never repeats or skips a person when others are
    added meanwhile. The figures are counted by the database; only the page's are drawn."""
    everyone = people_index(session, filters, today)
    size = query.limit or default
    cursor = query.cursor
    if cursor is None:
        start, stop = 0, size
    else:
        key = _people_key(cursor)
        keys = [people_sort_key(s) for s in everyone]
        at = bisect.bisect_right(keys, key) if cursor.forward else bisect.bisect_left(keys, key)
        start, stop = (at, at + size) if cursor.forward else (max(0, at - size), at)
        if not cursor.forward and start == 0:
            stop = size  # back at the start: a full first page
    rows = everyone[start:stop]
    page = Page(
        rows,
        next=_people_cursor(rows[-1]) if rows and stop < len(everyone) else None,
        prev=_people_cursor(rows[0], forward=False) if rows and start > 0 else None,
    )
    return page, len(everyone)


def _people_cursor(summary: PersonSummary, *, forward: bool = True) -> Cursor:
    failed, items, name, person_id = people_sort_key(summary)
    return Cursor(list=PEOPLE_LIST, key=(failed, items, name, person_id), forward=forward)


def _people_key(cursor: Cursor) -> tuple[int, int, str, int]:
    if cursor.list != PEOPLE_LIST:
        raise invalid_cursor(f"belongs to another list ({cursor.list!r})")
    key = cursor.key
    if len(key) != 4 or not (
        isinstance(key[0], int)
        and isinstance(key[1], int)
        and isinstance(key[2], str)
        and isinstance(key[3], int)
    ):
        raise invalid_cursor("holds a key of another shape")
    return (key[0], key[1], key[2], key[3])


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def person_history(session: Session, person_id: Any, today: date | None = None) -> PersonHistory:
    """A person's archived items across meetings, with results, actions and sanctions.

    NotFound when the person is unknown or has nothing in the archive (only rehearsals, say).
    """
    today = today or clock.today()
    person = session.get(ResponsiblePerson, person_id) if is_id(person_id) else None
    items = (
        list(session.scalars(_archived_items(session).where(Item.responsible_person_id == person.id)))
        if person is not None
        else []
    )
    if person is None or not items:
        raise NotFound(
            f"person {person_id} has no items in the archive", code="person_not_found", person_id=person_id
        )
    rows = item_rows(session, items, today, with_questions=True)
    actions = [action for row in rows for action in row.actions]
    overturned = _overturned(session, actions)
    summary = _summaries(items, actions, today, overturned).get(person.id, PersonSummary(person))
    sanctions = [a.id for a in actions if a.kind in SANCTION_KINDS]
    return PersonHistory(summary=summary, rows=rows, appeals=appeals.appeals_by_action(session, sanctions))
