"""Saving a confirmed import: every row or nothing, in one *short* write transaction.

On SQLite a write transaction holds the one write lock of the database, and a phone's ballot
waits for it; saving 5,000 rows one use case at a time (a query, an insert, an audit entry and a
flush each) held it for 8 s (the roster) and 17 s (items). So the work is split in two:

1. :func:`plan` only reads (the caller runs it in a read transaction, ``db.reading_only()``):
   every row is validated with the model the API and the forms use, groups and duplicates in
   the file are checked, responsible persons are looked up, risk flags computed, join links
   drawn. The first bad row raises :class:`ImportRowFailed` naming it.
2. :func:`apply` writes, in the caller's transaction: it checks again what another request may
   have changed meanwhile (the meeting's state, room on the roster or the agenda, employee
   numbers added since, persons created since) with a few set-wise queries, then inserts the
   rows, the new persons and the audit entries in bulk (``INSERT ... RETURNING``, the hash chain
   computed in memory). 5,000 rows take a fraction of a second (docs/performance.md).

The outcome is the same as adding each row through ``roster.add_representative`` /
``items.add_item``: the same columns, the same refusals by code, one audit entry per row and one
for the import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as _field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, DomainError
from evalmeet.domain.risk import risk_flags
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import AuditEntry, Item, Representative, ResponsiblePerson
from evalmeet.models.base import new_token
from evalmeet.schemas.base import parse as parse_model
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.files import staging
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import roster

Progress = Callable[[int, int], None]
# IN lists are sent in slices of this many values (SQLite's old limit on parameters was 999).
_SLICE = 900


class ImportRowFailed(DomainError):
    """A row was refused while saving; the edge rolls back everything."""

    def __init__(self, row: int, err: DomainError) -> None:
        details = dict(err.details)
        super().__init__(f"row {row}: {err.message}", err.code, row=row, **details)
        self.status = err.status
        self.row = row
        self.reason = err


def check_meeting(session: Session, meeting_id: int, kind: str) -> None:
    """Rosters are imported into draft or live meetings, items into drafts only."""
    meeting = meetings.get_meeting(session, meeting_id)
    if kind == "roster":
        require_meeting_status(
            meeting.id, meeting.status, "draft", "live", doing="import a roster", reason="import_roster"
        )
    else:
        require_meeting_status(
            meeting.id, meeting.status, "draft", doing="import items", reason="import_items"
        )


PersonKey = tuple[str, str]  # name, department


@dataclass
class Plan:
    """A checked import, ready to be written: the rows as column values, in file order."""

    meeting_id: int
    kind: str
    filename: str
    numbers: list[int]  # each row's number in the file
    rows: list[dict[str, Any]]
    # items: each row's responsible person, and the position the person ends up with
    persons: list[PersonKey] = _field(default_factory=list)
    positions: dict[PersonKey, str] = _field(default_factory=dict)


def _slices(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _SLICE):
        yield values[start : start + _SLICE]


def plan(
    session: Session,
    pending: staging.Pending,
    tender_threshold: Decimal = agenda.DEFAULT_TENDER_THRESHOLD,
    progress: Progress | None = None,
) -> Plan:
    """Check every row of a claimed import without writing; the first bad row raises."""
    check_meeting(session, pending.meeting_id, pending.kind)
    out = Plan(pending.meeting_id, pending.kind, pending.filename, [], [])
    total = len(pending.rows)
    if pending.kind == "roster":
        groups = meetings.get_meeting(session, pending.meeting_id).rules.group_keys
        seen: set[str] = set()
        for n, (number, data) in enumerate(pending.rows):
            try:
                rep = parse_model(RepresentativeCreate, data)
                roster.check_group(groups, rep.group)
                if rep.employee_no in seen:
                    raise roster._duplicate(rep.employee_no)
            except DomainError as err:
                raise ImportRowFailed(number, err) from err
            seen.add(rep.employee_no)
            out.numbers.append(number)
            out.rows.append({**rep.columns(), "meeting_id": pending.meeting_id, "join_token": new_token()})
            if progress is not None and n % 100 == 0:
                progress(n, total)
        return out
    for n, (number, data) in enumerate(pending.rows):
        try:
            item = parse_model(ItemCreate, data)
        except DomainError as err:
            raise ImportRowFailed(number, err) from err
        figures = item.figures()
        flags = risk_flags(
            procurement_method=figures.get("procurement_method"),
            supplier_count=figures.get("supplier_count"),
            amount=figures.get("amount"),
            unit_price=figures.get("unit_price"),
            benchmark_price=figures.get("benchmark_price"),
            tender_threshold=tender_threshold,
        )
        row = {**figures, "meeting_id": pending.meeting_id, "risk_flags": [f.to_dict() for f in flags]}
        if item.kind is not None:
            row["kind"] = item.kind
        person = item.responsible_person
        key = (person.name, person.department)
        # As add_item one row after another: a new person takes the first row's position, and
        # any later row that names a position sets it.
        if key not in out.positions or person.position:
            out.positions[key] = person.position
        out.numbers.append(number)
        out.rows.append(row)
        out.persons.append(key)
        if progress is not None and n % 100 == 0:
            progress(n, total)
    return out


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """A Core ``executemany``: the driver runs one prepared statement over every row (the ORM's
    bulk path would compile and send them one by one on SQLite)."""
    session.connection().execute(insert(model.__table__), rows)


def _overflow(plan_: Plan, have: int, limit: int, err: DomainError) -> None:
    if have + len(plan_.rows) > limit:
        raise ImportRowFailed(plan_.numbers[max(0, limit - have)], err)


def _write_roster(session: Session, plan_: Plan) -> list[tuple[str, dict[str, Any]]]:
    meeting_id = plan_.meeting_id
    have = session.scalar(
        select(func.count()).select_from(Representative).where(Representative.meeting_id == meeting_id)
    )
    limit = roster.MAX_ROSTER
    full = Conflict(f"a roster holds at most {limit} representatives", code="roster_full", max=limit)
    _overflow(plan_, have or 0, limit, full)
    numbers = [row["employee_no"] for row in plan_.rows]
    taken: set[str] = set()
    for part in _slices(numbers):
        taken.update(
            session.scalars(
                select(Representative.employee_no).where(
                    Representative.meeting_id == meeting_id, Representative.employee_no.in_(part)
                )
            )
        )
    for number, row in zip(plan_.numbers, plan_.rows, strict=True):
        if row["employee_no"] in taken:
            raise ImportRowFailed(number, roster._duplicate(row["employee_no"]))
    _insert(session, Representative, plan_.rows)
    ids: dict[str, int] = {}
    for part in _slices(numbers):
        ids.update(
            (number, rep_id)
            for rep_id, number in session.connection().execute(
                select(Representative.id, Representative.employee_no).where(
                    Representative.meeting_id == meeting_id, Representative.employee_no.in_(part)
                )
            )
        )
    return [
        ("representative.added", {"representative_id": ids[number], "employee_no": number})
        for number in numbers
    ]


def _people(session: Session, keys: set[PersonKey]) -> dict[PersonKey, tuple[int, str]]:
    """The registry entries of these (name, department) pairs: id and position."""
    found: dict[PersonKey, tuple[int, str]] = {}
    names = sorted({name for name, _ in keys})
    for part in _slices(names):
        for person_id, name, department, position in session.connection().execute(
            select(
                ResponsiblePerson.id,
                ResponsiblePerson.name,
                ResponsiblePerson.department,
                ResponsiblePerson.position,
            ).where(ResponsiblePerson.name.in_(part))
        ):
            if (name, department) in keys:
                found[(name, department)] = (person_id, position)
    return found


def _write_items(session: Session, plan_: Plan) -> list[tuple[str, dict[str, Any]]]:
    meeting_id = plan_.meeting_id
    have = session.scalar(select(func.count()).select_from(Item).where(Item.meeting_id == meeting_id))
    limit = agenda.MAX_ITEMS
    full = Conflict(f"a meeting holds at most {limit} items", code="too_many_items", max=limit)
    _overflow(plan_, have or 0, limit, full)
    last = session.scalar(select(func.max(Item.position)).where(Item.meeting_id == meeting_id)) or 0
    keys = set(plan_.persons)
    people = _people(session, keys)
    new = [key for key in plan_.positions if key not in people]
    if new:
        _insert(
            session,
            ResponsiblePerson,
            [{"name": n, "department": d, "position": plan_.positions[(n, d)]} for n, d in new],
        )
        people.update(_people(session, set(new)))
    moved = [
        {"person_id": people[key][0], "position": position}
        for key, position in plan_.positions.items()
        if position and people[key][1] != position
    ]
    if moved:
        session.connection().execute(
            update(ResponsiblePerson)
            .where(ResponsiblePerson.id == bindparam("person_id"))
            .values(position=bindparam("position")),
            moved,
        )
    rows = [
        {**row, "position": last + n + 1, "responsible_person_id": people[key][0]}
        for n, (row, key) in enumerate(zip(plan_.rows, plan_.persons, strict=True))
    ]
    _insert(session, Item, rows)
    ids = dict(
        session.connection()
        .execute(select(Item.position, Item.id).where(Item.meeting_id == meeting_id, Item.position > last))
        .all()
    )
    return [("item.added", {"item_id": ids[row["position"]], "title": row["title"]}) for row in rows]


def apply(session: Session, plan_: Plan, actor: str, job_id: str | None = None) -> Done[int]:
    """Write a checked import in the caller's transaction (the edge commits, or rolls back on a
    refusal: nothing is half saved). ``job_id``: the worker's job saving it, recorded in the
    import's audit entry for :func:`saved_by_job`."""
    check_meeting(session, plan_.meeting_id, plan_.kind)
    if plan_.kind == "roster":
        entries = _write_roster(session, plan_)
    else:
        entries = _write_items(session, plan_)
    summary: dict[str, Any] = {"rows": len(plan_.rows), "filename": plan_.filename}
    if job_id is not None:
        summary["job"] = job_id
    entries.append((f"{plan_.kind}.imported", summary))
    audit.append_many(session, actor, entries, plan_.meeting_id)
    session.expire_all()  # the meeting's collections were loaded before the bulk insert
    return done(len(plan_.rows), MeetingChanged(plan_.meeting_id))


def saved_by_job(session: Session, meeting_id: int, kind: str, job_id: str) -> int | None:
    """How many rows the import saved by job ``job_id`` committed; None when it saved nothing.

    A worker can die after its commit and before it hands the outcome back: the server then
    hears "worker lost" and asks here whether the rows are in (the import's audit entry, in the
    same transaction as the rows, names the job)."""
    payloads = session.scalars(
        select(AuditEntry.payload).where(
            AuditEntry.meeting_id == meeting_id, AuditEntry.event == f"{kind}.imported"
        )
    )
    for payload in payloads:
        summary = json.loads(payload)
        if summary.get("job") == job_id:
            return int(summary["rows"])
    return None
