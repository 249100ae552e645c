"""How long the meeting page and the console's data take with a big roster, on the real server.

    .venv/bin/python bench/roster_page.py [--rows 5000] [--runs 5]

Starts ``evalmeet serve`` (SQLite, its job worker, as deployed), imports a ``--rows`` roster
through the import pages (the worker checks and saves it), adds an item and starts the meeting,
then fetches ``/meetings/<id>`` and ``/meetings/<id>/console/data`` ``--runs`` times each as
the logged-in moderator. Prints the median and the slowest wall time, the server's own time
(``Server-Timing: app``) and the size. While a gevent server renders a page, no phone of the
live meeting is answered: what the meeting page costs is a stall for all of them.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_average  # noqa: E402
from tests.e2e.test_imports_live import confirm, follow_job, roster_csv, upload  # noqa: E402
from tests.helpers_login import form_login  # noqa: E402
from tests.server import live_server  # noqa: E402

USER, PASSWORD = "bench-moderator", "bench password long enough"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp)) as srv:
        srv.create_user(USER, "moderator", PASSWORD, token=False)
        meeting = srv.api("POST", "meetings", {"title": "大名单"}).json()["id"]
        browser = form_login(srv, USER, PASSWORD)
        seen: list[str] = []
        preview = upload(srv, browser, meeting, "roster", "r.csv", roster_csv(args.rows))
        if preview.status_code == 302:
            preview = follow_job(srv, browser, preview, seen)
        saved = confirm(srv, browser, meeting, "roster", preview.text)
        if saved.status_code == 302 and "/jobs/" in saved.headers["Location"]:
            follow_job(srv, browser, saved, seen)
        person = {"name": "甲", "department": "乙"}
        item = {"title": "项目", "responsible_person": person, "amount": "1000.00"}
        assert srv.api("POST", f"meetings/{meeting}/items", item).status_code == 201
        assert srv.api("POST", f"meetings/{meeting}/start").status_code == 200
        print(f"{args.rows} representatives, load average {load_average()}")
        pages = ((f"/meetings/{meeting}", "text/html"), (f"/meetings/{meeting}/console/data", "*/*"))
        for path, accept in pages:
            walls, apps, size = [], [], 0
            for _ in range(args.runs):
                began = time.monotonic()
                answer = browser.get(srv.url + path, headers={"Accept": accept}, timeout=60)
                walls.append(time.monotonic() - began)
                assert answer.status_code == 200, (path, answer.status_code)
                size = len(answer.content)
                found = re.search(r"app;dur=([\d.]+)", answer.headers.get("Server-Timing", ""))
                if found:
                    apps.append(float(found[1]))
            server = f"server median {statistics.median(apps):.0f} ms" if apps else "no Server-Timing"
            median, slowest = statistics.median(walls) * 1000, max(walls) * 1000
            kib = size / 1024
            print(f"{path}: median {median:.0f} ms, slowest {slowest:.0f} ms, {server}, {kib:.0f} KiB")


if __name__ == "__main__":
    main()
