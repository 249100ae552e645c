"""Moderator pages: the meetings list, a meeting with its items and roster, join slips.

Each POST parses the form into the same model the API takes and calls one service through
``edge.form_post``: it commits, runs the after-commit steps of the service's events and
redirects (so a reload never repeats it). A refusal is rolled back and the page is shown again
with the message next to the field it is about, with the refusal's 4xx status; never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import segno
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from evalmeet.domain.errors import DomainError, NotFound
from evalmeet.domain.risk import entry_warnings
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.extensions import db
from evalmeet.schemas.base import parse
from evalmeet.schemas.items import ItemCreate, ItemUpdate
from evalmeet.schemas.meetings import MeetingCreate, MeetingUpdate
from evalmeet.schemas.query import Cursor
from evalmeet.schemas.roster import RepresentativeCreate, RepresentativeUpdate
from evalmeet.services import lists
from evalmeet.services.archive import publishing
from evalmeet.services.events import Done
from evalmeet.services.followup import tracking as followup
from evalmeet.services.meetings import conduct, overview, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting.round import latest_result
from evalmeet.web import edge, error_text, labels, paging
from evalmeet.web import moderator_forms as forms
from evalmeet.web.auth import actor_name, moderator_page
from evalmeet.web.links import join_url
from evalmeet.web.projector import percent_text
from evalmeet.web.reach import join_base

bp = Blueprint("moderator", __name__)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "label": forms.label,
        "choices": forms.choices,
        "yuan": forms.yuan,
        "local_time": forms.local_time,
        "datetime_local_value": forms.datetime_local_value,
        "money_value": forms.money_value,
        "DECIDED_ITEM_STATUSES": DECIDED_ITEM_STATUSES,
        "person_label": forms.person_label,
        "warnings_of": _entry_warnings,
        "group_choices": forms.group_choices,
        "group_name": forms.group_name,
    }


def _entry_warnings(item: Any) -> list[str]:
    """An item's figures that do not fit together, as sentences (a warning, not a refusal)."""
    codes = entry_warnings(procurement_method=item.procurement_method, supplier_count=item.supplier_count)
    return [error_text.message_for(code, {"count": item.supplier_count}) for code in codes]


def _tender_threshold() -> Decimal:
    return Decimal(str(current_app.config.get("RISK_TENDER_THRESHOLD", "200000")))


def _form_page(template: str, error: forms.FormError | None, **context: Any) -> Any:
    """``template`` with ``error`` (a refusal, explained by field) and the refusal's status (200
    when there is none)."""
    return render_template(template, error=error, **context), error.status if error else 200


def _refused(err: DomainError) -> forms.FormError:
    """Undo the failed use case and explain it; unknown ids still become the 404 page."""
    db.session.rollback()
    if isinstance(err, NotFound):
        raise err
    return forms.explain(err)


# --- meetings list and meeting forms ----------------------------------------------------------


@bp.get("/", endpoint="home")
@bp.get("/meetings", endpoint="meetings")
@moderator_page
def meetings_list() -> Any:
    """The meetings, newest first, with their status and size; a page at a time."""
    page = paging.html_page(
        lambda query: meetings.meetings_page(db.session, query, default=paging.page_size())
    )
    counts = overview.meeting_counts(db.session, [m.id for m in page.rows])
    return render_template(
        "moderator/meetings.html", meetings=page.rows, counts=counts, pager=paging.pager(page)
    )


def _meeting_form(
    meeting: Any,
    values: dict[str, Any],
    rows: dict[str, list[dict[str, str]]],
    error: forms.FormError | None = None,
) -> Any:
    """The create/edit form; ``values`` and the editor's ``rows`` are what the user typed (kept
    after a refusal)."""
    return _form_page(
        "moderator/meeting_form.html",
        error,
        meeting=meeting,
        values=values,
        rows={kind: forms.padded(kind, found) for kind, found in rows.items()},
        max_rows=forms.MAX_ROWS,
        rules_locked=meeting is not None and meeting.status != "draft",
        self_url=(
            url_for("moderator.edit_meeting", meeting_id=meeting.id)
            if meeting is not None
            else url_for("moderator.new_meeting")
        ),
    )


@bp.route("/meetings/new", methods=["GET", "POST"], endpoint="new_meeting")
@moderator_page
def new_meeting() -> Any:
    """Create a draft meeting."""
    if request.method == "GET":
        defaults = {"scale": "three_level", "pass_threshold": "2/3", "quorum": "2/3", "pass_rule": "overall"}
        return _meeting_form(None, defaults, {"choices": [], "criteria": [], "groups": []})
    data = forms.meeting_data(request.form)
    values, rows = forms.meeting_values(request.form), forms.sheet_rows(request.form)
    return edge.form_post(
        lambda: meetings.create_meeting(db.session, parse(MeetingCreate, data), actor_name()),
        again=lambda err: _meeting_form(None, values, rows, _refused(err)),
        then=lambda meeting: url_for("moderator.meeting", meeting_id=meeting.id),
        message=_("Meeting created. Now add its items and roster."),
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"], endpoint="edit_meeting")
@moderator_page
def edit_meeting(meeting_id: int) -> Any:
    """Edit a meeting (its voting rules only while it is a draft)."""
    meeting = meetings.get_meeting(db.session, meeting_id)
    if request.method == "GET":
        values = {
            "title": meeting.title,
            "scheduled_at": forms.datetime_local_value(meeting.scheduled_at),
            "location": meeting.location,
            "scale": meeting.scale,
            "pass_threshold": meeting.pass_threshold,
            "quorum": meeting.quorum,
            "pass_rule": meeting.pass_rule,
            "rehearsal": "on" if meeting.rehearsal else "off",
        }
        return _meeting_form(meeting, values, forms.meeting_rows(meeting))
    data = forms.meeting_data(request.form)
    typed, rows = forms.meeting_values(request.form), forms.sheet_rows(request.form)

    def again(err: DomainError) -> Any:
        error = _refused(err)
        meeting = meetings.get_meeting(db.session, meeting_id)
        # Disabled (locked) rules were not sent: show the meeting's own.
        shown = rows if "criterion_key" in request.form else forms.meeting_rows(meeting)
        return _meeting_form(meeting, typed, shown, error)

    return edge.form_post(
        lambda: meetings.update_meeting(db.session, meeting_id, parse(MeetingUpdate, data), actor_name()),
        again=again,
        then=lambda _meeting: url_for("moderator.meeting", meeting_id=meeting_id),
        message=_("Meeting saved."),
    )


# --- one meeting ------------------------------------------------------------------------------


def _meeting_page(
    meeting_id: int,
    *,
    error: forms.FormError | None = None,
    item_values: dict[str, Any] | None = None,
    rep_values: dict[str, Any] | None = None,
    form: str = "",
) -> Any:
    """The meeting page; after a refusal, ``form`` names the form to show the error in."""
    meeting = meetings.meeting_with_items(db.session, meeting_id)
    # The roster a page at a time: 5,000 rows took the server 1.1 s to render (6.5 MB), a stall
    # of every phone of a live meeting.
    roster = paging.html_page(
        lambda query: lists.representatives_page(db.session, meeting_id, query, default=paging.page_size())
    )
    return _form_page(
        "moderator/meeting.html",
        error,
        meeting=meeting,
        attendance=meetings.attendance_of(db.session, meeting).json_dict(),
        representatives=roster.rows,
        roster_pager=paging.pager(roster, to=lambda cursor: _roster_page_url(meeting_id, cursor)),
        failed_form=form,
        item_values=item_values or {},
        rep_values=rep_values or {},
        people=agenda.list_people(db.session) if meeting.status != "closed" else [],
        unfollowed={row.item.id for row in followup.failed_without_actions(db.session, meeting.id)},
        results=_results(meeting),
        console_url=url_for("console.console", meeting_id=meeting.id),
        projector_url=url_for("projector.screen", token=meeting.display_token),
        self_url=url_for("moderator.meeting", meeting_id=meeting.id),
    )


def _roster_page_url(meeting_id: int, cursor: Cursor) -> str:
    """The meeting page at the roster's page ``cursor`` starts (the language kept; after a
    form's POST too, whose URL is not the meeting page's)."""
    args: dict[str, Any] = {key: request.args[key] for key in ("lang", "limit") if key in request.args}
    args["cursor"] = cursor.token()
    return url_for("moderator.meeting", meeting_id=meeting_id, **args, _anchor="roster")


def _results(meeting: Any) -> dict[int, dict[str, Any]]:
    """Each decided item's latest result as the page shows it, by item id: the counts of each
    choice in ballot order, the rate, ballots and present."""
    out: dict[int, dict[str, Any]] = {}
    names = labels.choice_names(meeting.rules)
    for item in meeting.items:
        frozen = latest_result(db.session, item.id) if item.status in DECIDED_ITEM_STATUSES else None
        if frozen is None:
            continue
        order = list(names)
        order += [c for c in frozen.counts if c not in order]
        out[item.id] = {
            "counts": [(names.get(c, c), frozen.counts.get(c, 0)) for c in order],
            "rate": percent_text(f"{frozen.satisfaction_num}/{frozen.satisfaction_den}"),
            "ballots": frozen.ballots,
            "present": frozen.present,
            "round": frozen.vote_round,
        }
    return out


@bp.get("/meetings/<int:meeting_id>", endpoint="meeting")
@moderator_page
def meeting_page(meeting_id: int) -> Any:
    """A meeting: details, start/finish, items in running order, the roster."""
    return _meeting_page(meeting_id)


def _button_post(meeting_id: int, work: Callable[[], Done[Any]], to: str, message: str | None = None) -> Any:
    """A button on the meeting page (on the meeting, an item or a roster entry): do ``work``, then
    go ``to`` (a place on that page, mostly); a refusal shows the meeting page with it."""
    return edge.form_post(
        work,
        again=lambda err: _meeting_page(meeting_id, error=_refused(err)),
        then=lambda _value: to,
        message=message,
    )


def _meeting_post(
    meeting_id: int, work: Callable[[Session, int, str], Done[Any]], message: str, to: str | None = None
) -> Any:
    """A button on the meeting itself: ``work(session, meeting_id, actor)``, then back to the
    meeting (or ``to``)."""
    to = to or url_for("moderator.meeting", meeting_id=meeting_id)
    return _button_post(meeting_id, lambda: work(db.session, meeting_id, actor_name()), to, message)


@bp.post("/meetings/<int:meeting_id>/start", endpoint="start_meeting")
@moderator_page
def start_meeting(meeting_id: int) -> Any:
    """Draft → live: representatives can now check in with their links."""
    return _meeting_post(meeting_id, conduct.start_meeting, _("The meeting has started."))


@bp.post("/meetings/<int:meeting_id>/finish", endpoint="finish_meeting")
@moderator_page
def finish_meeting(meeting_id: int) -> Any:
    """Live → closed."""
    return _meeting_post(meeting_id, conduct.finish_meeting, _("The meeting has finished."))


@bp.post("/meetings/<int:meeting_id>/publish", endpoint="publish_meeting")
@moderator_page
def publish_meeting(meeting_id: int) -> Any:
    """Put a closed meeting on the public disclosure page (厂务公开)."""
    return _meeting_post(meeting_id, publishing.publish, _("Published on the public disclosure page."))


@bp.post("/meetings/<int:meeting_id>/delete", endpoint="delete_meeting")
@moderator_page
def delete_meeting(meeting_id: int) -> Any:
    """Delete a draft (or a rehearsal)."""
    to = url_for("moderator.meetings")
    return _meeting_post(meeting_id, meetings.delete_meeting, _("Meeting deleted."), to=to)


# --- items ------------------------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/items", endpoint="add_item")
@moderator_page
def add_item(meeting_id: int) -> Any:
    """Add an item at the end of the running order."""
    data = forms.item_data(request.form)
    return edge.form_post(
        lambda: agenda.add_item(
            db.session, meeting_id, parse(ItemCreate, data), actor_name(), _tender_threshold()
        ),
        again=lambda err: _meeting_page(
            meeting_id, error=_refused(err), item_values=dict(request.form), form="item"
        ),
        then=lambda _item: url_for("moderator.meeting", meeting_id=meeting_id, _anchor="items"),
        message=_("Item added."),
    )


def _item_values(item: Any) -> dict[str, Any]:
    person = item.responsible_person
    return {
        "title": item.title,
        "person_name": person.name,
        "person_position": person.position,
        "person_department": person.department,
        "procurement_method": item.procurement_method or "",
        "supplier_count": "" if item.supplier_count is None else str(item.supplier_count),
        "amount": forms.money_value(item.amount),
        "benchmark_price": forms.money_value(item.benchmark_price),
        "unit_price": forms.money_value(item.unit_price),
        "description": item.description,
    }


def _item_form(item_id: int, values: dict[str, Any], error: forms.FormError | None = None) -> Any:
    """The edit form; ``values`` are what the user typed (kept after a refusal)."""
    item = meetings.get_item(db.session, item_id)
    people = agenda.list_people(db.session)
    return _form_page("moderator/item_form.html", error, item=item, values=values, people=people)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"], endpoint="edit_item")
@moderator_page
def edit_item(item_id: int) -> Any:
    """Edit an item that has not been voted on."""
    item = meetings.get_item(db.session, item_id)
    if request.method == "GET":
        return _item_form(item_id, _item_values(item))
    data = forms.item_data(request.form)
    return edge.form_post(
        lambda: agenda.update_item(
            db.session, item_id, parse(ItemUpdate, data), actor_name(), _tender_threshold()
        ),
        again=lambda err: _item_form(item_id, dict(request.form), _refused(err)),
        then=lambda saved: url_for("moderator.meeting", meeting_id=saved.meeting_id, _anchor="items"),
        message=_("Item saved."),
    )


@bp.post("/items/<int:item_id>/move", endpoint="move_item")
@moderator_page
def move_item(item_id: int) -> Any:
    """One place up or down in the running order (``direction`` = up | down)."""
    meeting_id = meetings.get_item(db.session, item_id).meeting_id
    direction = -1 if request.form.get("direction") == "up" else 1
    to = url_for("moderator.meeting", meeting_id=meeting_id, _anchor=f"item-{item_id}")
    return _button_post(
        meeting_id, lambda: agenda.move_item(db.session, item_id, direction, actor_name()), to
    )


@bp.post("/items/<int:item_id>/remove", endpoint="remove_item")
@moderator_page
def remove_item(item_id: int) -> Any:
    """Remove a pending item."""
    meeting_id = meetings.get_item(db.session, item_id).meeting_id
    return _button_post(
        meeting_id,
        lambda: agenda.remove_item(db.session, item_id, actor_name()),
        url_for("moderator.meeting", meeting_id=meeting_id, _anchor="items"),
        _("Item removed."),
    )


# --- roster -----------------------------------------------------------------------------------


def _to_roster(meeting_id: int) -> str:
    return url_for("moderator.meeting", meeting_id=meeting_id, _anchor="roster")


@bp.post("/meetings/<int:meeting_id>/representatives", endpoint="add_representative")
@moderator_page
def add_representative(meeting_id: int) -> Any:
    """Put a representative on the roster."""
    data = forms.representative_data(request.form)
    return edge.form_post(
        lambda: roster.add_representative(
            db.session, meeting_id, parse(RepresentativeCreate, data), actor_name()
        ),
        again=lambda err: _meeting_page(
            meeting_id, error=_refused(err), rep_values=data, form="representative"
        ),
        then=lambda _rep: _to_roster(meeting_id),
        message=_("Representative added."),
    )


def _representative_form(rep_id: int, values: dict[str, Any], error: forms.FormError | None = None) -> Any:
    """The edit form; ``values`` are what the user typed (kept after a refusal)."""
    rep = meetings.get_representative(db.session, rep_id)
    return _form_page("moderator/representative_form.html", error, rep=rep, values=values)


@bp.route("/representatives/<int:rep_id>/edit", methods=["GET", "POST"], endpoint="edit_representative")
@moderator_page
def edit_representative(rep_id: int) -> Any:
    """Edit a roster entry."""
    rep = meetings.get_representative(db.session, rep_id)
    if request.method == "GET":
        values = {
            "name": rep.name,
            "employee_no": rep.employee_no,
            "department": rep.department,
            "ballot": rep.ballot,
            "group": rep.rater_group or "",
        }
        return _representative_form(rep_id, values)
    data = forms.representative_data(request.form)
    return edge.form_post(
        lambda: roster.update_representative(
            db.session, rep_id, parse(RepresentativeUpdate, data), actor_name()
        ),
        again=lambda err: _representative_form(rep_id, data, _refused(err)),
        then=lambda saved: _to_roster(saved.meeting_id),
        message=_("Representative saved."),
    )


def _roster_post(rep_id: int, work: Callable[[Session, int, str], Done[Any]], message: str) -> Any:
    """A button on a roster entry: do ``work(session, rep_id, actor)``, then back to the roster."""
    meeting_id = meetings.get_representative(db.session, rep_id).meeting_id
    to = _to_roster(meeting_id)
    return _button_post(meeting_id, lambda: work(db.session, rep_id, actor_name()), to, message)


@bp.post("/representatives/<int:rep_id>/remove", endpoint="remove_representative")
@moderator_page
def remove_representative(rep_id: int) -> Any:
    """Take someone off a draft roster."""
    return _roster_post(rep_id, roster.remove_representative, _("Representative removed."))


@bp.post("/representatives/<int:rep_id>/revoke", endpoint="revoke_representative")
@moderator_page
def revoke_representative(rep_id: int) -> Any:
    """Stop a join link working (lost phone, wrong person)."""
    return _roster_post(rep_id, roster.revoke_representative, _("The join link was revoked."))


@bp.post("/representatives/<int:rep_id>/reissue", endpoint="reissue_representative")
@moderator_page
def reissue_representative(rep_id: int) -> Any:
    """Give a representative a new join link; the old one stops working."""
    return _roster_post(rep_id, roster.reissue_join_token, _("A new join link was issued; print a new slip."))


# --- join slips -------------------------------------------------------------------------------


@bp.get("/meetings/<int:meeting_id>/slips", endpoint="slips")
@moderator_page
def slips(meeting_id: int) -> Any:
    """A printable page of join slips: one per representative, with the QR code of their link."""
    meeting = meetings.get_meeting(db.session, meeting_id)
    slips = []
    for rep in meeting.representatives:
        if rep.revoked:
            continue
        url = join_url(rep.join_token)
        slips.append({"rep": rep, "url": url, "qr": segno.make(url, error="m").svg_data_uri(scale=4)})
    return render_template("moderator/slips.html", meeting=meeting, slips=slips, reach=join_base())
