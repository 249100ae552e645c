"""Follow-up pages: actions with notes and evidence, the overdue dashboard, report-back, wipe.

Anyone logged in (viewers too) reads the dashboard, the action pages and the evidence; every
change is for moderators and admins. Each POST parses the form into its schema model, calls one
service, commits through ``web/edge`` (which removes evidence files after a committed deletion,
or after a failed upload's rollback) and redirects; a refusal is rolled back and the page is
shown again with the message and the refusal's 4xx status (409 for a status move the workflow
does not allow), never a 500.

Evidence uploads may be up to 10 MB (``evidence.MAX_ATTACHMENT_BYTES``): bigger than the app's
5 MB ``MAX_CONTENT_LENGTH``, so the upload route is exempt from the global CSRF hook (which
would parse the body under the 5 MB limit first), raises the limit for its own request, and
then checks the CSRF token itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from evalmeet.domain import clock
from evalmeet.domain.errors import DomainError, NotFound, ValidationFailed
from evalmeet.domain.labels import ACTION_KIND_LABELS, ACTION_STATUS_LABELS, APPEAL_STATUS_LABELS
from evalmeet.domain.states import ACTION_KINDS, ACTION_STATUSES, APPEAL_DECISIONS
from evalmeet.extensions import csrf, db
from evalmeet.schemas.appeals import AppealCreate, AppealDecide
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import (
    ActionCreate,
    ActionFilters,
    ActionUpdate,
    AttachmentOut,
    EvidenceUpload,
    ReportBackCreate,
)
from evalmeet.schemas.query import PageQuery, parse_query
from evalmeet.services.events import Done
from evalmeet.services.followup import actions, appeals, evidence, reminders
from evalmeet.services.followup import tracking as followup
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.paging import Page
from evalmeet.web import edge, error_response, error_text, labels, paging, wants_json
from evalmeet.web.api.base import appeal_days
from evalmeet.web.archive import yuan as money
from evalmeet.web.auth import actor_name, current_account, login_required_page, moderator_page

bp = Blueprint("followup", __name__)

# The whole multipart body of an upload: the file plus room for the form fields around it.
UPLOAD_BODY_LIMIT = evidence.MAX_ATTACHMENT_BYTES + 256 * 1024


# --- helpers for the templates ----------------------------------------------------------------


def kind_label(kind: str | None) -> str:
    """整改 / Rectification …"""
    return labels.name(ACTION_KIND_LABELS, kind)


def status_label(status: str | None) -> str:
    """待办 / Open …"""
    return labels.name(ACTION_STATUS_LABELS, status)


def appeal_label(status: str | None) -> str:
    """复核中 / 维持原处理 / 撤销处理 / 变更处理 …"""
    return labels.name(APPEAL_STATUS_LABELS, status)


# ``2026-12-01 09:00`` in China time.
china_time = clock.china_time


def channel_label(channel: str) -> str:
    """``mail`` → "E-mail", ``webhook`` → "Group robot (webhook)"."""
    return {"mail": _("E-mail"), "webhook": _("Group robot (webhook)")}.get(channel, channel)


def _can_moderate() -> bool:
    account = current_account()
    return bool(account and account.can_moderate)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "kind_label": kind_label,
        "status_label": status_label,
        "appeal_label": appeal_label,
        "appeal_decisions": APPEAL_DECISIONS,
        "china_time": china_time,
        "human_size": evidence.human_size,
        "channel_label": channel_label,
        "money": money,
        "action_kinds": ACTION_KINDS,
        "action_statuses": ACTION_STATUSES,
        "can_moderate": _can_moderate(),
        "allowed_extensions": ", ".join(evidence.ALLOWED_EXTENSIONS),
        "max_upload_mb": evidence.MAX_ATTACHMENT_BYTES // (1024 * 1024),
    }


# --- refusals ---------------------------------------------------------------------------------


def explain(err: DomainError) -> str:
    """A refusal as a sentence in the page's language (by its code; the action forms' labels)."""
    return error_text.error_message(err, subject=error_text.ACTION)


def _refused(err: DomainError) -> None:
    """Undo the failed use case; unknown ids still become the 404 page."""
    db.session.rollback()
    _not_found(err)


def _not_found(err: DomainError) -> None:
    """An unknown id is the 404 page, not a message on a form."""
    if isinstance(err, NotFound):
        raise err


# --- the dashboard ----------------------------------------------------------------------------


@bp.get("/actions", endpoint="actions")
@login_required_page
def actions_dashboard() -> Any:
    """Every action of live and closed meetings, overdue first; filters by status, kind, owner."""
    filters, _ignored = parse_query(ActionFilters, request.args)
    view = followup.dashboard(db.session, filters)
    unfollowed = followup.failed_without_actions(db.session)
    return render_template(
        "followup/actions.html",
        view=view,
        filters=filters,
        unfollowed=unfollowed,
        reminder_failures=reminders.failures(db.session),
    )


# --- one action -------------------------------------------------------------------------------


def _action_page(
    action_id: int,
    *,
    error: str | None = None,
    status: int = 200,
    form: str = "",
    values: dict[str, Any] | None = None,
) -> Any:
    detail = followup.action_detail(db.session, action_id)
    action = detail.action
    defaults = {
        "owner": action.owner,
        "owner_email": action.owner_email,
        "outcome_amount": "" if action.outcome_amount is None else f"{action.outcome_amount:.2f}",
        "due_date": action.due_date.isoformat() if action.due_date else "",
        "description": action.description,
    }
    deadline = appeals.deadline(action, detail.meeting, appeal_days())
    rows = appeals.appeals_of(db.session, action.id)
    page = render_template(
        "followup/action.html",
        detail=detail,
        appeal_view={
            "appealable": appeals.appealable(action),
            "deadline": deadline,
            "days": appeal_days(),
            "late": clock.today() > deadline,
            "rows": rows,
            "pending": next((a for a in rows if a.status == "pending"), None),
            "overturned": any(a.status == "overturned" for a in rows),
            "today": clock.today(),
        },
        moves=actions.allowed_moves(action.status),
        error=error,
        failed_form=form,
        values={**defaults, **(values or {})},
        meeting_url=url_for("moderator.meeting", meeting_id=detail.meeting.id) if _can_moderate() else None,
        self_url=url_for("followup.action", action_id=action.id),
    )
    return page, status


def _action_again(action_id: int, err: DomainError, form: str, values: dict[str, Any] | None = None) -> Any:
    """The action page again after a refused form (rolled back), with the refusal's status."""
    _not_found(err)
    return _action_page(action_id, error=explain(err), status=err.status, form=form, values=values)


def _action_post(
    action_id: int,
    work: Callable[[], Done[Any]],
    *,
    form: str,
    values: dict[str, Any] | None = None,
    anchor: str,
    message: str,
) -> Any:
    """A form on the action page: do ``work``, then back to the page's ``anchor``; a refusal shows
    the page again with it in ``form`` (and what was typed, ``values``)."""
    return edge.form_post(
        work,
        again=lambda err: _action_again(action_id, err, form, values),
        then=lambda _value: url_for("followup.action", action_id=action_id, _anchor=anchor),
        message=message,
    )


@bp.get("/actions/<int:action_id>", endpoint="action")
@login_required_page
def action_page(action_id: int) -> Any:
    """An action: details, report-back votes, evidence, history and (for moderators) forms."""
    return _action_page(action_id)


@bp.post("/actions/<int:action_id>/progress", endpoint="progress")
@moderator_page
def record_progress(action_id: int) -> Any:
    """Move the status (or keep it) and add a progress note."""
    current = actions.get_action(db.session, action_id).status
    target = request.form.get("status") or current
    data = {"status": target, "note": request.form.get("note", "")}
    try:
        outcome = actions.update_action(db.session, action_id, parse(ActionUpdate, data), actor_name())
    except DomainError as err:
        db.session.rollback()
        return _action_again(action_id, err, "progress", data)
    action = edge.commit(outcome)
    if action.status != current:
        flash(_("Status changed to “%(status)s”.", status=status_label(action.status)), "success")
    elif data["note"].strip():
        flash(_("Progress note added."), "success")
    else:
        flash(_("Nothing to save: choose a new status or write a note."), "info")
    return redirect(url_for("followup.action", action_id=action_id, _anchor="history"))


@bp.post("/actions/<int:action_id>/edit", endpoint="edit")
@moderator_page
def edit_action(action_id: int) -> Any:
    """Change the owner, due date or description; the history keeps the old values."""
    fields = ("owner", "owner_email", "due_date", "description", "note")
    data = {name: request.form.get(name, "") for name in fields}
    if "outcome_amount" in request.form:  # offered on re-tenders only
        data["outcome_amount"] = request.form["outcome_amount"]
    return _action_post(
        action_id,
        lambda: actions.update_action(db.session, action_id, parse(ActionUpdate, data), actor_name()),
        form="edit",
        values=data,
        anchor="history",
        message=_("Action saved."),
    )


# --- appeals (申诉) ---------------------------------------------------------------------------


@bp.post("/actions/<int:action_id>/appeals", endpoint="file_appeal")
@moderator_page
def file_appeal(action_id: int) -> Any:
    """Record a sanctioned person's appeal (statement, day filed); a late one is refused."""
    data = {name: request.form.get(name, "") for name in ("statement", "filed_on")}
    return _action_post(
        action_id,
        lambda: appeals.file_appeal(
            db.session, action_id, parse(AppealCreate, data), actor_name(), appeal_days()
        ),
        form="appeal",
        values=data,
        anchor="appeals",
        message=_("Appeal recorded; it awaits a decision."),
    )


@bp.post("/appeals/<int:appeal_id>/decision", endpoint="decide_appeal")
@moderator_page
def decide_appeal(appeal_id: int) -> Any:
    """Decide a pending appeal: upheld, overturned or modified, with a reason."""
    appeal = appeals.get_appeal(db.session, appeal_id)
    action_id = appeal.action_id
    data = {name: request.form.get(name, "") for name in ("decision", "reason")}
    return _action_post(
        action_id,
        lambda: appeals.decide_appeal(db.session, appeal_id, parse(AppealDecide, data), actor_name()),
        form="decide",
        values=data,
        anchor="appeals",
        message=_("Decision on the appeal recorded."),
    )


# --- evidence ---------------------------------------------------------------------------------


def _upload_too_large() -> DomainError:
    return evidence.FileTooLarge("the upload is too large", max_mb=evidence.MAX_ATTACHMENT_BYTES >> 20)


def _upload_refused(action_id: int, err: DomainError) -> Any:
    _refused(err)
    message = explain(err)
    if wants_json():
        return error_response(err.status, err.code, message)
    return _action_page(action_id, error=message, status=err.status, form="upload")


@bp.post("/actions/<int:action_id>/attachments", endpoint="upload")
@moderator_page
def upload_attachment(action_id: int) -> Any:
    """Store an evidence file (multipart field ``file``, with the CSRF token)."""
    request.max_content_length = UPLOAD_BODY_LIMIT
    try:
        csrf.protect()
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _upload_refused(action_id, _upload_too_large())
    actions.get_action(db.session, action_id)  # an unknown action is a 404 page, not a form error
    if upload is None or not upload.filename:
        return _upload_refused(action_id, ValidationFailed("no file", code="no_file", field="file"))
    try:
        fields = parse(EvidenceUpload, {"filename": upload.filename})
        outcome = evidence.save_attachment(
            db.session, action_id, fields, upload.stream, edge.upload_dir(), actor_name()
        )
    except RequestEntityTooLarge:
        return _upload_refused(action_id, _upload_too_large())
    except DomainError as err:
        return _upload_refused(action_id, err)
    attachment = edge.commit(outcome)  # a failed commit removes the file again
    if wants_json():
        return jsonify(AttachmentOut.of(attachment).json_dict()), 201
    flash(_("Evidence “%(name)s” uploaded.", name=attachment.filename), "success")
    return redirect(url_for("followup.action", action_id=action_id, _anchor="evidence"))


csrf.exempt(upload_attachment)


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII fallback name and the real name RFC 5987-encoded."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if ch.isalnum() or ch in "._- ()" else "_" for ch in ascii_name).strip(" _")
    if not ascii_name or ascii_name.startswith(".") or not ascii_name.strip("._-"):
        ascii_name = fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/actions/<int:action_id>/attachments/<int:attachment_id>", endpoint="download")
@login_required_page
def download_attachment(action_id: int, attachment_id: int) -> Any:
    """The evidence file, always as a download (never rendered in the browser)."""
    attachment = evidence.get_attachment(db.session, action_id, attachment_id)
    path = evidence.stored_path(edge.upload_dir(), attachment)
    response = send_file(path, mimetype=attachment.content_type, conditional=True, max_age=0)
    # Stored types of text files already name their charset; werkzeug adds its own to text/*.
    response.headers["Content-Type"] = attachment.content_type
    ext = evidence.extension_of(attachment.filename) or ".bin"
    response.headers["Content-Disposition"] = content_disposition(
        attachment.filename, f"evidence-{attachment.id}{ext}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/actions/<int:action_id>/attachments/<int:attachment_id>/delete", endpoint="delete_attachment")
@moderator_page
def delete_attachment(action_id: int, attachment_id: int) -> Any:
    """Remove an evidence file (not from a verified action); the history keeps its name and hash."""
    return _action_post(
        action_id,
        lambda: evidence.delete_attachment(db.session, action_id, attachment_id, actor_name()),
        form="evidence",
        anchor="evidence",
        message=_("Evidence removed."),
    )


# --- a new action on an item ------------------------------------------------------------------


@bp.route("/items/<int:item_id>/actions/new", methods=["GET", "POST"], endpoint="new_action")
@moderator_page
def new_action(item_id: int) -> Any:
    """Record a follow-up action on an item: kind, description, owner, due date."""
    item = meetings.get_item(db.session, item_id)
    if request.method == "GET":
        values = {"kind": "rectification" if item.status == "failed" else "", "owner": "", "due_date": ""}
        return render_template("followup/new_action.html", item=item, values=values, error=None)
    data = {
        name: request.form.get(name, "")
        for name in ("kind", "description", "owner", "owner_email", "due_date")
    }

    def again(err: DomainError) -> Any:
        _not_found(err)
        item = meetings.get_item(db.session, item_id)
        page = render_template("followup/new_action.html", item=item, values=data, error=explain(err))
        return page, err.status

    return edge.form_post(
        lambda: actions.add_action(db.session, item_id, parse(ActionCreate, data), actor_name()),
        again=again,
        then=lambda action: url_for("followup.action", action_id=action.id),
        message=_("Action recorded."),
    )


# --- report-back ------------------------------------------------------------------------------


MAX_SEARCH = 100  # characters of the report-back list's search text


def _here(meeting_id: int) -> str:
    """The report-back page as asked (its search and page kept): where its form posts."""
    args: dict[str, Any] = request.args.to_dict()
    return url_for("followup.report_back", meeting_id=meeting_id, **args)


def _report_back_page(meeting_id: int, error: str | None = None, status: int = 200, **values: Any) -> Any:
    meeting = meetings.get_meeting(db.session, meeting_id)
    open_for_items = meeting.status in ("draft", "live")
    text = (request.args.get("q") or "")[:MAX_SEARCH].strip()
    candidates: list[followup.ActionRow] = []
    total = 0
    pages = None
    # A finished meeting shows no list: ten years of unresolved actions are not read for it. An
    # open one shows a page of them (oldest meetings first) and how many there are, searchable.
    if open_for_items:

        def fetch(query: PageQuery) -> Page[followup.ActionRow]:
            return followup.report_back_page(
                db.session,
                meeting_id,
                text=text,
                limit=query.limit,
                cursor=query.cursor,
                default=paging.page_size(),
            )

        found = paging.html_page(fetch)
        candidates, pages = found.rows, paging.pager(found)
        total = followup.count_report_back(db.session, meeting_id, text)
    page = render_template(
        "followup/report_back.html",
        meeting=meeting,
        candidates=candidates,
        total=total,
        pager=pages,
        search=text,
        error=error,
        selected=set(values.get("selected", ())),
        title=values.get("title", ""),
        open_for_items=open_for_items,
        meeting_url=url_for("moderator.meeting", meeting_id=meeting.id),
        form_url=_here(meeting.id),
    )
    return page, status


@bp.route("/meetings/<int:meeting_id>/report-back", methods=["GET", "POST"], endpoint="report_back")
@moderator_page
def report_back(meeting_id: int) -> Any:
    """Put unresolved actions of earlier meetings to this meeting as one report-back item."""
    if request.method == "GET":
        return _report_back_page(meeting_id)
    chosen = request.form.getlist("action_id")
    title = request.form.get("title", "")
    try:
        data = parse(ReportBackCreate, {"action_id": chosen, "title": title})
        outcome = followup.create_report_back(db.session, meeting_id, data, actor_name())
    except DomainError as err:
        _refused(err)
        selected = {int(c) for c in chosen if c.isdecimal() and len(c) < 11}
        return _report_back_page(meeting_id, explain(err), err.status, selected=selected, title=title)
    item = edge.commit(outcome)  # the meeting's screens get the new item
    flash(_("Report-back item “%(title)s” added to the meeting.", title=item.title), "success")
    return redirect(url_for("moderator.meeting", meeting_id=meeting_id, _anchor=f"item-{item.id}"))


# --- rehearsal wipe ---------------------------------------------------------------------------


def _wipe_page(meeting_id: int, error: str | None = None, status: int = 200) -> Any:
    summary = followup.wipe_summary(db.session, meeting_id)
    meeting = summary.meeting
    page = render_template(
        "followup/wipe.html",
        summary=summary,
        meeting=meeting,
        wipeable=meeting.rehearsal or meeting.status == "draft",
        error=error,
        meeting_url=url_for("moderator.meeting", meeting_id=meeting.id),
    )
    return page, status


@bp.route("/meetings/<int:meeting_id>/wipe", methods=["GET", "POST"], endpoint="wipe")
@moderator_page
def wipe(meeting_id: int) -> Any:
    """Wipe a rehearsal: GET asks, POST (with ``confirm=wipe``) deletes everything in it."""
    if request.method == "GET":
        return _wipe_page(meeting_id)
    if request.form.get("confirm") != "wipe":
        meetings.get_meeting(db.session, meeting_id)
        return _wipe_page(meeting_id, _("Tick the box to confirm."), 422)

    def again(err: DomainError) -> Any:
        _not_found(err)
        return _wipe_page(meeting_id, explain(err), err.status)

    return edge.form_post(  # the evidence files go once the wipe is committed
        lambda: followup.wipe_meeting(db.session, meeting_id, actor_name()),
        again=again,
        then=lambda _none: url_for("moderator.meetings"),
        message=_("The rehearsal was wiped: its items, roster, votes, actions and evidence are gone."),
    )
