"""Totals over closed meetings, as ``/api/v1/stats`` and the dashboard show them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.states import DECIDED_ITEM_STATUSES, DISCIPLINE_KINDS, UNFINISHED_ACTION_STATUSES
from evalmeet.models import Action, Appeal, Item, Meeting, Representative
from evalmeet.services.archive import savings
from evalmeet.services.followup.actions import overdue_condition
from evalmeet.services.followup.appeals import overturned_condition


def _closed_meetings() -> Select[Any]:
    return select(Meeting.id).where(Meeting.status == "closed", Meeting.rehearsal.is_(False))


def meetings_and_attendances(session: Session, meeting_ids: Select[Any]) -> tuple[int, int]:
    """How many meetings ``meeting_ids`` selects, and how many representatives were present at
    them (the contract's ``attendances``)."""
    meetings = session.scalar(select(func.count()).select_from(meeting_ids.subquery())) or 0
    attendances = (
        session.scalar(
            select(func.count())
            .select_from(Representative)
            .where(Representative.meeting_id.in_(meeting_ids), Representative.present.is_(True))
        )
        or 0
    )
    return int(meetings), int(attendances)


def totals(session: Session, today: date | None = None) -> dict[str, Any]:
    """The headline figures (counts, and ``savings``: yuan, two decimals, signed, as the API
    writes it); rehearsals never count."""
    today = today or clock.today()
    closed_ids = _closed_meetings()
    meetings, attendances = meetings_and_attendances(session, closed_ids)
    decided = (
        select(Item.status, func.count())
        .where(Item.meeting_id.in_(closed_ids), Item.status.in_(DECIDED_ITEM_STATUSES))
        .group_by(Item.status)
    )
    by_status = dict(session.execute(decided).all())
    disciplined = (
        session.scalar(
            select(func.count(distinct(Item.responsible_person_id)))
            .select_from(Action)
            .join(Item, Item.id == Action.item_id)
            .where(
                Item.meeting_id.in_(closed_ids),
                Action.kind.in_(DISCIPLINE_KINDS),
                ~overturned_condition(),  # an overturned appeal lifts it; pending/modified still count
            )
        )
        or 0
    )
    action_base = (
        select(func.count())
        .select_from(Action)
        .join(Item, Item.id == Action.item_id)
        .where(Item.meeting_id.in_(closed_ids))
    )
    actions_open = session.scalar(action_base.where(Action.status.in_(UNFINISHED_ACTION_STATUSES))) or 0
    actions_overdue = session.scalar(action_base.where(overdue_condition(today))) or 0
    appeals_pending = (
        session.scalar(
            select(func.count())
            .select_from(Appeal)
            .join(Action, Action.id == Appeal.action_id)
            .join(Item, Item.id == Action.item_id)
            .where(Item.meeting_id.in_(closed_ids), Appeal.status == "pending")
        )
        or 0
    )
    passed = int(by_status.get("passed", 0))
    failed = int(by_status.get("failed", 0))
    return {
        "meetings": meetings,
        "attendances": attendances,
        "items": passed + failed,
        "items_passed": passed,
        "items_failed": failed,
        "people_disciplined": int(disciplined),
        "actions_open": int(actions_open),
        "actions_overdue": int(actions_overdue),
        "appeals_pending": int(appeals_pending),
        "savings": f"{savings.total(session):.2f}",
    }
