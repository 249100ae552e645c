"""The roster: representatives and their join links."""

from __future__ import annotations

from typing import Any

from evalmeet.domain.errors import ValidationFailed
from evalmeet.extensions import db
from evalmeet.realtime import broadcast
from evalmeet.schemas.meetings import RepresentativeOut, RosterOut
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web.api.base import (
    answer,
    body,
    bp,
    documented,
    moderator,
)
from evalmeet.web.auth import actor_name
from evalmeet.web.links import join_url


@bp.post("/meetings/<int:meeting_id>/representatives")
@documented("201", RepresentativeOut)
@moderator
def add_representative(meeting_id: int) -> Any:
    """Add a representative; answers with the personal join link."""
    rep = meetings.add_representative(db.session, meeting_id, body(), actor_name())
    db.session.commit()
    broadcast.state_changed(meeting_id)
    return answer(RepresentativeOut.of(rep, join_url(rep.join_token)), 201)


@bp.get("/meetings/<int:meeting_id>/representatives")
@documented("200", RosterOut)
@moderator
def list_representatives(meeting_id: int) -> Any:
    """The roster with join links (moderators only: the links are credentials)."""
    meeting = meetings.get_meeting(db.session, meeting_id)
    roster = [RepresentativeOut.of(r, join_url(r.join_token)) for r in meeting.representatives]
    return answer(RosterOut(representatives=roster))


@bp.patch("/representatives/<int:rep_id>")
@documented("200", RepresentativeOut)
@moderator
def update_representative(rep_id: int) -> Any:
    """Edit a roster entry; ``present`` marks attendance by hand; ``revoked`` stops the link."""
    data = body()
    rep = meetings.get_representative(db.session, rep_id)
    fields = {k: v for k, v in data.items() if k in ("name", "employee_no", "department")}
    if fields:
        meetings.update_representative(db.session, rep_id, fields, actor_name())
    if "present" in data:
        if not isinstance(data["present"], bool):
            raise ValidationFailed("present must be true or false", field="present", reason="not_yes_no")
        conduct.set_present(db.session, rep_id, data["present"], actor_name())
    if data.get("revoked") is True:
        meetings.revoke_representative(db.session, rep_id, actor_name())
    db.session.commit()
    broadcast.state_changed(rep.meeting_id)
    if data.get("revoked") is True:
        broadcast.token_revoked(rep.meeting_id, rep.id)
    return answer(RepresentativeOut.of(rep, join_url(rep.join_token)))
