"""Agenda items: add, read, edit, reorder."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.items import ItemCreate, ItemUpdate, ReorderBody
from evalmeet.schemas.meetings import ItemListOut, ItemOut
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, documented, moderator, reader, route, tender_threshold
from evalmeet.web.auth import actor_name


@route("POST", "/meetings/<int:meeting_id>/items", who=moderator, exists=meetings.get_meeting)
@documented("201", ItemOut, json=ItemCreate)
def add_item(meeting_id: int) -> Any:
    """Add an item; answers with its risk flags."""
    data = body_of(ItemCreate)
    item = edge.commit(agenda.add_item(db.session, meeting_id, data, actor_name(), tender_threshold()))
    return answer(ItemOut.of(item), 201)


@route("GET", "/items/<int:item_id>", who=reader)
@documented("200", ItemOut)
def get_item(item_id: int) -> Any:
    """One item."""
    return answer(ItemOut.of(meetings.get_item(db.session, item_id)))


@route("PATCH", "/items/<int:item_id>", who=moderator, exists=meetings.get_item)
@documented("200", ItemOut, json=ItemUpdate)
def update_item(item_id: int) -> Any:
    """Edit an item that has not been voted on."""
    data = body_of(ItemUpdate)
    item = edge.commit(agenda.update_item(db.session, item_id, data, actor_name(), tender_threshold()))
    return answer(ItemOut.of(item))


@route("PUT", "/meetings/<int:meeting_id>/items/order", who=moderator, exists=meetings.get_meeting)
@documented("200", ItemListOut, json=ReorderBody)
def reorder_items(meeting_id: int) -> Any:
    """Set the running order: ``{"order": [item ids]}``."""
    items = edge.commit(agenda.reorder_items(db.session, meeting_id, body_of(ReorderBody), actor_name()))
    return answer(ItemListOut(items=[ItemOut.of(i) for i in items]))
