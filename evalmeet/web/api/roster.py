"""The roster: representatives and their join links."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.meetings import RepresentativeOut, RosterOut
from evalmeet.schemas.roster import RepresentativeCreate, RepresentativeUpdate
from evalmeet.services import lists
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import roster
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, documented, moderator, page_query, route
from evalmeet.web.auth import actor_name
from evalmeet.web.links import join_url


def _out(rep: Any) -> RepresentativeOut:
    return RepresentativeOut.of(rep, join_url(rep.join_token))


@route("POST", "/meetings/<int:meeting_id>/representatives", who=moderator, exists=meetings.get_meeting)
@documented("201", RepresentativeOut, json=RepresentativeCreate)
def add_representative(meeting_id: int) -> Any:
    """Add a representative; answers with the personal join link."""
    data = body_of(RepresentativeCreate)
    rep = edge.commit(roster.add_representative(db.session, meeting_id, data, actor_name()))
    return answer(_out(rep), 201)


@route("GET", "/meetings/<int:meeting_id>/representatives", who=moderator, exists=meetings.get_meeting)
@documented("200", RosterOut, paged=True)
def list_representatives(meeting_id: int) -> Any:
    """The roster with join links (moderators only: the links are credentials); whole, or a
    page of ``limit`` with ``Link: <…>; rel="next"``."""
    page = lists.representatives_page(db.session, meeting_id, page_query())
    return answer(RosterOut(representatives=[_out(rep) for rep in page.rows]), page=page)


@route("PATCH", "/representatives/<int:rep_id>", who=moderator, exists=meetings.get_representative)
@documented("200", RepresentativeOut, json=RepresentativeUpdate)
def update_representative(rep_id: int) -> Any:
    """Edit a roster entry; ``present`` marks attendance by hand; ``revoked`` stops the link."""
    data = body_of(RepresentativeUpdate)
    rep = edge.commit(roster.update_representative(db.session, rep_id, data, actor_name()))
    return answer(_out(rep))
