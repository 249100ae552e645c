"""Paged lists through the real server (``evalmeet serve``), on SQLite and PostgreSQL: a client
follows the ``Link: <…>; rel="next"`` headers of GET /api/v1/meetings, a roster and an item's
receipts to the end, meetings made between pages neither lost nor repeated; bad cursors and
limits are 422 by code; /meetings and /public link their pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.databases import drop_postgres_schema, postgres_schema_url
from tests.e2e.test_live_meeting import Screen, setup_meeting
from tests.helpers_login import form_login
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    if request.param == "sqlite":
        with live_server(tmp_path) as srv:
            yield srv
        return
    url = postgres_schema_url()
    try:
        with live_server(tmp_path, env={"EVALMEET_DATABASE_URL": url}) as srv:
            yield srv
    finally:
        drop_postgres_schema(url)


def follow(srv: LiveServer, path: str, pick, between=None) -> tuple[list, int]:
    """Every row of a paged list, following rel="next" as a client would (absolute URLs)."""
    rows, pages, url = [], 0, f"{srv.url}/api/v1/{path}"
    while url:
        response = srv.api("GET", url.removeprefix(srv.url))
        assert response.status_code == 200, response.text
        assert url.startswith(srv.url)
        rows += pick(response.json())
        pages += 1
        if between:
            between(pages)
        url = response.links.get("next", {}).get("url")
    return rows, pages


def test_a_client_follows_the_link_headers(server):
    srv = server
    before = {m["id"] for m in srv.api("GET", "meetings").json()}
    made = [srv.api("POST", "meetings", {"title": f"分页{i:02d}"}).json()["id"] for i in range(9)]
    added: list[int] = []

    def insert(page):
        if page == 1:
            added.append(srv.api("POST", "meetings", {"title": "翻页时新建"}).json()["id"])

    ids, pages = follow(srv, "meetings?limit=4", lambda body: [m["id"] for m in body], insert)
    assert len(ids) == len(set(ids))
    assert set(made) | before == set(ids) and pages == 3
    assert added[0] not in ids and srv.api("GET", "meetings").json()[0]["id"] == added[0]
    # without limit: still the array, every meeting on one default page, no Link
    whole = srv.api("GET", "meetings")
    assert isinstance(whole.json(), list) and {m["id"] for m in whole.json()} >= set(made) | set(added)
    assert "Link" not in whole.headers

    bad = srv.api("GET", "meetings?limit=2&cursor=not-a-cursor")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
    big = srv.api("GET", "meetings?limit=100000")
    assert big.status_code == 422 and big.json()["error"]["details"]["field"] == "limit"


def test_a_roster_and_receipts_page_and_the_pages_link(server):
    srv = server
    meeting_id, roster, (item_id,) = setup_meeting(srv, reps=5)
    reps, pages = follow(
        srv, f"meetings/{meeting_id}/representatives?limit=2", lambda body: body["representatives"]
    )
    assert [r["id"] for r in reps] == [r["id"] for r in roster] and pages == 3
    whole = srv.api("GET", f"meetings/{meeting_id}/representatives").json()["representatives"]
    assert [r["id"] for r in whole] == [r["id"] for r in roster]

    phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]
    try:
        for phone in phones:
            assert phone.wait(lambda p=phone: p.last("state") is not None)
        assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
        receipts = [phone.vote(item_id, "satisfied")["receipt"] for phone in phones]
    finally:
        for phone in phones:
            phone.close()
    assert srv.api("POST", f"items/{item_id}/voting/close").status_code == 200
    assert srv.api("POST", f"meetings/{meeting_id}/finish").status_code == 200
    assert srv.api("POST", f"meetings/{meeting_id}/publish").status_code == 200

    codes, pages = follow(srv, f"items/{item_id}/receipts?limit=2", lambda body: body["receipts"])
    assert codes == sorted(receipts) and pages == 3
    # anyone follows the public receipts' links without a login
    first = requests.get(f"{srv.url}/api/v1/items/{item_id}/receipts?limit=3", timeout=30)
    second = requests.get(first.links["next"]["url"], timeout=30)
    assert first.json()["receipts"] + second.json()["receipts"] == sorted(receipts)
    assert "next" not in second.links and "prev" in second.links

    # the pages: /meetings (moderators) and /public link their neighbours, in zh and en
    for n in range(3):
        srv.api("POST", "meetings", {"title": f"列表{n}"})
    browser = form_login(srv)
    first_page = browser.get(f"{srv.url}/meetings?limit=2", timeout=30).text
    assert re.findall(r"列表\d", first_page) == ["列表2", "列表1"] and "上一页" not in first_page
    later = re.search(r'rel="next" href="([^"]+)"', first_page)[1].replace("&amp;", "&")
    second_page = browser.get(f"{srv.url}{later}&lang=en", timeout=30).text
    assert re.findall(r"列表\d", second_page) == ["列表0"] and "Previous" in second_page
    public = requests.get(f"{srv.url}/public?limit=1", timeout=30)
    assert public.status_code == 200 and "2026年第3次采购民主评价会" in public.text
    assert 'rel="next"' not in public.text  # one published meeting: one page
    assert requests.get(f"{srv.url}/api/v1/meetings", timeout=30).status_code == 401


def test_the_report_back_list_pages_and_searches(server):
    """A draft's report-back list (ten years of a company hold thousands of unresolved actions)
    is paged with links, counts what it holds, and searches, through the real server."""
    srv = server
    meeting_id, _roster, items = setup_meeting(srv, reps=3, items=2)
    assert srv.api("POST", f"meetings/{meeting_id}/finish").status_code == 200
    made = []
    for n, item_id in enumerate(items * 2):
        body = {"kind": "rectification", "description": f"整改事项{n}" + ("：库房" if n == 3 else "")}
        answer = srv.api("POST", f"items/{item_id}/actions", body)
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    draft = srv.api("POST", "meetings", {"title": "回头看会议"}).json()["id"]
    browser = form_login(srv)

    first = browser.get(f"{srv.url}/meetings/{draft}/report-back?limit=3", timeout=30)
    assert first.status_code == 200 and "共 4 项未完成的整改事项" in first.text
    offered = [int(i) for i in re.findall(r'name="action_id" value="(\d+)"', first.text)]
    later = re.search(r'rel="next" href="([^"]+)"', first.text)[1].replace("&amp;", "&")
    second = browser.get(f"{srv.url}{later}", timeout=30).text
    offered += [int(i) for i in re.findall(r'name="action_id" value="(\d+)"', second)]
    assert sorted(offered) == sorted(made) and len(set(offered)) == 4 and 'rel="prev"' in second

    found = browser.get(f"{srv.url}/meetings/{draft}/report-back", params={"q": "库房"}, timeout=30).text
    assert re.findall(r'name="action_id" value="(\d+)"', found) == [str(made[3])]
    assert "共 1 项未完成的整改事项" in found
    none = browser.get(f"{srv.url}/meetings/{draft}/report-back", params={"q": "没有这种"}, timeout=30)
    assert none.status_code == 200 and "没有与“没有这种”相符的未完成整改事项" in none.text
