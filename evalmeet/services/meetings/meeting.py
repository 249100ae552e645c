"""Preparing meetings: the meeting itself, and finding it, its roster entries and its items.

The use cases that change the roster are in :mod:`.roster`, those that change the agenda in
:mod:`.items`; the lookups they share (``get_meeting``, ``get_representative``, ``get_item``)
and the attendance figures stay here, where every other package already finds them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain.errors import Conflict, NotFound
from evalmeet.domain.rules import parse_fraction, quorum_met, quorum_needed
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import Item, Meeting, Representative
from evalmeet.schemas.meetings import AttendanceOut, MeetingCreate, MeetingDetailOut, MeetingUpdate
from evalmeet.schemas.query import PageQuery
from evalmeet.schemas.types import is_id
from evalmeet.services import paging
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done

_Row = TypeVar("_Row", Meeting, Item)


def _row_or_not_found(session: Session, model: type[_Row], what: str, row_id: Any, for_update: bool) -> _Row:
    """The row with ``row_id`` or NotFound (``<what>_not_found``); locked when ``for_update``."""
    code, key = f"{what}_not_found", f"{what}_id"
    if not is_id(row_id):
        raise NotFound(f"{what} not found", code=code, **{key: str(row_id)[:40]})
    stmt = select(model).where(model.id == row_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"{what} {row_id} not found", code=code, **{key: row_id})
    return row


def get_meeting(session: Session, meeting_id: Any, *, for_update: bool = False) -> Meeting:
    """The meeting or NotFound."""
    return _row_or_not_found(session, Meeting, "meeting", meeting_id, for_update)


def list_meetings(session: Session, *, include_rehearsals: bool = True) -> list[Meeting]:
    """Every meeting, newest first."""
    stmt = select(Meeting).order_by(Meeting.id.desc())
    if not include_rehearsals:
        stmt = stmt.where(Meeting.rehearsal.is_(False))
    return list(session.scalars(stmt))


# Newest first: by id, so a meeting just created is on the first page.
MEETINGS: paging.Keyset[Meeting] = paging.Keyset(
    "meetings", paging.keys((Meeting.id, int)), key_of=lambda m: (m.id,)
)


def meetings_page(
    session: Session, query: PageQuery, *, default: int | None = paging.DEFAULT_LIMIT
) -> paging.Page[Meeting]:
    """One page of every meeting, newest first (``default`` rows when ``query`` names no limit)."""
    return paging.page(
        session, select(Meeting), MEETINGS, limit=query.limit, cursor=query.cursor, default=default
    )


def create_meeting(session: Session, data: MeetingCreate, actor: str) -> Done[Meeting]:
    """Create a draft meeting."""
    meeting = Meeting(**data.columns())
    session.add(meeting)
    session.flush()
    audit.append(session, actor, "meeting.created", {"title": meeting.title}, meeting.id)
    return done(meeting)


def update_meeting(session: Session, meeting_id: int, data: MeetingUpdate, actor: str) -> Done[Meeting]:
    """Edit a meeting; the rules of the vote (scale, threshold, quorum) only while draft."""
    meeting = get_meeting(session, meeting_id)
    fields = data.changes()
    rules = {
        "scale",
        "scale_choices",
        "criteria",
        "rater_groups",
        "pass_rule",
        "pass_threshold",
        "quorum",
        "rehearsal",
    }
    changed_rules = {k for k in rules & fields.keys() if getattr(meeting, k) != fields[k]}
    if changed_rules:
        require_meeting_status(
            meeting.id, meeting.status, "draft", doing="change the voting rules", reason="voting_rules"
        )
    if meeting.status == "closed":
        require_meeting_status(
            meeting.id, meeting.status, "draft", "live", doing="edit the meeting", reason="edit_meeting"
        )
    if "rater_groups" in changed_rules and not fields["rater_groups"]:
        # No groups any more: nobody on the roster belongs to one.
        for rep in meeting.representatives:
            rep.rater_group = None
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


def get_item(session: Session, item_id: Any, *, for_update: bool = False) -> Item:
    """The item or NotFound; optionally locked (PostgreSQL) against a concurrent close."""
    return _row_or_not_found(session, Item, "item", item_id, for_update)


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
