"""Appeals (申诉): a sanctioned person appeals against a sanction before it is final.

An appeal is filed on an action of an appealable kind (a warning, a party or administrative
discipline, a reassignment) within ``days`` China days (``EVALMEET_APPEAL_DAYS``, 15) of the
later of the meeting's end and the action's creation, checked on the day it was filed. One
appeal at a time is pending on an action; the decision is ``upheld``, ``overturned`` or
``modified``, with a reason, and is final. Only an overturned appeal takes the sanction out of
``people_disciplined`` (services/archive/stats.py). Every step leaves a note in the action's
history and an entry in the audit chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, NotFound
from evalmeet.domain.states import APPEALABLE_KINDS, DEFAULT_APPEAL_DAYS
from evalmeet.models import Action, ActionNote, Appeal, Item, Meeting, utcnow
from evalmeet.schemas.appeals import AppealCreate, AppealDecide
from evalmeet.schemas.types import is_id
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, done
from evalmeet.services.followup.actions import get_action

# How the action's history words the steps (the record is kept in Chinese, like the rest of it).
_DECISION_WORDS = {"upheld": "维持原处理", "overturned": "撤销处理", "modified": "变更处理"}


def appealable(action: Action) -> bool:
    """Whether the action's kind is a sanction a person may appeal against."""
    return action.kind in APPEALABLE_KINDS


def deadline(action: Action, meeting: Meeting, days: int = DEFAULT_APPEAL_DAYS) -> date:
    """The last China day an appeal on ``action`` may be filed: ``days`` after the later of the
    meeting's end and the action's creation (a meeting not yet ended counts from the action's
    creation; the deadline only moves later when it ends)."""
    start = clock.china_date(action.created_at) or clock.today()
    ended = clock.china_date(meeting.finished_at)
    if ended is not None and ended > start:
        start = ended
    return start + timedelta(days=days)


def meeting_of(session: Session, action: Action) -> Meeting:
    """The meeting of the action's item."""
    meeting = session.scalar(
        select(Meeting).join(Item, Item.meeting_id == Meeting.id).where(Item.id == action.item_id)
    )
    assert meeting is not None  # an action's item always has a meeting
    return meeting


def appeals_of(session: Session, action_id: int) -> list[Appeal]:
    """An action's appeals, oldest first."""
    return list(session.scalars(select(Appeal).where(Appeal.action_id == action_id).order_by(Appeal.id)))


def appeals_by_action(session: Session, action_ids: Iterable[int]) -> dict[int, list[Appeal]]:
    """The appeals of several actions (each oldest first); actions without any are left out."""
    ids = sorted(set(action_ids))
    out: dict[int, list[Appeal]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for appeal in session.scalars(select(Appeal).where(Appeal.action_id.in_(chunk)).order_by(Appeal.id)):
            out.setdefault(appeal.action_id, []).append(appeal)
    return out


def get_appeal(session: Session, appeal_id: Any) -> Appeal:
    """The appeal or NotFound (``appeal_not_found``)."""
    appeal = session.get(Appeal, appeal_id) if is_id(appeal_id) else None
    if appeal is None:
        raise NotFound(f"appeal {appeal_id} not found", code="appeal_not_found", appeal_id=appeal_id)
    return appeal


def overturned_condition() -> ColumnElement[bool]:
    """``Action`` has an overturned appeal: its sanction no longer counts."""
    return exists().where(Appeal.action_id == Action.id, Appeal.status == "overturned")


def _audit(session: Session, actor: str, event: str, action: Action, appeal: Appeal, **extra: Any) -> None:
    item = session.get(Item, action.item_id)
    payload = {"appeal_id": appeal.id, "action_id": action.id, "status": appeal.status, **extra}
    audit.append(session, actor, event, payload, item.meeting_id if item else None)


def file_appeal(
    session: Session, action_id: Any, data: AppealCreate, actor: str, days: int = DEFAULT_APPEAL_DAYS
) -> Done[Appeal]:
    """File an appeal against a sanction.

    Refused: another kind of action (``appeal_not_allowed``), an appeal already pending
    (``appeal_pending``), a sanction already overturned (``appeal_decided``), a filing day after
    the deadline (``appeal_too_late``).
    """
    action = get_action(session, action_id)
    if not appealable(action):
        raise Conflict(
            f"an action of kind {action.kind} cannot be appealed against",
            code="appeal_not_allowed",
            action_id=action.id,
            kind=action.kind,
        )
    earlier = appeals_of(session, action.id)
    pending = next((a for a in earlier if a.status == "pending"), None)
    if pending is not None:
        raise Conflict(
            f"appeal {pending.id} on action {action.id} is still pending",
            code="appeal_pending",
            action_id=action.id,
            appeal_id=pending.id,
        )
    overturned = next((a for a in earlier if a.status == "overturned"), None)
    if overturned is not None:
        raise Conflict(
            f"the sanction of action {action.id} was already overturned (appeal {overturned.id})",
            code="appeal_decided",
            reason="overturned",
            action_id=action.id,
            appeal_id=overturned.id,
        )
    filed_on = data.filed_on or clock.today()
    last_day = deadline(action, meeting_of(session, action), days)
    if filed_on > last_day:
        raise Conflict(
            f"the appeal was due by {last_day.isoformat()}",
            code="appeal_too_late",
            action_id=action.id,
            deadline=last_day.isoformat(),
            days=days,
            filed_on=filed_on.isoformat(),
        )
    appeal = Appeal(action_id=action.id, statement=data.statement, filed_on=filed_on, filed_by=actor[:64])
    session.add(appeal)
    session.flush()
    session.add(
        ActionNote(
            action_id=action.id, author=actor[:64], note=f"申诉（{filed_on.isoformat()}）：{data.statement}"
        )
    )
    action.updated_at = utcnow()
    _audit(session, actor, "appeal.filed", action, appeal, filed_on=filed_on.isoformat())
    return done(appeal)


def decide_appeal(session: Session, appeal_id: Any, data: AppealDecide, actor: str) -> Done[Appeal]:
    """Decide a pending appeal (``appeal_decided`` when it already was): upheld, overturned or
    modified, with a reason."""
    appeal = get_appeal(session, appeal_id)
    if appeal.status != "pending":
        raise Conflict(
            f"appeal {appeal.id} was already decided ({appeal.status})",
            code="appeal_decided",
            appeal_id=appeal.id,
            status=appeal.status,
        )
    action = get_action(session, appeal.action_id)
    appeal.status = data.decision
    appeal.reason = data.reason
    appeal.decided_at = utcnow()
    appeal.decided_by = actor[:64]
    session.add(
        ActionNote(
            action_id=action.id,
            author=actor[:64],
            note=f"申诉复核结果：{_DECISION_WORDS[data.decision]}。理由：{data.reason}",
        )
    )
    action.updated_at = utcnow()
    session.flush()
    _audit(session, actor, "appeal.decided", action, appeal)
    return done(appeal)
