"""Paged lists in Chromium against the real server: /meetings a page at a time with 上一页 / 下一页
links that lead forward and back, /public the same for everyone, both on a 360-px phone without
sideways scrolling; a meeting page's roster paged in place; screenshots for the docs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.admin import live_server_with_admin, logged_in
from tests.browser.conftest import screenshot_path
from tests.over_api import started_with_one_representative
from tests.server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server_with_admin(tmp_path_factory.mktemp("paging")) as server:
        for n in range(1, 8):
            meeting = server.api(
                "POST",
                "meetings",
                {"title": f"2026年第{n}次物资采购民主评价会", "location": "职工之家", "quorum": "1/2"},
            ).json()
            if n <= 5:  # five finished and published, two still in preparation
                assert started_with_one_representative(server, meeting["id"]).status_code == 200
                assert server.api("POST", f"meetings/{meeting['id']}/finish").status_code == 200
                assert server.api("POST", f"meetings/{meeting['id']}/publish").status_code == 200
        yield server


def titles(page) -> list[int]:
    return [int(n) for n in re.findall(r"2026年第(\d)次", page.inner_text("main"))]


def test_the_meetings_list_pages_forward_and_back(srv, chromium):
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{srv.url}/meetings?limit=3")
        assert titles(page) == [7, 6, 5]
        assert page.locator(".pagination a[rel=prev]").count() == 0
        page.click(".pagination a[rel=next]")
        assert titles(page) == [4, 3, 2]
        page.screenshot(path=screenshot_path("meetings-paged.png"), full_page=True)
        page.click(".pagination a[rel=next]")
        assert titles(page) == [1] and page.locator(".pagination a[rel=next]").count() == 0
        page.click(".pagination a[rel=prev]")
        assert titles(page) == [4, 3, 2]
        page.click(".pagination a[rel=prev]")
        assert titles(page) == [7, 6, 5]
        page.goto(f"{srv.url}/meetings?limit=3&lang=en")
        assert page.inner_text(".pagination a[rel=next]").startswith("Next")
    finally:
        context.close()


def test_the_public_list_pages_on_a_phone(srv, phone_context):
    page = phone_context().new_page()
    page.goto(f"{srv.url}/public?limit=2")
    assert titles(page) == [5, 4]
    page.click(".pagination a[rel=next]")
    assert titles(page) == [3, 2]
    assert page.inner_text(".pagination").split() == ["‹", "上一页", "下一页", "›"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=screenshot_path("public-paged.png"), full_page=True)
    page.click(".pagination a[rel=next]")
    assert titles(page) == [1]


def test_a_meetings_roster_pages_and_stays_on_the_roster(srv, chromium):
    meeting = srv.api("POST", "meetings", {"title": "名单分页的会", "quorum": "1/2"}).json()
    for n in range(7):
        rep = {"name": f"分页代表{n}", "employee_no": f"P{n}"}
        added = srv.api("POST", f"meetings/{meeting['id']}/representatives", rep)
        assert added.status_code == 201, added.text
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})

    def shown() -> list[int]:
        return [int(n) for n in re.findall(r"分页代表(\d)", page.inner_text("#roster"))]

    try:
        page.goto(f"{srv.url}/meetings/{meeting['id']}?limit=3")
        assert shown() == [0, 1, 2] and page.inner_text("#roster h2").split() == ["代表名单", "7"]
        page.click("#roster .pagination a[rel=next]")
        assert shown() == [3, 4, 5] and page.url.endswith("#roster")
        page.click("#roster .pagination a[rel=next]")
        assert shown() == [6] and page.locator("#roster .pagination a[rel=next]").count() == 0
        page.click("#roster .pagination a[rel=prev]")
        assert shown() == [3, 4, 5]
    finally:
        context.close()
