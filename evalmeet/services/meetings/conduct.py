"""Running a meeting: start, check-in, presenting items, questions phase, finish.

Each use case returns :class:`~evalmeet.services.events.Done`: what it changed and the screens
that must hear of it once the edge has committed (a check-in only moves the attendance, which
no phone shows).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotAllowed, NotFound
from evalmeet.domain.states import DECIDED_ITEM_STATUSES, next_meeting_status, require_meeting_status
from evalmeet.models import Meeting, Representative, utcnow
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.meetings import alerts
from evalmeet.services.meetings.meeting import get_item, get_meeting, get_representative


def start_meeting(session: Session, meeting_id: int, actor: str) -> Done[Meeting]:
    """Draft → live: representatives can now check in."""
    meeting = get_meeting(session, meeting_id, for_update=True)
    status = next_meeting_status(meeting.id, meeting.status, "live")
    if not meeting.representatives:
        raise Conflict(
            f"meeting {meeting.id} has no representatives; add its roster first",
            code="empty_roster",
            meeting_id=meeting.id,
        )
    meeting.status = status
    meeting.started_at = utcnow()
    meeting.phase = "idle"
    session.flush()
    audit.append(session, actor, "meeting.started", {}, meeting.id)
    return done(meeting, MeetingChanged(meeting.id))


def finish_meeting(session: Session, meeting_id: int, actor: str) -> Done[Meeting]:
    """Live → closed; refused while a vote is still open."""
    meeting = get_meeting(session, meeting_id, for_update=True)
    if meeting.status == "live" and any(item.status == "voting" for item in meeting.items):
        open_item = next(item for item in meeting.items if item.status == "voting")
        raise Conflict(
            f"voting on item {open_item.id} is still open; close it before finishing",
            code="voting_open",
            item_id=open_item.id,
        )
    meeting.status = next_meeting_status(meeting.id, meeting.status, "closed")
    meeting.finished_at = utcnow()
    meeting.phase = "idle"
    meeting.current_item_id = None
    meeting.questions_open = False
    session.flush()
    audit.append(session, actor, "meeting.finished", {}, meeting.id)
    return done(meeting, MeetingChanged(meeting.id))


def representative_by_token(session: Session, token: object) -> Representative:
    """The roster entry of a join token; unknown or revoked tokens are refused alike."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("this join link is not valid", code="invalid_token")
    rep = session.scalar(select(Representative).where(Representative.join_token == token))
    if rep is None or rep.revoked:
        raise NotFound("this join link is not valid", code="invalid_token")
    return rep


def check_in(session: Session, rep: Representative, how: str) -> Done[bool]:
    """Mark present when the meeting is live; the value says whether this changed attendance."""
    meeting = rep.meeting
    if meeting.status != "live" or rep.present or rep.revoked:
        return done(False)
    rep.present = True
    rep.checked_in_at = utcnow()
    rep.checked_in_by = how
    session.flush()
    return done(True, MeetingChanged(rep.meeting_id, phones=False))


def phone_connected(session: Session, rep: Representative, device: object) -> Done[bool]:
    """A phone connected to the live channel: check it in, and note the device it came from
    while the meeting is live (a link on a second device raises an alert; see alerts.py)."""
    checked_in = check_in(session, rep, "socket")
    if rep.meeting.status != "live":
        return checked_in
    noted = alerts.note_device(session, rep, device)
    if noted.value is not None:  # the alert's step sends the staff screens a snapshot too
        return done(checked_in.value, *noted.events)
    return checked_in


def set_present(session: Session, rep_id: int, present: bool, actor: str) -> Done[Representative]:
    """The moderator marks someone present (no phone) or absent (left the hall)."""
    rep = get_representative(session, rep_id)
    require_meeting_status(rep.meeting_id, rep.meeting.status, "live", doing="take attendance")
    if rep.revoked:
        raise NotAllowed("this representative's link was revoked", code="revoked", representative_id=rep.id)
    rep.present = present
    if present and rep.checked_in_at is None:
        rep.checked_in_at = utcnow()
        rep.checked_in_by = "moderator"
    session.flush()
    audit.append(
        session,
        actor,
        "attendance.set",
        {"representative_id": rep.id, "present": present},
        rep.meeting_id,
    )
    return done(rep, MeetingChanged(rep.meeting_id))


def present_item(session: Session, item_id: int, actor: str) -> Done[Meeting]:
    """Put an item on every screen and open questions on it."""
    item = get_item(session, item_id)
    meeting = get_meeting(session, item.meeting_id, for_update=True)
    require_meeting_status(meeting.id, meeting.status, "live", doing="present an item")
    if meeting.phase == "voting" and meeting.current_item_id != item.id:
        raise Conflict(
            f"voting on item {meeting.current_item_id} is open; close it first",
            code="voting_open",
            item_id=meeting.current_item_id,
        )
    meeting.current_item_id = item.id
    if item.status == "voting":
        meeting.phase = "voting"
        meeting.questions_open = False
    elif item.status in DECIDED_ITEM_STATUSES:
        meeting.phase = "result"
        meeting.questions_open = False  # a decided item takes no more questions
    else:
        meeting.phase = "questions"
        meeting.questions_open = True
    session.flush()
    audit.append(session, actor, "item.presented", {"item_id": item.id}, meeting.id)
    return done(meeting, MeetingChanged(meeting.id))


def set_questions_open(session: Session, meeting_id: int, is_open: bool, actor: str) -> Done[Meeting]:
    """Open or close the floor for questions on the current item."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "live", doing="open or close questions")
    if is_open and meeting.current_item_id is None:
        raise Conflict("no item is on the floor; present one first", code="no_current_item")
    if is_open and meeting.phase == "voting":
        raise Conflict(
            f"voting on item {meeting.current_item_id} is open; questions stay closed until it ends",
            code="voting_open",
            item_id=meeting.current_item_id,
        )
    meeting.questions_open = is_open
    session.flush()
    return done(meeting, MeetingChanged(meeting.id))


def clear_stage(session: Session, meeting_id: int, actor: str) -> Done[Meeting]:
    """Back to idle between items (nothing on the screen)."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "live", doing="clear the screen")
    if meeting.phase == "voting":
        raise Conflict(
            f"voting on item {meeting.current_item_id} is open; close it first",
            code="voting_open",
            item_id=meeting.current_item_id,
        )
    meeting.phase = "idle"
    meeting.current_item_id = None
    meeting.questions_open = False
    session.flush()
    return done(meeting, MeetingChanged(meeting.id))


def present_next_item(session: Session, meeting_id: int, actor: str) -> Done[Meeting]:
    """Move on: present the next item not yet voted on, after the one on the floor in running
    order (wrapping round to skipped ones); refused when none is left."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "live", doing="move on to the next item")
    pending = [
        item for item in meeting.items if item.status == "pending" and item.id != meeting.current_item_id
    ]
    if not pending:
        raise Conflict("every item has been voted on", code="no_pending_item")
    current = next((item for item in meeting.items if item.id == meeting.current_item_id), None)
    later = [item for item in pending if current is not None and item.position > current.position]
    return present_item(session, (later or pending)[0].id, actor)
