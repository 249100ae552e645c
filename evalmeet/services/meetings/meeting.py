"""Preparing meetings: the meeting itself, its roster and its items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.domain.risk import risk_flags
from evalmeet.domain.rules import parse_fraction, quorum_met, quorum_needed
from evalmeet.domain.states import PROCUREMENT_METHODS, require_meeting_status
from evalmeet.models import Item, Meeting, Representative, ResponsiblePerson
from evalmeet.schemas.meetings import AttendanceOut, MeetingCreate, MeetingDetailOut, MeetingUpdate
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.validate import (
    is_id,
    mapping,
    one_of,
    optional_int,
    optional_money,
    text,
)

DEFAULT_TENDER_THRESHOLD = Decimal("200000")
MAX_ROSTER = 20_000
MAX_ITEMS = 500


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


def _rep_fields(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        out["name"] = text(data.get("name"), "name", max_len=100)
    if not partial or "employee_no" in data:
        out["employee_no"] = text(data.get("employee_no"), "employee_no", max_len=64)
    if not partial or "department" in data:
        out["department"] = text(data.get("department"), "department", max_len=100, required=False)
    return out


def add_representative(session: Session, meeting_id: int, data: Any, actor: str) -> Representative:
    """Put a representative on the roster (draft or live meetings)."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="change the roster")
    fields = _rep_fields(mapping(data, "body"), partial=False)
    size = session.scalar(
        select(func.count()).select_from(Representative).where(Representative.meeting_id == meeting.id)
    )
    if (size or 0) >= MAX_ROSTER:
        raise Conflict(
            f"a roster holds at most {MAX_ROSTER} representatives", code="roster_full", max=MAX_ROSTER
        )
    rep = Representative(meeting_id=meeting.id, **fields)
    try:
        with session.begin_nested():
            session.add(rep)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"employee number {fields['employee_no']} is already on this roster",
            code="duplicate_employee_no",
            employee_no=fields["employee_no"],
        ) from None
    audit.append(
        session,
        actor,
        "representative.added",
        {"representative_id": rep.id, "employee_no": rep.employee_no},
        meeting.id,
    )
    return rep


def update_representative(session: Session, rep_id: int, data: Any, actor: str) -> Representative:
    """Edit a roster entry."""
    rep = get_representative(session, rep_id)
    require_meeting_status(rep.meeting_id, rep.meeting.status, "draft", "live", doing="change the roster")
    fields = _rep_fields(mapping(data, "body"), partial=True)
    try:
        with session.begin_nested():
            for key, value in fields.items():
                setattr(rep, key, value)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "that employee number is already on this roster",
            code="duplicate_employee_no",
            employee_no=fields.get("employee_no", rep.employee_no),
        ) from None
    audit.append(session, actor, "representative.updated", {"representative_id": rep.id}, rep.meeting_id)
    return rep


def remove_representative(session: Session, rep_id: int, actor: str) -> None:
    """Take someone off a draft roster (a live roster revokes instead)."""
    rep = get_representative(session, rep_id)
    require_meeting_status(rep.meeting_id, rep.meeting.status, "draft", doing="remove a representative")
    meeting_id = rep.meeting_id
    session.delete(rep)
    session.flush()
    audit.append(session, actor, "representative.removed", {"representative_id": rep_id}, meeting_id)


def revoke_representative(session: Session, rep_id: int, actor: str) -> Representative:
    """Revoke a join link (lost phone, wrong person); a new link can be issued."""
    rep = get_representative(session, rep_id)
    rep.revoked = True
    rep.present = False
    session.flush()
    audit.append(session, actor, "representative.revoked", {"representative_id": rep.id}, rep.meeting_id)
    return rep


def reissue_join_token(session: Session, rep_id: int, actor: str) -> Representative:
    """Give a representative a fresh join link; the old one stops working."""
    from evalmeet.models.base import new_token

    rep = get_representative(session, rep_id)
    require_meeting_status(rep.meeting_id, rep.meeting.status, "draft", "live", doing="reissue a link")
    rep.join_token = new_token()
    rep.revoked = False
    session.flush()
    audit.append(session, actor, "representative.reissued", {"representative_id": rep.id}, rep.meeting_id)
    if rep.meeting.status == "live":  # announced to the room: a fresh link is a fresh credential
        from evalmeet.services.meetings.alerts import record_alert

        record_alert(session, rep.meeting_id, "link_reissued", rep, actor)
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


def find_or_create_person(session: Session, data: Any) -> ResponsiblePerson:
    """The registry entry matched by name + department, created when new."""
    data = mapping(data, "responsible_person")
    name = text(data.get("name"), "responsible_person.name", max_len=100)
    department = text(data.get("department"), "responsible_person.department", max_len=100, required=False)
    position = text(data.get("position"), "responsible_person.position", max_len=100, required=False)
    person = session.scalar(
        select(ResponsiblePerson).where(
            ResponsiblePerson.name == name, ResponsiblePerson.department == department
        )
    )
    if person is None:
        person = ResponsiblePerson(name=name, department=department, position=position)
        session.add(person)
        session.flush()
    elif position and person.position != position:
        person.position = position
    return person


def _item_fields(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or "title" in data:
        out["title"] = text(data.get("title"), "title", max_len=200)
    if "procurement_method" in data:
        value = data.get("procurement_method")
        out["procurement_method"] = (
            None if value in (None, "") else one_of(value, "procurement_method", PROCUREMENT_METHODS)
        )
    if "supplier_count" in data:
        out["supplier_count"] = optional_int(data.get("supplier_count"), "supplier_count", maximum=10_000)
    for field in ("amount", "benchmark_price", "unit_price"):
        if field in data:
            out[field] = optional_money(data.get(field), field)
    if "description" in data:
        out["description"] = text(
            data.get("description"), "description", max_len=10_000, required=False, multiline=True
        )
    return out


def refresh_risk_flags(item: Item, tender_threshold: Decimal = DEFAULT_TENDER_THRESHOLD) -> None:
    """Recompute an item's risk flags from its figures."""
    item.risk_flags = [
        flag.to_dict()
        for flag in risk_flags(
            procurement_method=item.procurement_method,
            supplier_count=item.supplier_count,
            amount=item.amount,
            unit_price=item.unit_price,
            benchmark_price=item.benchmark_price,
            tender_threshold=tender_threshold,
        )
    ]


def add_item(
    session: Session,
    meeting_id: int,
    data: Any,
    actor: str,
    tender_threshold: Decimal = DEFAULT_TENDER_THRESHOLD,
) -> Item:
    """Add an item at the end of the running order."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="add an item")
    data = mapping(data, "body")
    fields = _item_fields(data, partial=False)
    if "responsible_person" not in data:
        raise ValidationFailed(
            "responsible_person is required", field="responsible_person", reason="required"
        )
    person = find_or_create_person(session, data.get("responsible_person"))
    last = session.scalar(select(func.max(Item.position)).where(Item.meeting_id == meeting.id))
    count = session.scalar(select(func.count()).select_from(Item).where(Item.meeting_id == meeting.id))
    if (count or 0) >= MAX_ITEMS:
        raise Conflict(f"a meeting holds at most {MAX_ITEMS} items", code="too_many_items", max=MAX_ITEMS)
    item = Item(meeting_id=meeting.id, position=(last or 0) + 1, responsible_person_id=person.id, **fields)
    item.responsible_person = person
    if data.get("kind") is not None:
        item.kind = one_of(data.get("kind"), "kind", ("procurement", "report_back"))
    refresh_risk_flags(item, tender_threshold)
    session.add(item)
    session.flush()
    audit.append(session, actor, "item.added", {"item_id": item.id, "title": item.title}, meeting.id)
    return item


def update_item(
    session: Session,
    item_id: int,
    data: Any,
    actor: str,
    tender_threshold: Decimal = DEFAULT_TENDER_THRESHOLD,
) -> Item:
    """Edit an item that has not been voted on."""
    item = get_item(session, item_id)
    require_meeting_status(item.meeting_id, item.meeting.status, "draft", "live", doing="edit an item")
    if item.status != "pending":
        raise Conflict(
            f"item {item.id} has been voted on; it can no longer be edited",
            code="item_decided",
            item_id=item.id,
        )
    data = mapping(data, "body")
    fields = _item_fields(data, partial=True)
    if "responsible_person" in data:
        person = find_or_create_person(session, data["responsible_person"])
        item.responsible_person = person
    for key, value in fields.items():
        setattr(item, key, value)
    refresh_risk_flags(item, tender_threshold)
    session.flush()
    audit.append(
        session, actor, "item.updated", {"item_id": item.id, "fields": sorted(fields)}, item.meeting_id
    )
    return item


def remove_item(session: Session, item_id: int, actor: str) -> None:
    """Remove a pending item from a draft or live meeting."""
    item = get_item(session, item_id)
    require_meeting_status(item.meeting_id, item.meeting.status, "draft", "live", doing="remove an item")
    if item.status != "pending" or item.vote_round:
        raise Conflict(
            f"item {item.id} has been voted on; it cannot be removed", code="item_decided", item_id=item.id
        )
    meeting = item.meeting
    if meeting.current_item_id == item.id:
        meeting.current_item_id = None
        meeting.phase = "idle"
    meeting_id = item.meeting_id
    session.delete(item)
    session.flush()
    audit.append(session, actor, "item.removed", {"item_id": item_id}, meeting_id)


def reorder_items(session: Session, meeting_id: int, order: Any, actor: str) -> list[Item]:
    """Set the running order: ``order`` lists every item id of the meeting once."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="reorder items")
    if not isinstance(order, list) or not all(is_id(i) for i in order):
        raise ValidationFailed("order must be a list of item ids", field="order", reason="not_ids")
    items = {item.id: item for item in meeting.items}
    if sorted(order) != sorted(items):
        raise ValidationFailed(
            "order must list every item of the meeting exactly once", field="order", reason="incomplete_order"
        )
    for position, item_id in enumerate(order, start=1):
        items[item_id].position = position
    session.flush()
    session.expire(meeting, ["items"])  # reload in the new running order when next read
    audit.append(session, actor, "items.reordered", {"order": order}, meeting.id)
    return [items[i] for i in order]


def move_item(session: Session, item_id: int, direction: int, actor: str) -> None:
    """Move an item one place up (-1) or down (+1) in the running order."""
    item = get_item(session, item_id)
    order = [i.id for i in sorted(item.meeting.items, key=lambda i: i.position)]
    idx = order.index(item.id)
    new = idx + (1 if direction > 0 else -1)
    if 0 <= new < len(order):
        order[idx], order[new] = order[new], order[idx]
        reorder_items(session, item.meeting_id, order, actor)


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
