"""A long download's progress page, for the browser (``/jobs/<id>``).

A browser that asked for minutes or an export the worker has not finished within a moment is
sent here (jobs/wait.py), and so is a moderator whose roster or item import (its check, then its
save) takes longer than that: that page goes on to the import's own page once the job is done
(or failed: that page says why). The page needs no script: it reloads itself every second with how far
the job is, and once the file is ready it starts the download and offers a link to it. A job's
page is only for the session that started it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_babel import gettext as _

from evalmeet.domain.errors import NotFound
from evalmeet.i18n import N_
from evalmeet.jobs import queue as job_queue
from evalmeet.jobs import wait
from evalmeet.web import error_text
from evalmeet.web.auth import login_required_page

bp = Blueprint("jobs", __name__)
JOB_ID = "<string(length=36):job_id>"
SESSION_KEY = "jobs"
# job id -> [the page that shows its outcome, what the job does], for jobs that make no download
PAGES_KEY = "job_pages"
# What the progress page says it is doing, by the job's purpose.
PURPOSES = {
    "download": N_("Preparing your download"),
    "import_check": N_("Checking your file"),
    "import_save": N_("Saving the import"),
}


def remember(job_id: str, *, then: str | None = None, purpose: str = "download") -> None:
    """This session started the job: it may see its page and download its file (or, with
    ``then``, be sent on to that page once the job is done)."""
    kept = [j for j in session.get(SESSION_KEY, []) if j != job_id][-9:]
    session[SESSION_KEY] = [*kept, job_id]
    pages = {j: v for j, v in session.get(PAGES_KEY, {}).items() if j in kept}
    if then is not None:
        pages[job_id] = [then, purpose]
    session[PAGES_KEY] = pages


def forget(job_id: str) -> None:
    """The job's outcome was shown: its pages are gone for this session."""
    session[SESSION_KEY] = [j for j in session.get(SESSION_KEY, []) if j != job_id]
    session[PAGES_KEY] = {j: v for j, v in session.get(PAGES_KEY, {}).items() if j != job_id}


def mine(job_id: str) -> None:
    """404 unless this session started the job."""
    if job_id not in session.get(SESSION_KEY, []):
        raise NotFound(f"no job {job_id}", "not_found")


@bp.get(f"/jobs/{JOB_ID}")
@login_required_page
def progress_page(job_id: str) -> Any:
    """Running: how far, reloading every second; done: the download starts; refused: why."""
    mine(job_id)
    queue = job_queue.queue_for(current_app.config)
    then, purpose = session.get(PAGES_KEY, {}).get(job_id) or (None, "download")
    try:
        outcome = wait.poll(queue, job_id, preserve=True)
    except wait.JobError:
        if then is None:
            raise
        return redirect(then)  # that page says what went wrong, in its own words
    if then is not None and outcome is not None:
        return redirect(then)
    if outcome is not None and "refused" in outcome:
        err = wait.refusal(outcome["refused"])
        message = error_text.error_message(err)
        page = render_template(
            "error.html",
            status=err.status,
            code=err.code,
            title=error_text.status_title(err.status),
            message=message,
        )
        return page, err.status
    done_total = job_queue.progress(queue, job_id)
    percent = None
    if done_total is not None and done_total[1] > 0:
        percent = min(100, done_total[0] * 100 // done_total[1])
    file_url = url_for("jobs.file", job_id=job_id) if outcome is not None else None
    return render_template(
        "jobs/progress.html",
        job_id=job_id,
        ready=outcome is not None,
        file_url=file_url,
        name=(outcome or {}).get("name"),
        progress=done_total,
        percent=percent,
        started=job_queue.started(queue, job_id) is not None,
        purpose=purpose if purpose in PURPOSES else "download",
        heading=_(PURPOSES.get(purpose, PURPOSES["download"])),
    )


@bp.get(f"/jobs/{JOB_ID}/file")
@login_required_page
def file(job_id: str) -> Any:
    """The finished job's file (kept an hour for this page)."""
    mine(job_id)
    queue = job_queue.queue_for(current_app.config)
    outcome = wait.poll(queue, job_id, preserve=True)
    if outcome is None:
        raise NotFound(f"job {job_id} is not finished", "not_found")
    return wait.file_response(job_id, outcome, keep=True)
