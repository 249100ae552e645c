"""Meetings: create, list, read, edit, delete, start, finish, publish."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.meetings import MeetingCreate, MeetingDetailOut, MeetingList, MeetingOut, MeetingUpdate
from evalmeet.schemas.query import PageQuery
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge, paging
from evalmeet.web.api.base import (
    answer,
    body_of,
    bp,
    documented,
    meeting_response,
    moderator,
    reader,
)
from evalmeet.web.auth import actor_name


@bp.post("/meetings")
@documented("201", MeetingDetailOut, json=MeetingCreate)
@moderator
def create_meeting() -> Any:
    """Create a draft meeting."""
    meeting = edge.commit(meetings.create_meeting(db.session, body_of(MeetingCreate), actor_name()))
    return answer(meetings.meeting_detail(db.session, meeting.id), 201)


@bp.get("/meetings")
@documented("200", MeetingList, query=PageQuery, paged=True)
@reader
def list_meetings() -> Any:
    """The meetings, newest first: a JSON array of meetings (contract.md: "meetings").

    Paged by keyset: at most ``limit`` meetings (default 100); the next page's URL comes in
    ``Link: <…>; rel="next"`` (absent on the last page), the previous one's in ``rel="prev"``.
    """
    page = meetings.meetings_page(db.session, paging.api_query(), default=paging.page_size())
    body, status = answer(MeetingList([MeetingOut.of(m) for m in page.rows]))
    return body, status, paging.link_header(page)


@bp.get("/meetings/<int:meeting_id>")
@documented("200", MeetingDetailOut)
@reader
def get_meeting(meeting_id: int) -> Any:
    """One meeting with its items."""
    return answer(meetings.meeting_detail(db.session, meeting_id))


@bp.patch("/meetings/<int:meeting_id>")
@documented("200", MeetingDetailOut, json=MeetingUpdate)
@moderator
def update_meeting(meeting_id: int) -> Any:
    """Edit title, time, place (and the voting rules while draft)."""
    edge.commit(meetings.update_meeting(db.session, meeting_id, body_of(MeetingUpdate), actor_name()))
    return answer(meetings.meeting_detail(db.session, meeting_id))


@bp.delete("/meetings/<int:meeting_id>")
@documented("204")
@moderator
def delete_meeting(meeting_id: int) -> Any:
    """Delete a draft or rehearsal meeting."""
    edge.commit(meetings.delete_meeting(db.session, meeting_id, actor_name()))
    return "", 204


@bp.post("/meetings/<int:meeting_id>/start")
@documented("200", MeetingDetailOut)
@moderator
def start_meeting(meeting_id: int) -> Any:
    """Draft → live."""
    edge.commit(conduct.start_meeting(db.session, meeting_id, actor_name()))
    return meeting_response(meeting_id)


@bp.post("/meetings/<int:meeting_id>/finish")
@documented("200", MeetingDetailOut)
@moderator
def finish_meeting(meeting_id: int) -> Any:
    """Live → closed."""
    edge.commit(conduct.finish_meeting(db.session, meeting_id, actor_name()))
    return meeting_response(meeting_id)


@bp.post("/meetings/<int:meeting_id>/publish")
@documented("200", MeetingDetailOut)
@moderator
def publish_meeting(meeting_id: int) -> Any:
    """Publish a closed meeting on the public disclosure page (厂务公开)."""
    from evalmeet.services.archive import publishing

    edge.commit(publishing.publish(db.session, meeting_id, actor_name()))
    return meeting_response(meeting_id)
