"""Importing a meeting's roster or items from .xlsx or .csv: preview with per-row errors, then all or nothing.

1. :func:`stage` reads the upload (``spreadsheets.read_table``: type sniffed, size and
   encoding checked), maps Chinese or English headers to fields, and validates every row with
   the model the API and the forms use (``RepresentativeCreate``, ``ItemCreate``), reporting
   every bad cell (the columns: :mod:`.import_format`). Nothing is saved; the parsed rows wait
   in a file under the instance folder (:mod:`.staging`).
2. ``staging.claim_pending`` takes that file (atomically, so a double click cannot import
   twice) and :func:`confirm` adds every row in the caller's transaction (:mod:`.import_save`:
   checked first, then written in bulk, so SQLite's write lock is held briefly). The first
   refusal raises :class:`ImportRowFailed` naming the row; the edge rolls the whole transaction
   back, so an import is never half done.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field as _field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import ValidationFailed
from evalmeet.domain.risk import entry_warnings
from evalmeet.models import Item, Representative, ResponsiblePerson
from evalmeet.schemas.base import Body, refusals
from evalmeet.schemas.base import parse as parse_model
from evalmeet.schemas.items import ITEM_FIGURES, ItemCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.events import Done
from evalmeet.services.files import import_save, staging
from evalmeet.services.files.import_format import (
    BALLOT_NAMES,
    FIELDS,
    KINDS,
    METHOD_DISPLAY,
    METHOD_NAMES,
    ImportField,
    clean_money,
    find_header,
    template_table,
    unquote,
)
from evalmeet.services.files.import_save import ImportRowFailed as ImportRowFailed  # the edge names it
from evalmeet.services.files.import_save import Progress, check_meeting
from evalmeet.services.files.spreadsheets import MAX_ROWS, FileRefused, Table, read_table
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import roster

# --- preview ----------------------------------------------------------------------------------


@dataclass
class RowIssue:
    """One problem in one cell: the row as numbered in the file, the column, why."""

    row: int
    column: str  # the header as written in the file
    field: str  # the service's field name
    code: str  # a validation reason (required, too_long, ...) or a code of its own (already_on_roster)
    message: str  # English, for logs; the edge translates by code
    params: dict[str, Any] = _field(default_factory=dict)


@dataclass
class PreviewRow:
    """A parsed row: the cells as read, the service input, and what is wrong with it."""

    row: int
    cells: dict[str, str]
    data: dict[str, Any]
    issues: list[RowIssue] = _field(default_factory=list)
    warnings: list[RowIssue] = _field(default_factory=list)


@dataclass
class Preview:
    """What an import would do: nothing is saved until it is confirmed."""

    kind: str
    meeting_id: int
    filename: str
    fields: list[ImportField]
    headers: dict[str, str]  # field key → header as written in the file
    ignored: list[str]
    rows: list[PreviewRow]
    token: str | None = None

    @property
    def issues(self) -> list[RowIssue]:
        """Every problem, in file order."""
        return [issue for row in self.rows for issue in row.issues]

    @property
    def ok(self) -> bool:
        """Whether every row can be imported."""
        return bool(self.rows) and not self.issues


# The order a row's problems are listed in: the person's cells first, then the item's.
_ISSUE_ORDER = (
    "name",
    "employee_no",
    "department",
    "ballot",
    "group",
    "person_name",
    "person_position",
    "person_department",
    *ITEM_FIGURES,
)


def _group_check(cells: dict[str, str], groups: dict[str, str], out: PreviewRow) -> ValidationFailed | None:
    """The row's rater group (a label or a key) as its key in ``out.data``; a refusal when the
    meeting has groups and the cell names none of them, or has none and the cell names one."""
    raw = cells.get("group", "").strip()
    if raw and raw in groups:
        out.data["group"] = groups[raw]
        return None
    if raw and not groups:
        return ValidationFailed("this meeting has no rater groups", field="group", reason="no_groups")
    if raw:
        allowed = "、".join(k for k, v in groups.items() if k != v) or "、".join(groups.values())
        return ValidationFailed(
            f"group must be one of: {allowed}", field="group", reason="not_one_of", allowed=allowed
        )
    if groups:
        return ValidationFailed("group is required", field="group", reason="required")
    return None


def _validate(
    kind: str, cells: dict[str, str], headers: dict[str, str], row: int, groups: dict[str, str] | None = None
) -> PreviewRow:
    """Check the row with the model the API and the forms use, so every bad cell is reported
    (``groups``: the meeting's rater groups by label and by key)."""
    out = PreviewRow(row, cells, {})
    by_field = {f.english: f for f in FIELDS[kind]}
    model: type[Body]
    if kind == "roster":
        out.data = {key: cells[key].strip() for key in ("name", "employee_no", "department") if key in cells}
        ballot = cells.get("ballot", "").strip()
        if ballot:
            out.data["ballot"] = BALLOT_NAMES.get(ballot) or BALLOT_NAMES.get(ballot.casefold(), ballot)
        group_problem = _group_check(cells, groups or {}, out)
        model = RepresentativeCreate
    else:
        group_problem = None
        out.data = _item_row(cells, headers, row, out.issues)
        model = ItemCreate
    for problem in [*refusals(model, out.data), *([group_problem] if group_problem else [])]:
        # The code of a cell's issue is the validation's reason ("required", "too_long", ...);
        # its parameters go with it, so the edge can say it in the page's language.
        details = problem.details
        f = by_field[str(details["field"])]
        params = {k: v for k, v in details.items() if k not in ("field", "reason")}
        issue = RowIssue(
            row, headers.get(f.key, f.header), f.english, str(details["reason"]), problem.message, params
        )
        out.issues.append(issue)
    rank = {key: n for n, key in enumerate(_ISSUE_ORDER)}
    out.issues.sort(key=lambda issue: rank[by_field[issue.field].key])
    return out


def _item_row(
    cells: dict[str, str], headers: dict[str, str], row: int, issues: list[RowIssue]
) -> dict[str, Any]:
    """An item row as ``ItemCreate`` reads it: methods as people write them, amounts without ¥."""
    person = {
        key.removeprefix("person_"): cells[key].strip()
        for key in ("person_name", "person_position", "person_department")
        if key in cells
    }
    data: dict[str, Any] = {"responsible_person": person}
    for key in ITEM_FIGURES:
        if key not in cells:
            continue
        raw = cells[key].strip()
        if key == "procurement_method" and raw:
            code = METHOD_NAMES.get(raw) or METHOD_NAMES.get(raw.casefold())
            if code is None:
                issues.append(
                    RowIssue(
                        row,
                        headers[key],
                        key,
                        "unknown_method",
                        f"procurement_method must be one of: {METHOD_DISPLAY}",
                        {"allowed": METHOD_DISPLAY},
                    )
                )
                continue
            raw = code
        elif key in ("amount", "benchmark_price", "unit_price"):
            raw = clean_money(raw)
        data[key] = raw
    return data


def _duplicates(session: Session, preview: Preview) -> None:
    """Employee numbers twice in the file or already on the roster are errors; a repeated item a warning."""
    if preview.kind == "roster":
        existing = set(
            session.scalars(
                select(Representative.employee_no).where(Representative.meeting_id == preview.meeting_id)
            )
        )
        first_seen: dict[str, int] = {}
        column = preview.headers["employee_no"]
        for row in preview.rows:
            number = row.data.get("employee_no", "")
            if not number:
                continue
            if number in existing:
                row.issues.append(
                    RowIssue(
                        row.row,
                        column,
                        "employee_no",
                        "already_on_roster",
                        f"employee number {number} is already on this roster",
                        {"value": number},
                    )
                )
            elif number in first_seen:
                row.issues.append(
                    RowIssue(
                        row.row,
                        column,
                        "employee_no",
                        "duplicate_in_file",
                        f"employee number {number} is also in row {first_seen[number]}",
                        {"value": number, "other_row": first_seen[number]},
                    )
                )
            else:
                first_seen[number] = row.row
        return
    existing_items = {
        (title, name)
        for title, name in session.execute(
            select(Item.title, ResponsiblePerson.name)
            .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
            .where(Item.meeting_id == preview.meeting_id)
        )
    }
    seen: dict[tuple[str, str], int] = {}
    column = preview.headers["title"]
    for row in preview.rows:
        pair = (row.data.get("title", ""), row.data.get("responsible_person", {}).get("name", ""))
        if pair in existing_items:
            row.warnings.append(
                RowIssue(row.row, column, "title", "item_exists", "this item is already on the meeting")
            )
        elif pair in seen:
            row.warnings.append(
                RowIssue(
                    row.row,
                    column,
                    "title",
                    "item_repeated",
                    f"the same item is also in row {seen[pair]}",
                    {"other_row": seen[pair]},
                )
            )
        else:
            seen[pair] = row.row


def _figure_warnings(preview: Preview) -> None:
    """Figures of a good item row that do not fit together (a single source with several
    suppliers): a warning on the row, which still imports."""
    if preview.kind != "items":
        return
    for row in preview.rows:
        if row.issues:
            continue
        item = parse_model(ItemCreate, row.data)
        for code in entry_warnings(
            procurement_method=item.procurement_method, supplier_count=item.supplier_count
        ):
            column = preview.headers.get("supplier_count") or preview.headers["title"]
            row.warnings.append(
                RowIssue(
                    row.row,
                    column,
                    "supplier_count",
                    code,
                    f"a single-source purchase with {item.supplier_count} suppliers",
                    {"count": item.supplier_count},
                )
            )


def _capacity(session: Session, preview: Preview) -> None:
    if preview.kind == "roster":
        model: Any = Representative
        limit, code = roster.MAX_ROSTER, "roster_full"
    else:
        model, limit, code = Item, agenda.MAX_ITEMS, "too_many_items"
    have = (
        session.scalar(select(func.count()).select_from(model).where(model.meeting_id == preview.meeting_id))
        or 0
    )
    if have + len(preview.rows) > limit:
        raise FileRefused(
            f"the meeting can hold {limit - have} more, the file has {len(preview.rows)}",
            code,
            409,
            reason="import_capacity",
            room=limit - have,
            rows=len(preview.rows),
        )


def parse(
    session: Session,
    meeting_id: int,
    kind: str,
    filename: str,
    content: bytes,
    progress: Progress | None = None,
) -> Preview:
    """Parse and validate an upload for ``meeting_id`` without saving anything (``progress``
    hears ``(rows checked, rows)`` as it goes)."""
    if kind not in KINDS:
        raise FileRefused(f"kind must be one of {', '.join(KINDS)}", "invalid_kind", 404, kind=kind)
    check_meeting(session, meeting_id, kind)
    rows = read_table(filename, content)
    index, positions, headers, ignored = find_header(kind, rows)
    rules = meetings.get_meeting(session, meeting_id).rules
    groups = {**{g.key: g.key for g in rules.groups}, **{g.label: g.key for g in rules.groups}}
    parsed = []
    body = rows[index + 1 :]
    for n, (number, cells) in enumerate(body):
        if progress is not None and n % 100 == 0:
            progress(n, len(body))
        if not any(c.strip() for c in cells):
            continue
        values = {key: unquote(cells[col]) if col < len(cells) else "" for key, col in positions.items()}
        parsed.append(_validate(kind, values, headers, number, groups))
    if not parsed:
        raise FileRefused("the file has a header but no rows", "no_rows")
    if len(parsed) > MAX_ROWS:
        raise FileRefused(f"the file has more than {MAX_ROWS} rows", "too_many_rows", 413, limit=MAX_ROWS)
    fields = [f for f in FIELDS[kind] if f.key in positions]
    preview = Preview(kind, meeting_id, os.path.basename(filename)[:200], fields, headers, ignored, parsed)
    _duplicates(session, preview)
    _figure_warnings(preview)
    _capacity(session, preview)
    return preview


# --- staging and confirming -------------------------------------------------------------------


def stage(
    session: Session,
    folder: Path,
    meeting_id: int,
    kind: str,
    filename: str,
    content: bytes,
    actor: str,
    progress: Progress | None = None,
) -> Preview:
    """Parse an upload; when every row is good, keep it for confirmation and set ``preview.token``."""
    preview = parse(session, meeting_id, kind, filename, content, progress)
    if preview.ok:
        preview.token = staging.keep(
            folder,
            meeting_id=meeting_id,
            kind=kind,
            actor=actor,
            filename=preview.filename,
            rows=[(row.row, row.data) for row in preview.rows],
        )
    return preview


def confirm(
    session: Session,
    pending: staging.Pending,
    actor: str,
    tender_threshold: Decimal = agenda.DEFAULT_TENDER_THRESHOLD,
) -> Done[int]:
    """Add every row in the caller's transaction; the first refusal raises ImportRowFailed.

    Both steps of :mod:`.import_save` in one go; an edge that cares for SQLite's write lock runs
    :func:`import_save.plan` in a read transaction and :func:`import_save.apply` in the write."""
    return import_save.apply(session, import_save.plan(session, pending, tender_threshold), actor)


# --- the roster in import format ---------------------------------------------------------------


def roster_table(session: Session, meeting_id: int, english: bool = False) -> Table:
    """A meeting's roster with the import's headers, so it can be imported into the next meeting."""
    meeting = meetings.get_meeting(session, meeting_id)
    table = template_table("roster", english)
    ballot = {"phone": "phone", "paper": "paper"} if english else {"phone": "手机", "paper": "纸质"}
    # A group by its label (what the import reads back); the key in English files.
    group = {g.key: (g.key if english else g.label) for g in meeting.rules.groups}
    table.rows = [
        [
            r.name,
            r.employee_no,
            r.department,
            ballot.get(r.ballot, r.ballot),
            group.get(r.rater_group or "", ""),
        ]
        for r in meeting.representatives
        if not r.revoked
    ]
    return table
