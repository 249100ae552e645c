"""Follow-up actions recorded on an item."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.followup import ActionCreate, ActionListOut, ActionOut, ActionUpdate
from evalmeet.schemas.query import PageQuery
from evalmeet.services import lists
from evalmeet.services.followup import actions
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, bp, documented, moderator, page_query, paged_answer, reader
from evalmeet.web.auth import actor_name


@bp.post("/items/<int:item_id>/actions")
@documented("201", ActionOut, json=ActionCreate)
@moderator
def add_action(item_id: int) -> Any:
    """Record a follow-up action."""
    action = edge.commit(actions.add_action(db.session, item_id, body_of(ActionCreate), actor_name()))
    return answer(ActionOut.of(action), 201)


@bp.get("/items/<int:item_id>/actions")
@documented("200", ActionListOut, query=PageQuery, paged=True)
@reader
def list_actions(item_id: int) -> Any:
    """An item's follow-up actions, oldest first (whole, or a page of ``limit``)."""
    meetings.get_item(db.session, item_id)
    page = lists.actions_page(db.session, item_id, page_query())
    return paged_answer(ActionListOut(actions=[ActionOut.of(a) for a in page.rows]), page)


@bp.patch("/actions/<int:action_id>")
@documented("200", ActionOut, json=ActionUpdate)
@moderator
def update_action(action_id: int) -> Any:
    """Move an action along (open → in_progress → done → verified) with a note."""
    action = edge.commit(actions.update_action(db.session, action_id, body_of(ActionUpdate), actor_name()))
    return answer(ActionOut.of(action))
