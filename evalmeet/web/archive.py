"""The archive, responsible-person pages, the statistics dashboard and public disclosure (厂务公开).

Archive, people and dashboard pages are for any logged-in account (viewers included); the
public pages need no login and only ever receive the public records of
:mod:`evalmeet.services.archive.disclosure`. Every view parses its query string, calls one service and
renders; rehearsals never appear (the services leave them out).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.datastructures import iter_multi_items

from evalmeet.domain import clock
from evalmeet.domain.labels import (
    ACTION_KIND_LABELS,
    ACTION_STATUS_LABELS,
    APPEAL_STATUS_LABELS,
    CHOICE_LABELS,
    CORRECTION_FIELD_LABELS,
    ITEM_KIND_LABELS,
    ITEM_RESULT_LABELS,
    PROCUREMENT_METHOD_LABELS,
    Labels,
)
from evalmeet.extensions import db
from evalmeet.schemas.archive import (
    ACTION_FILTERS,
    NO_DEPARTMENT,
    NO_METHOD,
    RESULTS,
    ArchiveFilters,
    PeopleFilters,
)
from evalmeet.schemas.query import PageQuery, parse_query
from evalmeet.services.archive import dashboard, disclosure, people
from evalmeet.services.archive import meetings as archive_meetings
from evalmeet.services.archive import search as archive
from evalmeet.services.archive.search import percent
from evalmeet.services.archive.sheet_figures import PASS_RULE_NAMES
from evalmeet.services.paging import Page
from evalmeet.web import dashboard_charts, error_text, labels, paging
from evalmeet.web.auth import login_required_page

# The characters Werkzeug leaves unquoted in a query string (werkzeug.urls._urlencode).
URL_SAFE = "!$'()*,/:;?@"

bp = Blueprint("archive", __name__)


# The kinds of code an archive page names (see evalmeet/domain/labels.py).
_VOCABULARIES: dict[str, Labels] = {
    "method": PROCUREMENT_METHOD_LABELS,
    "result": ITEM_RESULT_LABELS,
    "action_kind": ACTION_KIND_LABELS,
    "action_status": ACTION_STATUS_LABELS,
    "choice": CHOICE_LABELS,
    "item_kind": ITEM_KIND_LABELS,
    "appeal": APPEAL_STATUS_LABELS,
    "correction": CORRECTION_FIELD_LABELS,
}


def _labels(kind: str) -> dict[str, str]:
    """The translated names of one kind of code, with the archive's own filter values."""
    names = labels.names(_VOCABULARIES.get(kind, {}))
    if kind == "method":
        names[NO_METHOD] = gettext("Not recorded")
    elif kind == "action_status":
        names["unresolved"] = gettext("Open or in progress")
        names["overdue"] = gettext("Overdue")
    return names


# The archive's query-string names for what a form calls otherwise (error_text's field names).
_FILTER_FIELDS = {"method": "procurement_method", "person": "responsible_person"}


def _filter_names() -> dict[str, str]:
    """What each ignored query-string value was, for the "we ignored …" message: the label of the
    form field it is (as a refusal names it), else the archive's own name for it."""
    names = {
        name: error_text.field_label(_FILTER_FIELDS.get(name, name))
        for name in ("from", "to", "department", "method", "person", "q")
    }
    names.update(
        range=gettext("Date range"),
        result=gettext("Result"),
        action=gettext("Follow-up actions"),
        page=gettext("Page"),
    )
    return names


def label(kind: str, value: str | None) -> str:
    """The translated name of a stored code (the code itself when unknown)."""
    if value is None or value == "":
        value = NO_METHOD if kind == "method" else ""
    return _labels(kind).get(value, value)


def department_label(value: str | None) -> str:
    """A department name; blank ones read "no department"."""
    return gettext("No department") if not value or value == NO_DEPARTMENT else value


def day(value: datetime | date | None) -> str:
    """``2026-03-01`` in China time (empty when unknown)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_china(value).date()
    return value.isoformat()


def yuan(value: Decimal | None) -> str:
    """``¥1,234.50``, ``-¥300.00`` (— when unknown)."""
    if value is None:
        return "—"
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"


def ratio(num: int, den: int) -> str:
    """``num/den`` as a percentage with one decimal (exact rounding; display only)."""
    return percent(Fraction(num, den)) if den else "—"


def pass_rule_name(rule: str) -> str:
    """What a pass rule means, in the page's language."""
    msgid = PASS_RULE_NAMES.get(rule)
    return gettext(msgid) if msgid else rule


def archive_url(args: dict[str, str] | None = None, **more: str) -> str:
    """The archive filtered by ``args`` (a dict of query-string values) and ``more``."""
    query: dict[str, Any] = {**(args or {}), **more}
    # What url_for("archive.index", **query) answers, with the route built once per request: a
    # ten-year dashboard links ~700 cells to the archive, and building each was a third of it.
    base = g.get("archive_index_url")
    if base is None:
        base = g.archive_index_url = url_for("archive.index")
    items = [(k, v) for k, v in iter_multi_items(query) if v is not None]
    return f"{base}?{urlencode(items, safe=URL_SAFE)}" if items else base


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "label": label,
        "department_label": department_label,
        "day": day,
        "yuan": yuan,
        "percent": percent,
        "ratio": ratio,
        "archive_url": archive_url,
        "choice_names_of": lambda meeting: labels.choice_names(meeting.rules),
        "pass_rule_name": pass_rule_name,
        "NO_DEPARTMENT": NO_DEPARTMENT,
        "RESULT_FILTERS": RESULTS,
        "ACTION_FILTERS": ACTION_FILTERS,
        "SANCTION_KINDS": people.SANCTION_KINDS,
    }


def _problems(names: list[str]) -> list[str]:
    names_of = _filter_names()
    return [names_of.get(name, name) for name in names]


# --- archive ----------------------------------------------------------------------------------


def _filtered(template: str, search: Any) -> Any:
    """A page of ``search(session, filters)`` under the query string's filters (and what was wrong
    with them)."""
    filters, problems = ArchiveFilters.from_query(request.args)
    return render_template(template, page=search(db.session, filters), problems=_problems(problems))


@bp.get("/archive")
@login_required_page
def index() -> Any:
    """Evaluated items of closed meetings, filtered by the query string, a page at a time."""
    return _filtered("archive/index.html", archive.search)


@bp.get("/archive/meetings")
@login_required_page
def meetings() -> Any:
    """Closed meetings (optionally within a date range) with attendance and outcomes."""
    return _filtered("archive/meetings.html", archive_meetings.meetings_in_range)


@bp.get("/archive/meetings/<int:meeting_id>")
@login_required_page
def meeting(meeting_id: int) -> Any:
    """One archived meeting: attendance, items, questions and answers, results, actions."""
    record = archive_meetings.meeting_record(db.session, meeting_id)
    return render_template("archive/meeting.html", record=record)


@bp.get("/archive/people", endpoint="people")
@login_required_page
def people_index() -> Any:
    """Everyone who answered for archived items, repeat failures first."""
    filters, _ignored = parse_query(PeopleFilters, request.args)
    counted: list[int] = []

    def fetch(query: PageQuery) -> Page[people.PersonSummary]:
        page, total = people.people_page(db.session, filters, query, default=paging.page_size())
        counted.append(total)
        return page

    page = paging.html_page(fetch)
    return render_template(
        "archive/people.html",
        rows=page.rows,
        total=counted[-1],
        pager=paging.pager(page),
        name=filters.name or "",
        disciplined=filters.disciplined_only,
    )


@bp.get("/archive/people/<int:person_id>")
@login_required_page
def person(person_id: int) -> Any:
    """One responsible person's items, results, actions and sanctions across meetings."""
    history = people.person_history(db.session, person_id)
    return render_template("archive/person.html", history=history)


# --- statistics -------------------------------------------------------------------------------


@bp.get("/dashboard", endpoint="dashboard")
@login_required_page
def dashboard_page() -> Any:
    """Headline figures (as ``/api/v1/stats``), pass rates and action counts, with charts."""
    figures = dashboard.build(db.session)
    words = dashboard_charts.ChartWords(
        translate=gettext,
        method_label=lambda code: label("method", code),
        department_label=department_label,
        action_status_label=lambda code: label("action_status", code),
        archive_url=archive_url,
    )
    charts = dashboard_charts.render_charts(figures, words)
    # The chart strings are built with every text and attribute escaped (services/charts.py).
    # Every text and attribute in these SVG strings is escaped where charts.py builds them.
    names = ("months", "methods", "departments", "actions")
    svg = {name: Markup(getattr(charts, name)) for name in names}  # nosec B704
    return render_template("archive/dashboard.html", d=figures, svg=svg)


# --- public disclosure ------------------------------------------------------------------------


@bp.get("/public")
def public() -> Any:
    """Published meetings: results, counts and actions; no login."""
    page = paging.html_page(
        lambda query: disclosure.public_page(db.session, query, default=paging.page_size())
    )
    return render_template("archive/public.html", meetings=page.rows, pager=paging.pager(page))


@bp.get("/public/meetings/<int:meeting_id>")
def public_meeting(meeting_id: int) -> Any:
    """One published meeting; unpublished or unknown ones are 404."""
    record = disclosure.public_meeting(db.session, meeting_id)
    assert record.rules is not None
    return render_template(
        "archive/public_meeting.html", m=record, choice_names=labels.choice_names(record.rules)
    )
