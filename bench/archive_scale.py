"""Ten years of archive: every archive, dashboard, public, people, actions and export page and API
timed through the real ``evalmeet serve`` on a database of 600 meetings (issue 15).

Seeding goes through the services, as moderators and phones would have made the history:
600 meetings of 15 items and 40 representatives (36 present: 324,000 ballots through the batched
``voting.cast_ballots``), questions, follow-up actions in every state, some appeals, every third
meeting published. The database is kept (``--db PATH``) and reused when it is there, so timing
can be rerun in seconds; ``--fresh`` seeds it again.

Then ``evalmeet serve`` is started on it and every GET route of the areas above, found in the
Flask ``url_map``, is requested ``--requests`` times (the first, cold, request is not counted):
median and max of the server's time (its ``Server-Timing`` header when it sends one, else the
client's time on localhost) and the answer's size. Paged lists are also read with ``?limit=``
and followed through ``Link: rel="next"``. The exports are jobs: each is downloaded whole, its
total time and the worker's peak memory reported. Routes not timed are printed with the reason.
Exit status 1 when a page or API misses 200 ms.

    .venv/bin/python bench/archive_scale.py [--db /tmp/evalmeet-archive10.db] [--requests 5]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CHOICES, bench_app, load_average, print_table, rss_kib  # noqa: E402
from tests.helpers_login import form_login  # noqa: E402
from tests.server import MODERATOR, LiveServer  # noqa: E402

TARGET_MS = 200.0
START = datetime(2016, 12, 1, 1, 30, tzinfo=UTC)  # 09:30 China time
DEPARTMENTS = ("物资供应部", "设备处", "炼钢厂", "轧钢厂", "能源动力部", "运输部", "焦化厂", "烧结厂")
METHODS = ("tender", "inquiry", "single_source", "negotiation", "other")
KINDS = ("rectification", "retender", "warning", "party_discipline", "administrative_discipline", "other")
# Prefixes of the routes this benchmark is about (the rest is printed as not timed, with why).
AREAS = ("/archive", "/dashboard", "/public", "/actions", "/api/v1", "/meetings")


# --- seeding -----------------------------------------------------------------------------------


def seed(database_url: str, instance: Path, meetings: int, items: int, reps: int, present: int) -> float:
    """The ten years, through the services; answers the seconds it took."""
    from evalmeet.domain import clock
    from evalmeet.schemas.appeals import AppealCreate
    from evalmeet.schemas.base import parse
    from evalmeet.schemas.followup import ActionUpdate
    from evalmeet.schemas.meetings import MeetingCreate
    from evalmeet.services.archive import publishing
    from evalmeet.services.followup import actions, appeals
    from evalmeet.services.meetings import conduct, questions
    from evalmeet.services.meetings import meeting as meeting_service
    from evalmeet.services.voting import ballots as voting
    from evalmeet.services.voting import round as rounds
    from tests.factories import action_on, add_item, add_person, asked, cast_together, moderation

    rng = random.Random(10)
    began = time.monotonic()
    step = timedelta(days=3650 / meetings)
    with bench_app(database_url, instance) as session:
        for m in range(meetings):
            when = START + step * m
            with clock.pinned(when):
                meeting = meeting_service.create_meeting(
                    session,
                    parse(
                        MeetingCreate,
                        {
                            "title": f"{when.year}年第{m % 60 + 1}次采购评价会",
                            "scheduled_at": clock.to_china(when).strftime("%Y-%m-%dT%H:%M"),
                            "location": "三楼会议室",
                        },
                    ),
                    "bench",
                ).value
                people = [
                    add_person(
                        session,
                        meeting.id,
                        {
                            "name": f"代表{(m * 7 + n) % 400:03d}",
                            "employee_no": f"E{m:03d}-{n:02d}",
                            "department": DEPARTMENTS[n % len(DEPARTMENTS)],
                        },
                        "bench",
                    )
                    for n in range(reps)
                ]
                made = []
                for n in range(items):
                    person = rng.randrange(300)
                    made.append(
                        add_item(
                            session,
                            meeting.id,
                            {
                                "title": f"第{n + 1}项 {DEPARTMENTS[person % 8]}备件采购 {m:03d}-{n:02d}",
                                "responsible_person": {
                                    "name": f"采购员{person:03d}",
                                    "department": DEPARTMENTS[person % len(DEPARTMENTS)],
                                    "position": "采购主管",
                                },
                                "procurement_method": METHODS[(m + n) % len(METHODS)],
                                "supplier_count": 1 + (m + n) % 5,
                                "amount": str(50000 + rng.randrange(2000) * 500),
                                "description": "年度设备维修备件集中采购，含耐材、轴承与液压件。",
                            },
                            "bench",
                        )
                    )
                conduct.start_meeting(session, meeting.id, "bench")
                for rep in people[:present]:
                    conduct.check_in(session, rep, "bench")
                for n, item in enumerate(made):
                    if n < 2:  # questions on two items of each meeting
                        conduct.present_item(session, item.id, "bench")
                        question = questions.ask_question(
                            session, people[n], asked(item.id, f"为什么选这家供应商？{m}-{n}")
                        ).value
                        questions.moderate_question(
                            session, question.id, moderation("approved", "资质与价格最优"), "bench"
                        )
                    rounds.open_voting(session, item.id, "bench")
                    bad = rng.random() < 0.2  # a fifth of the items fail
                    voters = people[:present]
                    outcomes = cast_together(
                        session,
                        item.id,
                        voters,
                        [CHOICES[2] if bad and k % 3 else CHOICES[(k + n) % 2] for k in range(len(voters))],
                        [uuid.UUID(int=rng.getrandbits(128)).hex for _ in voters],
                    )
                    assert all(isinstance(o, voting.CastOutcome) and o.counted for o in outcomes), outcomes[
                        :3
                    ]
                    rounds.close_voting(session, item.id, "bench")
                conduct.finish_meeting(session, meeting.id, "bench")
                for n, item in enumerate(made):
                    if item.status != "failed" and n % 5:
                        continue
                    for k in range(1 + n % 2):
                        kind = KINDS[(m + n + k) % len(KINDS)]
                        due = (when + timedelta(days=30 + 30 * k)).date()
                        action = action_on(
                            session,
                            item.id,
                            f"限期整改 {m}-{n}-{k}",
                            kind,
                            actor="bench",
                            owner=DEPARTMENTS[(n + k) % len(DEPARTMENTS)],
                            due_date=due.isoformat(),
                        )
                        # older actions have moved on; the last year's are still open
                        moves = {
                            0: ["in_progress", "done", "verified"],
                            1: ["in_progress", "done"],
                            2: ["in_progress"],
                        }
                        for status in moves.get((m + k) % 4, []) if m < meetings - 60 else []:
                            actions.update_action(
                                session, action.id, parse(ActionUpdate, {"status": status}), "bench"
                            )
                        if kind in ("warning", "party_discipline") and (m + n) % 3 == 0:
                            appeals.file_appeal(
                                session,
                                action.id,
                                parse(AppealCreate, {"statement": "对处理决定有异议"}),
                                "bench",
                            )
                if m % 3 == 0:
                    publishing.publish(session, meeting.id, "bench")
                session.commit()
            if (m + 1) % 50 == 0:
                print(f"  {m + 1} meetings seeded, {time.monotonic() - began:.0f} s", flush=True)
    return time.monotonic() - began


def seeded_meetings(database_url: str, instance: Path) -> int:
    """How many meetings the database at ``database_url`` holds (0 when it has no schema)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM meetings")).scalar_one())
    except Exception:  # noqa: BLE001 - no table yet
        return 0
    finally:
        engine.dispose()


# --- timing ------------------------------------------------------------------------------------


@dataclass
class Timed:
    """One URL's figures."""

    name: str
    url: str
    median_ms: float
    max_ms: float
    size: int
    status: int
    how: str  # "server" (Server-Timing) or "client"
    target: float | None = TARGET_MS

    @property
    def met(self) -> bool:
        return self.status == 200 and (self.target is None or self.max_ms <= self.target)


def server_ms(response: requests.Response) -> float | None:
    """``Server-Timing: app;dur=12.3`` (the first ``dur``), when the server sends one."""
    header = response.headers.get("Server-Timing", "")
    found = re.search(r"dur=([0-9.]+)", header)
    return float(found[1]) if found else None


def timed(
    client: requests.Session, base: str, name: str, path: str, n: int, headers: dict[str, str]
) -> Timed:
    """``n`` requests of ``path`` after one cold one: median/max, size, status."""
    client.get(base + path, headers=headers, timeout=120)
    took: list[float] = []
    how = "client"
    response = None
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(base + path, headers=headers, timeout=120)
        elapsed = (time.perf_counter() - began) * 1000
        told = server_ms(response)
        if told is not None:
            how = "server"
        took.append(told if told is not None else elapsed)
    assert response is not None
    return Timed(
        name, path, statistics.median(took), max(took), len(response.content), response.status_code, how
    )


@dataclass
class Ids:
    """Ids to fill the routes' arguments with: an old published meeting, its items, and so on."""

    meeting: int
    item: int
    person: int
    action: int
    appeal: int
    receipt: str
    draft: int = 0  # a draft meeting: its report-back page lists every unresolved action


def pick_ids(server: LiveServer) -> Ids:
    meetings = server.api("GET", "meetings").json()
    published = [m for m in meetings if m.get("published")]
    meeting = published[len(published) // 2]["id"]
    detail = server.api("GET", f"meetings/{meeting}").json()
    item = detail["items"][0]
    person = item["responsible_person"]["id"] if isinstance(item.get("responsible_person"), dict) else 1
    action, appeal = 0, 0
    for candidate in detail["items"]:
        listed = server.api("GET", f"items/{candidate['id']}/actions").json()
        rows = listed if isinstance(listed, list) else listed.get("actions", [])
        for row in rows:
            action = action or row["id"]
            got = server.api("GET", f"actions/{row['id']}/appeals").json()
            got = got if isinstance(got, list) else got.get("appeals", [])
            if got and not appeal:
                appeal, action = got[0]["id"], row["id"]
    receipts = server.api("GET", f"items/{item['id']}/receipts").json()["receipts"]
    drafts = [m for m in meetings if m.get("status") == "draft"]
    if drafts:
        draft = drafts[0]["id"]
    else:
        draft = server.api("POST", "meetings", {"title": "下次评价会（草稿）"}).json()["id"]
    return Ids(meeting, item["id"], person, action, appeal, receipts[0], draft)


def fill(rule: Any, ids: Ids) -> list[str] | None:
    """Concrete URLs for a route (None: an argument this bench has no value for)."""
    values = {
        "meeting_id": ids.meeting,
        "item_id": ids.item,
        "person_id": ids.person,
        "action_id": ids.action,
        "appeal_id": ids.appeal,
        "code": ids.receipt,
    }
    args = set(rule.arguments) - {"fmt"}
    if not args <= set(values):
        return None
    url = rule.rule
    for arg in args:
        url = re.sub(rf"<(?:[^<>]*:)?{arg}>", str(values[arg]), url)
    if "fmt" in rule.arguments:
        return [url.replace("<any(xlsx, csv):fmt>", ext) for ext in ("csv", "xlsx")]
    return [url]


SKIPPED = {
    "/meetings/new": "a form, no archive data",
    "/meetings/<int:meeting_id>/console": "the live console (its own benchmark: vote_load.py)",
    "/meetings/<int:meeting_id>/console/data": "the live console (its own benchmark: vote_load.py)",
    "/meetings/<int:meeting_id>/edit": "a form of one meeting",
    "/meetings/<int:meeting_id>/slips": "one meeting's join slips (40 rows), not the archive",
    "/meetings/<int:meeting_id>/wipe": "a confirmation form",
    "/api/v1/openapi.json": "a static document",
}


def routes(
    ids: Ids, database_url: str, instance: Path
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(timed pages, exports, not timed with why) from the app's url_map."""
    from evalmeet import create_app

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})
    pages, files, skipped = [], [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        if not rule.rule.startswith(AREAS):
            skipped.append((rule.rule, "not an archive area (live, login, phone, screens, static)"))
            continue
        if rule.rule in SKIPPED or "/import/" in rule.rule:
            skipped.append((rule.rule, SKIPPED.get(rule.rule, "the import pages (another helper's work)")))
            continue
        if "attachments" in rule.rule:
            skipped.append((rule.rule, "an evidence file download (the bench seeds no attachments)"))
            continue
        urls = fill(rule, ids)
        if urls is None:
            skipped.append((rule.rule, f"arguments {sorted(rule.arguments)} not seeded"))
            continue
        if rule.endpoint == "followup.report_back" and ids.draft:  # the draft's list, paged
            urls.append(f"/meetings/{ids.draft}/report-back")
        for url in urls:
            if "/exports/" in url or url.endswith((".pdf", ".xlsx", ".csv")):
                files.append((rule.endpoint, url))
            else:
                pages.append((rule.endpoint, url))
    return pages, files, skipped


PAGED = ("/api/v1/meetings", "/archive/meetings", "/public", "/actions", "/archive/people", "/meetings")


def follow(client: requests.Session, base: str, path: str, headers: dict[str, str], n: int) -> list[Timed]:
    """A paged API list read through its ``Link: rel="next"`` to the end: the slowest page."""
    url: str | None = base + path
    took: list[float] = []
    pages = 0
    size = 0
    while url and pages < 200:
        began = time.perf_counter()
        response = client.get(url, headers=headers, timeout=120)
        elapsed = (time.perf_counter() - began) * 1000
        told = server_ms(response)
        took.append(told if told is not None else elapsed)
        assert response.status_code == 200, (url, response.status_code)
        size = max(size, len(response.content))
        pages += 1
        url = response.links.get("next", {}).get("url")
    return [
        Timed(
            f"{path} → {pages} pages via Link",
            path,
            statistics.median(took),
            max(took),
            size,
            200,
            "server" if told is not None else "client",
        )
    ]


def worker_peak_kib(server: LiveServer) -> int | None:
    """The job worker's peak resident memory (VmHWM), when it is running."""
    import subprocess

    assert server.proc is not None
    out = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
    peaks = []
    for pid in out:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            continue
        if "worker" in cmd:
            peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
    return max(peaks) if peaks else None


_MEMORY = """
import resource, sys, time
sys.path.insert(0, {repo!r})
from evalmeet import create_app
from evalmeet.extensions import db
from evalmeet.schemas.files import ExportQuery
from evalmeet.services.files import exports, spreadsheets
app = create_app({{"DATABASE_URL": {url!r}, "INSTANCE_PATH": {instance!r}, "SECRET_KEY": "bench"}})
kind, fmt, how = sys.argv[1:4]
began = time.perf_counter()
with app.app_context(), open("/dev/null", "wb") as out:
    if how == "whole":  # before: the whole table in memory, then the whole file
        whole = exports.archive_items_table if kind == "items" else exports.actions_table
        table = whole(db.session, ExportQuery())
        data = spreadsheets.to_csv(table) if fmt == "csv" else spreadsheets.to_xlsx([table])
        out.write(data)
    else:  # now: rows in batches, written as they come
        streamed = exports.archive_items_stream if kind == "items" else exports.actions_stream
        stream = streamed(db.session, ExportQuery())
        for chunk in spreadsheets.csv_chunks(stream) if fmt == "csv" else spreadsheets.xlsx_chunks(stream):
            out.write(chunk)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - began)
"""


def export_memory(url: str, instance: Path) -> list[tuple[str, str, str]]:
    """Peak memory (ru_maxrss) and time of each big export made whole (as before) and streamed
    (as now), each in a fresh process on the same database; the rows of a table."""
    import subprocess

    code = _MEMORY.format(repo=str(Path(__file__).resolve().parents[1]), url=url, instance=str(instance))
    base = subprocess.run(
        [
            sys.executable,
            "-c",
            code.split("kind, fmt")[0] + "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [("process with the app loaded, no export", f"{int(base.stdout.split()[-1]) / 1024:.0f} MiB", "")]
    for kind in ("items", "actions"):
        for fmt in ("csv", "xlsx"):
            figures = []
            for how in ("whole", "stream"):
                done = subprocess.run(
                    [sys.executable, "-c", code, kind, fmt, how], capture_output=True, text=True, check=True
                )
                peak, took = done.stdout.split()[-2:]
                figures.append(f"{int(peak) / 1024:.0f} MiB in {float(took):.1f} s")
            rows.append(
                (f"{kind}.{fmt} peak memory: whole (before) → streamed (now)", " → ".join(figures), "")
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/evalmeet-archive10/evalmeet.db", help="SQLite file (reused)")
    parser.add_argument("--fresh", action="store_true", help="seed again even when the file is there")
    parser.add_argument("--meetings", type=int, default=600)
    parser.add_argument("--items", type=int, default=15)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--present", type=int, default=36)
    parser.add_argument("--requests", type=int, default=5, help="timed requests per URL")
    parser.add_argument("--only", default="", help="time only URLs containing this")
    parser.add_argument("--no-exports", action="store_true")
    args = parser.parse_args()

    db_path = Path(args.db).resolve()
    workdir = db_path.parent
    if args.fresh and db_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    server = LiveServer(
        workdir / "run", {"EVALMEET_DATABASE_URL": url, "EVALMEET_INSTANCE_PATH": str(workdir / "instance")}
    )
    server.instance = workdir / "instance"
    have = seeded_meetings(url, server.instance)
    seeding = "reused"
    if have < args.meetings:
        if have:
            raise SystemExit(f"{db_path} holds {have} meetings, not {args.meetings}: use --fresh")
        server.bootstrap_with_cli()
        print(
            f"seeding {args.meetings} meetings × {args.items} items × {args.reps} representatives", flush=True
        )
        took = seed(url, server.instance, args.meetings, args.items, args.reps, args.present)
        seeding = f"{took:.0f} s"
        print(f"seeded in {seeding}", flush=True)
    else:
        server.cli("db", "upgrade")
        server.token = server.cli("create-token", MODERATOR).strip().splitlines()[-1].strip()
    ballots = args.meetings * args.items * args.present
    server.start()
    failed: list[Timed] = []
    rows: list[tuple[str, str, str]] = []
    try:
        ids = pick_ids(server)
        pages, files, skipped = routes(ids, url, server.instance)
        browser = form_login(server, timeout=30, statuses=(302, 303))
        api_headers = {"Authorization": f"Bearer {server.token}"}
        results: list[Timed] = []
        for endpoint, path in pages:
            if args.only and args.only not in path:
                continue
            api = path.startswith("/api/")
            client, headers = (server.session, api_headers) if api else (browser, {})
            results.append(timed(client, server.url, endpoint, path, args.requests, headers))
            if path in PAGED:
                results.append(
                    timed(client, server.url, endpoint, f"{path}?limit=50", args.requests, headers)
                )
            if path == "/actions":  # the register pages by ?page= (offset): time its last page
                results.append(
                    timed(client, server.url, endpoint, "/actions?page=999", args.requests, headers)
                )
                if api:
                    results += follow(client, server.url, f"{path}?limit=100", headers, args.requests)
            print(f"  {results[-1].url}: {results[-1].max_ms:.0f} ms", flush=True)
        exports: list[tuple[str, float, int, int | None, int]] = []
        if not args.no_exports:
            for _endpoint, path in files:
                if args.only and args.only not in path:
                    continue
                began = time.perf_counter()
                got = server.session.get(server.url + path, headers=api_headers, timeout=600)
                total = time.perf_counter() - began
                exports.append((path, total, len(got.content), worker_peak_kib(server), got.status_code))
                print(f"  {path}: {total:.1f} s, {len(got.content)} bytes", flush=True)
        server_rss = rss_kib(server.proc.pid) if server.proc else 0
    finally:
        server.stop()

    print(
        f"\n{args.meetings} meetings, {ballots} ballots; seeding: {seeding}; {args.requests} requests per URL"
    )
    header = f"| {'page or API':58} | {'median':>8} | {'max':>8} | {'size':>10} | {'target':>8} |"
    print("\n" + header)
    print("|" + "-" * 60 + "|" + "-" * 10 + "|" + "-" * 10 + "|" + "-" * 12 + "|" + "-" * 10 + "|")
    for t in results:
        mark = "met" if t.met else "MISSED"
        label = t.name if "→" in t.name else t.url
        shown = label if len(label) <= 58 else label[:55] + "…"
        size = f"{t.size / 1024:.1f} KiB"
        print(f"| {shown:58} | {t.median_ms:6.0f}ms | {t.max_ms:6.0f}ms | {size:>10} | {mark:>8} |")
        if not t.met:
            failed.append(t)
    if exports:
        print(
            f"\n| {'export (a job, downloaded)':58} | {'total':>8} | {'size':>10} | {'worker peak RSS':>15} |"
        )
        print("|" + "-" * 60 + "|" + "-" * 10 + "|" + "-" * 12 + "|" + "-" * 17 + "|")
        for path, total, size_b, peak, status in exports:
            peak_text = f"{peak / 1024:.0f} MiB" if peak else "—"
            print(f"| {path:58} | {total:7.1f}s | {size_b / 1024:7.0f} KiB | {peak_text:>15} |")
            if status != 200:
                print(f"  {path} answered {status}")
                failed.append(Timed(path, path, 0, 0, 0, status, "client"))
    print("\nnot timed:")
    for rule, why in skipped:
        print(f"  {rule}: {why}")
    if not args.no_exports:
        rows += export_memory(url, server.instance)
    rows.append(("server RSS at the end", f"{server_rss / 1024:.0f} MiB", ""))
    rows.append(("machine", f"load average {load_average()} at the end", ""))
    print_table("run", rows)
    if failed:
        print(f"\n{len(failed)} targets missed: " + ", ".join(t.url for t in failed))
        return 1
    print("\nevery target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
