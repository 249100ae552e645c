"""Follow-up actions recorded on an item."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.followup import ActionCreate, ActionListOut, ActionOut, ActionUpdate
from evalmeet.services import lists
from evalmeet.services.followup import actions
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, documented, moderator, page_query, reader, route
from evalmeet.web.auth import actor_name


@route("POST", "/items/<int:item_id>/actions", who=moderator)
@documented("201", ActionOut, json=ActionCreate)
def add_action(item_id: int) -> Any:
    """Record a follow-up action."""
    action = edge.commit(actions.add_action(db.session, item_id, body_of(ActionCreate), actor_name()))
    return answer(ActionOut.of(action), 201)


@route("GET", "/items/<int:item_id>/actions", who=reader, exists=meetings.get_item)
@documented("200", ActionListOut, paged=True)
def list_actions(item_id: int) -> Any:
    """An item's follow-up actions, oldest first (whole, or a page of ``limit``)."""
    page = lists.actions_page(db.session, item_id, page_query())
    return answer(ActionListOut(actions=[ActionOut.of(a) for a in page.rows]), page=page)


@route("PATCH", "/actions/<int:action_id>", who=moderator)
@documented("200", ActionOut, json=ActionUpdate)
def update_action(action_id: int) -> Any:
    """Move an action along (open → in_progress → done → verified) with a note."""
    action = edge.commit(actions.update_action(db.session, action_id, body_of(ActionUpdate), actor_name()))
    return answer(ActionOut.of(action))
