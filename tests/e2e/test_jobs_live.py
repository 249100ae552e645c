"""Minutes and exports made by worker processes, through the real server (``evalmeet serve``).

The server starts its worker itself; an API client gets its file as before ("Downloads stay
downloads"); a browser that would wait is sent to the job's progress page, which downloads the
file when it is ready; a worker killed in the middle of a job answers 503 ``worker_lost`` (never
a hang), is started again, and the next download works. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import requests
from openpyxl import load_workbook

from tests.e2e.test_minutes_live import pdf_text
from tests.helpers_login import form_login
from tests.server import BIN, live_server

pytestmark = pytest.mark.server

MODERATOR, PASSWORD = "jobs-mod", "a long enough password 1"
BROWSER = {"Sec-Fetch-Dest": "document", "Accept": "text/html"}


@contextmanager
def killed_at_the_failpoint(mark: Path, never: str) -> Iterator[list[int]]:
    """While the block runs, a thread waits (a minute at most, else it fails with ``never``) for
    the failpoint's ``mark`` file and SIGKILLs the process whose pid it holds; yields the list of
    pids killed, complete when the block is done."""
    killed: list[int] = []

    def kill_when_marked() -> None:
        deadline = time.monotonic() + 60
        while not mark.exists():
            assert time.monotonic() < deadline, never
            time.sleep(0.05)
        pid = int(mark.read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_when_marked)
    killer.start()
    try:
        yield killed
    finally:
        killer.join()


def workers(srv) -> list[psutil.Process]:
    server = psutil.Process(srv.proc.pid)
    return [p for p in server.children(recursive=True) if "worker" in " ".join(p.cmdline())]


def closed_meeting(srv) -> dict:
    srv._run([str(BIN / "evalmeet"), "demo"])
    return next(m for m in srv.api("GET", "meetings").json() if m["status"] == "closed")


def test_downloads_are_made_by_the_servers_worker(database_env, tmp_path):
    env = {**database_env, "EVALMEET_JOBS_BROWSER_PATIENCE_S": "0"}
    with live_server(tmp_path, env=env) as srv:
        closed = closed_meeting(srv)
        (worker,) = workers(srv)
        assert worker.nice() == 10  # the live meeting first
        pdf = srv.api("GET", f"meetings/{closed['id']}/minutes.pdf")
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        assert "会议纪要" in pdf_text(pdf.content)
        for fmt in ("xlsx", "csv"):
            table = srv.api("GET", f"exports/actions.{fmt}")
            assert table.status_code == 200, table.text[:300]
        workbook = load_workbook(io.BytesIO(srv.api("GET", "exports/items.xlsx").content), read_only=True)
        assert workbook.sheetnames
        bad = srv.api("GET", "exports/items.csv?from=notadate")
        assert bad.status_code == 422  # refused by the server at once, not by the job
        draft = next(m for m in srv.api("GET", "meetings").json() if m["status"] == "draft")
        refused = srv.api("GET", f"meetings/{draft['id']}/minutes.pdf")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "meeting_draft"

        # a browser: the progress page, which reloads itself, then hands over the file
        srv.create_user(MODERATOR, "moderator", PASSWORD, token=False)
        browser = form_login(srv, MODERATOR, PASSWORD)
        started = browser.get(
            f"{srv.url}/api/v1/meetings/{closed['id']}/minutes.pdf", headers=BROWSER, allow_redirects=False
        )
        assert started.status_code == 302, started.text[:300]
        page_url = srv.url + started.headers["Location"]
        assert re.search(r"/jobs/[0-9a-f-]{36}", page_url)
        deadline = time.monotonic() + 120
        while True:
            page = browser.get(page_url, headers=BROWSER, timeout=10)
            assert page.status_code == 200
            if "文件已生成" in page.text:
                break
            assert "正在准备下载" in page.text and 'http-equiv="refresh" content="1"' in page.text
            assert time.monotonic() < deadline
            time.sleep(0.5)
        link = re.search(r'content="0; url=([^"]+)"', page.text)
        assert link
        got = browser.get(srv.url + link[1], timeout=30)
        assert got.status_code == 200 and got.content[:5] == b"%PDF-"
        assert "attachment" in got.headers["Content-Disposition"]
        # the page is the session's own: another client does not see it
        assert requests.get(page_url, timeout=10, allow_redirects=False).status_code in (302, 401, 404)
        other = form_login(srv, MODERATOR, PASSWORD)
        assert other.get(page_url, timeout=10).status_code == 404
        assert "Traceback" not in srv.log()


def test_a_worker_killed_mid_job_answers_503_and_comes_back(tmp_path):
    mark = tmp_path / "job-running"
    env = {"EVALMEET_FAILPOINTS": "job_running", "EVALMEET_FAILPOINT_MARK": str(mark)}
    with live_server(tmp_path / "srv", env=env) as srv:
        closed = closed_meeting(srv)
        (worker,) = workers(srv)
        started = time.monotonic()
        with killed_at_the_failpoint(mark, "the job never started") as killed:  # in the middle of the job
            lost = srv.api("GET", f"meetings/{closed['id']}/minutes.xlsx")
        assert killed == [worker.pid]
        assert lost.status_code == 503, lost.text[:300]
        assert lost.json()["error"]["code"] == "worker_lost"
        assert "中断" in lost.json()["error"]["message"]
        assert time.monotonic() - started < 60  # said so, did not hang
        deadline = time.monotonic() + 60
        while not [w for w in workers(srv) if w.pid != worker.pid]:
            assert time.monotonic() < deadline, "the worker was not started again"
            time.sleep(0.2)
        again = srv.api("GET", f"meetings/{closed['id']}/minutes.xlsx")
        assert again.status_code == 200
        assert load_workbook(io.BytesIO(again.content), read_only=True).sheetnames
        assert "starting it again" in srv.log()
