"""The GET rules of the app: which real paths stand for each, who may read them, what comes back.

Each :class:`Page` is visited on every path it lists by the role that uses it (a moderator for
moderator pages, in English the admin; a viewer for the archive; nobody logged in for public
pages), and on its first path by every other role, which must get what its access allows: the
page, the login form (a redirect; 401 on the API), or 403 for a viewer on a moderator's page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.smoke.world import World, day

PUBLIC, READER, MODERATOR = "public", "reader", "moderator"
CONTENT = {
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".css": "text/css",
    ".js": "text/javascript",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".svg": "image/svg+xml",
    ".ico": "image/",
}


def content_type(path: str) -> str:
    """The type a path's answer has: by its extension, JSON for the API and the console's data,
    else a page."""
    bare = path.split("?")[0]
    for ext, kind in CONTENT.items():
        if bare.endswith(ext):
            return kind
    if bare.startswith("/api/") or bare.endswith("/console/data"):
        return "application/json"
    return "text/html"


UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Page:
    """A GET rule: its paths in the world, who may read it, the status and kind of the answer."""

    access: str
    paths: Callable[[World], list[str]]
    status: int = 200
    user_file: bool = False  # the answer is a file a user uploaded (its own type)

    def primary_role(self, lang: str) -> str:
        """Who reads it in a visit."""
        if self.access == MODERATOR:
            return "moderator" if lang == "zh" else "admin"
        return "viewer" if self.access == READER else "anonymous"

    def expected(self, role: str, path: str) -> int:
        """The status ``role`` gets on ``path``."""
        if self.access == PUBLIC or role in ("admin", "moderator"):
            return self.status
        if role == "viewer":
            return self.status if self.access == READER else 403
        return 401 if path.startswith("/api/") else 302  # anonymous, or a phone (no account)


def _ids(prefix: str, ids: list[int], suffix: str = "") -> list[str]:
    return [f"{prefix}/{i}{suffix}" for i in ids]


def _meetings(w: World) -> list[int]:
    return [w.draft.id, w.live.id, w.hist.id, w.past.id, w.rehearsal.id]


def _decided(w: World) -> list[int]:
    return [w.hist.items[0], w.hist.items[1], w.past.items[1], w.live.items[0], w.rehearsal.items[0]]


PAGES: dict[str, Page] = {
    # --- no login -----------------------------------------------------------------------------
    "/login": Page(PUBLIC, lambda w: ["/login", "/login?next=/dashboard"]),
    "/public": Page(PUBLIC, lambda w: ["/public"]),
    "/public/meetings/<int:meeting_id>": Page(
        PUBLIC, lambda w: _ids("/public/meetings", [w.hist.id, w.past.id])
    ),
    "/screen/<token>": Page(
        PUBLIC, lambda w: [f"/screen/{m.display_token}" for m in (w.live, w.draft, w.hist, w.rehearsal)]
    ),
    # Anyone who opens a join link is sent on to the phone page (and checked in while live).
    "/j/<token>": Page(
        PUBLIC,
        lambda w: [f"/j/{w.live.reps[9]['join_token']}", f"/j/{w.draft.reps[0]['join_token']}"],
        status=302,
    ),
    "/phone": Page(PUBLIC, lambda w: ["/phone"]),
    "/static/<path:filename>": Page(
        PUBLIC,
        lambda w: [
            "/static/css/base.css",
            "/static/css/app.css",
            "/static/css/projector.css",
            "/static/js/live.js",
            "/static/js/console.js",
            "/static/js/countdown.js",
            "/static/css/countdown.css",
            "/static/vendor/socket.io.min.js",
            "/static/favicon.svg",
        ],
    ),
    "/favicon.ico": Page(PUBLIC, lambda w: ["/favicon.ico"]),
    # a receipt checked by anyone: the form, a counted code (as typed), an unknown one
    "/verify": Page(
        PUBLIC,
        lambda w: [
            "/verify",
            f"/verify?code={w.receipts[0]}",
            f"/verify?code={w.receipts[1].lower()}",
            "/verify?code=AAAA-BBBB-CCCC",
        ],
    ),
    "/api/v1/openapi.json": Page(PUBLIC, lambda w: ["/api/v1/openapi.json"]),
    # a job's progress page and file are the starting session's only (tests/e2e/test_jobs_live.py)
    "/jobs/<string(length=36):job_id>": Page(READER, lambda w: [f"/jobs/{UNKNOWN_JOB}"], status=404),
    "/jobs/<string(length=36):job_id>/file": Page(
        READER, lambda w: [f"/jobs/{UNKNOWN_JOB}/file"], status=404
    ),
    "/api/v1/items/<int:item_id>/receipts": Page(
        PUBLIC, lambda w: _ids("/api/v1/items", w.hist.items, "/receipts")
    ),
    "/api/v1/receipts/<code>": Page(
        PUBLIC, lambda w: [f"/api/v1/receipts/{w.receipts[0]}", f"/api/v1/receipts/{w.receipts[1].lower()}"]
    ),
    # --- any account ---------------------------------------------------------------------------
    "/archive": Page(
        READER, lambda w: ["/archive", "/archive?method=single_source&result=failed", "/archive?q=铜板"]
    ),
    "/archive/meetings": Page(
        READER, lambda w: ["/archive/meetings", f"/archive/meetings?from={day(-365)}&to={day(0)}"]
    ),
    "/archive/meetings/<int:meeting_id>": Page(
        READER, lambda w: _ids("/archive/meetings", [w.hist.id, w.past.id])
    ),
    "/archive/people": Page(READER, lambda w: ["/archive/people", "/archive/people?disciplined=1"]),
    "/archive/people/<int:person_id>": Page(READER, lambda w: _ids("/archive/people", w.person_ids)),
    "/dashboard": Page(READER, lambda w: ["/dashboard"]),
    "/actions": Page(
        READER,
        lambda w: [
            "/actions",
            "/actions?status=open&overdue=1",
            "/actions?kind=retender",
            "/actions?appeal=pending",
        ],
    ),
    "/actions/<int:action_id>": Page(READER, lambda w: _ids("/actions", w.hist_actions + w.past_actions)),
    "/actions/<int:action_id>/attachments/<int:attachment_id>": Page(
        READER, lambda w: ["/actions/{}/attachments/{}".format(*w.attachment)], user_file=True
    ),
    "/meetings/<int:meeting_id>/corrections": Page(
        READER, lambda w: _ids("/meetings", [w.hist.id, w.past.id], "/corrections")
    ),
    "/api/v1/actions/<int:action_id>/appeals": Page(
        READER, lambda w: _ids("/api/v1/actions", w.hist_actions, "/appeals")
    ),
    "/api/v1/appeals/<int:appeal_id>": Page(READER, lambda w: _ids("/api/v1/appeals", w.appeals)),
    "/api/v1/meetings/<int:meeting_id>/corrections": Page(
        READER, lambda w: _ids("/api/v1/meetings", [w.hist.id, w.draft.id], "/corrections")
    ),
    "/api/v1/meetings": Page(READER, lambda w: ["/api/v1/meetings"]),
    "/api/v1/meetings/<int:meeting_id>": Page(READER, lambda w: _ids("/api/v1/meetings", _meetings(w))),
    "/api/v1/items/<int:item_id>": Page(READER, lambda w: _ids("/api/v1/items", w.live.items + w.hist.items)),
    "/api/v1/items/<int:item_id>/actions": Page(
        READER, lambda w: _ids("/api/v1/items", _decided(w), "/actions")
    ),
    "/api/v1/items/<int:item_id>/result": Page(
        READER, lambda w: _ids("/api/v1/items", _decided(w), "/result")
    ),
    "/api/v1/items/<int:item_id>/results": Page(
        READER, lambda w: _ids("/api/v1/items", _decided(w), "/results")
    ),
    "/api/v1/items/<int:item_id>/recusals": Page(
        READER,
        lambda w: _ids("/api/v1/items", [w.live.items[0], w.live.items[1], w.hist.items[0]], "/recusals"),
    ),
    "/api/v1/stats": Page(READER, lambda w: ["/api/v1/stats"]),
    "/api/v1/exports/items.<any(xlsx, csv):fmt>": Page(
        READER, lambda w: ["/api/v1/exports/items.xlsx", "/api/v1/exports/items.csv?q=备件"]
    ),
    "/api/v1/exports/actions.<any(xlsx, csv):fmt>": Page(
        READER, lambda w: ["/api/v1/exports/actions.csv", "/api/v1/exports/actions.xlsx"]
    ),
    "/api/v1/meetings/<int:meeting_id>/minutes.pdf": Page(
        READER,
        lambda w: [f"/api/v1/meetings/{w.hist.id}/minutes.pdf", f"/api/v1/meetings/{w.past.id}/minutes.pdf"],
    ),
    "/api/v1/meetings/<int:meeting_id>/minutes.xlsx": Page(
        READER, lambda w: _ids("/api/v1/meetings", [w.hist.id, w.past.id, w.rehearsal.id], "/minutes.xlsx")
    ),
    # --- moderators and admins -----------------------------------------------------------------
    "/": Page(MODERATOR, lambda w: ["/"]),
    "/meetings": Page(MODERATOR, lambda w: ["/meetings"]),
    "/meetings/new": Page(MODERATOR, lambda w: ["/meetings/new"]),
    "/meetings/<int:meeting_id>": Page(MODERATOR, lambda w: _ids("/meetings", _meetings(w))),
    "/meetings/<int:meeting_id>/edit": Page(MODERATOR, lambda w: _ids("/meetings", _meetings(w), "/edit")),
    "/meetings/<int:meeting_id>/console": Page(
        MODERATOR, lambda w: _ids("/meetings", _meetings(w), "/console")
    ),
    "/meetings/<int:meeting_id>/console/data": Page(
        MODERATOR, lambda w: _ids("/meetings", [w.live.id, w.hist.id], "/console/data")
    ),
    "/meetings/<int:meeting_id>/slips": Page(
        MODERATOR, lambda w: _ids("/meetings", [w.draft.id, w.live.id], "/slips")
    ),
    "/meetings/<int:meeting_id>/report-back": Page(
        MODERATOR, lambda w: _ids("/meetings", [w.draft.id, w.live.id], "/report-back")
    ),
    "/meetings/<int:meeting_id>/wipe": Page(
        MODERATOR, lambda w: _ids("/meetings", [w.rehearsal.id, w.draft.id], "/wipe")
    ),
    "/meetings/<int:meeting_id>/import/<any(roster, items):kind>": Page(
        MODERATOR,
        lambda w: [
            f"/meetings/{w.draft.id}/import/roster",
            f"/meetings/{w.draft.id}/import/items",
            f"/meetings/{w.live.id}/import/roster",
        ],
    ),
    # an import's job outcome is the starting session's only (tests/e2e/test_imports_live.py)
    "/meetings/<int:meeting_id>/import/<any(roster, items):kind>/job/<string(length=36):job_id>": Page(
        MODERATOR, lambda w: [f"/meetings/{w.draft.id}/import/roster/job/{UNKNOWN_JOB}"], status=404
    ),
    "/meetings/<int:meeting_id>/import/<any(roster, items):kind>/template.<any(xlsx, csv):fmt>": Page(
        MODERATOR,
        lambda w: [
            f"/meetings/{w.draft.id}/import/{kind}/template.{fmt}"
            for kind in ("roster", "items")
            for fmt in ("xlsx", "csv")
        ],
    ),
    "/meetings/<int:meeting_id>/roster.<any(xlsx, csv):fmt>": Page(
        MODERATOR, lambda w: [f"/meetings/{w.draft.id}/roster.xlsx", f"/meetings/{w.live.id}/roster.csv"]
    ),
    "/items/<int:item_id>/edit": Page(
        MODERATOR, lambda w: _ids("/items", [w.draft.items[0], w.live.items[3], w.hist.items[0]], "/edit")
    ),
    "/items/<int:item_id>/actions/new": Page(
        MODERATOR, lambda w: _ids("/items", _decided(w), "/actions/new")
    ),
    "/representatives/<int:rep_id>/edit": Page(
        MODERATOR,
        lambda w: _ids(
            "/representatives", [w.draft.reps[0]["id"], w.live.reps[1]["id"], w.hist.reps[0]["id"]], "/edit"
        ),
    ),
    "/api/v1/meetings/<int:meeting_id>/representatives": Page(
        MODERATOR, lambda w: _ids("/api/v1/meetings", [w.draft.id, w.live.id], "/representatives")
    ),
    "/api/v1/items/<int:item_id>/questions": Page(
        MODERATOR,
        lambda w: _ids("/api/v1/items", [w.live.items[0], w.live.items[1], w.hist.items[0]], "/questions"),
    ),
}
