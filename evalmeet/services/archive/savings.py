"""What re-tenders saved: the item's amount minus the price the new tender reached.

A saving counts once the re-tender is ``verified`` and has its ``outcome_amount``, on an item
with an ``amount``, in the archive's meetings (closed, not rehearsals) — the same meetings as
every other figure of ``GET /api/v1/stats``. A dearer re-tender saves a negative amount. Sums are
:class:`~decimal.Decimal`, never floats; by year (of the meeting's date, China time) and by the
responsible person's department, each with the follow-up register's query listing the actions
behind it (``/actions?savings=1&year=…&department=…``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.models import Action, Item, Meeting, ResponsiblePerson
from evalmeet.schemas.archive import NO_DEPARTMENT
from evalmeet.services.archive.search import archived, day_start, meeting_date_column

CENT = Decimal("0.01")


def savings_condition() -> ColumnElement[bool]:
    """Conditions on ``Action``, ``Item`` and ``Meeting`` for the actions whose saving counts."""
    return and_(
        *archived(),
        Action.kind == "retender",
        Action.status == "verified",
        Action.outcome_amount.is_not(None),
        Item.amount.is_not(None),
    )


def year_condition(year: int) -> ColumnElement[bool]:
    """Meetings dated in ``year`` (China time)."""
    when = meeting_date_column()
    return and_(when >= day_start(date(year, 1, 1)), when < day_start(date(year + 1, 1, 1)))


def department_condition(department: str) -> ColumnElement[bool]:
    """Items whose responsible person is of ``department`` (blank ones: ``NO_DEPARTMENT``)."""
    if department == NO_DEPARTMENT:
        return or_(
            ResponsiblePerson.department.in_(("", NO_DEPARTMENT)), ResponsiblePerson.department.is_(None)
        )
    return ResponsiblePerson.department == department


def saving(amount: Decimal, outcome: Decimal) -> Decimal:
    """What one re-tender saved, to the cent."""
    return (Decimal(amount) - Decimal(outcome)).quantize(CENT)


@dataclass
class SavingsGroup:
    """The savings of one year or one department, and the register's query for its actions."""

    key: str
    amount: Decimal = Decimal("0.00")
    actions: int = 0
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Savings:
    """The total and its breakdowns."""

    total: Decimal
    actions: int
    years: list[SavingsGroup]
    departments: list[SavingsGroup]


def _rows(session: Session) -> list[tuple[Decimal, Decimal, object, str | None]]:
    stmt = (
        select(Item.amount, Action.outcome_amount, meeting_date_column(), ResponsiblePerson.department)
        .select_from(Action)
        .join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
        .where(savings_condition())
    )
    return [tuple(row) for row in session.execute(stmt).all()]  # type: ignore[misc]


def total(session: Session) -> Decimal:
    """The sum of every counted saving (``GET /api/v1/stats``'s ``savings``)."""
    return sum((saving(amount, outcome) for amount, outcome, _w, _d in _rows(session)), Decimal("0.00"))


def build(session: Session) -> Savings:
    """The total, by year (oldest first) and by department (largest saving first)."""
    years: dict[str, SavingsGroup] = {}
    departments: dict[str, SavingsGroup] = {}
    grand = Decimal("0.00")
    rows = _rows(session)
    for amount, outcome, when, department in rows:
        value = saving(amount, outcome)
        grand += value
        year = str(clock.to_china(when).year)  # type: ignore[arg-type]
        dept = department or NO_DEPARTMENT
        for group in (
            years.setdefault(year, SavingsGroup(year, query={"savings": "1", "year": year})),
            departments.setdefault(dept, SavingsGroup(dept, query={"savings": "1", "department": dept})),
        ):
            group.amount += value
            group.actions += 1
    return Savings(
        total=grand,
        actions=len(rows),
        years=[years[key] for key in sorted(years)],
        departments=sorted(departments.values(), key=lambda g: (-g.amount, g.key)),
    )
