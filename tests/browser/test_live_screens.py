"""The live screens as a moderator tried them (issue 13), in headless Chromium against the REAL
server: the console asks before every step that cannot be undone, a re-vote tells the phones
(and the projector) its round and reason and starts the count from nobody, a phone marked
absent or whose question was moderated learns it at once, and a finished meeting shows every
item's result on the projector and what comes next on the console. Phones at 360×740.
Screenshots for the docs: docs/screenshots/phone-revote.png, console-confirm-close.png,
projector-summary.png, console-next-steps.png, phone-question-approved.png,
meeting-page-results.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot_path
from tests.helpers_login import page_log_in
from tests.over_api import created
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000
NAMES = ["李秀英", "张伟", "刘洋"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # phones get progress as seldom as in production: a re-vote must not wait for the next one
    env = {"EVALMEET_PHONE_PROGRESS_INTERVAL": "5"}
    with live_server(tmp_path_factory.mktemp("liveux"), env) as server:
        yield server


def new_meeting(
    srv: LiveServer, items: int = 2, start: bool = True
) -> tuple[int, list[dict[str, Any]], list[int]]:
    meeting_id = created(srv, "meetings", {"title": "2026年第13次采购民主评价会"})["id"]
    roster = [
        created(
            srv,
            f"meetings/{meeting_id}/representatives",
            {"name": name, "employee_no": f"L{meeting_id}{n:03d}", "department": "炼钢厂"},
        )
        for n, name in enumerate(NAMES)
    ]
    item_ids = [
        created(
            srv,
            f"meetings/{meeting_id}/items",
            {
                "title": ["转炉氧枪喷头采购", "连铸结晶器铜板采购"][n],
                "responsible_person": {"name": "周强", "department": "供应处"},
                "procurement_method": "tender",
                "supplier_count": 3,
            },
        )["id"]
        for n in range(items)
    ]
    if start:
        assert srv.api("POST", f"meetings/{meeting_id}/start").status_code == 200
    return meeting_id, roster, item_ids


def open_console(chromium: Browser, srv: LiveServer, meeting_id: int) -> Page:
    page = chromium.new_context(viewport={"width": 1280, "height": 860}).new_page()
    page_log_in(page, srv)
    page.goto(f"{srv.url}/meetings/{meeting_id}/console")
    expect(page.locator("#cs-conn")).to_have_attribute("data-connected", "1", timeout=TIMEOUT)
    return page


def open_phone(page: Page, srv: LiveServer, rep: dict[str, Any]) -> None:
    page.goto(f"{srv.url}/j/{rep['join_token']}")
    expect(page).to_have_url(re.compile(r"/phone$"))
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px screen"


def dialog_says(console: Page, text: str) -> None:
    expect(console.locator("#cs-dialog")).to_be_visible(timeout=TIMEOUT)
    expect(console.locator("#cs-dialog-text")).to_have_text(text)


def cancel(console: Page) -> None:
    console.click("#cs-dialog button[value=cancel]")
    expect(console.locator("#cs-dialog")).to_be_hidden()


def confirm(console: Page) -> None:
    console.click("#cs-dialog-ok")
    expect(console.locator("#cs-dialog")).to_be_hidden()


def item_status(srv: LiveServer, item_id: int) -> str:
    return str(srv.api("GET", f"items/{item_id}").json()["status"])


def vote_on(page: Page, choice: str) -> None:
    page.click(f'#choices [data-choice="{choice}"]')
    page.click("#confirm-yes")
    expect(page.locator("#vote-done")).to_be_visible(timeout=TIMEOUT)


def test_confirmations_revote_round_and_the_closing_summary(srv, phone_context, chromium: Browser):
    meeting_id, roster, (first, second) = new_meeting(srv)
    console = open_console(chromium, srv, meeting_id)
    errors: list[str] = []
    console.on("pageerror", lambda exc: errors.append(str(exc)))

    # Before any item is on the floor the console says nothing about questions, and nobody who
    # has not arrived reads as 缺席.
    expect(console.locator("#cs-qopen")).to_be_hidden()
    expect(console.locator(".cs-rep .cs-rstate-text")).to_have_text(["未到", "未到", "未到"])

    # The idle projector: the figures once (big, the header line hidden), the QR hint once.
    projector = chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()
    projector.goto(srv.url + str(console.get_attribute("#cs-projector-link", "href")))
    expect(projector.locator("#projector")).to_have_attribute("data-ready", "1", timeout=TIMEOUT)
    expect(projector.locator("#pj-att")).to_be_hidden()
    expect(projector.locator(".pj-bigatt")).to_have_count(1)
    expect(projector.get_by_text("请用手机扫描您本人入场凭条上的二维码入场")).to_have_count(1)

    phones = []
    for rep in roster[:2]:
        page = phone_context().new_page()
        open_phone(page, srv, rep)
        phones.append(page)
    phone = phones[0]
    expect(console.locator(".cs-rep.present")).to_have_count(2, timeout=TIMEOUT)

    # Opening voting asks first; cancelled, nothing happens.
    assert srv.api("POST", f"items/{first}/present").status_code == 200
    open_button = console.locator('#cs-current button[data-action="open-voting"]')
    expect(open_button).to_be_enabled(timeout=TIMEOUT)
    open_button.click()
    dialog_says(console, "确定开始对“转炉氧枪喷头采购”投票？质询随即关闭，投票开始后不能撤回。")
    cancel(console)
    assert item_status(srv, first) == "pending"
    open_button.click()
    confirm(console)
    expect(phone.locator("#vote-choose")).to_be_visible(timeout=TIMEOUT)
    assert item_status(srv, first) == "voting"
    expect(phone.locator("#vote-round-box")).to_be_hidden()  # round 1 says nothing of rounds

    # One of the two present votes; closing asks, naming how many have not.
    vote_on(phone, "satisfied")
    expect(console.locator("#cs-count")).to_have_text(re.compile(r"1\D+2"), timeout=TIMEOUT)
    console.click('#cs-current button[data-action="close-voting"]')
    dialog_says(console, "还有 1 人未投票，确定结束投票？")
    console.screenshot(path=screenshot_path("console-confirm-close.png"))
    cancel(console)
    assert item_status(srv, first) == "voting"
    vote_on(phones[1], "dissatisfied")
    expect(phone.locator("#vote-progress")).to_have_text("出席 2 人中已有 2 人投票", timeout=TIMEOUT)
    expect(console.locator("#cs-count")).to_have_text("已投票 2 / 2", timeout=TIMEOUT)
    # everyone has voted: closing needs no question
    console.click('#cs-current button[data-action="close-voting"]')
    expect(console.locator("#cs-current .cs-result")).to_be_visible(timeout=TIMEOUT)
    expect(console.locator("#cs-dialog")).to_be_hidden()

    # A re-vote: the phones say round 2 and why, and the count starts from nobody at once.
    revote = srv.api("POST", f"items/{first}/revote", {"reason": "计票时投影中断，代表要求重新表决"})
    assert revote.status_code == 200, revote.text
    for page in phones:
        expect(page.locator("#vote-round")).to_have_text("第 2 轮投票", timeout=TIMEOUT)
        expect(page.locator("#vote-reason")).to_have_text(
            "本项目重新投票，原因：计票时投影中断，代表要求重新表决。请再投一次。"
        )
        # at once, with the snapshot: not the last round's "2 of 2" until the next progress
        expect(page.locator("#vote-progress")).to_have_text("出席 2 人中已有 0 人投票", timeout=1000)
        expect(page.locator("#vote-choose")).to_be_visible()
    no_sideways_scroll(phone)
    phone.screenshot(path=screenshot_path("phone-revote.png"), full_page=True)
    # in English too, on the same 360-px screen
    phones[1].goto(f"{srv.url}/phone?lang=en")
    expect(phones[1].locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(phones[1].locator("#vote-round")).to_have_text("Round 2 of voting")
    expect(phones[1].locator("#vote-reason")).to_have_text(
        "The vote is being run again: 计票时投影中断，代表要求重新表决. Please vote once more."
    )
    no_sideways_scroll(phones[1])
    expect(projector.locator(".pj-itemno")).to_contain_text("第 2 轮")
    expect(projector.locator(".pj-revote")).to_have_text("重新投票原因：计票时投影中断，代表要求重新表决")
    expect(projector.locator("#pj-count")).to_contain_text("0")
    vote_on(phone, "satisfied")
    expect(phones[1].locator("#vote-progress")).to_have_text("1 of 2 present have voted", timeout=TIMEOUT)
    vote_on(phones[1], "satisfied")
    expect(console.locator("#cs-count")).to_have_text("已投票 2 / 2", timeout=TIMEOUT)
    console.click('#cs-current button[data-action="close-voting"]')
    expect(console.locator("#cs-current .cs-result")).to_be_visible(timeout=TIMEOUT)

    # Finishing with an item still 待评价 says how many.
    console.click('#cs-current button[data-action="finish"]')
    dialog_says(console, "还有 1 个项目待评价，确定结束会议？结束后不能再投票或质询。")
    cancel(console)
    assert srv.api("GET", f"meetings/{meeting_id}").json()["status"] == "live"
    expect(console.locator("#cs-next")).to_be_hidden()
    console.click('#cs-current button[data-action="finish"]')
    confirm(console)

    # The projector shows every item's result; the console what comes next.
    rows = projector.locator(".pj-sumrow")
    expect(rows).to_have_count(2, timeout=TIMEOUT)
    expect(rows.nth(0)).to_contain_text("转炉氧枪喷头采购")
    expect(rows.nth(0).locator(".pj-sum-verdict")).to_have_text("通过")
    expect(rows.nth(0)).to_have_class("pj-sumrow passed")
    expect(rows.nth(0).locator(".pj-sum-rate")).to_have_text("100.0% · 投票 2 人 / 到会 2 人")
    expect(rows.nth(1)).to_contain_text("连铸结晶器铜板采购")
    expect(rows.nth(1).locator(".pj-sum-verdict")).to_have_text("未表决")
    expect(projector.locator(".pj-bigatt")).to_have_count(0)
    projector.screenshot(path=screenshot_path("projector-summary.png"))
    # reloaded, the server-rendered page shows the same
    projector.reload()
    expect(projector.locator(".pj-sumrow")).to_have_count(2)
    expect(projector.locator(".pj-sumrow").nth(0).locator(".pj-sum-verdict")).to_have_text("通过")

    nxt = console.locator("#cs-next")
    expect(nxt).to_be_visible(timeout=TIMEOUT)
    expect(nxt.locator("a")).to_have_count(5)
    expect(nxt.get_by_role("link", name="会议纪要（PDF）")).to_have_attribute(
        "href", f"/api/v1/meetings/{meeting_id}/minutes.pdf"
    )
    expect(nxt.get_by_role("link", name="到会议页面公开")).to_have_attribute(
        "href", f"/meetings/{meeting_id}"
    )
    console.screenshot(path=screenshot_path("console-next-steps.png"))
    assert not errors, errors

    # The meeting page shows each decided item's counts, not only 通过.
    console.goto(f"{srv.url}/meetings/{meeting_id}")
    result = console.locator(f'[data-result="{first}"]')
    expect(result).to_contain_text("100.0%")
    expect(result).to_contain_text("满意 2")
    expect(result).to_contain_text("不满意 0")
    expect(result).to_contain_text("第 2 轮")
    console.locator("#items").screenshot(path=screenshot_path("meeting-page-results.png"))
    console.goto(f"{srv.url}/meetings/{meeting_id}?lang=en")
    expect(console.locator(f'[data-result="{first}"]')).to_contain_text("Satisfied 2")
    projector.context.close()
    console.context.close()


def test_a_phone_marked_absent_and_a_moderated_question_update_at_once(srv, phone_context, chromium):
    meeting_id, roster, (first, _second) = new_meeting(srv)
    phone = phone_context().new_page()
    open_phone(phone, srv, roster[0])
    expect(phone.locator("#me-presence")).to_have_text("已签到", timeout=TIMEOUT)
    assert srv.api("POST", f"items/{first}/present").status_code == 200
    assert srv.api("POST", f"meetings/{meeting_id}/questions/open").status_code == 200

    # The author sees what became of the question, without reloading.
    expect(phone.locator("#q-form")).to_be_visible(timeout=TIMEOUT)
    phone.fill("#q-text", "三家报价为何如此接近？")
    phone.click("#q-send")
    expect(phone.locator("#q-feedback")).to_have_text("质询已提交，等待主持人审核。", timeout=TIMEOUT)
    mine = srv.api("GET", f"items/{first}/questions").json()["questions"]
    assert len(mine) == 1
    approved = srv.api("PATCH", f"questions/{mine[0]['id']}", {"status": "approved"})
    assert approved.status_code == 200, approved.text
    expect(phone.locator("#q-feedback")).to_have_text("您的质询已通过审核，正在大屏上显示。", timeout=TIMEOUT)
    no_sideways_scroll(phone)
    phone.screenshot(path=screenshot_path("phone-question-approved.png"), full_page=True)
    # taken off the screen again (hidden): the author is told that too
    assert srv.api("PATCH", f"questions/{mine[0]['id']}", {"status": "hidden"}).status_code == 200
    expect(phone.locator("#q-feedback")).to_have_text("主持人未将您的质询显示在大屏上。", timeout=TIMEOUT)

    # Marked absent from the console (which asks first): the phone says so at once.
    console = open_console(chromium, srv, meeting_id)
    row = console.locator(f'.cs-rep[data-rep="{roster[0]["id"]}"]')
    expect(row.locator(".cs-rstate-text")).to_have_text("到会")
    row.locator('button[data-action="mark-absent"]').click()
    dialog_says(console, "确定将李秀英标记为缺席？在重新签到前，其手机不能投票。")
    cancel(console)
    expect(phone.locator("#me-presence")).to_have_text("已签到")
    row.locator('button[data-action="mark-absent"]').click()
    confirm(console)
    expect(phone.locator("#me-presence")).to_have_text("未签到", timeout=TIMEOUT)
    expect(phone.locator("#notice")).to_have_text("您尚未签到，请告知会务人员。")
    # once here and marked absent: 缺席 (not 未到)
    expect(row.locator(".cs-rstate-text")).to_have_text("缺席", timeout=TIMEOUT)
    row.locator('button[data-action="mark-present"]').click()
    expect(phone.locator("#me-presence")).to_have_text("已签到", timeout=TIMEOUT)
    console.context.close()


def test_starting_without_items_asks_and_the_meeting_page_follows_check_ins(srv, phone_context, chromium):
    meeting_id, roster, _items = new_meeting(srv, items=0, start=False)
    console = open_console(chromium, srv, meeting_id)
    console.click('#cs-current button[data-action="start"]')
    dialog_says(console, "本次会议还没有评价项目，确定开始？会议进行中仍可添加项目。")
    cancel(console)
    assert srv.api("GET", f"meetings/{meeting_id}").json()["status"] == "draft"
    console.click('#cs-current button[data-action="start"]')
    confirm(console)
    expect(console.locator("#cs-mstatus")).to_have_text("进行中", timeout=TIMEOUT)
    assert srv.api("GET", f"meetings/{meeting_id}").json()["status"] == "live"

    # The meeting page counts check-ins as they happen.
    console.goto(f"{srv.url}/meetings/{meeting_id}")
    expect(console.locator("#meeting-attendance")).to_have_text("0 / 3")
    phone = phone_context().new_page()
    open_phone(phone, srv, roster[1])
    expect(console.locator("#meeting-attendance")).to_have_text("1 / 3", timeout=TIMEOUT)
    expect(console.locator(f'[data-attendance="{roster[1]["id"]}"] .status-present')).to_be_visible()
    expect(console.locator(f'[data-attendance="{roster[0]["id"]}"] .status-absent')).to_be_visible()
    console.context.close()
