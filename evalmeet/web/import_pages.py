"""The moderator's import pages: upload a roster or item list, preview it, confirm it.

An import is two requests: the upload answers with a preview (nothing saved), and the
confirmation saves every row in one transaction, or nothing. Both run as jobs in a worker
(``web/import_jobs.py``) unless they are small; one that takes longer than
``JOBS_BROWSER_PATIENCE_S`` answers with the progress page, which goes on to ``import_job`` — the
same preview, or the meeting page with its message. The routes are ``web/exports.py``'s
blueprint's (``exports.import_page``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from evalmeet.domain.errors import DomainError
from evalmeet.extensions import db
from evalmeet.i18n import N_
from evalmeet.jobs import wait as jobs_wait
from evalmeet.jobs.queue import queue_for
from evalmeet.services.events import MeetingChanged
from evalmeet.services.files import import_format, import_save, imports, staging
from evalmeet.services.files.spreadsheets import MAX_BYTES, FileRefused
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import current_lang, edge, error_text, import_jobs
from evalmeet.web import jobs as job_pages
from evalmeet.web.api import tender_threshold
from evalmeet.web.auth import actor_name, moderator_page
from evalmeet.web.exports import FORMAT, KIND, _table_download, bp


def describe_issue(issue: imports.RowIssue) -> str:
    """Why a cell is wrong, in the page's language (by the issue's code)."""
    if issue.field and issue.code in error_text.known_reasons():
        return error_text.problem_text(issue.code, issue.params)
    return error_text.message_for(issue.code, issue.params)


def describe_refusal(err: DomainError) -> str:
    """A refused upload or confirmation, in the page's language (by its code)."""
    if isinstance(err, imports.ImportRowFailed):
        return _(
            "Row %(row)s could not be saved (%(why)s). Nothing was imported.",
            row=err.row,
            why=error_text.error_message(err.reason),
        )
    return error_text.error_message(err)


def _upload_page(meeting_id: int, kind: str, error: str | None = None, status: int = 200) -> Any:
    meeting = meetings.get_meeting(db.session, meeting_id)
    page = render_template(
        "exports/import_upload.html",
        meeting=meeting,
        kind=kind,
        fields=import_format.FIELDS[kind],
        methods=import_format.METHOD_DISPLAY,
        max_mb=MAX_BYTES // (1024 * 1024),
        error=error,
        self_url=url_for("exports.import_page", meeting_id=meeting_id, kind=kind),
    )
    return page, status


# Imports this small are checked and saved in the request, as before the jobs: a few hundred
# rows take milliseconds, while a worker that has not made anything yet first builds its app
# (seconds). A 2 MB upload or a 5,000-row save goes to the worker.
INLINE_UPLOAD_BYTES = 16 * 1024  # about 500 roster rows, 150 item rows
INLINE_STAGED_BYTES = 64 * 1024  # the staged rows as JSON: about 500 roster rows

# What an import page says when its job failed (the progress page's words are about files).
_IMPORT_JOB_TEXT = {
    "job_failed": N_("The import could not be finished, and nothing was saved. Please try again."),
    "worker_lost": N_(
        "The process handling the import stopped before it was done, and nothing was saved. Please try again."
    ),
}


def _job_failed(meeting_id: int, kind: str, err: jobs_wait.JobError) -> Any:
    text = _(_IMPORT_JOB_TEXT[err.code]) if err.code in _IMPORT_JOB_TEXT else error_text.error_message(err)
    return _upload_page(meeting_id, kind, text, err.status)


def _saved_despite(meeting_id: int, kind: str, err: jobs_wait.JobError) -> int | None:
    """A save whose job failed or whose worker died: how many rows it had committed first
    (None: nothing saved).

    The worker commits, then hands its outcome back; dying (or failing) in between leaves the
    rows saved and the queue without an answer, so "nothing was saved" would be untrue."""
    if err.code not in ("worker_lost", "job_failed") or not err.job_id:
        return None
    try:
        return import_save.saved_by_job(db.session, meeting_id, kind, err.job_id)
    finally:
        db.session.rollback()


def _then(meeting_id: int, kind: str) -> Callable[[str], str]:
    lang = current_lang()
    return lambda job_id: url_for(
        "exports.import_job", meeting_id=meeting_id, kind=kind, job_id=job_id, lang=lang
    )


@bp.route(f"/meetings/<int:meeting_id>/import/{KIND}", methods=["GET", "POST"], endpoint="import_page")
@moderator_page
def import_page(meeting_id: int, kind: str) -> Any:
    """Upload a roster or item list (GET: the form; POST: the preview, nothing saved)."""
    if request.method == "GET":
        return _upload_page(meeting_id, kind)
    upload = request.files.get("file")
    if not upload or not upload.filename:
        err = FileRefused("choose a file", "file_missing", 400)
        return _upload_page(meeting_id, kind, describe_refusal(err), err.status)
    meetings.get_meeting(db.session, meeting_id)  # an unknown meeting is a 404, as before
    content = upload.stream.read(MAX_BYTES + 1)
    kwargs = {
        "meeting_id": meeting_id,
        "kind": kind,
        "filename": upload.filename,
        "content": content,
        "actor": actor_name(),
    }
    try:
        answer = jobs_wait.page_job(
            "import_check",
            import_jobs.check_file,
            kwargs,
            current_lang(),
            then=_then(meeting_id, kind),
            purpose="import_check",
            keep=False,
            inline=len(content) <= INLINE_UPLOAD_BYTES,
        )
    except jobs_wait.JobError as err:
        return _job_failed(meeting_id, kind, err)
    if not isinstance(answer, bytes):
        return answer  # the progress page
    return _checked(meeting_id, kind, json.loads(answer))


def _checked(meeting_id: int, kind: str, body: dict[str, Any]) -> Any:
    if "refused" in body:
        refused = body["refused"]
        return _upload_page(meeting_id, kind, str(refused["text"]), int(refused["status"]))
    preview = import_jobs.preview_page(body["preview"])
    meeting = meetings.get_meeting(db.session, meeting_id)
    page = render_template(
        "exports/import_preview.html",
        meeting=meeting,
        kind=kind,
        preview=preview,
        self_url=url_for("exports.import_page", meeting_id=meeting_id, kind=kind),
    )
    return page, 200 if preview.ok else 422


@bp.post(f"/meetings/<int:meeting_id>/import/{KIND}/confirm", endpoint="import_confirm")
@moderator_page
def import_confirm(meeting_id: int, kind: str) -> Any:
    """Save a previewed import: every row in one transaction, or nothing."""
    meetings.get_meeting(db.session, meeting_id)
    token = request.form.get("token")
    kwargs = {
        "meeting_id": meeting_id,
        "kind": kind,
        "token": token if isinstance(token, str) else "",
        "actor": actor_name(),
        "tender_threshold": str(tender_threshold()),
    }
    then = _then(meeting_id, kind)
    try:
        answer = jobs_wait.page_job(
            "import_save",
            import_jobs.save_rows,
            kwargs,
            current_lang(),
            then=then,
            purpose="import_save",
            waiting=lambda job_id: _announce_when_saved(meeting_id, kind, job_id),
            inline=staging.staged_bytes(import_jobs.pending_folder(), token) <= INLINE_STAGED_BYTES,
        )
    except jobs_wait.JobError as err:
        saved = _saved_despite(meeting_id, kind, err)
        if saved is not None:
            return _saved(meeting_id, kind, {"saved": saved}, announce=True)
        return _job_failed(meeting_id, kind, err)
    if not isinstance(answer, bytes):
        return answer  # the progress page
    return _saved(meeting_id, kind, json.loads(answer), announce=True)


def _saved(meeting_id: int, kind: str, body: dict[str, Any], *, announce: bool) -> Any:
    if "refused" in body:
        refused = body["refused"]
        return _upload_page(meeting_id, kind, str(refused["text"]), int(refused["status"]))
    count = int(body["saved"])
    if announce:
        edge.after_commit((MeetingChanged(meeting_id),))
    if kind == "roster":
        flash(_("%(n)s representatives were added to the roster.", n=count), "success")
    else:
        flash(_("%(n)s items were added.", n=count), "success")
    anchor = "roster" if kind == "roster" else "items"
    return redirect(url_for("moderator.meeting", meeting_id=meeting_id, _anchor=anchor))


def _announce_when_saved(meeting_id: int, kind: str, job_id: str) -> None:
    """The import is being saved by a worker, and the browser was sent to the progress page: a
    greenlet of this server waits for the job and then gives the meeting's screens a fresh
    snapshot (the worker cannot reach them), whether or not the browser comes back."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def announce() -> None:
        with app.app_context():
            try:
                outcome = jobs_wait.wait(job_id)
            except jobs_wait.JobError as err:
                outcome = {"saved": True} if _saved_despite(meeting_id, kind, err) is not None else None
            finally:
                db.session.remove()
            if outcome is not None and "refused" not in outcome:
                try:
                    edge.after_commit((MeetingChanged(meeting_id),))
                finally:
                    db.session.remove()

    import gevent

    gevent.spawn(announce)


@bp.get(f"/meetings/<int:meeting_id>/import/{KIND}/job/<string(length=36):job_id>", endpoint="import_job")
@moderator_page
def import_job(meeting_id: int, kind: str, job_id: str) -> Any:
    """Where the progress page of an import's job goes once it is done: the preview (a check),
    or the meeting page with its message (a save); a failed job says so."""
    job_pages.mine(job_id)
    saving = (session.get(job_pages.PAGES_KEY, {}).get(job_id) or ["", ""])[1] == "import_save"
    queue = queue_for(current_app.config)
    try:
        outcome = jobs_wait.poll(queue, job_id, preserve=True)
    except jobs_wait.JobError as err:
        saved = _saved_despite(meeting_id, kind, err) if saving else None
        if saved is None:
            return _job_failed(meeting_id, kind, err)
        job_pages.forget(job_id)
        return _saved(meeting_id, kind, {"saved": saved}, announce=False)
    if outcome is None:
        return redirect(url_for("jobs.progress_page", job_id=job_id, lang=current_lang()))
    body = json.loads(jobs_wait.job_bytes(job_id, outcome, keep=not saving))
    if saving:
        job_pages.forget(job_id)  # the message is shown once; the screens heard from the server
        return _saved(meeting_id, kind, body, announce=False)
    return _checked(meeting_id, kind, body)


@bp.get(f"/meetings/<int:meeting_id>/import/{KIND}/template.{FORMAT}", endpoint="import_template")
@moderator_page
def import_template(meeting_id: int, kind: str, fmt: str) -> Any:
    """An empty file with the import's header row (Chinese; English with ?lang=en)."""
    meetings.get_meeting(db.session, meeting_id)
    table = import_format.template_table(kind, english=current_lang() == "en")
    stem = _("Roster template") if kind == "roster" else _("Items template")
    return _table_download(table, fmt, stem)


@bp.get(f"/meetings/<int:meeting_id>/roster.{FORMAT}", endpoint="roster_export")
@moderator_page
def roster_export(meeting_id: int, fmt: str) -> Any:
    """The roster in the import's format (to carry it over to the next meeting); no join links."""
    table = imports.roster_table(db.session, meeting_id, english=current_lang() == "en")
    return _table_download(table, fmt, f"{_('Roster')}-{meeting_id}")
