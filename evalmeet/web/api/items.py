"""Agenda items: add, read, edit, reorder."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.items import ItemCreate, ItemUpdate, ReorderBody
from evalmeet.schemas.meetings import ItemListOut, ItemOut
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge
from evalmeet.web.api.base import (
    answer,
    body_of,
    bp,
    documented,
    moderator,
    reader,
    tender_threshold,
)
from evalmeet.web.auth import actor_name


@bp.post("/meetings/<int:meeting_id>/items")
@documented("201", ItemOut, json=ItemCreate)
@moderator
def add_item(meeting_id: int) -> Any:
    """Add an item; answers with its risk flags."""
    meetings.get_meeting(db.session, meeting_id)  # an unknown meeting is a 404 whatever the body
    data = body_of(ItemCreate)
    item = edge.commit(agenda.add_item(db.session, meeting_id, data, actor_name(), tender_threshold()))
    return answer(ItemOut.of(item), 201)


@bp.get("/items/<int:item_id>")
@documented("200", ItemOut)
@reader
def get_item(item_id: int) -> Any:
    """One item."""
    return answer(ItemOut.of(meetings.get_item(db.session, item_id)))


@bp.patch("/items/<int:item_id>")
@documented("200", ItemOut, json=ItemUpdate)
@moderator
def update_item(item_id: int) -> Any:
    """Edit an item that has not been voted on."""
    meetings.get_item(db.session, item_id)
    data = body_of(ItemUpdate)
    item = edge.commit(agenda.update_item(db.session, item_id, data, actor_name(), tender_threshold()))
    return answer(ItemOut.of(item))


@bp.put("/meetings/<int:meeting_id>/items/order")
@documented("200", ItemListOut, json=ReorderBody)
@moderator
def reorder_items(meeting_id: int) -> Any:
    """Set the running order: ``{"order": [item ids]}``."""
    meetings.get_meeting(db.session, meeting_id)
    data = body_of(ReorderBody)
    items = edge.commit(agenda.reorder_items(db.session, meeting_id, data, actor_name()))
    return answer(ItemListOut(items=[ItemOut.of(i) for i in items]))
