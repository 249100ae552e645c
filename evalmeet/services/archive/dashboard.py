"""The statistics dashboard: the headline totals plus breakdowns, the figures behind the charts.

The headline figures are exactly :func:`evalmeet.services.archive.stats.totals` (the numbers behind
``GET /api/v1/stats``). The breakdowns count evaluated (passed or failed) items of archived
meetings, by month of the meeting (China time), by procurement method and by the responsible
person's department; every one carries the archive query that lists the items behind it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.states import ACTION_STATUSES, DECIDED_ITEM_STATUSES, PROCUREMENT_METHODS
from evalmeet.models import Action, Item, Meeting, ResponsiblePerson
from evalmeet.services.archive import savings, stats
from evalmeet.services.archive.search import (
    NO_DEPARTMENT,
    NO_METHOD,
    archived,
    joined,
    meeting_date_column,
    percent,
)
from evalmeet.services.followup.actions import overdue_condition


@dataclass
class Breakdown:
    """Evaluated items in one group (a month, a method, a department) and how they went."""

    key: str
    passed: int = 0
    failed: int = 0
    query: dict[str, str] = field(default_factory=dict)

    @property
    def evaluated(self) -> int:
        """Passed plus failed."""
        return self.passed + self.failed

    @property
    def rate(self) -> Fraction | None:
        """Pass rate as an exact fraction (None when nothing was evaluated)."""
        return Fraction(self.passed, self.evaluated) if self.evaluated else None

    @property
    def rate_text(self) -> str:
        """``"75.0%"``."""
        return percent(self.rate)


@dataclass
class Dashboard:
    """Everything the dashboard shows."""

    totals: dict[str, Any]
    months: list[Breakdown]
    methods: list[Breakdown]
    departments: list[Breakdown]
    action_status: dict[str, int]
    overdue: int
    today: date
    savings: savings.Savings | None = None

    @property
    def pass_rate(self) -> Fraction | None:
        """Passed / evaluated over everything."""
        evaluated = self.totals["items"]
        return Fraction(self.totals["items_passed"], evaluated) if evaluated else None

    @property
    def actions_total(self) -> int:
        """Every follow-up action on archived items."""
        return sum(self.action_status.values())


def month_query(key: str) -> dict[str, str]:
    """The archive's date range for a month key ``YYYY-MM``."""
    year, month = (int(part) for part in key.split("-"))
    last = calendar.monthrange(year, month)[1]
    return {"from": f"{key}-01", "to": f"{key}-{last:02d}"}


def _add(group: Breakdown, passed: Any, evaluated: Any) -> None:
    group.passed += int(passed or 0)
    group.failed += int(evaluated) - int(passed or 0)


def build(session: Session, today: date | None = None) -> Dashboard:
    """Totals (as the API), pass rates by month, method and department, and action counts."""
    today = today or clock.today()
    totals = stats.totals(session, today)
    # Counted by the database, grouped by meeting (its month is China time, reckoned here),
    # by method and by department: a few hundred rows whatever the number of items.
    decided = (*archived(), Item.status.in_(DECIDED_ITEM_STATUSES))
    passed = func.sum(case((Item.status == "passed", 1), else_=0))
    months: dict[str, Breakdown] = {}
    methods: dict[str, Breakdown] = {}
    departments: dict[str, Breakdown] = {}
    by_meeting = (
        select(meeting_date_column(), passed, func.count(Item.id))
        .select_from(Item)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(*decided)
        .group_by(Meeting.id)
    )
    for when, n_passed, n in session.execute(by_meeting):
        month = clock.to_china(when).strftime("%Y-%m")
        _add(months.setdefault(month, Breakdown(month, query=month_query(month))), n_passed, n)
    by_method = joined(select(Item.procurement_method, passed, func.count(Item.id)).select_from(Item))
    for method, n_passed, n in session.execute(by_method.where(*decided).group_by(Item.procurement_method)):
        key = method or NO_METHOD
        _add(methods.setdefault(key, Breakdown(key, query={"method": key})), n_passed, n)
    by_department = joined(
        select(ResponsiblePerson.department, passed, func.count(Item.id)).select_from(Item)
    )
    for department, n_passed, n in session.execute(
        by_department.where(*decided).group_by(ResponsiblePerson.department)
    ):
        key = department or NO_DEPARTMENT
        _add(departments.setdefault(key, Breakdown(key, query={"department": key})), n_passed, n)
    method_order = {m: i for i, m in enumerate((*PROCUREMENT_METHODS, NO_METHOD))}
    # The actions of archived meetings, counted: by status, and those overdue.
    action_count = (
        select(func.count())
        .select_from(Action)
        .join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(*archived())
    )
    by_status = {status: 0 for status in ACTION_STATUSES}
    for count, status in session.execute(
        action_count.add_columns(Action.status).group_by(Action.status)
    ).all():
        by_status[status] = by_status.get(status, 0) + int(count)
    overdue = session.scalar(action_count.where(overdue_condition(today))) or 0
    return Dashboard(
        totals=totals,
        months=[months[key] for key in sorted(months)],
        methods=sorted(methods.values(), key=lambda b: method_order.get(b.key, len(method_order))),
        departments=sorted(departments.values(), key=lambda b: (-b.evaluated, -b.failed, b.key)),
        action_status=by_status,
        overdue=int(overdue),
        today=today,
        savings=savings.build(session),
    )
