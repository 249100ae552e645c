"""Meetings: create, list, read, edit, delete, start, finish, publish."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.meetings import MeetingCreate, MeetingDetailOut, MeetingList, MeetingOut, MeetingUpdate
from evalmeet.services.events import Done
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge, paging
from evalmeet.web.api.base import (
    answer,
    body_of,
    documented,
    meeting_step,
    moderator,
    page_query,
    reader,
    route,
)
from evalmeet.web.auth import actor_name


@route("POST", "/meetings", who=moderator)
@documented("201", MeetingDetailOut, json=MeetingCreate)
def create_meeting() -> Any:
    """Create a draft meeting."""
    meeting = edge.commit(meetings.create_meeting(db.session, body_of(MeetingCreate), actor_name()))
    return answer(meetings.meeting_detail(db.session, meeting.id), 201)


@route("GET", "/meetings", who=reader)
@documented("200", MeetingList, paged=True)
def list_meetings() -> Any:
    """The meetings, newest first: a JSON array of meetings (contract.md: "meetings").

    Paged by keyset: at most ``limit`` meetings (default 100); the next page's URL comes in
    ``Link: <…>; rel="next"`` (absent on the last page), the previous one's in ``rel="prev"``.
    """
    page = meetings.meetings_page(db.session, page_query(), default=paging.page_size())
    return answer(MeetingList([MeetingOut.of(m) for m in page.rows]), page=page)


@route("GET", "/meetings/<int:meeting_id>", who=reader)
@documented("200", MeetingDetailOut)
def get_meeting(meeting_id: int) -> Any:
    """One meeting with its items."""
    return answer(meetings.meeting_detail(db.session, meeting_id))


@route("PATCH", "/meetings/<int:meeting_id>", who=moderator)
@documented("200", MeetingDetailOut, json=MeetingUpdate)
def update_meeting(meeting_id: int) -> Any:
    """Edit title, time, place (and the voting rules while draft)."""
    edge.commit(meetings.update_meeting(db.session, meeting_id, body_of(MeetingUpdate), actor_name()))
    return answer(meetings.meeting_detail(db.session, meeting_id))


@route("DELETE", "/meetings/<int:meeting_id>", who=moderator)
@documented("204")
def delete_meeting(meeting_id: int) -> Any:
    """Delete a draft or rehearsal meeting."""
    edge.commit(meetings.delete_meeting(db.session, meeting_id, actor_name()))
    return "", 204


@meeting_step("/meetings/<int:meeting_id>/start")
def start_meeting(meeting_id: int) -> Done[Any]:
    """Draft → live."""
    return conduct.start_meeting(db.session, meeting_id, actor_name())


@meeting_step("/meetings/<int:meeting_id>/finish")
def finish_meeting(meeting_id: int) -> Done[Any]:
    """Live → closed."""
    return conduct.finish_meeting(db.session, meeting_id, actor_name())


@meeting_step("/meetings/<int:meeting_id>/publish")
def publish_meeting(meeting_id: int) -> Done[Any]:
    """Publish a closed meeting on the public disclosure page (厂务公开)."""
    from evalmeet.services.archive import publishing

    return publishing.publish(db.session, meeting_id, actor_name())
