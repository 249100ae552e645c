"""The two jobs of a roster or item import: checking the upload, and saving it.

Both run in a job worker (``jobs/worker.py``: ``web/exports.py`` registers them in
``PRODUCERS``), or in the request itself when there are no workers; either way they answer a
small JSON document the import pages show (``web/import_pages.py``):

- ``import_check``: parse and validate the file (``imports.stage``, reporting its progress row by
  row), and render the long parts of the preview — the problems and the rows, thousands of table
  rows — here, off the server's event loop. The page around them (its form and CSRF token) is
  the server's. ``{"preview": {...}}``, or ``{"refused": {"status", "text"}}`` with the refusal
  already in the page's language.
- ``import_save``: claim the staged rows, check them all in a read transaction
  (``import_save.plan``), then write them in one short write transaction
  (``import_save.apply``) and commit. ``{"saved": n}`` or ``{"refused": ...}``; the after-commit
  steps (a fresh snapshot to the meeting's screens) are the server's, which alone can reach them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from evalmeet import failpoints
from evalmeet.db import reading_only, writing
from evalmeet.domain.errors import DomainError
from evalmeet.extensions import db
from evalmeet.jobs import progress
from evalmeet.jobs.wait import Produced
from evalmeet.services.files import import_save, imports, staging

JSON = "application/json"


def pending_folder() -> Path:
    """Where checked imports wait for their confirmation: ``<instance>/imports``."""
    return Path(current_app.instance_path) / "imports"


def _answer(body: dict[str, Any]) -> Produced:
    return Produced(JSON, "import.json", json.dumps(body, ensure_ascii=False).encode())


def _refused(err: DomainError) -> Produced:
    from evalmeet.web.import_pages import describe_refusal

    return _answer({"refused": {"status": err.status, "code": err.code, "text": describe_refusal(err)}})


def check_file(meeting_id: int, kind: str, filename: str, content: bytes, actor: str) -> Produced:
    """The ``import_check`` producer (see the module's docstring)."""
    from evalmeet.web.import_pages import describe_issue

    try:
        preview = imports.stage(
            db.session,
            pending_folder(),
            meeting_id,
            kind,
            filename,
            content,
            actor,
            progress=progress.report,
        )
    except DomainError as err:
        return _refused(err)
    finally:
        db.session.rollback()  # it only read
    issues = preview.issues
    progress.report(len(preview.rows), len(preview.rows))
    body = {
        "ok": preview.ok,
        "token": preview.token,
        "rows": len(preview.rows),
        "filename": preview.filename,
        "ignored": preview.ignored,
        "issues": len(issues),
        "issues_html": render_template("exports/_import_issues.html", issues=issues, describe=describe_issue)
        if issues
        else "",
        "rows_html": render_template("exports/_import_rows.html", preview=preview, describe=describe_issue),
    }
    return _answer({"preview": body})


def save_rows(meeting_id: int, kind: str, token: str, actor: str, tender_threshold: str) -> Produced:
    """The ``import_save`` producer (see the module's docstring): every row or nothing."""
    try:
        pending = staging.claim_pending(pending_folder(), token, meeting_id, kind, actor)
    except DomainError as err:
        return _refused(err)
    try:
        with reading_only():  # the checks and look-ups: a snapshot, never the write lock
            plan = import_save.plan(db.session, pending, Decimal(tender_threshold), progress.report)
            db.session.rollback()
        with writing():  # one short write transaction
            outcome = import_save.apply(db.session, plan, actor, progress.current_job())
            failpoints.pause("import_writing")  # tests: the worker killed with the rows unsaved
            db.session.commit()
    except DomainError as err:
        db.session.rollback()
        staging.finish_pending(pending)
        return _refused(err)
    except BaseException:
        db.session.rollback()
        staging.release_pending(pending)  # nothing was saved: the preview may be confirmed again
        raise
    staging.finish_pending(pending)
    failpoints.pause("import_committed")  # tests: the worker killed with the rows saved
    progress.report(outcome.value, outcome.value)
    return _answer({"saved": outcome.value})


@dataclass(frozen=True)
class PreviewPage:
    """What the preview page shows of a checked file (``check_file``'s answer)."""

    ok: bool
    token: str | None
    rows: int
    filename: str
    ignored: list[str]
    issues: int
    issues_html: Markup
    rows_html: Markup


def preview_page(body: dict[str, Any]) -> PreviewPage:
    """``check_file``'s preview, for the template (its HTML parts were rendered by the app)."""
    return PreviewPage(
        ok=bool(body["ok"]),
        token=body.get("token"),
        rows=int(body["rows"]),
        filename=str(body["filename"]),
        ignored=list(body.get("ignored") or []),
        issues=int(body["issues"]),
        # Our own templates' output (autoescaped in the worker), back through our own job queue.
        issues_html=Markup(body.get("issues_html") or ""),  # noqa: S704  # nosec B704
        rows_html=Markup(body.get("rows_html") or ""),  # noqa: S704  # nosec B704
    )
