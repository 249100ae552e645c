"""Follow-up actions on items: create, move through their states, keep their history."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import NotFound
from evalmeet.domain.states import ACTION_KINDS, check_action_move
from evalmeet.models import Action, ActionNote, Item, utcnow
from evalmeet.services import audit
from evalmeet.services.meetings import get_item
from evalmeet.services.validate import is_id, mapping, one_of, optional_date, text


def add_action(session: Session, item_id: Any, data: Any, actor: str) -> Action:
    """Record a follow-up action on an item."""
    item = get_item(session, item_id)
    data = mapping(data, "body")
    action = Action(
        item_id=item.id,
        kind=one_of(data.get("kind"), "kind", ACTION_KINDS),
        description=text(data.get("description"), "description", max_len=5000, multiline=True),
        owner=text(data.get("owner"), "owner", max_len=100, required=False),
        due_date=optional_date(data.get("due_date"), "due_date"),
    )
    session.add(action)
    session.flush()
    session.add(ActionNote(action_id=action.id, author=actor, status_to="open", note="created"))
    audit.append(
        session,
        actor,
        "action.created",
        {"action_id": action.id, "item_id": item.id, "kind": action.kind},
        item.meeting_id,
    )
    return action


def get_action(session: Session, action_id: Any) -> Action:
    """The action or NotFound."""
    action = session.get(Action, action_id) if is_id(action_id) else None
    if action is None:
        raise NotFound(f"action {action_id} not found", code="action_not_found")
    return action


def update_action(session: Session, action_id: Any, data: Any, actor: str) -> Action:
    """Change status and/or details; every change leaves a note in the history."""
    action = get_action(session, action_id)
    data = mapping(data, "body")
    before = action.status
    note = text(data.get("note"), "note", max_len=5000, required=False, multiline=True)
    if "status" in data:
        target = data.get("status")
        if not isinstance(target, str):
            target = one_of(target, "status", ("open", "in_progress", "done", "verified"))
        check_action_move(action.id, action.status, target)
        action.status = target
    changed = []
    if "owner" in data:
        action.owner = text(data.get("owner"), "owner", max_len=100, required=False)
        changed.append("owner")
    if "due_date" in data:
        action.due_date = optional_date(data.get("due_date"), "due_date")
        changed.append("due_date")
    if "description" in data:
        action.description = text(data.get("description"), "description", max_len=5000, multiline=True)
        changed.append("description")
    action.updated_at = utcnow()
    detail = note
    if changed:
        detail = (note + "\n" if note else "") + "changed: " + ", ".join(changed)
    session.add(
        ActionNote(
            action_id=action.id,
            author=actor,
            status_from=before if before != action.status else None,
            status_to=action.status if before != action.status else None,
            note=detail,
        )
    )
    session.flush()
    item = session.get(Item, action.item_id)
    audit.append(
        session,
        actor,
        "action.updated",
        {"action_id": action.id, "from": before, "to": action.status, "fields": changed},
        item.meeting_id if item else None,
    )
    return action


def is_overdue(action: Action, today: date | None = None) -> bool:
    """Past its due date and not yet done."""
    today = today or date.today()
    return (
        action.due_date is not None and action.due_date < today and action.status in ("open", "in_progress")
    )


def actions_for_item(session: Session, item_id: int) -> list[Action]:
    """An item's actions, oldest first."""
    return list(session.scalars(select(Action).where(Action.item_id == item_id).order_by(Action.id)))
