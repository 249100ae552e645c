"""Responsible-person history: every item a person answered for, its results, actions, sanctions.

Only archived meetings count (closed, not rehearsals). A person fails "repeatedly" when two or
more of their archived items failed; the index sorts such people first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain import clock
from evalmeet.domain.errors import NotFound
from evalmeet.domain.states import DISCIPLINE_KINDS, UNFINISHED_ACTION_STATUSES
from evalmeet.models import Action, Appeal, Item, Meeting, ResponsiblePerson
from evalmeet.models.base import contains_text
from evalmeet.schemas.archive import PeopleFilters
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
from evalmeet.services.followup.actions import is_overdue

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
    """
    today = today or clock.today()
    stmt = _archived_items(session)
    filters = filters or PeopleFilters()
    if filters.name:
        stmt = stmt.join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id).where(
            contains_text(ResponsiblePerson.name, filters.name)
        )
    items = list(session.scalars(stmt))
    actions = _actions_for(session, [i.id for i in items])
    summaries = _summaries(items, actions, today, _overturned(session, actions))
    people = [s for s in summaries.values() if s.disciplined or not filters.disciplined_only]
    people.sort(key=lambda s: (-s.failed, -s.items, s.person.name, s.person.id))
    return people


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
