"""Downloads and uploads: minutes (PDF, Excel), archive and action exports, roster/item imports.

The API downloads (``/api/v1/...``) take a Bearer token or a logged-in session, any role; the
import pages are for moderators. Files come out in the page's language (Chinese unless
``?lang=en``). The import pages are this blueprint's too, in ``web/import_pages.py``; their
jobs (``web/import_jobs.py``) are among the ``PRODUCERS`` here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_file,
)
from flask_babel import gettext as _

from evalmeet.domain.labels import (
    ACTION_KIND_LABELS,
    ACTION_PROGRESS_LABELS,
    APPEAL_STATUS_LABELS,
    PROCUREMENT_METHOD_LABELS,
    SCALE_LABELS,
    Labels,
)
from evalmeet.extensions import db
from evalmeet.jobs import progress
from evalmeet.jobs import wait as jobs_wait
from evalmeet.jobs.wait import Produced
from evalmeet.schemas.base import parse
from evalmeet.schemas.files import ExportQuery
from evalmeet.services.archive.sheet_figures import PASS_RULE_NAMES
from evalmeet.services.files import exports, minutes
from evalmeet.services.files.spreadsheets import RowStream, Table, csv_chunks, to_csv, to_xlsx, xlsx_chunks
from evalmeet.web import current_lang, import_jobs, labels
from evalmeet.web.api import reader
from evalmeet.web.api.base import documented

bp = Blueprint("exports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
KIND = "<any(roster, items):kind>"
FORMAT = "<any(xlsx, csv):fmt>"
TABLE_FILES = (XLSX, "text/csv")


def _file_name(stem: str, ext: str) -> str:
    """A download name without path separators or control characters."""
    clean = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", stem).strip(" .") or "export"
    return f"{clean[:80]}.{ext}"


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _table_download(table: Table, fmt: str, stem: str) -> Response:
    if fmt == "csv":
        return _download(to_csv(table, _), CSV, _file_name(stem, "csv"))
    return _download(to_xlsx([table], _), XLSX, _file_name(stem, "xlsx"))


def _off_the_loop(work: Callable[..., bytes], *args: Any) -> bytes:
    """Run CPU-heavy rendering in a real thread under gevent, so live meetings keep flowing."""
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return work(*args)
    if monkey.is_module_patched("threading"):
        return bytes(get_hub().threadpool.apply(work, args))
    return work(*args)


# --- minutes ----------------------------------------------------------------------------------


def _label(vocabulary: Labels) -> Callable[[str | None], str]:
    return lambda value: labels.name(vocabulary, value)


def _minutes_helpers() -> dict[str, Any]:
    lang = current_lang()
    return {
        "china_time": minutes.china_time,
        "yuan": lambda value: "" if value is None else f"¥{value:,.2f}",
        "method_label": _label(PROCUREMENT_METHOD_LABELS),
        "kind_label": _label(ACTION_KIND_LABELS),
        "status_label": _label(ACTION_PROGRESS_LABELS),
        "appeal_label": _label(APPEAL_STATUS_LABELS),
        "scale_label": _label(SCALE_LABELS),
        "result_label": lambda passed: exports.result_label(passed, _),
        "pass_rule_name": lambda rule: _(PASS_RULE_NAMES[rule]) if rule in PASS_RULE_NAMES else rule,
        "flag_text": lambda flag: exports.flag_text(flag, lang),
    }


@bp.get("/api/v1/meetings/<int:meeting_id>/minutes.pdf")
@documented(file="application/pdf")
@reader
def minutes_pdf(meeting_id: int) -> Any:
    """The minutes (会议纪要) of a closed meeting as an A4 PDF."""
    return _in_a_job("minutes_pdf", meeting_id=meeting_id)


def _minutes_pdf_file(meeting_id: int) -> Produced:
    record = minutes.build_minutes(db.session, meeting_id)
    html = render_template(
        "exports/minutes.html", m=record, choice_names=labels.choice_names(record.rules), **_minutes_helpers()
    )
    name = _file_name(f"{_('Minutes')}-{record.meeting.title}", "pdf")
    # Everything is in the HTML now: end the read transaction before the slow part, so no
    # database connection (SQLite has one) or snapshot is held while the PDF is laid out.
    db.session.close()
    assert current_app.static_folder is not None
    stylesheet = Path(current_app.static_folder) / "css" / "minutes.css"
    return Produced("application/pdf", name, _off_the_loop(exports.render_pdf, html, stylesheet))


@bp.get("/api/v1/meetings/<int:meeting_id>/minutes.xlsx")
@documented(file=XLSX)
@reader
def minutes_xlsx(meeting_id: int) -> Any:
    """The minutes of a closed meeting as a workbook (overview, items, rounds, questions, actions)."""
    return _in_a_job("minutes_xlsx", meeting_id=meeting_id)


def _minutes_xlsx_file(meeting_id: int) -> Produced:
    record = minutes.build_minutes(db.session, meeting_id)
    data = exports.minutes_xlsx(record, _, current_lang())
    return Produced(XLSX, _file_name(f"{_('Minutes')}-{record.meeting.title}", "xlsx"), data)


# --- archive and actions ----------------------------------------------------------------------


@bp.get(f"/api/v1/exports/items.{FORMAT}")
@documented(query=ExportQuery, file=TABLE_FILES)
@reader
def items_export(fmt: str) -> Any:
    """Every decided item of closed, non-rehearsal meetings (``?q=&from=&to=`` as in the archive)."""
    parse(ExportQuery, request.args.to_dict())  # a bad query is refused here, not in the job
    return _in_a_job("items_export", fmt=fmt, query=request.args.to_dict())


def _items_file(fmt: str, query: dict[str, str]) -> Produced:
    stream = exports.archive_items_stream(
        db.session, parse(ExportQuery, query), _, progress.report, current_app.config.get("EXPORT_BATCH_ROWS")
    )
    return _stream_file(stream, fmt, _("Evaluated items"))


@bp.get(f"/api/v1/exports/actions.{FORMAT}")
@documented(query=ExportQuery, file=TABLE_FILES)
@reader
def actions_export(fmt: str) -> Any:
    """Every follow-up action of non-rehearsal meetings, with whether it is overdue."""
    parse(ExportQuery, request.args.to_dict())
    return _in_a_job("actions_export", fmt=fmt, query=request.args.to_dict())


def _actions_file(fmt: str, query: dict[str, str]) -> Produced:
    stream = exports.actions_stream(
        db.session,
        parse(ExportQuery, query),
        _,
        progress=progress.report,
        batch=current_app.config.get("EXPORT_BATCH_ROWS"),
    )
    return _stream_file(stream, fmt, _("Follow-up actions"))


def _stream_file(stream: RowStream, fmt: str, stem: str) -> Produced:
    """A file written as its rows are read: the worker writes the chunks to the job's file as
    they come (jobs/worker.py), while the request context and its read transaction are open."""
    if fmt == "csv":
        return Produced(CSV, _file_name(stem, "csv"), parts=lambda: csv_chunks(stream, _))
    return Produced(XLSX, _file_name(stem, "xlsx"), parts=lambda: xlsx_chunks(stream, _))


# What a job may run (evalmeet/jobs/worker.py looks the name up here): each makes one file in a
# request context, from plain arguments.
PRODUCERS: dict[str, Callable[..., Produced]] = {
    "minutes_pdf": _minutes_pdf_file,
    "minutes_xlsx": _minutes_xlsx_file,
    "items_export": _items_file,
    "actions_export": _actions_file,
    "import_check": import_jobs.check_file,
    "import_save": import_jobs.save_rows,
}


def _in_a_job(name: str, **kwargs: Any) -> Any:
    """Run producer ``name`` in a worker process and answer with its file (jobs/wait.py)."""
    return jobs_wait.download(name, PRODUCERS[name], kwargs, current_lang())


# The import pages (upload, preview, confirm, their jobs' outcome, templates) are this
# blueprint's too; they live in their own module.
from evalmeet.web import import_pages as import_pages  # noqa: E402
