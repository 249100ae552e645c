"""Running the meeting: the item on the floor, the question period."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.meetings import MeetingDetailOut
from evalmeet.services.events import Done
from evalmeet.services.meetings import conduct
from evalmeet.web import edge
from evalmeet.web.api.base import documented, meeting_response, meeting_step, moderator, route
from evalmeet.web.auth import actor_name


@route("POST", "/items/<int:item_id>/present", who=moderator)
@documented("200", MeetingDetailOut)
def present_item(item_id: int) -> Any:
    """Put an item on every screen and open questions on it."""
    meeting = edge.commit(conduct.present_item(db.session, item_id, actor_name()))
    return meeting_response(meeting.id)


@meeting_step("/meetings/<int:meeting_id>/next")
def present_next_item(meeting_id: int) -> Done[Any]:
    """Move on: present the next item not yet voted on (409 ``no_pending_item`` when none)."""
    return conduct.present_next_item(db.session, meeting_id, actor_name())


@meeting_step("/meetings/<int:meeting_id>/clear")
def clear_stage(meeting_id: int) -> Done[Any]:
    """Take the item off every screen (back to idle between items)."""
    return conduct.clear_stage(db.session, meeting_id, actor_name())


@meeting_step("/meetings/<int:meeting_id>/questions/open")
def open_questions(meeting_id: int) -> Done[Any]:
    """Open the floor for questions on the item presented."""
    return conduct.set_questions_open(db.session, meeting_id, True, actor_name())


@meeting_step("/meetings/<int:meeting_id>/questions/close")
def close_questions(meeting_id: int) -> Done[Any]:
    """Close the floor for questions (phones can no longer send any)."""
    return conduct.set_questions_open(db.session, meeting_id, False, actor_name())
