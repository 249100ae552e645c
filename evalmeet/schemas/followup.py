"""Follow-up actions: what was decided after a vote, its history and evidence, report-back.

What clients send (a new action, a change, an evidence upload's fields, the actions chosen for
a report-back, the register's filters) and what the API and pages answer.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from evalmeet.domain import clock
from evalmeet.domain.states import ACTION_KINDS, ACTION_STATUSES
from evalmeet.models import Action
from evalmeet.schemas.base import Body, Out, RowOut
from evalmeet.schemas.query import QueryChoice, QueryFlag, QueryPage, QueryPrefix, QueryText, QueryYear
from evalmeet.schemas.types import (
    Day,
    Email,
    Money,
    MoneyText,
    OneOf,
    OptionalDate,
    Text,
    When,
    is_id,
    refuse,
)

MAX_FILENAME = 200
_UNSAFE_CHARS = set('<>:"/\\|?*')

# --- what clients send ----------------------------------------------------------------------


def _require(schema: dict[str, Any], name: str) -> None:
    """Mark ``name`` required in a model's JSON Schema (its check runs on a missing value too)."""
    schema["required"] = [name, *(n for n in schema.get("required", []) if n != name)]
    schema["properties"][name].pop("default", None)


class ActionCreate(Body):
    """``POST /items/{id}/actions`` and the new-action form: kind and description are required."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _require(schema, "kind"))

    # a missing kind reads "must be one of …", like a wrong one (the form's empty choice);
    # the document still lists it as required
    kind: Annotated[str, OneOf(ACTION_KINDS)] = Field(default=None, validate_default=True)
    description: Annotated[str, Text(5000, multiline=True)]
    owner: Annotated[str, Text(100, required=False)] = ""
    owner_email: Email = ""
    due_date: OptionalDate = None


class ActionUpdate(Body):
    """``PATCH /actions/{id}`` and the action page's forms: the fields sent are changed.

    A ``note`` goes into the history with the change; ``due_date`` sent empty clears it, and so
    do ``owner_email`` and ``outcome_amount`` (the price a re-tender reached: ``retender``
    actions only, refused on others).
    """

    note: Annotated[str, Text(5000, required=False, multiline=True)] = ""
    status: Annotated[str | None, OneOf(ACTION_STATUSES)] = None  # sent as null: not one of them
    owner: Annotated[str | None, Text(100, required=False)] = None
    owner_email: Email = ""
    due_date: OptionalDate = None
    description: Annotated[str | None, Text(5000, multiline=True)] = None  # sent as null: required
    outcome_amount: Money = None

    def changes(self) -> dict[str, Any]:
        """The details sent (owner, e-mail, due date, description, outcome) with their parsed values."""
        return {name: getattr(self, name) for name in DETAIL_FIELDS if name in self.given()}


DETAIL_FIELDS = ("owner", "owner_email", "due_date", "description", "outcome_amount")


def clean_filename(raw: object) -> str:
    """The uploader's file name made safe to show: last path part only, no control characters."""
    name = unicodedata.normalize("NFC", raw if isinstance(raw, str) else "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = "".join("_" if ch in _UNSAFE_CHARS else ch for ch in name)
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: MAX_FILENAME - len(ext)] + ext
    return name


class EvidenceUpload(Body):
    """The form fields of an evidence upload (besides its bytes): the file's name, cleaned.

    Nothing the uploader sends becomes part of a path; the name is only shown and offered as
    the download's name. Empty when no file was chosen (the service refuses that: ``no_file``).
    """

    filename: Annotated[str, BeforeValidator(clean_filename), WithJsonSchema({"type": "string"})] = ""


def _action_ids(value: Any) -> list[int]:
    """The ticked actions: ids (a form sends digits), each once, in the order sent."""
    if not isinstance(value, list | tuple):
        raise refuse("not_ids", "must be a list of ids")
    ids: list[int] = []
    for raw in value:
        number = int(raw) if isinstance(raw, str) and raw.isdecimal() and len(raw) < 11 else raw
        if not is_id(number):
            raise refuse("not_ids", "must be a list of ids")
        if number not in ids:
            ids.append(number)
    return ids


class ReportBackCreate(Body):
    """The report-back form: the actions ticked (``action_id``, repeated) and an optional title."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    action_ids: Annotated[
        list[int],
        BeforeValidator(_action_ids),
        WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1}}),
    ] = Field(default_factory=list, validation_alias="action_id")
    title: Annotated[str, Text(200, required=False)] = ""


class ActionFilters(Body):
    """The follow-up register's ``?status=&kind=&overdue=&owner=&appeal=&page=`` (junk is ignored).

    ``?savings=1`` lists the re-tenders whose saving counts (the dashboard's savings figures),
    narrowed by ``year`` (of the meeting) and ``department`` (of the responsible person).
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    status: Annotated[str | None, QueryChoice(ACTION_STATUSES)] = None
    kind: Annotated[str | None, QueryChoice(ACTION_KINDS)] = None
    overdue_only: Annotated[bool, QueryFlag("1", "on", "true", "yes")] = Field(
        default=False, validation_alias="overdue"
    )
    owner: Annotated[str | None, QueryPrefix(100)] = None
    page: Annotated[int, QueryPage(6)] = 1
    # ``?appeal=pending``: sanctions with an appeal awaiting its decision
    appeal_pending: Annotated[bool, QueryFlag("pending")] = Field(default=False, validation_alias="appeal")
    savings: Annotated[bool, QueryFlag("1", "on", "true", "yes")] = False
    year: Annotated[int | None, QueryYear()] = None
    department: Annotated[str | None, QueryText(100)] = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links to other pages of the list)."""
        args = {"status": self.status or "", "kind": self.kind or "", "owner": self.owner or ""}
        if self.overdue_only:
            args["overdue"] = "1"
        if self.appeal_pending:
            args["appeal"] = "pending"
        if self.savings:
            args["savings"] = "1"
        if self.year:
            args["year"] = str(self.year)
        if self.department:
            args["department"] = self.department
        return {k: v for k, v in args.items() if v}


# --- what the API and pages answer ----------------------------------------------------------


class ActionNoteOut(Out):
    """One step of an action's history."""

    at: When
    author: str
    from_: str | None = Field(serialization_alias="from")
    to: str | None
    note: str | None


class ActionOut(Out):
    """A follow-up action with its history."""

    id: int
    item_id: int
    kind: str
    description: str
    owner: str | None
    owner_email: str
    due_date: Day
    status: str
    overdue: bool
    outcome_amount: MoneyText
    created_at: When
    updated_at: When
    history: list[ActionNoteOut]

    @classmethod
    def of(cls, action: Action, today: date | None = None) -> ActionOut:
        """The answer for ``action`` (overdue as of ``today``, the China day by default)."""
        from evalmeet.services.followup.actions import is_overdue  # (services import this module)

        return cls.from_row(
            action,
            overdue=is_overdue(action, today or clock.today()),
            history=[
                ActionNoteOut(
                    at=note.created_at,
                    author=note.author,
                    from_=note.status_from,
                    to=note.status_to,
                    note=note.note,
                )
                for note in action.notes
            ],
        )


class ActionListOut(Out):
    """``GET /items/{id}/actions``."""

    actions: list[ActionOut]


class AttachmentOut(RowOut):
    """An evidence upload's answer to a JSON client (201)."""

    id: int
    action_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
