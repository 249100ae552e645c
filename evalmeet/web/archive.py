"""The archive, responsible-person pages, the statistics dashboard and public disclosure (厂务公开).

Archive, people and dashboard pages are for any logged-in account (viewers included); the
public pages need no login and only ever receive the public records of
:mod:`evalmeet.services.disclosure`. Every view parses its query string, calls one service and
renders; rehearsals never appear (the services leave them out).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext, pgettext
from markupsafe import Markup

from evalmeet.domain import clock
from evalmeet.extensions import db
from evalmeet.services import archive, archive_meetings, dashboard, disclosure, people
from evalmeet.services.archive import NO_DEPARTMENT, NO_METHOD, percent
from evalmeet.web.auth import login_required_page

bp = Blueprint("archive", __name__)

# English message ids (translated in archive.po) of the values stored as codes.
_LABELS: dict[str, dict[str, str]] = {
    "method": {
        "single_source": "Single source",
        "tender": "Tender",
        "inquiry": "Inquiry",
        "negotiation": "Competitive negotiation",
        "other": "Other",
        NO_METHOD: "Not recorded",
    },
    "result": {"passed": "Passed", "failed": "Failed", "pending": "Not voted", "voting": "Voting"},
    "action_kind": {
        "rectification": "Rectification",
        "retender": "Re-tender",
        "warning": "Warning",
        "party_discipline": "Party discipline",
        "administrative_discipline": "Administrative discipline",
        "reassignment": "Reassignment",
        "other": "Other action",
    },
    "action_status": {
        "open": "Open",
        "in_progress": "In progress",
        "done": "Done",
        "verified": "Verified",
        "unresolved": "Open or in progress",
        "overdue": "Overdue",
    },
    "choice": {
        "satisfied": "Satisfied",
        "basically_satisfied": "Basically satisfied",
        "dissatisfied": "Dissatisfied",
        "pass": "Pass",
        "fail": "Fail",
    },
    "item_kind": {"procurement": "Procurement", "report_back": "Report-back"},
}
# What each ignored query-string value was, for the "we ignored …" message.
_FILTER_NAMES = {
    "from": "From",
    "to": "To",
    "range": "Date range",
    "department": "Department",
    "method": "Procurement method",
    "result": "Result",
    "person": "Responsible person",
    "q": "Text",
    "action": "Follow-up actions",
    "page": "Page",
}


def _(message: str, **variables: Any) -> str:
    """Translate with the archive's own context ("archive" in archive.po), else the shared catalogs.

    Every area's catalogs are merged into one, so an English word another area translates
    differently ("Open": 打开 a meeting vs. 未开始 an action) would otherwise override ours.
    """
    translated = pgettext("archive", message)
    if translated == message:
        translated = gettext(message)
    return translated % variables if variables else translated


def label(kind: str, value: str | None) -> str:
    """The translated name of a stored code (the code itself when unknown)."""
    if value is None or value == "":
        value = NO_METHOD if kind == "method" else ""
    english = _LABELS.get(kind, {}).get(value)
    return _(english) if english else value


def department_label(value: str | None) -> str:
    """A department name; blank ones read "no department"."""
    return _("No department") if not value or value == NO_DEPARTMENT else value


def day(value: datetime | date | None) -> str:
    """``2026-03-01`` in China time (empty when unknown)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_china(value).date()
    return value.isoformat()


def yuan(value: Decimal | None) -> str:
    """``¥1,234.50`` (— when unknown)."""
    return "—" if value is None else f"¥{value:,.2f}"


def ratio(num: int, den: int) -> str:
    """``num/den`` as a percentage with one decimal (exact rounding; display only)."""
    return percent(Fraction(num, den)) if den else "—"


def archive_url(args: dict[str, str] | None = None, **more: str) -> str:
    """The archive filtered by ``args`` (a dict of query-string values) and ``more``."""
    query: dict[str, Any] = {**(args or {}), **more}
    return url_for("archive.index", **query)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "_": _,
        "label": label,
        "department_label": department_label,
        "day": day,
        "yuan": yuan,
        "percent": percent,
        "ratio": ratio,
        "archive_url": archive_url,
        "NO_DEPARTMENT": NO_DEPARTMENT,
    }


def _problems(names: list[str]) -> list[str]:
    return [_(_FILTER_NAMES.get(name, name)) for name in names]


# --- archive ----------------------------------------------------------------------------------


@bp.get("/archive")
@login_required_page
def index() -> Any:
    """Evaluated items of closed meetings, filtered by the query string, a page at a time."""
    filters, problems = archive.parse_filters(request.args)
    page = archive.search(db.session, filters)
    return render_template("archive/index.html", page=page, problems=_problems(problems))


@bp.get("/archive/meetings")
@login_required_page
def meetings() -> Any:
    """Closed meetings (optionally within a date range) with attendance and outcomes."""
    filters, problems = archive.parse_filters(request.args)
    page = archive_meetings.meetings_in_range(db.session, filters)
    return render_template("archive/meetings.html", page=page, problems=_problems(problems))


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
    name = (request.args.get("q") or "").strip()[:100] or None
    disciplined = request.args.get("disciplined") in ("1", "true", "on")
    rows = people.people_index(db.session, name=name, disciplined_only=disciplined)
    return render_template("archive/people.html", rows=rows, name=name or "", disciplined=disciplined)


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
    words = dashboard.ChartWords(
        translate=_,
        method_label=lambda code: label("method", code),
        department_label=department_label,
        action_status_label=lambda code: label("action_status", code),
        archive_url=archive_url,
    )
    charts = dashboard.render_charts(figures, words)
    # The chart strings are built with every text and attribute escaped (services/charts.py).
    # Every text and attribute in these SVG strings is escaped where charts.py builds them.
    names = ("months", "methods", "departments", "actions")
    svg = {name: Markup(getattr(charts, name)) for name in names}  # nosec B704
    return render_template("archive/dashboard.html", d=figures, svg=svg)


# --- public disclosure ------------------------------------------------------------------------


@bp.get("/public")
def public() -> Any:
    """Published meetings: results, counts and actions; no login."""
    return render_template("archive/public.html", meetings=disclosure.public_meetings(db.session))


@bp.get("/public/meetings/<int:meeting_id>")
def public_meeting(meeting_id: int) -> Any:
    """One published meeting; unpublished or unknown ones are 404."""
    return render_template("archive/public_meeting.html", m=disclosure.public_meeting(db.session, meeting_id))
