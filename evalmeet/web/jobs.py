"""A long download's progress page, for the browser (``/jobs/<id>``).

A browser that asked for minutes or an export the worker has not finished within a moment is
sent here (jobs/wait.py). The page needs no script: it reloads itself every second with how far
the job is, and once the file is ready it starts the download and offers a link to it. A job's
page is only for the session that started it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, session, url_for

from evalmeet.domain.errors import NotFound
from evalmeet.jobs import queue as job_queue
from evalmeet.jobs import wait
from evalmeet.web import error_text
from evalmeet.web.auth import login_required_page

bp = Blueprint("jobs", __name__)
JOB_ID = "<string(length=36):job_id>"
SESSION_KEY = "jobs"


def remember(job_id: str) -> None:
    """This session started the job: it may see its page and download its file."""
    mine = [j for j in session.get(SESSION_KEY, []) if j != job_id][-9:]
    session[SESSION_KEY] = [*mine, job_id]


def _mine(job_id: str) -> None:
    if job_id not in session.get(SESSION_KEY, []):
        raise NotFound(f"no job {job_id}", "not_found")


@bp.get(f"/jobs/{JOB_ID}")
@login_required_page
def progress_page(job_id: str) -> Any:
    """Running: how far, reloading every second; done: the download starts; refused: why."""
    _mine(job_id)
    queue = job_queue.queue_for(current_app.config)
    outcome = wait.poll(queue, job_id, preserve=True)
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
    )


@bp.get(f"/jobs/{JOB_ID}/file")
@login_required_page
def file(job_id: str) -> Any:
    """The finished job's file (kept an hour for this page)."""
    _mine(job_id)
    queue = job_queue.queue_for(current_app.config)
    outcome = wait.poll(queue, job_id, preserve=True)
    if outcome is None:
        raise NotFound(f"job {job_id} is not finished", "not_found")
    return wait.file_response(job_id, outcome, keep=True)
