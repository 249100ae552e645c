"""Preparing meetings: the meeting itself, and finding it, its roster entries and its items.

The use cases that change the roster are in :mod:`.roster`, those that change the agenda in
:mod:`.items`; the lookups they share (``get_meeting``, ``get_representative``, ``get_item``)
and the attendance figures stay here, where every other package already finds them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain.errors import Conflict, NotFound
from evalmeet.domain.rules import parse_fraction, quorum_met, quorum_needed
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import Item, Meeting, Representative
from evalmeet.schemas.meetings import AttendanceOut, MeetingCreate, MeetingDetailOut, MeetingUpdate
from evalmeet.schemas.types import is_id
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done


def get_meeting(session: Session, meeting_id: Any, *, for_update: bool = False) -> Meeting:
    """The meeting or NotFound."""
    if not is_id(meeting_id):
        raise NotFound("meeting not found", code="meeting_not_found", meeting_id=str(meeting_id)[:40])
    stmt = select(Meeting).where(Meeting.id == meeting_id)
    if for_update:
        stmt = stmt.with_for_update()
    meeting = session.scalar(stmt)
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} not found", code="meeting_not_found", meeting_id=meeting_id)
    return meeting


def list_meetings(session: Session, *, include_rehearsals: bool = True) -> list[Meeting]:
    """Every meeting, newest first."""
    stmt = select(Meeting).order_by(Meeting.id.desc())
    if not include_rehearsals:
        stmt = stmt.where(Meeting.rehearsal.is_(False))
    return list(session.scalars(stmt))


def create_meeting(session: Session, data: MeetingCreate, actor: str) -> Done[Meeting]:
    """Create a draft meeting."""
    meeting = Meeting(**data.model_dump())
    session.add(meeting)
    session.flush()
    audit.append(session, actor, "meeting.created", {"title": meeting.title}, meeting.id)
    return done(meeting)


def update_meeting(session: Session, meeting_id: int, data: MeetingUpdate, actor: str) -> Done[Meeting]:
    """Edit a meeting; the rules of the vote (scale, threshold, quorum) only while draft."""
    meeting = get_meeting(session, meeting_id)
    fields = data.changes()
    rules = {"scale", "pass_threshold", "quorum", "rehearsal"}
    changed_rules = {k for k in rules & fields.keys() if getattr(meeting, k) != fields[k]}
    if changed_rules:
        require_meeting_status(
            meeting.id, meeting.status, "draft", doing="change the voting rules", reason="voting_rules"
        )
    if meeting.status == "closed":
        require_meeting_status(
            meeting.id, meeting.status, "draft", "live", doing="edit the meeting", reason="edit_meeting"
        )
    for key, value in fields.items():
        setattr(meeting, key, value)
    session.flush()
    audit.append(session, actor, "meeting.updated", {"fields": sorted(fields)}, meeting.id)
    return done(meeting, MeetingChanged(meeting.id))


def delete_meeting(session: Session, meeting_id: int, actor: str) -> Done[None]:
    """Delete a draft (nothing was voted) or a rehearsal."""
    meeting = get_meeting(session, meeting_id)
    if meeting.status != "draft" and not meeting.rehearsal:
        raise Conflict(
            f"meeting {meeting.id} is {meeting.status}; only drafts and rehearsals can be deleted",
            code=f"meeting_{meeting.status}",
            reason="delete",
            meeting_id=meeting.id,
        )
    session.execute(update(Meeting).where(Meeting.id == meeting.id).values(current_item_id=None))
    session.delete(meeting)
    session.flush()
    audit.append(session, actor, "meeting.deleted", {"meeting_id": meeting_id}, meeting_id)
    return done(None)


# --- roster -----------------------------------------------------------------------------------


def get_representative(session: Session, rep_id: Any) -> Representative:
    """A roster entry or NotFound."""
    rep = session.get(Representative, rep_id) if is_id(rep_id) else None
    if rep is None:
        raise NotFound(
            f"representative {rep_id} not found", code="representative_not_found", representative_id=rep_id
        )
    return rep


def roster_size(session: Session, meeting_id: int) -> int:
    """Non-revoked representatives on the roster."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Representative)
            .where(Representative.meeting_id == meeting_id, Representative.revoked.is_(False))
        )
        or 0
    )


def present_count(session: Session, meeting_id: int) -> int:
    """Representatives present now."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Representative)
            .where(
                Representative.meeting_id == meeting_id,
                Representative.revoked.is_(False),
                Representative.present.is_(True),
            )
        )
        or 0
    )


# --- items ------------------------------------------------------------------------------------


def get_item(session: Session, item_id: Any, *, for_update: bool = False, share: bool = False) -> Item:
    """The item or NotFound; optionally locked (PostgreSQL) against a concurrent close."""
    if not is_id(item_id):
        raise NotFound("item not found", code="item_not_found", item_id=str(item_id)[:40])
    stmt = select(Item).where(Item.id == item_id)
    if for_update or share:
        stmt = stmt.with_for_update(read=share and not for_update)
    item = session.scalar(stmt)
    if item is None:
        raise NotFound(f"item {item_id} not found", code="item_not_found", item_id=item_id)
    return item


def meeting_with_items(session: Session, meeting_id: int) -> Meeting:
    """A meeting with its items and their people loaded."""
    get_meeting(session, meeting_id)
    stmt = (
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(selectinload(Meeting.items).selectinload(Item.responsible_person))
    )
    meeting = session.scalar(stmt)
    assert meeting is not None
    return meeting


def attendance_of(session: Session, meeting: Meeting) -> AttendanceOut:
    """Who is in the hall against the roster, and whether that makes a quorum."""
    present = present_count(session, meeting.id)
    roster = roster_size(session, meeting.id)
    quorum = parse_fraction(meeting.quorum, "quorum")
    return AttendanceOut(
        present=present,
        roster=roster,
        needed=quorum_needed(roster, quorum),
        quorum_met=quorum_met(present, roster, quorum),
    )


def meeting_detail(session: Session, meeting_id: int) -> MeetingDetailOut:
    """The meeting with its items and attendance, as the API answers it."""
    meeting = meeting_with_items(session, meeting_id)
    return MeetingDetailOut.with_items(meeting, attendance_of(session, meeting))
