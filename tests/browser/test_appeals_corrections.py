"""Appeals and corrections in Chromium against the real server: filing and deciding an appeal on
the action page, the correction form filled by its script with the current text, the pages on a
360-px phone without sideways scrolling; screenshots for the docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.admin import live_server_with_admin, logged_in
from tests.browser.conftest import screenshot_path
from tests.over_api import started_with_one_representative
from tests.server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server_with_admin(tmp_path_factory.mktemp("appeals")) as server:
        yield server


@pytest.fixture(scope="module")
def record(srv):
    meeting = srv.api(
        "POST", "meetings", {"title": "第32次物资采购民主评价会", "location": "职工之家", "quorum": "1/2"}
    ).json()
    item = srv.api(
        "POST",
        f"meetings/{meeting['id']}/items",
        {
            "title": "转炉耐火材料采购",
            "description": "单一来源，四季度用量。",
            "responsible_person": {"name": "王建国", "position": "采购员", "department": "供应处"},
            "procurement_method": "single_source",
            "supplier_count": 1,
        },
    ).json()
    started_with_one_representative(srv, meeting["id"])
    action = srv.api(
        "POST",
        f"items/{item['id']}/actions",
        {"kind": "administrative_discipline", "description": "对责任人给予记过处分。", "owner": "纪委"},
    ).json()
    srv.api("POST", f"meetings/{meeting['id']}/finish")
    return {"meeting": meeting, "item": item, "action": action}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_appeal_is_filed_and_decided_on_the_action_page(srv, chromium, record):
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{srv.url}/actions/{record['action']['id']}")
        assert "可在" in page.inner_text(".appeal-deadline")
        page.fill(".appeal-form textarea[name=statement]", "处分所依据的事实有出入，请求复核。")
        page.click(".appeal-form button[type=submit]")
        page.wait_for_selector("[data-appeal-status=pending]")
        assert "申诉已记录" in page.inner_text("body")
        page.select_option(".decide-form select[name=decision]", "modified")
        page.fill(".decide-form textarea[name=reason]", "经复核，改为警告处分。")
        page.click(".decide-form button[type=submit]")
        page.wait_for_selector("[data-appeal-status=modified]")
        assert "变更处理" in page.inner_text("#appeals")
        page.locator("#appeals").screenshot(path=screenshot_path("appeal.png"))
    finally:
        context.close()
    phone, page = logged_in(
        chromium, srv, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        page.goto(f"{srv.url}/actions/{record['action']['id']}")
        assert page.is_visible("#appeals") and no_sideways_scroll(page)
        page.goto(f"{srv.url}/archive/people/{record['item']['responsible_person']['id']}")
        assert "变更处理" in page.inner_text("body") and no_sideways_scroll(page)
    finally:
        phone.close()


def test_an_admin_corrects_a_text_and_the_history_shows_it(srv, chromium, record):
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})
    meeting, item = record["meeting"], record["item"]
    try:
        page.goto(f"{srv.url}/meetings/{meeting['id']}")
        page.click("#corrections summary")
        page.select_option("#corrections select[name=what]", f"item:{item['id']}:description")
        assert page.input_value("#correction-value") == "单一来源，四季度用量。"  # filled by its script
        page.fill("#correction-value", "单一来源，四季度及一季度用量。")
        page.fill("#corrections input[name=reason]", "用量期间漏写")
        page.click("#corrections button[type=submit]")
        page.wait_for_selector("#revisions li[data-correction-id]")
        assert "更正已保存" in page.inner_text("body")
        page.goto(f"{srv.url}/meetings/{meeting['id']}")
        history = page.inner_text("#revisions")
        assert "单一来源，四季度用量。" in history and "用量期间漏写" in history
        page.locator("#revisions").screenshot(path=screenshot_path("corrections.png"))
        page.goto(f"{srv.url}/meetings/{meeting['id']}/corrections?what=meeting:{meeting['id']}:title")
        assert page.input_value("#correction-value") == meeting["title"]
        page.screenshot(path=screenshot_path("corrections-page.png"), full_page=True)
    finally:
        context.close()
    phone, page = logged_in(
        chromium, srv, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        for path in (f"/meetings/{meeting['id']}/corrections", f"/archive/meetings/{meeting['id']}"):
            page.goto(srv.url + path)
            assert page.is_visible("#revisions") and no_sideways_scroll(page), path
    finally:
        phone.close()
