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
from evalmeet.schemas.items import ITEM_FIGURES
from evalmeet.web import error_text, labels

MEETING_FIELDS = ("title", "scheduled_at", "location", "scale", "pass_threshold", "quorum")
ITEM_FIELDS = ITEM_FIGURES
PERSON_FIELDS = {"person_name": "name", "person_position": "position", "person_department": "department"}
REPRESENTATIVE_FIELDS = ("name", "employee_no", "department")


def _last(form: MultiDict[str, str], name: str) -> str | None:
    values = form.getlist(name)
    return values[-1] if values else None


def meeting_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The meeting fields the form sent (disabled fields are absent and stay unchanged)."""
    data: dict[str, Any] = {name: form[name] for name in MEETING_FIELDS if name in form}
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


def representative_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """A roster entry's fields for ``RepresentativeCreate``/``RepresentativeUpdate`` (``ballot``
    only when the form has it: phone by default)."""
    data: dict[str, Any] = {name: form.get(name, "") for name in REPRESENTATIVE_FIELDS}
    if form.get("ballot"):
        data["ballot"] = form["ballot"]
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
}


def label(kind: str, value: str | None) -> str:
    """The translated name of a status, method or scale (the raw value when unknown)."""
    return labels.name(_VOCABULARIES.get(kind, {}), value)


def choices(kind: str) -> list[tuple[str, str]]:
    """``(value, translated label)`` pairs for a select box."""
    return list(labels.names(_VOCABULARIES.get(kind, {})).items())


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
