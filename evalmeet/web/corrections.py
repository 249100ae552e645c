"""Corrections after close (更正): the revision history of a finished meeting, and the admins' form.

``GET /meetings/{id}/corrections`` shows every text that may be corrected with what it says now,
the revision history, and (for admins, once the meeting has finished) the form; ``?what=`` (a
``target:id:field`` key) preloads the form with that text. The finished meeting's page and the
archive's meeting page include the history (``corrections/_history.html``) and, for admins, the
same form. A refusal shows the page again with the message (409/422), never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from evalmeet.domain import clock
from evalmeet.domain.errors import DomainError, NotFound, ValidationFailed
from evalmeet.domain.labels import CORRECTION_FIELD_LABELS
from evalmeet.extensions import db
from evalmeet.models import Meeting
from evalmeet.schemas.appeals import CorrectionCreate
from evalmeet.schemas.base import parse
from evalmeet.services.meetings import corrections
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge, error_text, labels
from evalmeet.web.auth import actor_name, current_account, login_required_page, moderator_page

bp = Blueprint("corrections", __name__)


def is_admin() -> bool:
    """Whether the caller may correct a finished meeting."""
    account = current_account()
    return bool(account and account.role == "admin")


def field_label(target: str, field: str) -> str:
    """会议名称 / 项目说明 / 质询答复 …"""
    return labels.name(CORRECTION_FIELD_LABELS, f"{target}.{field}")


def correction_view(meeting: Meeting) -> dict[str, Any]:
    """What the history and the form need (for the pages that include them)."""
    return {
        "rows": corrections.corrections_of(db.session, meeting.id),
        "options": corrections.options(db.session, meeting.id) if meeting.status == "closed" else [],
        "can_correct": meeting.status == "closed" and is_admin(),
    }


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    account = current_account() if request else None
    return {
        "correction_view": correction_view,
        "correction_label": field_label,
        "correction_time": clock.china_time,
        "can_moderate_meetings": bool(account and account.can_moderate),
    }


def _parsed_what(what: str) -> dict[str, Any]:
    """The form's ``target:id:field`` as the body's parts (junk: refused by the service)."""
    parts = what.split(":")
    if len(parts) != 3 or not parts[1].isdecimal() or len(parts[1]) > 10:
        raise ValidationFailed("choose what to correct", field="target", reason="required")
    return {"target": parts[0], "target_id": int(parts[1]), "field": parts[2]}


def _page(
    meeting_id: int, *, error: str | None = None, status: int = 200, values: dict[str, str] | None = None
) -> Any:
    meeting = meetings.get_meeting(db.session, meeting_id)
    view = correction_view(meeting)
    values = dict(values or {})
    if "what" not in values and request.args.get("what"):
        values["what"] = request.args["what"]
        chosen = next((o for o in view["options"] if o.key == values["what"]), None)
        values["value"] = chosen.current if chosen else ""
    page = render_template(
        "corrections/page.html",
        meeting=meeting,
        view=view,
        error=error,
        values=values,
        meeting_url=url_for("moderator.meeting", meeting_id=meeting.id),
    )
    return page, status


@bp.get("/meetings/<int:meeting_id>/corrections", endpoint="page")
@login_required_page
def corrections_page(meeting_id: int) -> Any:
    """The revision history of a meeting and, for admins, the correction form."""
    return _page(meeting_id)


@bp.post("/meetings/<int:meeting_id>/corrections", endpoint="correct")
@moderator_page
def correct(meeting_id: int) -> Any:
    """Correct one text of a finished meeting (admins only), with a reason."""
    meetings.get_meeting(db.session, meeting_id)
    values = {name: request.form.get(name, "") for name in ("what", "value", "reason")}
    if not is_admin():
        err = DomainError("admins only", code="forbidden", reason="admin")
        return _page(meeting_id, error=error_text.error_message(err), status=403, values=values)

    def work() -> Any:
        body = {**_parsed_what(values["what"]), "value": values["value"], "reason": values["reason"]}
        return corrections.correct(db.session, meeting_id, parse(CorrectionCreate, body), actor_name())

    def again(err: DomainError) -> Any:
        if isinstance(err, NotFound) and err.code == "meeting_not_found":
            raise err
        return _page(meeting_id, error=error_text.error_message(err), status=err.status, values=values)

    return edge.form_post(
        work,
        again=again,
        then=lambda _c: url_for("corrections.page", meeting_id=meeting_id, _anchor="revisions"),
        message=_("Correction saved; the revision history keeps the earlier wording."),
    )
