"""Phones voting while heavy files are made: the p99 ack of a burst on a quiet server, and of the
same burst while minutes PDFs and exports are being made.

    .venv/bin/python bench/heavy_load.py [--phones 300] [--items 200] [--archive-meetings 40]
                                         [--archive-db PATH]
                                         [--no-workers] [--import-rows 5000]
                                         [--import-phase save|check] [--no-downloads]

One `evalmeet serve` on SQLite. Seeded through the services before it starts: a live meeting
with ``--phones`` representatives and two items, a closed meeting of ``--items`` items (its
minutes are the heavy PDF) and ``--archive-meetings`` more closed meetings of 15 items each
(the archive the items export walks). ``--archive-db PATH`` starts from a copy of that SQLite file
instead — ``bench/archive_scale.py``'s ten years (600 meetings, 324,000 ballots) — and adds
``exports/actions.xlsx`` to the downloads: the ten-year exports beside the burst.

Then: every phone votes at once on item 1 (quiet); the download clients start asking, one after
another without pause, for the big meeting's minutes.pdf and for exports/items.xlsx; once both
are being made, every phone votes at once on item 2 (loaded). Target (issue 15): loaded p99 ≤
2 × quiet p99 + 300 ms.

``--import-rows N`` adds a moderator importing a roster of N rows into a new draft meeting
through the pages, as a browser does (upload, the progress page until the preview, confirm, the
progress page until the meeting page); the step ``--import-phase`` names (``save``, the default:
the confirmation, whose job holds the write transaction; ``check``: the upload, whose job parses,
validates and renders the preview) is started 0.1 s before the phones' shared instant of the
loaded burst. ``--no-downloads`` leaves the downloads out, so only the import is beside it.

``--no-workers`` starts the server with ``EVALMEET_JOBS_WORKERS=0``: the files are then made in
the server process (its thread pool), which is what the target is about.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    CHOICES,
    bench_app,
    load_average,
    percentile,
    raise_fd_limit,
    seed_meeting,
    wait_for,
)
from bench.phones import Swarm  # noqa: E402
from bench.vote_load import GO_DELAY, summarise  # noqa: E402
from tests.server import MODERATOR, LiveServer  # noqa: E402


def spare_parts(n: int) -> dict[str, Any]:
    """The ``n``-th item of the big meeting: a spare-parts purchase with a long description (the
    minutes PDF grows with it)."""
    return {
        "title": f"第{n + 1}项 炼钢厂备件采购（{'单一来源' if n % 3 == 0 else '公开招标'}）",
        "responsible_person": {"name": f"采购员{n % 25:02d}", "department": "物资供应部"},
        "amount": str(120000 + 3100 * n),
        "description": "2026年度设备维修备件集中采购，含耐材、轴承与液压件。" * 3,
    }


def seed_closed(database_url: str, instance: Path, *, items: int, reps: int, title: str) -> int:
    """A finished meeting of ``items`` items, each voted by ``reps`` representatives."""
    from evalmeet.schemas.base import parse
    from evalmeet.schemas.meetings import MeetingCreate
    from evalmeet.services.meetings import conduct
    from evalmeet.services.meetings import meeting as meetings
    from evalmeet.services.voting import round as rounds
    from tests.factories import add_item, add_person, cast_together

    with bench_app(database_url, instance) as session:
        meeting = meetings.create_meeting(session, parse(MeetingCreate, {"title": title}), "bench").value
        people = [
            add_person(
                session, meeting.id, {"name": f"代表{n:03d}", "employee_no": f"H{meeting.id}-{n}"}, "bench"
            )
            for n in range(reps)
        ]
        made = [add_item(session, meeting.id, spare_parts(n), "bench") for n in range(items)]
        conduct.start_meeting(session, meeting.id, "bench")
        for rep in people:
            conduct.check_in(session, rep, "bench")
        for n, item in enumerate(made):
            rounds.open_voting(session, item.id, "bench")
            cast_together(session, item.id, people, (CHOICES[(n + k) % 3] for k in range(len(people))))
            rounds.close_voting(session, item.id, "bench")
        conduct.finish_meeting(session, meeting.id, "bench")
        session.commit()
        return meeting.id


class Downloads:
    """Clients asking for heavy files one after another, until stopped."""

    def __init__(self, server: LiveServer, paths: list[str]) -> None:
        self.server = server
        self.paths = paths
        self.stop = threading.Event()
        self.done: list[tuple[str, int, float]] = []
        self.threads = [threading.Thread(target=self._loop, args=(p,), daemon=True) for p in paths]

    def _loop(self, path: str) -> None:
        import requests

        session = requests.Session()
        headers = {"Authorization": f"Bearer {self.server.token}"}
        while not self.stop.is_set():
            started = time.monotonic()
            answer = session.get(self.server.url + "/api/v1/" + path, headers=headers, timeout=600)
            self.done.append((path, answer.status_code, time.monotonic() - started))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(600)


IMPORTER, IMPORTER_PASSWORD = "bench-importer", "a long enough password 1"


class Imports:
    """A moderator importing a ``rows``-row roster through the pages, timed so that the step
    ``phase`` (``check``: the upload and its check; ``save``: the confirmation and its write)
    starts just before the phones' shared instant (:meth:`at`), and the rest before or after."""

    LEAD_S = 0.1  # the job starts this long before the phones vote

    def __init__(self, server: LiveServer, rows: int, phase: str) -> None:
        self.server = server
        self.rows = rows
        self.phase = phase
        self.go_at = 0.0
        self.go = threading.Event()
        self.ready = threading.Event()  # logged in, and (phase save) the preview is there
        self.timings: dict[str, float] = {}
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        lines = "".join(f"导入代表{n:05d},B{n:06d},炼钢厂\n" for n in range(rows))
        self.data = ("姓名,工号,部门\n" + lines).encode()

    def at(self, go_at: float) -> None:
        """The phones vote at ``go_at`` (time.monotonic)."""
        self.go_at = go_at
        self.go.set()

    def _follow(self, browser: Any, answer: Any) -> Any:
        """Through the progress page (reloaded as the browser does) to the page it ends on."""
        while answer.status_code == 302:
            url = self.server.url + answer.headers["Location"]
            answer = browser.get(url, allow_redirects=False, timeout=120)
            while answer.status_code == 200 and 'http-equiv="refresh" content="1"' in answer.text:
                time.sleep(0.3)
                answer = browser.get(url, allow_redirects=False, timeout=120)
        return answer

    def _wait_for_the_phones(self, step: str) -> None:
        if self.phase == step:
            self.go.wait(600)
            time.sleep(max(0.0, self.go_at - self.LEAD_S - time.monotonic()))

    def _run(self) -> None:
        try:
            self._import()
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            self.errors.append(repr(exc))
        finally:
            self.ready.set()

    def _import(self) -> None:
        import re

        import requests

        server = self.server
        browser = requests.Session()
        page = browser.get(f"{server.url}/login", timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        form = {"username": IMPORTER, "password": IMPORTER_PASSWORD, "csrf_token": csrf[1]}
        browser.post(f"{server.url}/login", data=form, timeout=30)
        meeting = server.api("POST", "meetings", {"title": "bench import"}).json()["id"]
        url = f"{server.url}/meetings/{meeting}/import/roster"
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(url, timeout=30).text)
        assert csrf
        if self.phase == "check":
            self.ready.set()
        self._wait_for_the_phones("check")
        started = time.monotonic()
        answer = browser.post(
            url,
            data={"csrf_token": csrf[1]},
            files={"file": ("roster.csv", self.data, "text/csv")},
            allow_redirects=False,
            timeout=120,
        )
        preview = self._follow(browser, answer)
        self.timings["check"] = time.monotonic() - started
        token = re.search(r'name="token" value="([^"]+)"', preview.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', preview.text)
        if token is None or csrf is None:
            self.errors.append(f"preview {preview.status_code}")
            return
        self.ready.set()
        self._wait_for_the_phones("save")
        started = time.monotonic()
        answer = browser.post(
            f"{url}/confirm",
            data={"csrf_token": csrf[1], "token": token[1]},
            allow_redirects=False,
            timeout=120,
        )
        done = self._follow(browser, answer)
        self.timings["save"] = time.monotonic() - started
        if done.status_code != 200 or f"已将 {self.rows} 名代表加入名单" not in done.text:
            self.errors.append(f"save {done.status_code}")

    def start(self) -> None:
        self.thread.start()

    def finish(self) -> None:
        self.thread.join(600)


def burst(server: LiveServer, swarm: Swarm, item: int, imports: Imports | None = None) -> dict[str, Any]:
    assert server.api("POST", f"items/{item}/voting/open").status_code == 200
    swarm.wait("voting", item, 60)
    go_at = time.monotonic() + GO_DELAY
    if imports is not None:
        imports.at(go_at)
    out = summarise(swarm.vote(go_at, item), go_at)
    closed = server.api("POST", f"items/{item}/voting/close")
    assert closed.status_code == 200, closed.text
    out["counted"] = closed.json()["ballots"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--items", type=int, default=200, help="items of the meeting whose minutes are made")
    parser.add_argument("--archive-meetings", type=int, default=40)
    parser.add_argument("--no-workers", action="store_true")
    parser.add_argument(
        "--archive-db",
        type=Path,
        help="start from this SQLite file (bench/archive_scale.py's ten years) instead of an empty one",
    )
    parser.add_argument("--import-rows", type=int, default=0, help="a moderator imports a roster this long")
    parser.add_argument(
        "--import-phase",
        choices=("check", "save"),
        default="save",
        help="the import's step timed with the burst",
    )
    parser.add_argument("--no-downloads", action="store_true", help="no minutes or exports beside the burst")
    args = parser.parse_args()
    raise_fd_limit()
    env = {"EVALMEET_JOBS_WORKERS": "0"} if args.no_workers else {}
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "heavy", env)
        server.bootstrap()
        if args.archive_db:  # ten years already there (its moderator is the bootstrap's): a copy
            target = Path(server.db_url.removeprefix("sqlite:///"))
            shutil.copyfile(args.archive_db, target)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            server.cli("db", "upgrade")
            server.token = server.cli("create-token", MODERATOR).strip().splitlines()[-1].strip()
        print(
            f"seeding: {args.phones} phones, {args.items}-item minutes, +{args.archive_meetings} meetings",
            flush=True,
        )
        started = time.monotonic()
        live = seed_meeting(server.db_url, server.instance, args.phones, items=2, title="bench live")
        big = 0
        if not args.no_downloads:
            big = seed_closed(
                server.db_url, server.instance, items=args.items, reps=30, title="bench 200 items"
            )
            for n in range(args.archive_meetings):
                seed_closed(server.db_url, server.instance, items=15, reps=36, title=f"bench archive {n}")
        print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
        server.start()
        if args.import_rows:
            server.create_user(IMPORTER, "moderator", IMPORTER_PASSWORD, token=False)
        swarm = None
        imports = Imports(server, args.import_rows, args.import_phase) if args.import_rows else None
        try:
            swarm = Swarm([server.url] * args.phones, [{"token": t} for t in live.tokens], ["websocket"], 1)
            connected = swarm.connect(100)
            print(f"{connected['connected']} phones connected", flush=True)
            quiet = burst(server, swarm, live.item_ids[0])
            paths = [] if args.no_downloads else [f"meetings/{big}/minutes.pdf", "exports/items.xlsx"]
            if args.archive_db and not args.no_downloads:
                paths.append("exports/actions.xlsx")
            downloads = Downloads(server, paths)
            downloads.start()
            if imports is not None:
                imports.start()
                wait_for(imports.ready.is_set, "the import to be ready", 600)
            if paths:
                time.sleep(3.0)  # both files well under way
            loaded = burst(server, swarm, live.item_ids[1], imports)
            if paths:
                wait_for(lambda: len(downloads.done) >= 2, "a download to finish", 600)
            if imports is not None:
                imports.finish()
            downloads.finish()
        finally:
            if swarm is not None:
                swarm.close()
            server.stop()
    target = 2 * quiet["p99"] + 0.3
    print()
    files = "minutes.pdf + items.xlsx" + (" + actions.xlsx" if args.archive_db else "")
    beside = [] if args.no_downloads else [files]
    if args.import_rows:
        beside.append(f"a {args.import_rows}-row roster import's {args.import_phase}")
    print(
        f"{args.phones} phones, "
        + ("no workers (files made in the server)" if args.no_workers else "one worker")
        + f"; loaded: {' and '.join(beside) or 'nothing'}"
    )
    print(f"{'':34}{'quiet':>10}{'loaded':>10}")
    for name, key in (("acked ok", "ok"), ("counted", "counted")):
        print(f"{name:34}{quiet[key]:>10}{loaded[key]:>10}")
    for name, key in (("ack p50, ms", "p50"), ("ack p99, ms", "p99"), ("ack max, ms", "max")):
        print(f"{name:34}{quiet[key] * 1000:>10.0f}{loaded[key] * 1000:>10.0f}")
    print(
        f"{'target: loaded p99 ≤ 2×quiet+300':34}{target * 1000:>20.0f} ms  "
        f"{'met' if loaded['p99'] <= target else 'NOT met'}"
    )
    by_path: dict[str, list[float]] = {}
    for path, status, took in downloads.done:
        assert status == 200, (path, status)
        by_path.setdefault(path, []).append(took)
    for path, times in by_path.items():
        print(f"  {path}: {len(times)} made, median {percentile(times, 0.5):.1f} s")
    if imports is not None:
        steps = ", ".join(f"{step} {took:.1f} s" for step, took in imports.timings.items())
        print(f"  import of {args.import_rows} rows through the pages: {steps}")
        if imports.errors:
            print(f"  import errors: {imports.errors}")
    print(f"errors: quiet {quiet['errors']}, loaded {loaded['errors']}; load average {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
