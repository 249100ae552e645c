"""The agenda: adding items, editing, reordering and removing them, and who is responsible.

Each use case returns :class:`~evalmeet.services.events.Done` with ``MeetingChanged``: every
screen of the meeting shows the agenda, so each gets a fresh snapshot after commit.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.domain.risk import risk_flags
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import Item, ResponsiblePerson
from evalmeet.schemas.items import ItemCreate, ItemUpdate, PersonIn, ReorderBody
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.meetings.meeting import get_item, get_meeting

DEFAULT_TENDER_THRESHOLD = Decimal("200000")
MAX_ITEMS = 500


def find_or_create_person(session: Session, person: PersonIn) -> ResponsiblePerson:
    """The registry entry the body names: by ``id`` when it gives one (refused when unknown, or
    when the name or department sent with it are another person's), else matched by
    name + department and created when new. A position sent updates the entry's."""
    if person.id is not None:
        return _chosen_person(session, person)
    found = session.scalar(
        select(ResponsiblePerson).where(
            ResponsiblePerson.name == person.name, ResponsiblePerson.department == person.department
        )
    )
    if found is None:
        found = ResponsiblePerson(name=person.name, department=person.department, position=person.position)
        session.add(found)
        session.flush()
    elif person.position and found.position != person.position:
        found.position = person.position
    return found


def _chosen_person(session: Session, person: PersonIn) -> ResponsiblePerson:
    chosen = session.get(ResponsiblePerson, person.id)
    if chosen is None:
        raise ValidationFailed(
            f"there is no responsible person {person.id}",
            code="person_not_found",
            field="responsible_person.id",
            reason="registry",
            person_id=person.id,
        )
    if (person.name and person.name != chosen.name) or (
        person.department and person.department != chosen.department
    ):
        raise ValidationFailed(
            f"responsible person {chosen.id} is {chosen.name} ({chosen.department}), not "
            f"{person.name} ({person.department})",
            code="person_mismatch",
            field="responsible_person.id",
            person_id=chosen.id,
            name=chosen.name,
            department=chosen.department or "—",
        )
    if person.position and chosen.position != person.position:
        chosen.position = person.position
    return chosen


def list_people(session: Session, limit: int = 2000) -> list[ResponsiblePerson]:
    """The registry for a picker: by name, then department and position (namesakes side by side)."""
    return list(
        session.scalars(
            select(ResponsiblePerson)
            .order_by(
                ResponsiblePerson.name,
                ResponsiblePerson.department,
                ResponsiblePerson.position,
                ResponsiblePerson.id,
            )
            .limit(limit)
        )
    )


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
    data: ItemCreate,
    actor: str,
    tender_threshold: Decimal = DEFAULT_TENDER_THRESHOLD,
) -> Done[Item]:
    """Add an item at the end of the running order."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="add an item")
    person = find_or_create_person(session, data.responsible_person)
    last = session.scalar(select(func.max(Item.position)).where(Item.meeting_id == meeting.id))
    count = session.scalar(select(func.count()).select_from(Item).where(Item.meeting_id == meeting.id))
    if (count or 0) >= MAX_ITEMS:
        raise Conflict(f"a meeting holds at most {MAX_ITEMS} items", code="too_many_items", max=MAX_ITEMS)
    item = Item(
        meeting_id=meeting.id, position=(last or 0) + 1, responsible_person_id=person.id, **data.figures()
    )
    item.responsible_person = person
    if data.kind is not None:
        item.kind = data.kind
    refresh_risk_flags(item, tender_threshold)
    session.add(item)
    session.flush()
    audit.append(session, actor, "item.added", {"item_id": item.id, "title": item.title}, meeting.id)
    return done(item, MeetingChanged(meeting.id))


def update_item(
    session: Session,
    item_id: int,
    data: ItemUpdate,
    actor: str,
    tender_threshold: Decimal = DEFAULT_TENDER_THRESHOLD,
) -> Done[Item]:
    """Edit an item that has not been voted on (the fields sent)."""
    item = get_item(session, item_id)
    require_meeting_status(item.meeting_id, item.meeting.status, "draft", "live", doing="edit an item")
    if item.status != "pending":
        raise Conflict(
            f"item {item.id} has been voted on; it can no longer be edited",
            code="item_decided",
            item_id=item.id,
        )
    if data.responsible_person is not None:
        item.responsible_person = find_or_create_person(session, data.responsible_person)
    fields = data.changes()
    for key, value in fields.items():
        setattr(item, key, value)
    refresh_risk_flags(item, tender_threshold)
    session.flush()
    audit.append(
        session, actor, "item.updated", {"item_id": item.id, "fields": sorted(fields)}, item.meeting_id
    )
    return done(item, MeetingChanged(item.meeting_id))


def remove_item(session: Session, item_id: int, actor: str) -> Done[None]:
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
    return done(None, MeetingChanged(meeting_id))


def reorder_items(session: Session, meeting_id: int, data: ReorderBody, actor: str) -> Done[list[Item]]:
    """Set the running order: ``data.order`` lists every item id of the meeting once."""
    order = data.order
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="reorder items")
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
    return done([items[i] for i in order], MeetingChanged(meeting.id))


def move_item(session: Session, item_id: int, direction: int, actor: str) -> Done[None]:
    """Move an item one place up (-1) or down (+1) in the running order."""
    item = get_item(session, item_id)
    order = [i.id for i in sorted(item.meeting.items, key=lambda i: i.position)]
    idx = order.index(item.id)
    new = idx + (1 if direction > 0 else -1)
    if 0 <= new < len(order):
        order[idx], order[new] = order[new], order[idx]
        return done(None, *reorder_items(session, item.meeting_id, ReorderBody(order=order), actor).events)
    return done(None, MeetingChanged(item.meeting_id))
