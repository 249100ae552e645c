"""Savings and reminders in Chromium against the real server: a re-tender's price entered on the
action page, the dashboard's savings by year and department (and on a 360-px phone), a failed
reminder listed on /actions; screenshots for the docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.admin import live_server_with_admin, logged_in
from tests.browser.conftest import screenshot_path
from tests.over_api import started_with_one_representative
from tests.receivers import webhook_receiver
from tests.server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def hook() -> Iterator[object]:
    with webhook_receiver() as (url, receiver):
        receiver.status, receiver.body = 502, b"bad gateway"
        yield url, receiver


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, hook) -> Iterator[LiveServer]:
    env = {"EVALMEET_WEBHOOK_URL": hook[0]}
    with live_server_with_admin(tmp_path_factory.mktemp("savings"), env) as server:
        yield server


@pytest.fixture(scope="module")
def record(srv):
    meeting = srv.api("POST", "meetings", {"title": "第33次物资采购民主评价会", "quorum": "1/2"}).json()
    actions = {}
    for title, department, amount in (
        ("焦炭采购", "供应处", "1280000.00"),
        ("耐火材料采购", "炼钢厂", "356000.00"),
    ):
        item = srv.api(
            "POST",
            f"meetings/{meeting['id']}/items",
            {
                "title": title,
                "responsible_person": {"name": f"{title[:2]}负责人", "department": department},
                "procurement_method": "single_source",
                "supplier_count": 1,
                "amount": amount,
            },
        ).json()
        actions[title] = srv.api(
            "POST",
            f"items/{item['id']}/actions",
            {"kind": "retender", "description": "公开重新招标", "owner": "招标办"},
        ).json()
    started_with_one_representative(srv, meeting["id"])
    late = srv.api(
        "POST",
        f"items/{actions['焦炭采购']['item_id']}/actions",
        {"kind": "rectification", "description": "补充比价记录", "owner": "李明", "due_date": "2031-05-12"},
    ).json()
    srv.api("POST", f"meetings/{meeting['id']}/finish")
    srv.api("PATCH", f"actions/{actions['耐火材料采购']['id']}", {"outcome_amount": "371000.00"})
    for action in actions.values():
        for status in ("done", "verified") if action is not actions["焦炭采购"] else ("done",):
            srv.api("PATCH", f"actions/{action['id']}", {"status": status})
    return {"actions": actions, "late": late}


def test_a_retender_price_entered_on_the_action_page_shows_on_the_dashboard(srv, chromium, record):
    action = record["actions"]["焦炭采购"]
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{srv.url}/actions/{action['id']}")
        page.click("#edit summary")
        page.fill("#edit input[name=outcome_amount]", "1150000")
        page.click("#edit button[type=submit]")
        page.wait_for_selector(".outcome-amount")
        assert "¥1,150,000.00" in page.inner_text(".outcome-amount")
        page.select_option("#progress select[name=status]", "verified")
        page.click("#progress button[type=submit]")
        page.wait_for_selector(".saved")
        assert "¥130,000.00" in page.inner_text(".saved")
        assert srv.api("GET", "stats").json()["savings"] == "115000.00"  # 130000.00 - 15000.00

        page.goto(f"{srv.url}/dashboard")
        assert "¥115,000.00" in page.inner_text("[data-figure=savings]")
        section = page.locator("#savings")
        assert "-¥15,000.00" in section.inner_text() and "供应处" in section.inner_text()
        section.screenshot(path=screenshot_path("dashboard-savings.png"))
        page.click(".savings-department [data-key=炼钢厂] td:first-child a")
        page.wait_for_url("**/actions?savings=1&department=*")
        rows = page.locator("[data-action-id]")
        assert rows.count() == 1 and "-¥15,000.00" in page.inner_text(".savings-filter")
    finally:
        context.close()
    context, page = logged_in(chromium, srv, viewport={"width": 360, "height": 740})
    try:
        page.goto(f"{srv.url}/dashboard#savings")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()


def test_a_failed_reminder_is_listed_on_the_actions_page(srv, chromium, record, hook):
    assert srv.cli("remind") == ""  # the robot answers 502: nothing went out
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{srv.url}/actions")
        box = page.locator(".reminder-failures")
        assert "提醒发送失败" in box.inner_text() and "HTTP 502" in box.inner_text()
        assert box.locator(f"[data-reminder-failed='{record['late']['id']}']").count() == 1
        box.screenshot(path=screenshot_path("reminder-failed.png"))
    finally:
        context.close()
    hook[1].status, hook[1].body = 200, b'{"errcode": 0}'
    assert f"reminded action {record['late']['id']} " in srv.cli("remind")
    context, page = logged_in(chromium, srv, viewport={"width": 1200, "height": 900})
    try:
        page.goto(f"{srv.url}/actions")
        assert page.locator(".reminder-failures").count() == 0
    finally:
        context.close()
