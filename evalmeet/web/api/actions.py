"""Follow-up actions recorded on an item."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.followup import ActionListOut, ActionOut
from evalmeet.services.followup import actions
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web.api.base import (
    answer,
    body,
    bp,
    documented,
    moderator,
    reader,
)
from evalmeet.web.auth import actor_name


@bp.post("/items/<int:item_id>/actions")
@documented("201", ActionOut)
@moderator
def add_action(item_id: int) -> Any:
    """Record a follow-up action."""
    action = actions.add_action(db.session, item_id, body(), actor_name())
    db.session.commit()
    return answer(ActionOut.of(action), 201)


@bp.get("/items/<int:item_id>/actions")
@documented("200", ActionListOut)
@reader
def list_actions(item_id: int) -> Any:
    """An item's follow-up actions."""
    meetings.get_item(db.session, item_id)
    return answer(
        ActionListOut(actions=[ActionOut.of(a) for a in actions.actions_for_item(db.session, item_id)])
    )


@bp.patch("/actions/<int:action_id>")
@documented("200", ActionOut)
@moderator
def update_action(action_id: int) -> Any:
    """Move an action along (open → in_progress → done → verified) with a note."""
    action = actions.update_action(db.session, action_id, body(), actor_name())
    db.session.commit()
    return answer(ActionOut.of(action))
