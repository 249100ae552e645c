"""Meetings: create, list, read, edit, delete, start, finish, publish."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from evalmeet.extensions import db
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings.presenters import (
    meeting_dict,
)
from evalmeet.web.api.base import (
    body,
    bp,
    commit_and_show,
    meeting_response,
    moderator,
    reader,
)
from evalmeet.web.auth import actor_name


@bp.post("/meetings")
@moderator
def create_meeting() -> Any:
    """Create a draft meeting."""
    meeting = meetings.create_meeting(db.session, body(), actor_name())
    db.session.commit()
    return meeting_response(meeting.id, 201)


@bp.get("/meetings")
@reader
def list_meetings() -> Any:
    """Every meeting, newest first: a JSON array of meetings (contract.md: "meetings")."""
    return jsonify([meeting_dict(m) for m in meetings.list_meetings(db.session)])


@bp.get("/meetings/<int:meeting_id>")
@reader
def get_meeting(meeting_id: int) -> Any:
    """One meeting with its items."""
    return meeting_response(meeting_id)


@bp.patch("/meetings/<int:meeting_id>")
@moderator
def update_meeting(meeting_id: int) -> Any:
    """Edit title, time, place (and the voting rules while draft)."""
    meetings.update_meeting(db.session, meeting_id, body(), actor_name())
    return commit_and_show(meeting_id)


@bp.delete("/meetings/<int:meeting_id>")
@moderator
def delete_meeting(meeting_id: int) -> Any:
    """Delete a draft or rehearsal meeting."""
    meetings.delete_meeting(db.session, meeting_id, actor_name())
    db.session.commit()
    return "", 204


@bp.post("/meetings/<int:meeting_id>/start")
@moderator
def start_meeting(meeting_id: int) -> Any:
    """Draft → live."""
    conduct.start_meeting(db.session, meeting_id, actor_name())
    return commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/finish")
@moderator
def finish_meeting(meeting_id: int) -> Any:
    """Live → closed."""
    conduct.finish_meeting(db.session, meeting_id, actor_name())
    return commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/publish")
@moderator
def publish_meeting(meeting_id: int) -> Any:
    """Publish a closed meeting on the public disclosure page (厂务公开)."""
    from evalmeet.services.archive import publishing

    publishing.publish(db.session, meeting_id, actor_name())
    db.session.commit()
    return meeting_response(meeting_id)
