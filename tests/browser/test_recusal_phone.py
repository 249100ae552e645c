"""Recusal (回避) and question support in headless Chromium at 360×740, against the REAL server.

A representative declares a recusal from the phone (a discreet link under the item, then a
reason), sees it recorded, and when voting opens is told they do not vote, with no ballot to
cast; another phone backs an approved question with one tap. The moderator's console shows who
recused and records one for someone else, and lists the questions by support; the projector
too. Screenshots for the docs: docs/screenshots/phone-recusal*.png, console-recusal.png,
projector-support.png.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import socketio
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot_path
from tests.browser.test_phone import new_meeting, open_phone
from tests.helpers_login import page_log_in
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000
ITEM = {
    "title": "高炉风口小套采购",
    "responsible_person": {"name": "赵立新", "position": "采购员", "department": "供应处"},
    "procurement_method": "single_source",
    "supplier_count": 1,
    "amount": "268000.00",
    "benchmark_price": "8800.00",
    "unit_price": "9600.00",
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("recusal")) as server:
        yield server


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px screen"


def socket_client(srv: LiveServer, token: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(
        srv.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"], wait_timeout=10
    )
    return client


def test_recusal_from_a_phone_and_support_for_a_question(srv, phone_context, chromium: Browser):
    meeting_id, roster, item_id = new_meeting(srv, "2026年第12次采购民主评价会", reps=4, item=ITEM)
    assert srv.api("POST", f"items/{item_id}/present").status_code == 200
    page = phone_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_phone(page, roster[0]["join_url"])

    # A discreet link under the item, then the form; an empty reason is refused on the phone.
    link = page.locator("#recusal-open")
    expect(link).to_have_text("申请回避", timeout=TIMEOUT)
    expect(page.locator("#recusal-form")).to_be_hidden()
    link.click()
    expect(page.locator("#recusal-form")).to_be_visible()
    page.click("#recusal-send")
    expect(page.locator("#recusal-feedback")).to_have_text("请填写回避理由（最多 500 字）。")
    page.fill("#recusal-reason", "本人配偶在该供应商任职")
    no_sideways_scroll(page)
    page.locator("#item").screenshot(path=screenshot_path("phone-recusal-form.png"))
    page.click("#recusal-send")
    expect(page.locator("#recusal-done")).to_have_text(
        "您已申请回避本项目：本人配偶在该供应商任职", timeout=TIMEOUT
    )
    expect(page.locator("#recusal-open")).to_be_hidden()
    expect(page.locator("#recusal-form")).to_be_hidden()
    listed = srv.api("GET", f"items/{item_id}/recusals").json()["recusals"]
    assert [(r["representative_id"], r["reason"]) for r in listed] == [
        (roster[0]["id"], "本人配偶在该供应商任职")
    ]

    # Reloaded, the phone still knows (the snapshot carries the item's recusals).
    page.reload()
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(page.locator("#recusal-done")).to_contain_text("本人配偶在该供应商任职")

    # The console shows who recused, and records one for another representative.
    console = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    console_errors: list[str] = []
    console.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page_log_in(console, srv)
    console.goto(f"{srv.url}/meetings/{meeting_id}/console")
    expect(console.locator("#cs-conn")).to_have_attribute("data-connected", "1", timeout=TIMEOUT)
    expect(console.locator(".cs-recusals .cs-rc")).to_have_count(1)
    expect(console.locator(".cs-recusals .cs-rc").first).to_contain_text("李秀英")
    console.select_option(".cs-rcwho", str(roster[1]["id"]))
    console.click('button[data-action="recuse"]')
    console.fill("#cs-dialog-input", "曾参与该项目询价")
    console.click("#cs-dialog-ok")
    expect(console.locator(".cs-recusals .cs-rc")).to_have_count(2, timeout=TIMEOUT)
    expect(console.locator(".cs-recusals")).to_contain_text("曾参与该项目询价")
    expect(console.locator(".cs-rcwho option")).to_have_count(2)  # the two who did not recuse

    # A question from another phone, approved, backed by this one with one tap.
    other = socket_client(srv, roster[2]["join_token"])
    try:
        asked = other.call(
            "ask_question", {"item_id": item_id, "text": "单价为何高于基准价？"}, namespace="/live"
        )
        assert asked["ok"], asked
        assert (
            srv.api("PATCH", f"questions/{asked['question_id']}", {"status": "approved"}).status_code == 200
        )
        support = page.locator("#q-list .ph-support")
        expect(support).to_have_text("附议（0）", timeout=TIMEOUT)
        support.click()
        expect(support).to_have_text("已附议（1）", timeout=TIMEOUT)
        expect(support).to_be_disabled()
        assert other.call("support_question", {"question_id": asked["question_id"]}, namespace="/live") == {
            "ok": True,
            "support": 2,
        }
        expect(support).to_have_text("已附议（2）", timeout=TIMEOUT)
        expect(console.locator(".cs-q .cs-support")).to_have_text("附议 2", timeout=TIMEOUT)
        no_sideways_scroll(page)
        page.screenshot(path=screenshot_path("phone-recusal.png"), full_page=True)
        console.screenshot(path=screenshot_path("console-recusal.png"))

        # The projector lists the question with its support.
        href = console.get_attribute("#cs-projector-link", "href")
        projector = chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()
        projector.goto(srv.url + str(href))
        expect(projector.locator(".pj-q .pj-support")).to_have_text("附议 2", timeout=TIMEOUT)
        projector.screenshot(path=screenshot_path("projector-support.png"))
        projector.context.close()

        # Voting opens: the recused phone is told it does not vote, and has no ballot to cast.
        # the item's roster is the two who did not recuse: both must be in for its quorum
        srv.api("PATCH", f"representatives/{roster[3]['id']}", {"present": True})
        opened = srv.api("POST", f"items/{item_id}/voting/open")
        assert opened.status_code == 200, opened.text
        expect(page.locator("#vote")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator("#vote-error")).to_have_text("您已申请回避本项目，不参加本项目表决。")
        expect(page.locator("#vote-choose")).to_be_hidden()
        expect(page.locator("#recusal-open")).to_be_hidden()
        no_sideways_scroll(page)
        page.screenshot(path=screenshot_path("phone-recused.png"), full_page=True)
        # what the phone would have been told had it sent one anyway
        mine = socket_client(srv, roster[0]["join_token"])
        try:
            ack = mine.call(
                "cast_vote",
                {"item_id": item_id, "choice": "satisfied", "key": "phone-key-recused-00000001"},
                namespace="/live",
            )
        finally:
            mine.disconnect()
        assert ack["error"]["code"] == "recused"
        assert ack["error"]["message"] == "您已申请回避本项目，不参加本项目表决。"
    finally:
        other.disconnect()
        console.context.close()
    assert not errors, errors
    assert not console_errors, console_errors


def test_the_recusal_link_speaks_english(srv, phone_context):
    _meeting_id, roster, item_id = new_meeting(srv, "2026年第12次采购民主评价会", reps=4, item=ITEM)
    assert srv.api("POST", f"items/{item_id}/present").status_code == 200
    page = phone_context(locale="en-US").new_page()
    open_phone(page, roster[3]["join_url"])
    page.goto(f"{srv.url}/phone?lang=en")
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(page.locator("#recusal-open")).to_have_text("Declare a recusal", timeout=TIMEOUT)
    page.click("#recusal-open")
    page.fill("#recusal-reason", "My brother works for the supplier")
    page.click("#recusal-send")
    expect(page.locator("#recusal-done")).to_have_text(
        "You recused from this item: My brother works for the supplier", timeout=TIMEOUT
    )
    no_sideways_scroll(page)
