"""The roster: putting representatives on it, editing, removing, and their join links.

Each use case returns :class:`~evalmeet.services.events.Done`: every screen of the meeting gets
a fresh snapshot after commit (``MeetingChanged``), and a link that stopped working has its
sockets disconnected (``LinkRevoked``); a link re-issued during the meeting is announced to the
room (``AlertRaised``).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, ValidationFailed, not_one_of
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import Item, Representative
from evalmeet.models.base import new_token
from evalmeet.schemas.roster import RepresentativeCreate, RepresentativeUpdate
from evalmeet.services.accounts import audit
from evalmeet.services.events import (
    AlertRaised,
    Done,
    Event,
    LinkRevoked,
    MeetingChanged,
    RepresentativeChanged,
    done,
)
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings.alerts import record_alert
from evalmeet.services.meetings.meeting import get_meeting, get_representative

MAX_ROSTER = 20_000


def _duplicate(employee_no: str) -> Conflict:
    return Conflict(
        f"employee number {employee_no} is already on this roster",
        code="duplicate_employee_no",
        employee_no=employee_no,
    )


def add_representative(
    session: Session, meeting_id: int, data: RepresentativeCreate, actor: str
) -> Done[Representative]:
    """Put a representative on the roster (draft or live meetings)."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="change the roster")
    size = session.scalar(
        select(func.count()).select_from(Representative).where(Representative.meeting_id == meeting.id)
    )
    if (size or 0) >= MAX_ROSTER:
        raise Conflict(
            f"a roster holds at most {MAX_ROSTER} representatives", code="roster_full", max=MAX_ROSTER
        )
    check_group(meeting.rules.group_keys, data.group)
    rep = Representative(meeting_id=meeting.id, **data.columns())
    try:
        with session.begin_nested():
            session.add(rep)
            session.flush()
    except IntegrityError:
        raise _duplicate(data.employee_no) from None
    audit.append(
        session,
        actor,
        "representative.added",
        {"representative_id": rep.id, "employee_no": rep.employee_no},
        meeting.id,
    )
    return done(rep, MeetingChanged(meeting.id))


def update_representative(
    session: Session, rep_id: int, data: RepresentativeUpdate, actor: str
) -> Done[Representative]:
    """Edit a roster entry with the fields sent; ``present`` takes attendance by hand, and
    ``revoked: true`` stops the link (in that order, as one change)."""
    rep = get_representative(session, rep_id)
    fields: dict[str, str | None] = dict(data.changes())
    if fields.get("ballot", rep.ballot) == rep.ballot:
        fields.pop("ballot", None)
    else:
        _check_no_vote_open(session, rep.meeting_id)
    if "rater_group" in fields:
        fields["rater_group"] = fields["rater_group"] or None
        check_group(rep.meeting.rules.group_keys, fields["rater_group"])
        if fields["rater_group"] == rep.rater_group:
            fields.pop("rater_group")
        else:
            _check_no_vote_open(session, rep.meeting_id, reason="group_switch")
    if fields:
        require_meeting_status(rep.meeting_id, rep.meeting.status, "draft", "live", doing="change the roster")
        try:
            with session.begin_nested():
                for key, value in fields.items():
                    setattr(rep, key, value)
                session.flush()
        except IntegrityError:
            raise _duplicate(fields.get("employee_no") or rep.employee_no) from None
        audit.append(session, actor, "representative.updated", {"representative_id": rep.id}, rep.meeting_id)
    if data.present is not None:
        conduct.set_present(session, rep.id, data.present, actor)
    events: tuple[Event, ...] = (MeetingChanged(rep.meeting_id),)
    if data.present is not None or "ballot" in fields or "rater_group" in fields:
        events = (*events, RepresentativeChanged(rep.meeting_id, rep.id))
    if data.revoked is True:
        events = revoke_representative(session, rep.id, actor).events
    return Done(rep, events)


def check_group(groups: tuple[str, ...], group: str | None) -> None:
    """A representative's group: one of the meeting's groups, required once it has any (422)."""
    if not groups:
        if group:
            raise ValidationFailed("this meeting has no rater groups", field="group", reason="no_groups")
        return
    if not group:
        raise ValidationFailed(
            "group is required: this meeting has rater groups", field="group", reason="required"
        )
    if group not in groups:
        raise not_one_of("group", groups, f"group must be one of: {', '.join(groups)}")


def _check_no_vote_open(session: Session, meeting_id: int, reason: str = "ballot_switch") -> None:
    """Switching between phone and paper (or between rater groups) waits until no vote of the
    meeting is open: the open round's paper sheets are bounded by its paper voters, and its
    electorate and group tallies are fixed."""
    open_item = session.scalar(
        select(Item.id).where(Item.meeting_id == meeting_id, Item.status == "voting").limit(1)
    )
    if open_item is not None:
        raise Conflict(
            f"voting on item {open_item} is open; switch between phone and paper after it closes",
            code="voting_open",
            reason=reason,
            item_id=open_item,
        )


def remove_representative(session: Session, rep_id: int, actor: str) -> Done[None]:
    """Take someone off a draft roster (a live roster revokes instead)."""
    rep = get_representative(session, rep_id)
    require_meeting_status(rep.meeting_id, rep.meeting.status, "draft", doing="remove a representative")
    meeting_id = rep.meeting_id
    session.delete(rep)
    session.flush()
    audit.append(session, actor, "representative.removed", {"representative_id": rep_id}, meeting_id)
    return done(None, MeetingChanged(meeting_id))


def revoke_representative(session: Session, rep_id: int, actor: str) -> Done[Representative]:
    """Revoke a join link (lost phone, wrong person); a new link can be issued."""
    rep = get_representative(session, rep_id)
    rep.revoked = True
    rep.present = False
    session.flush()
    audit.append(session, actor, "representative.revoked", {"representative_id": rep.id}, rep.meeting_id)
    return done(rep, MeetingChanged(rep.meeting_id), LinkRevoked(rep.meeting_id, rep.id))


def reissue_join_token(session: Session, rep_id: int, actor: str) -> Done[Representative]:
    """Give a representative a fresh join link; the old one stops working."""
    rep = get_representative(session, rep_id)
    require_meeting_status(rep.meeting_id, rep.meeting.status, "draft", "live", doing="reissue a link")
    rep.join_token = new_token()
    rep.revoked = False
    session.flush()
    audit.append(session, actor, "representative.reissued", {"representative_id": rep.id}, rep.meeting_id)
    events: tuple[Event, ...] = ()
    if rep.meeting.status == "live":  # announced to the room: a fresh link is a fresh credential
        record_alert(session, rep.meeting_id, "link_reissued", rep, actor)
        events = (AlertRaised(rep.meeting_id),)
    return Done(rep, (*events, MeetingChanged(rep.meeting_id), LinkRevoked(rep.meeting_id, rep.id)))
