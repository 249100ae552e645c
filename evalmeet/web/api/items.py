"""Agenda items: add, read, edit, reorder."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.realtime import broadcast
from evalmeet.schemas.meetings import ItemListOut, ItemOut
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web.api.base import (
    answer,
    body,
    bp,
    documented,
    moderator,
    reader,
    tender_threshold,
)
from evalmeet.web.auth import actor_name


@bp.post("/meetings/<int:meeting_id>/items")
@documented("201", ItemOut)
@moderator
def add_item(meeting_id: int) -> Any:
    """Add an item; answers with its risk flags."""
    item = meetings.add_item(db.session, meeting_id, body(), actor_name(), tender_threshold())
    db.session.commit()
    broadcast.state_changed(meeting_id)
    return answer(ItemOut.of(item), 201)


@bp.get("/items/<int:item_id>")
@documented("200", ItemOut)
@reader
def get_item(item_id: int) -> Any:
    """One item."""
    return answer(ItemOut.of(meetings.get_item(db.session, item_id)))


@bp.patch("/items/<int:item_id>")
@documented("200", ItemOut)
@moderator
def update_item(item_id: int) -> Any:
    """Edit an item that has not been voted on."""
    item = meetings.update_item(db.session, item_id, body(), actor_name(), tender_threshold())
    db.session.commit()
    broadcast.state_changed(item.meeting_id)
    return answer(ItemOut.of(item))


@bp.put("/meetings/<int:meeting_id>/items/order")
@documented("200", ItemListOut)
@moderator
def reorder_items(meeting_id: int) -> Any:
    """Set the running order: ``{"order": [item ids]}``."""
    items = meetings.reorder_items(db.session, meeting_id, body().get("order"), actor_name())
    db.session.commit()
    return answer(ItemListOut(items=[ItemOut.of(i) for i in items]))
