"""The moderator pages' forms: form fields to service input, labels, and errors people can read.

The schema models validate everything; this module only reshapes HTML form fields into the
dicts those models parse (the same shape as the API's JSON bodies), and turns a refusal into a
sentence in the page's language, attached to the form field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict

from evalmeet.domain import clock
from evalmeet.domain.errors import DomainError
from evalmeet.domain.labels import (
    BALLOT_LABELS,
    CHOICE_LABELS,
    ITEM_STATUS_LABELS,
    MEETING_STATUS_LABELS,
    PROCUREMENT_METHOD_LABELS,
    SCALE_LABELS,
    Labels,
)
from evalmeet.domain.sheets import CUSTOM, MAX_CHOICES, MAX_CRITERIA, MAX_GROUPS, fraction_text
from evalmeet.i18n import Label
from evalmeet.schemas.items import ITEM_FIGURES
from evalmeet.services.archive.sheet_figures import PASS_RULE_NAMES
from evalmeet.web import error_text, labels

MEETING_FIELDS = ("title", "scheduled_at", "location", "scale", "pass_threshold", "quorum", "pass_rule")
ITEM_FIELDS = ITEM_FIGURES
PERSON_FIELDS = {"person_name": "name", "person_position": "position", "person_department": "department"}
REPRESENTATIVE_FIELDS = ("name", "employee_no", "department")

# The rows of the rating-sheet editor: each row's inputs (name -> the API field it fills). A page
# without its script gets a fixed number of blank rows; moderator.js may add more.
CHOICE_ROW = {
    "choice_key": "key",
    "choice_label": "label",
    "choice_satisfied": "satisfied",
    "choice_score": "score",
}
CRITERION_ROW = {"criterion_key": "key", "criterion_label": "label"}
GROUP_ROW = {"group_key": "key", "group_label": "label", "group_weight": "weight"}
ROW_KINDS = {"choices": CHOICE_ROW, "criteria": CRITERION_ROW, "groups": GROUP_ROW}
# Keys a blank key input gets, by position (a moderator types 德 and 能, not snake_case)
AUTO_KEY = {"choices": "choice", "criteria": "c", "groups": "g"}
BLANK_ROWS = {"choices": MAX_CHOICES, "criteria": 6, "groups": 4}
MAX_ROWS = {"choices": MAX_CHOICES, "criteria": MAX_CRITERIA, "groups": MAX_GROUPS}


def _last(form: MultiDict[str, str], name: str) -> str | None:
    values = form.getlist(name)
    return values[-1] if values else None


def sheet_rows(form: MultiDict[str, str]) -> dict[str, list[dict[str, str]]]:
    """The editor's rows as typed (``{"choices": [{"choice_key": ...}, ...], ...}``), blank rows
    left out; kept to show the form again after a refusal."""
    out: dict[str, list[dict[str, str]]] = {}
    for kind, row in ROW_KINDS.items():
        columns = {name: form.getlist(name) for name in row}
        count = max((len(v) for v in columns.values()), default=0)
        rows = []
        for n in range(min(count, MAX_ROWS[kind] + 5)):
            cells = {name: (values[n] if n < len(values) else "").strip() for name, values in columns.items()}
            # A blank row is blank in its text inputs (a "satisfied" select always says something)
            if any(cells[name] for name in row if name != "choice_satisfied"):
                rows.append(cells)
        out[kind] = rows
    return out


def _entries(kind: str, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Rows as the API's entries (``{key, label, ...}``); a blank key gets one by position."""
    entries = []
    for n, cells in enumerate(rows, start=1):
        entry: dict[str, Any] = {field: cells.get(name, "") for name, field in ROW_KINDS[kind].items()}
        entry["key"] = entry["key"] or f"{AUTO_KEY[kind]}{n}"
        if kind == "choices":
            entry["satisfied"] = cells.get("choice_satisfied") == "yes"
            if not entry["score"]:
                del entry["score"]
        entries.append(entry)
    return entries


def meeting_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The meeting fields the form sent, in the API's shape (disabled fields are absent and stay
    unchanged): a custom scale's rows become ``{"choices": [...]}``, the criteria and group rows
    their lists (no rows: none)."""
    data: dict[str, Any] = {name: form[name] for name in MEETING_FIELDS if name in form}
    rows = sheet_rows(form)
    if data.get("scale") == CUSTOM:
        data["scale"] = {"choices": _entries("choices", rows["choices"])}
    for kind in ("criteria", "groups"):
        if next(iter(ROW_KINDS[kind])) in form:  # the editor was on the page and not disabled
            data[kind] = _entries(kind, rows[kind])
    # A hidden "off" precedes the checkbox, so an unticked box still says so; the last one wins.
    rehearsal = _last(form, "rehearsal")
    if rehearsal is not None:
        data["rehearsal"] = rehearsal
    return data


def item_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The item fields for ``ItemCreate``/``ItemUpdate``, with the responsible person nested."""
    data: dict[str, Any] = {name: form[name] for name in ITEM_FIELDS if name in form}
    if form.get("person_id"):
        # Chosen in the picker: that registry entry, whatever the fields below it still hold (a
        # page without its script leaves the previous person's name there).
        data["responsible_person"] = {"id": form["person_id"]}
    else:  # the picker's empty choice: the person typed in, matched by name + department
        data["responsible_person"] = {key: form.get(name, "") for name, key in PERSON_FIELDS.items()}
    return data


def meeting_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the form showed, to show it again after a refusal (the scale as its select's value)."""
    values: dict[str, Any] = {name: form[name] for name in MEETING_FIELDS if name in form}
    rehearsal = _last(form, "rehearsal")
    if rehearsal is not None:
        values["rehearsal"] = rehearsal
    return values


def meeting_rows(meeting: Any) -> dict[str, list[dict[str, str]]]:
    """A meeting's custom scale, criteria and groups as the editor's rows."""
    rules = meeting.rules
    choices = (
        [
            {
                "choice_key": c.key,
                "choice_label": c.label or c.key,
                "choice_satisfied": "yes" if c.satisfied else "no",
                "choice_score": "" if c.score is None else format(c.score, "f"),
            }
            for c in rules.scale.choices
        ]
        if rules.scale.name == CUSTOM
        else []
    )
    criteria = [{"criterion_key": c.key, "criterion_label": c.label} for c in rules.criteria]
    groups = [
        {"group_key": g.key, "group_label": g.label, "group_weight": fraction_text(g.weight)}
        for g in rules.groups
    ]
    return {"choices": choices, "criteria": criteria, "groups": groups}


def padded(kind: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """``rows`` and blank ones after them, so a page without its script can add some."""
    room = MAX_ROWS[kind] - len(rows)
    blank = max(0, min(room, max(BLANK_ROWS[kind] - len(rows), 2)))
    return rows + [{} for _ in range(blank)]


def representative_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """A roster entry's fields for ``RepresentativeCreate``/``RepresentativeUpdate`` (``ballot``
    and ``group`` only when the form has them: phone and no group by default)."""
    data: dict[str, Any] = {name: form.get(name, "") for name in REPRESENTATIVE_FIELDS}
    if form.get("ballot"):
        data["ballot"] = form["ballot"]
    if form.get("group"):
        data["group"] = form["group"]
    return data


# --- labels -----------------------------------------------------------------------------------


# The kinds of code a moderator page names (see evalmeet/domain/labels.py).
_VOCABULARIES: dict[str, Labels] = {
    "meeting_status": MEETING_STATUS_LABELS,
    "item_status": ITEM_STATUS_LABELS,
    "method": PROCUREMENT_METHOD_LABELS,
    "scale": SCALE_LABELS,
    "ballot": BALLOT_LABELS,
    "choice": CHOICE_LABELS,
    "pass_rule": {rule: Label(msgid) for rule, msgid in PASS_RULE_NAMES.items()},
}


def label(kind: str, value: str | None) -> str:
    """The translated name of a status, method or scale (the raw value when unknown)."""
    return labels.name(_VOCABULARIES.get(kind, {}), value)


def choices(kind: str) -> list[tuple[str, str]]:
    """``(value, translated label)`` pairs for a select box."""
    return list(labels.names(_VOCABULARIES.get(kind, {})).items())


def group_choices(meeting: Any) -> list[tuple[str, str]]:
    """``(key, label)`` of a meeting's rater groups, for the roster's select box."""
    return [(g.key, g.label) for g in meeting.rules.groups]


def group_name(meeting: Any, key: str | None) -> str:
    """A rater group's label (its key when the meeting no longer has it)."""
    return next((g.label for g in meeting.rules.groups if g.key == key), key or "")


def person_label(person: Any) -> str:
    """How the picker names a registry entry: ``王建国 · 供应处 · 采购员`` (namesakes apart)."""
    return " · ".join(part for part in (person.name, person.department, person.position) if part)


# --- formatting -------------------------------------------------------------------------------


def yuan(value: Decimal | None) -> str:
    """``¥1,234.50`` (empty when unknown)."""
    return "" if value is None else f"¥{value:,.2f}"


# Meetings happen in China; times are entered and shown in China Standard Time (domain/clock):
# ``2026-12-01 09:00`` on pages, ``2026-12-01T09:00`` as an ``<input type="datetime-local">`` value.
local_time = clock.china_time
datetime_local_value = clock.datetime_local_value


def money_value(value: Decimal | None) -> str:
    """An amount as an input's value (``1234.50``)."""
    return "" if value is None else f"{value:.2f}"


# --- errors -----------------------------------------------------------------------------------

# Where a service's field name is shown on the form.
_FIELD_INPUTS = {
    "responsible_person": "person_name",
    "responsible_person.id": "person_id",
    "responsible_person.name": "person_name",
    "responsible_person.position": "person_position",
    "responsible_person.department": "person_department",
}
# The service fields these forms have an input for (a refusal about another one is page-wide).
_FORM_FIELDS = {
    *MEETING_FIELDS,
    *ITEM_FIELDS,
    *REPRESENTATIVE_FIELDS,
    "rehearsal",
    "criteria",
    "groups",
    "group",
    *_FIELD_INPUTS,
}


@dataclass
class FormError:
    """A refusal as the page shows it: a sentence, and the input it belongs to (if any)."""

    message: str
    status: int
    code: str
    fields: dict[str, str] = field(default_factory=dict)


def explain(err: DomainError) -> FormError:
    """Turn a service's refusal into a message in the page's language (by its code, see
    :mod:`evalmeet.web.error_text`), tied to its input."""
    message = error_text.error_message(err)
    field_name = err.details.get("field") if err.details else None
    if isinstance(field_name, str) and field_name in _FORM_FIELDS:
        input_name = _FIELD_INPUTS.get(field_name, field_name)
        return FormError(message, err.status, err.code, {input_name: message})
    return FormError(message, err.status, err.code)
