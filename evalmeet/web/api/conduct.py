"""Running the meeting: the item on the floor, the question period."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.meetings import MeetingDetailOut
from evalmeet.services.meetings import conduct
from evalmeet.web import edge
from evalmeet.web.api.base import bp, documented, meeting_response, moderator
from evalmeet.web.auth import actor_name


@bp.post("/items/<int:item_id>/present")
@documented("200", MeetingDetailOut)
@moderator
def present_item(item_id: int) -> Any:
    """Put an item on every screen and open questions on it."""
    meeting = edge.commit(conduct.present_item(db.session, item_id, actor_name()))
    return meeting_response(meeting.id)


@bp.post("/meetings/<int:meeting_id>/next")
@documented("200", MeetingDetailOut)
@moderator
def present_next_item(meeting_id: int) -> Any:
    """Move on: present the next item not yet voted on (409 ``no_pending_item`` when none)."""
    edge.commit(conduct.present_next_item(db.session, meeting_id, actor_name()))
    return meeting_response(meeting_id)


@bp.post("/meetings/<int:meeting_id>/clear")
@documented("200", MeetingDetailOut)
@moderator
def clear_stage(meeting_id: int) -> Any:
    """Take the item off every screen (back to idle between items)."""
    edge.commit(conduct.clear_stage(db.session, meeting_id, actor_name()))
    return meeting_response(meeting_id)


@bp.post("/meetings/<int:meeting_id>/questions/open")
@documented("200", MeetingDetailOut)
@moderator
def open_questions(meeting_id: int) -> Any:
    """Open the floor for questions on the item presented."""
    edge.commit(conduct.set_questions_open(db.session, meeting_id, True, actor_name()))
    return meeting_response(meeting_id)


@bp.post("/meetings/<int:meeting_id>/questions/close")
@documented("200", MeetingDetailOut)
@moderator
def close_questions(meeting_id: int) -> Any:
    """Close the floor for questions (phones can no longer send any)."""
    edge.commit(conduct.set_questions_open(db.session, meeting_id, False, actor_name()))
    return meeting_response(meeting_id)
