"""Streamed exports through the real server (``evalmeet serve``, its job worker), on SQLite and
PostgreSQL: an items and an actions export of more rows than one batch (the batch made small
with ``EVALMEET_EXPORT_BATCH_ROWS``) download complete, in order and correct, as CSV and .xlsx;
a browser that waits is shown the job's progress page, which then hands over the same file."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.archive_seed import ItemSpec, Seed, build_meeting
from tests.conftest import make_test_app
from tests.databases import drop_postgres_schema, postgres_schema_url
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server

ITEMS = 45  # three batches of 20 (the last one short)
BATCH = "20"
S, D = "satisfied", "dissatisfied"


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    env = {"EVALMEET_EXPORT_BATCH_ROWS": BATCH}
    if request.param == "sqlite":
        with live_server(tmp_path, env) as srv:
            yield srv
        return
    url = postgres_schema_url()
    try:
        with live_server(tmp_path, {**env, "EVALMEET_DATABASE_URL": url}) as srv:
            yield srv
    finally:
        drop_postgres_schema(url)


def seed(srv: LiveServer, tmp_path: Path) -> None:
    """One closed meeting of ``ITEMS`` items (every third fails), each with an action."""
    app = make_test_app(srv.db_url, tmp_path / "seeding")
    from evalmeet.extensions import db

    specs = [
        ItemSpec(
            f"I{n}",
            f"备件采购第{n:03d}项",
            (f"采购员{n % 7}", "供应处"),
            "tender",
            str(1000 + n),
            [D, D, S] if n % 3 == 0 else [S, S, D],
            actions=[{"kind": "rectification", "description": f"整改第{n:03d}项", "due_date": "2099-01-01"}],
        )
        for n in range(ITEMS)
    ]
    with app.app_context():
        build_meeting(db.session, Seed(), "BIG", title="十年档案评价会", when="2026-03-05T09:00", specs=specs)
        db.session.remove()
        db.engine.dispose()


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_big_exports_download_whole_and_correct(server, tmp_path):
    srv = server
    seed(srv, tmp_path)
    items = srv.api("GET", "exports/items.csv?lang=en")
    assert items.status_code == 200, items.text
    assert items.headers["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(items.content)
    assert len(rows) == ITEMS and header[:3] == ["Meeting", "Meeting date", "Item title"]
    assert [r[2] for r in rows] == [f"备件采购第{n:03d}项" for n in range(ITEMS)]  # in agenda order
    result = header.index("Result")
    assert [r[result] for r in rows] == ["Failed" if n % 3 == 0 else "Passed" for n in range(ITEMS)]
    assert rows[44][header.index("Amount (yuan)")] == "1044.00"

    actions = srv.api("GET", "exports/actions.xlsx?lang=en")
    assert actions.status_code == 200, actions.text
    ws = load_workbook(io.BytesIO(actions.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][:3] == ("Meeting", "Meeting date", "Item title") and len(values) == ITEMS + 1
    kind = values[0].index("Description")
    assert [v[kind] for v in values[1:]] == [f"整改第{n:03d}项" for n in range(ITEMS)]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:K{ITEMS + 1}"

    wb = srv.api("GET", "exports/items.xlsx?q=第04")  # a filter: items 040 … 044
    assert wb.status_code == 200
    titles = [
        r[2] for r in load_workbook(io.BytesIO(wb.content)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert titles == [f"备件采购第{n:03d}项" for n in range(40, 45)]


def test_a_waiting_browser_gets_the_progress_page_then_the_file(server, tmp_path):
    from tests.helpers_login import form_login

    srv = server
    seed(srv, tmp_path)
    browser = form_login(srv)
    first = browser.get(
        f"{srv.url}/api/v1/exports/actions.csv",
        headers={"Sec-Fetch-Dest": "document"},
        allow_redirects=False,
        timeout=60,
    )
    if first.status_code == 200:  # the worker was quicker than the browser's patience
        data = first.content
    else:
        assert first.status_code in (302, 303), first.status_code
        page_url = first.headers["Location"]
        assert "/jobs/" in page_url
        deadline = time.monotonic() + 60
        while True:
            page = browser.get(srv.url + page_url if page_url.startswith("/") else page_url, timeout=30)
            found = re.search(r'href="([^"]*/jobs/[^"]+/file[^"]*)"', page.text)
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert found, page.text[:2000]
        link = found[1].replace("&amp;", "&")
        got = browser.get(link if link.startswith("http") else srv.url + link, timeout=60)
        assert got.status_code == 200
        data = got.content
    _header, *rows = csv_rows(data)  # in Chinese: the page's language
    assert [r[6] for r in rows] == [f"整改第{n:03d}项" for n in range(ITEMS)]  # the description column
