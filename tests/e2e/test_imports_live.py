"""Roster and item imports checked and saved by the server's job worker, through the real server.

A moderator's browser (plain HTTP with its session cookie, as the pages are plain forms) uploads
a 5,000-row roster: the upload answers with the progress page, which goes on to the preview; the
confirmation goes through the progress page too and ends on the meeting page with its message,
every row saved. A refused file still shows its translated reason on the upload page. A worker
killed while it holds the import's write transaction: the page says so (503, in Chinese), and
not one row was saved; one killed right after its commit: the page says the rows were added. On
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.test_jobs_live import MODERATOR, PASSWORD, killed_at_the_failpoint, workers
from tests.helpers_login import form_login
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server

ROWS = 5000


def roster_csv(rows: int) -> bytes:
    return ("姓名,工号,部门\n" + "".join(f"代表{n:04d},E{n:05d},炼钢厂\n" for n in range(rows))).encode()


def items_csv(rows: int) -> bytes:
    lines = "".join(f"备件采购第{n}批,采购员{n % 40:02d},供应处,单一来源,{300000 + n}\n" for n in range(rows))
    return ("项目名称,责任人,责任人部门,采购方式,金额\n" + lines).encode()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found[1]


def follow_job(
    srv, browser: requests.Session, answer: requests.Response, seen: list[str]
) -> requests.Response:
    """From a 302 to the progress page, reload it as the browser does until it sends us on;
    returns the page it ends on (redirects followed). ``seen`` gets the progress pages' texts."""
    assert answer.status_code == 302, answer.text[:500]
    url = srv.url + answer.headers["Location"]
    assert re.search(r"/jobs/[0-9a-f-]{36}", url), url
    deadline = time.monotonic() + 120
    while True:
        page = browser.get(url, allow_redirects=False, timeout=30)
        if page.status_code == 302:
            return browser.get(srv.url + page.headers["Location"], timeout=30)
        assert page.status_code == 200, page.text[:500]
        assert 'http-equiv="refresh" content="1"' in page.text
        seen.append(page.text)
        assert time.monotonic() < deadline, "the job never finished"
        time.sleep(0.3)


def upload(srv, browser, meeting_id: int, kind: str, name: str, data: bytes) -> requests.Response:
    form = browser.get(f"{srv.url}/meetings/{meeting_id}/import/{kind}", timeout=10)
    assert form.status_code == 200
    return browser.post(
        f"{srv.url}/meetings/{meeting_id}/import/{kind}",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": (name, data, "text/csv")},
        allow_redirects=False,
        timeout=60,
    )


def confirm(srv, browser, meeting_id: int, kind: str, preview: str) -> requests.Response:
    token = re.search(r'name="token" value="([^"]+)"', preview)
    assert token, preview[:500]
    return browser.post(
        f"{srv.url}/meetings/{meeting_id}/import/{kind}/confirm",
        data={"csrf_token": csrf_of(preview), "token": token[1]},
        allow_redirects=False,
        timeout=60,
    )


def roster_size(srv, meeting_id: int) -> int:
    answer = srv.api("GET", f"meetings/{meeting_id}/representatives")
    assert answer.status_code == 200
    return len(answer.json()["representatives"])


def test_a_5000_row_roster_goes_through_the_progress_page(database_env, tmp_path):
    env = {**database_env, "EVALMEET_JOBS_BROWSER_PATIENCE_S": "0"}
    with live_server(tmp_path, env=env) as srv:
        srv.create_user(MODERATOR, "moderator", PASSWORD, token=False)
        meeting = srv.api("POST", "meetings", {"title": "职代会 5000 人"}).json()
        browser = form_login(srv, MODERATOR, PASSWORD)
        seen: list[str] = []

        started = upload(srv, browser, meeting["id"], "roster", "代表名单.csv", roster_csv(ROWS))
        preview = follow_job(srv, browser, started, seen)
        assert preview.status_code == 200, preview.text[:500]
        assert f"全部 {ROWS} 行均可导入" in preview.text
        assert preview.text.count('<td class="num">') == ROWS  # every row shown, rendered by the worker
        assert "代表4999" in preview.text
        assert all("正在检查文件" in text for text in seen)
        assert roster_size(srv, meeting["id"]) == 0  # the preview saved nothing

        saved = confirm(srv, browser, meeting["id"], "roster", preview.text)
        done = follow_job(srv, browser, saved, seen)
        assert done.status_code == 200
        assert done.url.startswith(f"{srv.url}/meetings/{meeting['id']}")
        assert f"已将 {ROWS} 名代表加入名单。" in done.text
        assert roster_size(srv, meeting["id"]) == ROWS
        assert srv.cli("audit", "verify") is not None  # the chain of 5,001 new entries holds

        # a refused file: the reason, translated, on the upload page, through the job (a big file)
        # as in the request (a small one)
        bad = "名字,编号\n" + "".join(f"甲{n},{n}\n" for n in range(ROWS))
        page = follow_job(
            srv, browser, upload(srv, browser, meeting["id"], "roster", "bad.csv", bad.encode()), seen
        )
        assert page.status_code == 422
        assert "缺少必填列" in page.text and "import-error" in page.text
        small = upload(srv, browser, meeting["id"], "roster", "bad.csv", bad[:40].encode())
        assert small.status_code == 422 and "缺少必填列" in small.text

        # items: the agenda holds 500 (a 5,000-row item file is refused, in words), 500 go in
        draft = srv.api("POST", "meetings", {"title": "年度采购评议"}).json()
        too_many = follow_job(
            srv, browser, upload(srv, browser, draft["id"], "items", "i.csv", items_csv(ROWS)), seen
        )
        assert too_many.status_code == 409
        assert "本次会议最多还能添加 500 条，文件中有 5000 行。" in too_many.text
        preview = follow_job(
            srv, browser, upload(srv, browser, draft["id"], "items", "i.csv", items_csv(500)), seen
        )
        assert "全部 500 行均可导入" in preview.text
        done = follow_job(srv, browser, confirm(srv, browser, draft["id"], "items", preview.text), seen)
        assert "已添加 500 个评价项目。" in done.text
        items = srv.api("GET", f"meetings/{draft['id']}").json()["items"]
        assert len(items) == 500 and items[-1]["title"] == "备件采购第499批"
        assert items[0]["risk_flags"]  # a single source: flagged as when added one by one
        assert "Traceback" not in srv.log()


def test_small_imports_answer_at_once(tmp_path):
    """A small import is checked and saved in the request, whatever the workers do: the pages are
    the same as before the jobs — the preview is the upload's answer, the confirmation redirects
    to the meeting page."""
    with live_server(tmp_path, env={"EVALMEET_JOBS_BROWSER_PATIENCE_S": "0"}) as srv:
        srv.create_user(MODERATOR, "moderator", PASSWORD, token=False)
        meeting = srv.api("POST", "meetings", {"title": "小会"}).json()
        browser = form_login(srv, MODERATOR, PASSWORD)
        preview = upload(srv, browser, meeting["id"], "roster", "r.csv", roster_csv(3))
        assert preview.status_code == 200 and "全部 3 行均可导入" in preview.text
        saved = confirm(srv, browser, meeting["id"], "roster", preview.text)
        assert saved.status_code == 302 and saved.headers["Location"].endswith(
            f"/meetings/{meeting['id']}#roster"
        )
        assert "已将 3 名代表加入名单。" in browser.get(srv.url + saved.headers["Location"], timeout=10).text
        again = confirm(srv, browser, meeting["id"], "roster", preview.text)  # the same token twice
        assert again.status_code == 409 and "import-error" in again.text
        assert roster_size(srv, meeting["id"]) == 3


@contextlib.contextmanager
def save_killed_at(
    tmp_path, failpoint: str, rows: int, database_env: dict[str, str] | None = None
) -> Iterator[tuple[LiveServer, int, requests.Response, list[str], float]]:
    """A server whose worker is SIGKILLed at ``failpoint`` while it saves a ``rows``-row roster
    (the browser on the progress page); yields the server, the meeting's id, the page the
    browser ends on, the progress pages it saw and how many seconds the kill and the answer took."""
    mark = tmp_path / failpoint
    env = {
        **(database_env or {}),
        "EVALMEET_JOBS_BROWSER_PATIENCE_S": "0",
        "EVALMEET_FAILPOINTS": failpoint,
        "EVALMEET_FAILPOINT_MARK": str(mark),
    }
    with live_server(tmp_path / "srv", env=env) as srv:
        srv.create_user(MODERATOR, "moderator", PASSWORD, token=False)
        meeting = srv.api("POST", "meetings", {"title": f"中断的导入（{failpoint}）"}).json()
        browser = form_login(srv, MODERATOR, PASSWORD)
        seen: list[str] = []
        preview = follow_job(
            srv, browser, upload(srv, browser, meeting["id"], "roster", "r.csv", roster_csv(rows)), seen
        )
        assert f"全部 {rows} 行均可导入" in preview.text
        (worker,) = workers(srv)
        started = time.monotonic()
        with killed_at_the_failpoint(mark, f"the save never reached {failpoint}") as killed:
            page = follow_job(
                srv, browser, confirm(srv, browser, meeting["id"], "roster", preview.text), seen
            )
        assert killed == [worker.pid]
        yield srv, meeting["id"], page, seen, time.monotonic() - started


def test_a_worker_killed_while_saving_saves_nothing(database_env, tmp_path):
    # killed once every row is inserted, before anything is committed
    killed = save_killed_at(tmp_path, "import_writing", ROWS, database_env)
    with killed as (srv, meeting_id, page, seen, took):
        assert page.status_code == 503, page.text[:500]
        assert "处理导入的进程在完成前中断，未保存任何内容。" in page.text
        assert took < 60  # said so, did not hang
        assert any("正在保存导入" in text for text in seen)
        assert roster_size(srv, meeting_id) == 0  # not one row half saved


def test_a_worker_killed_after_its_commit_says_the_rows_were_saved(tmp_path):
    """The worker commits, then dies before it hands its outcome back: the rows are in, and the
    page says so (the import's audit entry names the job), not "nothing was saved". On SQLite:
    the look-up is one select, run on PostgreSQL by tests/services/test_import_save.py."""
    rows = 1000  # over the inline limit: the worker saves it
    with save_killed_at(tmp_path, "import_committed", rows) as (srv, meeting_id, page, _seen, _took):
        assert page.status_code == 200, page.text[:500]
        assert page.url.endswith(f"/meetings/{meeting_id}#roster")
        assert f"已将 {rows} 名代表加入名单。" in page.text
        assert "未保存任何内容" not in page.text
        assert roster_size(srv, meeting_id) == rows


def test_a_live_meeting_hears_of_a_roster_saved_by_the_worker(tmp_path):
    """The worker cannot reach the meeting's screens: the server that enqueued the save sends
    the fresh snapshot once the job is done, though the browser is still on the progress page."""
    import socketio

    env = {"EVALMEET_JOBS_BROWSER_PATIENCE_S": "0"}
    with live_server(tmp_path, env=env) as srv:
        srv.create_user(MODERATOR, "moderator", PASSWORD, token=False)
        meeting = srv.api("POST", "meetings", {"title": "会中补录代表"}).json()
        rep = srv.api(
            "POST", f"meetings/{meeting['id']}/representatives", {"name": "甲", "employee_no": "X1"}
        )
        assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200
        rosters: list[int] = []
        phone = socketio.Client(reconnection=False)
        phone.on("state", lambda state: rosters.append(state["attendance"]["roster"]), namespace="/live")
        phone.connect(
            srv.url, namespaces=["/live"], auth={"token": rep.json()["join_token"]}, transports=["websocket"]
        )
        try:
            browser = form_login(srv, MODERATOR, PASSWORD)
            seen: list[str] = []
            preview = follow_job(
                srv, browser, upload(srv, browser, meeting["id"], "roster", "r.csv", roster_csv(ROWS)), seen
            )
            saved = confirm(srv, browser, meeting["id"], "roster", preview.text)
            assert saved.status_code == 302 and "/jobs/" in saved.headers["Location"]
            deadline = time.monotonic() + 60
            while ROWS + 1 not in rosters:  # nobody reloads the progress page meanwhile
                assert time.monotonic() < deadline, rosters
                time.sleep(0.1)
        finally:
            phone.disconnect()
        assert roster_size(srv, meeting["id"]) == ROWS + 1
