"""Follow-up actions on items: create, move through their states, keep their history.

Every change leaves an :class:`ActionNote` (the action's history, shown on its page) and an
audit entry. Edits of the owner, the due date or the description are written into the note as
"old → new" lines, in Chinese like the rest of the record, so the history alone tells what the
action said at any time.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.domain.states import ACTION_STATUSES, UNFINISHED_ACTION_STATUSES, check_action_move
from evalmeet.models import Action, ActionNote, Item, utcnow
from evalmeet.schemas.followup import ActionCreate, ActionUpdate
from evalmeet.schemas.types import is_id
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, done
from evalmeet.services.meetings.meeting import get_item

# How edited fields are named in the history (the record is kept in Chinese).
_FIELD_NAMES = {
    "owner": "负责人",
    "owner_email": "负责人邮箱",
    "due_date": "完成期限",
    "description": "措施内容",
    "outcome_amount": "重新招标成交价（元）",
}
# Only a re-tender reaches a new price (its saving: the item's amount minus it).
OUTCOME_KINDS = ("retender",)


def add_action(session: Session, item_id: Any, data: ActionCreate, actor: str) -> Done[Action]:
    """Record a follow-up action on an item."""
    item = get_item(session, item_id)
    action = Action(item_id=item.id, **data.model_dump())
    session.add(action)
    session.flush()
    session.add(ActionNote(action_id=action.id, author=actor[:64], status_to="open", note="created"))
    audit.append(
        session,
        actor,
        "action.created",
        {"action_id": action.id, "item_id": item.id, "kind": action.kind},
        item.meeting_id,
    )
    return done(action)


def get_action(session: Session, action_id: Any) -> Action:
    """The action or NotFound."""
    action = session.get(Action, action_id) if is_id(action_id) else None
    if action is None:
        raise NotFound(f"action {action_id} not found", code="action_not_found", action_id=action_id)
    return action


def _shown(value: object) -> str:
    """A field's value as the history writes it (``—`` for empty)."""
    if value is None or value == "":
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


def _change_line(field: str, old: object, new: object) -> str:
    name = _FIELD_NAMES[field]
    if field == "description":
        return f"{name}修改，原为：{_shown(old)}\n现为：{_shown(new)}"
    return f"{name}：{_shown(old)} → {_shown(new)}"


def update_action(session: Session, action_id: Any, data: ActionUpdate, actor: str) -> Done[Action]:
    """Change status and/or details; every change leaves a note in the history.

    A call that changes nothing and carries no note writes nothing (a resent form is harmless).
    """
    action = get_action(session, action_id)
    before = action.status
    note = data.note
    if data.status is not None:
        check_action_move(action.id, action.status, data.status)
        action.status = data.status
    updates = data.changes()
    if updates.get("outcome_amount") is not None and action.kind not in OUTCOME_KINDS:
        raise ValidationFailed(
            f"action {action.id} is a {action.kind}: only a re-tender records an outcome amount",
            field="outcome_amount",
            reason="not_retender",
        )
    changed = [field for field, value in updates.items() if getattr(action, field) != value]
    lines = [_change_line(field, getattr(action, field), updates[field]) for field in changed]
    for field in changed:
        setattr(action, field, updates[field])
    moved = before != action.status
    if not moved and not changed and not note:
        return done(action)
    action.updated_at = utcnow()
    session.add(
        ActionNote(
            action_id=action.id,
            author=actor[:64],
            status_from=before if moved else None,
            status_to=action.status if moved else None,
            note="\n".join([note, *lines] if note else lines),
        )
    )
    session.flush()
    item = session.get(Item, action.item_id)
    audit.append(
        session,
        actor,
        "action.updated",
        {"action_id": action.id, "from": before, "to": action.status, "fields": changed, "noted": bool(note)},
        item.meeting_id if item else None,
    )
    return done(action)


def is_overdue(action: Action, today: date | None = None) -> bool:
    """Past its due date and still open or in progress (contract.md; due today is not overdue,
    done/verified never are). ``today``: the clock's China day unless given."""
    return days_overdue(action, today) > 0


def days_overdue(action: Action, today: date | None = None) -> int:
    """How many days an unfinished action is past its due date (0 when it is not overdue)."""
    today = today or clock.today()
    if action.due_date is None or action.status not in UNFINISHED_ACTION_STATUSES:
        return 0
    return max(0, (today - action.due_date).days)


def overdue_condition(today: date) -> ColumnElement[bool]:
    """:func:`is_overdue` as a condition on ``Action``, for queries."""
    return and_(
        Action.status.in_(UNFINISHED_ACTION_STATUSES), Action.due_date.is_not(None), Action.due_date < today
    )


def allowed_moves(status: str) -> list[str]:
    """The statuses an action in ``status`` may move to, in workflow order (for the status form)."""
    allowed = []
    for target in ACTION_STATUSES:
        if target == status:
            continue
        try:
            check_action_move(0, status, target)
        except Conflict:  # a refused move is simply not offered
            continue
        allowed.append(target)
    return allowed


def actions_for_item(session: Session, item_id: int) -> list[Action]:
    """An item's actions, oldest first."""
    return list(session.scalars(select(Action).where(Action.item_id == item_id).order_by(Action.id)))
