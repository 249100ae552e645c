"""The projector and the moderator console in headless Chromium, against the REAL server.

A moderator runs a meeting from the console in one browser page; the projector is open in
another; phones are python-socketio clients with their join tokens. Every control has to show on
the projector within a second. Screenshots go to docs/screenshots/ (projector-voting.png,
projector-result.png, console.png).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot_path
from tests.factories import BUYER, item_body
from tests.helpers_login import page_log_in
from tests.over_api import closed_afterwards, started_meeting
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WITHIN = 1.0  # seconds: every control shows on every screen within this
WAIT_MS = 10_000  # how long to wait before calling it a failure (the elapsed time is then asserted)


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the module."""
    with live_server(tmp_path_factory.mktemp("projector-console")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (the system one)."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Phone:
    """A representative's phone: a python-socketio client on /live with the join token."""

    def __init__(self, server: LiveServer, token: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.states: list[dict[str, Any]] = []
        self.client.on("state", self.states.append, namespace="/live")
        self.client.connect(
            server.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"], wait_timeout=10
        )

    def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.call(event, payload, namespace="/live", timeout=10)
        assert isinstance(answer, dict), answer
        return answer

    def vote(self, item_id: int, choice: str) -> str:
        answer = self.call("cast_vote", {"item_id": item_id, "choice": choice, "key": uuid.uuid4().hex})
        assert answer.get("ok") is True, answer
        return str(answer["receipt"])

    def ask(self, item_id: int, text: str) -> int:
        answer = self.call("ask_question", {"item_id": item_id, "text": text})
        assert answer.get("ok") is True, answer
        return int(answer["question_id"])

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def phones() -> Iterator[list[Phone]]:
    """Phones made by the test, disconnected afterwards."""
    yield from closed_afterwards()


def make_meeting(
    server: LiveServer, title: str, reps: int, items: list[dict[str, Any]], **rules: Any
) -> dict[str, Any]:
    """A started meeting through the API: ``{"meeting", "reps", "items"}``."""
    people = [
        {"name": f"代表{n:02d}", "employee_no": f"{title[:2]}{n:03d}", "department": "炼钢厂"}
        for n in range(1, reps + 1)
    ]
    meeting, roster, made = started_meeting(server, {"title": title, **rules}, people, items)
    return {"meeting": meeting, "reps": roster, "items": made}


BRICKS = item_body("高炉耐火砖采购", BUYER, prices=("1280000", "3200", "3650"))
GLOVES = item_body("劳保手套年度采购", ("李红", "采购员", "供应处"), "inquiry", 3, amount="86000")


def open_console(browser: Browser, server: LiveServer, meeting_id: int) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    page_log_in(page, server)
    page.goto(f"{server.url}/meetings/{meeting_id}/console")
    expect(page.locator("#cs-conn")).to_have_attribute("data-connected", "1", timeout=WAIT_MS)
    return page


def open_projector(browser: Browser, server: LiveServer, console: Page) -> Page:
    href = console.get_attribute("#cs-projector-link", "href")
    assert href and href.startswith("/screen/")
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(server.url + href)
    expect(page.locator("#projector")).to_have_attribute("data-ready", "1", timeout=WAIT_MS)
    expect(page.locator("#pj-conn")).to_be_hidden(timeout=WAIT_MS)
    return page


def timed(action: Callable[[], Any], *checks: Callable[[], Any]) -> float:
    """Do ``action``, wait for every check to pass, return the seconds that took."""
    start = time.monotonic()
    action()
    for check in checks:
        check()
    return time.monotonic() - start


def asked_then(console: Any, action: str) -> None:
    """Click the console's ``action``, which asks first (issue 13), and confirm."""
    console.locator(f"button[data-action={action}]").click()
    expect(console.locator("#cs-dialog")).to_be_visible(timeout=WAIT_MS)
    console.locator("#cs-dialog-ok").click()


def shown_after(console: Page, server: LiveServer, locator: Any, text: str) -> None:
    """``locator`` comes to show ``text``; if not, the failure says what the console's toasts
    and the server's log said (a step that failed once under the full suite's load)."""
    try:
        expect(locator).to_have_text(text, timeout=WAIT_MS)
    except AssertionError as missed:
        toasts = console.locator("#cs-toasts").inner_text()
        log = server.log()[-4000:]
        raise AssertionError(f"{missed}\nconsole toasts: {toasts!r}\nserver log:\n{log}") from None


def shows(locator: Any, text: str | re.Pattern[str]) -> Callable[[], None]:
    return lambda: expect(locator).to_contain_text(text, timeout=WAIT_MS)


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=screenshot_path(name))


# --- the meeting ---------------------------------------------------------------------------------


def test_a_meeting_runs_from_the_console_onto_the_projector(server, browser, phones):
    setup = make_meeting(server, "2024年第三季度物资采购民主评价会", 9, [BRICKS, GLOVES])
    mid = setup["meeting"]["id"]
    bricks, gloves = setup["items"]
    console = open_console(browser, server, mid)
    projector = open_projector(browser, server, console)
    att = projector.locator("#pj-att")
    stage = projector.locator("#pj-stage")
    expect(projector.locator("#pj-title")).to_have_text(setup["meeting"]["title"])
    expect(att.locator("[data-att=present]")).to_have_text("0")
    expect(att.locator("[data-att=roster]")).to_have_text("9")
    expect(att.locator("[data-att=quorum]")).to_have_text("未达到法定人数")

    # Phones join (that is their check-in): attendance rises on both screens.
    for rep in setup["reps"][:7]:
        phones.append(Phone(server, rep["join_token"]))
    expect(att.locator("[data-att=present]")).to_have_text("7", timeout=WAIT_MS)
    expect(att.locator("[data-att=quorum]")).to_have_text("已达到法定人数")
    expect(console.locator("#cs-att [data-att=present]")).to_have_text("7", timeout=WAIT_MS)
    expect(console.locator("#cs-roster li.cs-rep.present")).to_have_count(7, timeout=WAIT_MS)

    # Mark the eighth present by hand (no phone).
    eighth = setup["reps"][7]
    row = console.locator(f"#cs-roster li[data-rep='{eighth['id']}']")
    took = timed(
        lambda: row.locator("button[data-action=mark-present]").click(),
        lambda: expect(att.locator("[data-att=present]")).to_have_text("8", timeout=WAIT_MS),
    )
    assert took < WITHIN, f"marking present took {took:.2f}s to reach the projector"
    expect(row).to_have_class(re.compile(r"\bpresent\b"), timeout=WAIT_MS)
    expect(row).to_contain_text("手动登记")

    # Present the first item: the projector shows it, with its risk flags.
    took = timed(
        lambda: console.locator(f"button[data-action=present][data-item='{bricks['id']}']").click(),
        shows(stage.locator(".pj-itemtitle"), "高炉耐火砖采购"),
    )
    assert took < WITHIN, f"presenting took {took:.2f}s to reach the projector"
    expect(stage.locator(".pj-risks")).to_contain_text("只有一家供应商")
    expect(stage.locator(".pj-risks")).to_contain_text("单价高于基准价")
    expect(stage.locator(".pj-facts")).to_contain_text("1,280,000.00 元")
    expect(stage.locator(".pj-qstate")).to_have_text("质询进行中")
    expect(console.locator("#cs-current .cs-cur-title")).to_contain_text("高炉耐火砖采购")
    expect(console.locator(f"#cs-items li[data-item='{bricks['id']}']")).to_have_class(re.compile("current"))

    # A phone asks; the console sees it at once, the projector only once it is approved.
    question_id = phones[0].ask(bricks["id"], "为什么只找了一家供应商？金额这么大为什么没有招标？")
    question = console.locator(f"#cs-questions li[data-q='{question_id}']")
    expect(question).to_contain_text("为什么只找了一家供应商", timeout=WITHIN * 1000)
    expect(question.locator(".cs-badge")).to_have_text("待审核")
    expect(stage.locator(".pj-qlist")).to_have_count(0)
    hidden_id = phones[1].ask(bricks["id"], "这条问题会被隐藏")
    expect(console.locator(f"#cs-questions li[data-q='{hidden_id}']")).to_be_visible(timeout=WAIT_MS)
    took = timed(
        lambda: question.locator("button[data-action=q-approve]").click(),
        shows(stage.locator(".pj-qlist"), "为什么只找了一家供应商"),
    )
    assert took < WITHIN, f"approving took {took:.2f}s to reach the projector"
    console.locator(f"#cs-questions li[data-q='{hidden_id}'] button[data-action=q-hide]").click()
    expect(console.locator(f"#cs-questions li[data-q='{hidden_id}'] .cs-badge")).to_have_text(
        "已隐藏", timeout=WAIT_MS
    )
    # The secretary notes the answer and marks it answered.
    question.locator("textarea").fill("该耐火砖为专利产品，仅一家厂家生产；已补充三年价格对比。")
    took = timed(
        lambda: question.locator("button[data-action=q-answered]").click(),
        shows(stage.locator(".pj-qans"), "该耐火砖为专利产品"),
    )
    assert took < WITHIN, f"the answer took {took:.2f}s to reach the projector"
    expect(question.locator(".cs-badge")).to_have_text("已答复", timeout=WAIT_MS)
    expect(stage).not_to_contain_text("这条问题会被隐藏")

    # Close the floor, then open voting: "voted n / m" rises on both screens, never the counts.
    console.locator("button[data-action=close-questions]").click()
    expect(stage.locator(".pj-qstate")).to_have_text("质询已结束", timeout=WAIT_MS)
    took = timed(
        lambda: asked_then(console, "open-voting"),
        shows(stage.locator("#pj-count"), "已投票 0 / 8"),
    )
    assert took < WITHIN, f"opening the vote took {took:.2f}s to reach the projector"
    expect(console.locator("#cs-count")).to_have_text("已投票 0 / 8", timeout=WAIT_MS)
    expect(console.locator("button[data-action=close-voting]")).to_be_enabled()
    expect(console.locator(f"#cs-items li[data-item='{bricks['id']}'] .cs-badge")).to_have_text(
        "投票中", timeout=WAIT_MS
    )
    choices = [
        "satisfied",
        "dissatisfied",
        "dissatisfied",
        "basically_satisfied",
        "dissatisfied",
        "dissatisfied",
    ]
    for n, (phone, choice) in enumerate(zip(phones, choices, strict=False), start=1):
        took = timed(
            lambda phone=phone, choice=choice: phone.vote(bricks["id"], choice),
            shows(stage.locator("#pj-count"), f"已投票 {n} / 8"),
        )
        assert took < WITHIN, f"ballot {n} took {took:.2f}s to show on the projector"
        expect(console.locator("#cs-count")).to_have_text(f"已投票 {n} / 8", timeout=WAIT_MS)
        assert stage.locator(".pj-chart").count() == 0
    bar_width = float(stage.locator(".pj-svgbar.progress .fill").get_attribute("width") or 0)
    assert bar_width == 750  # 6 of 8
    for word in ("满意", "不满意", "通过"):
        assert word not in stage.inner_text()  # nothing but the progress while voting
    screenshot(projector, "projector-voting.png")

    # Close: counts, satisfaction and the verdict, on the projector and the console.
    took = timed(
        lambda: asked_then(console, "close-voting"),  # 2 of the 8 have not voted
        shows(stage.locator(".pj-verdict"), "未通过"),
    )
    assert took < WITHIN, f"the result took {took:.2f}s to reach the projector"
    counts = {
        row.locator(".pj-row-lbl").inner_text(): int(row.locator(".pj-row-n").inner_text())
        for row in stage.locator(".pj-row").all()
    }
    assert counts == {"满意": 1, "基本满意": 1, "不满意": 4}
    expect(stage.locator(".pj-rate")).to_have_text("满意率 2/6 = 33.3%")
    expect(stage.locator(".pj-verdict")).to_have_class(re.compile("failed"))
    expect(stage.locator(".pj-turnout")).to_have_text("投票 6 人 / 到会 8 人")
    expect(console.locator("#cs-current .cs-verdict")).to_have_text("未通过", timeout=WAIT_MS)
    expect(console.locator(f"#cs-items li[data-item='{bricks['id']}'] .cs-badge")).to_have_text(
        "未通过", timeout=WAIT_MS
    )
    result = server.api("GET", f"items/{bricks['id']}/result").json()
    assert result["counts"] == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 4}
    assert result["passed"] is False
    screenshot(projector, "projector-result.png")

    # Next item: the second one comes up; its questions panel is empty again.
    took = timed(
        lambda: console.locator("button[data-action=next]").click(),
        shows(stage.locator(".pj-itemtitle"), "劳保手套年度采购"),
    )
    assert took < WITHIN, f"moving on took {took:.2f}s to reach the projector"
    expect(console.locator("#cs-questions")).to_contain_text("本项目暂无质询", timeout=WAIT_MS)
    phones[2].ask(gloves["id"], "三家询价的报价单能否公开？")
    expect(console.locator("#cs-questions")).to_contain_text("三家询价的报价单能否公开", timeout=WAIT_MS)
    # Back to the first item for the console screenshot: result, questions and roster together.
    console.locator(f"button[data-action=present][data-item='{bricks['id']}']").click()
    expect(console.locator("#cs-current .cs-verdict")).to_have_text("未通过", timeout=WAIT_MS)
    expect(console.locator(f"#cs-questions li[data-q='{question_id}']")).to_be_visible(timeout=WAIT_MS)
    expect(stage.locator(".pj-verdict")).to_contain_text("未通过", timeout=WAIT_MS)
    screenshot(console, "console.png")
    assert console.errors == [] and projector.errors == []  # type: ignore[attr-defined]


def test_voting_refused_without_quorum_shows_the_reason(server, browser, phones):
    setup = make_meeting(server, "法定人数不足的评价会", 6, [GLOVES])
    mid = setup["meeting"]["id"]
    item = setup["items"][0]
    console = open_console(browser, server, mid)
    projector = open_projector(browser, server, console)
    phones.append(Phone(server, setup["reps"][0]["join_token"]))
    expect(console.locator("#cs-att [data-att=present]")).to_have_text("1", timeout=WAIT_MS)
    console.locator(f"button[data-action=present][data-item='{item['id']}']").click()
    expect(projector.locator("#pj-stage .pj-itemtitle")).to_have_text("劳保手套年度采购", timeout=WAIT_MS)
    # one voter present: the projector warns before voting opens
    expect(projector.locator("#pj-stage .pj-tiny")).to_have_text("投票人数很少，结果可能暴露个人选择")
    asked_then(console, "open-voting")
    reason = "无法开始投票：未达到法定人数（应到 6 人，已到 1 人，需要 4 人）。"
    expect(console.locator("#cs-refusal")).to_have_text(reason, timeout=WAIT_MS)
    expect(console.locator("#cs-toasts")).to_contain_text(reason)
    assert server.api("GET", f"items/{item['id']}").json()["status"] == "pending"
    expect(projector.locator("#pj-count")).to_have_count(0)
    assert console.errors == []  # type: ignore[attr-defined]


def test_revote_asks_a_reason_and_finish_asks_to_confirm(server, browser, phones):
    setup = make_meeting(server, "重新投票与结束会议", 3, [GLOVES], quorum="1/3")
    mid = setup["meeting"]["id"]
    item = setup["items"][0]
    console = open_console(browser, server, mid)
    projector = open_projector(browser, server, console)
    stage = projector.locator("#pj-stage")
    phones.extend(Phone(server, rep["join_token"]) for rep in setup["reps"])
    console.locator("button[data-action=next]").click()
    shown_after(console, server, stage.locator(".pj-itemtitle"), "劳保手套年度采购")
    asked_then(console, "open-voting")
    expect(stage.locator("#pj-count")).to_have_text("已投票 0 / 3", timeout=WAIT_MS)
    for phone in phones:
        phone.vote(item["id"], "satisfied")
    expect(stage.locator("#pj-count")).to_have_text("已投票 3 / 3", timeout=WAIT_MS)
    expect(console.locator("#cs-count")).to_have_text(
        "已投票 3 / 3", timeout=WAIT_MS
    )  # all voted: no question
    console.locator("button[data-action=close-voting]").click()
    expect(stage.locator(".pj-verdict")).to_contain_text("通过", timeout=WAIT_MS)
    expect(stage.locator(".pj-rate")).to_have_text("满意率 3/3 = 100.0%")

    # Re-vote: cancelling asks nothing of the server; confirming with a reason opens round 2.
    console.locator("button[data-action=revote]").click()
    expect(console.locator("#cs-dialog")).to_be_visible()
    console.locator("#cs-dialog button[value=cancel]").click()
    expect(console.locator("#cs-dialog")).to_be_hidden()
    assert server.api("GET", f"items/{item['id']}").json()["status"] == "passed"
    console.locator("button[data-action=revote]").click()
    console.locator("#cs-dialog-input").fill("计票时有代表反映误触")
    took = timed(
        lambda: console.locator("#cs-dialog-ok").click(),
        shows(stage.locator("#pj-count"), "已投票 0 / 3"),
    )
    assert took < WITHIN, f"the re-vote took {took:.2f}s to reach the projector"
    expect(stage.locator(".pj-itemno")).to_contain_text("第 2 轮")
    history = server.api("GET", f"items/{item['id']}/results").json()["results"]
    assert history[0]["superseded_reason"] == "计票时有代表反映误触"
    phones[0].vote(item["id"], "dissatisfied")
    expect(stage.locator("#pj-count")).to_have_text("已投票 1 / 3", timeout=WAIT_MS)

    # Finishing is refused while the vote is open (the button says so), then confirmed.
    expect(console.locator("button[data-action=finish]")).to_be_disabled()
    expect(console.locator("#cs-count")).to_have_text("已投票 1 / 3", timeout=WAIT_MS)
    console.locator("button[data-action=close-voting]").click()
    expect(console.locator("#cs-dialog-text")).to_have_text("还有 2 人未投票，确定结束投票？")
    console.locator("#cs-dialog-ok").click()
    expect(stage.locator(".pj-verdict")).to_contain_text("未通过", timeout=WAIT_MS)
    console.locator("button[data-action=finish]").click()
    expect(console.locator("#cs-dialog-text")).to_contain_text("确定结束会议吗")
    took = timed(
        lambda: console.locator("#cs-dialog-ok").click(),
        shows(stage, "会议已结束"),
    )
    assert took < WITHIN, f"finishing took {took:.2f}s to reach the projector"
    expect(console.locator("#cs-mstatus")).to_have_text("已结束", timeout=WAIT_MS)
    expect(console.locator("button[data-action=open-voting]")).to_be_disabled()
    assert server.api("GET", f"meetings/{mid}").json()["status"] == "closed"
    assert console.errors == [] and projector.errors == []  # type: ignore[attr-defined]


def test_an_api_error_shows_as_a_toast(server, browser):
    setup = make_meeting(server, "错误提示", 3, [GLOVES, BRICKS])
    mid = setup["meeting"]["id"]
    console = open_console(browser, server, mid)
    console.locator("button[data-action=next]").click()
    expect(console.locator("#cs-current .cs-cur-title")).to_contain_text("劳保手套年度采购", timeout=WAIT_MS)
    # Someone else (another moderator, the API) removes the item from under the console's feet:
    # the console's buttons still point at it; clicking answers with a toast, not a crash.
    assert server.api("POST", f"meetings/{mid}/finish").status_code == 200
    stale = console.locator(f"button[data-action=present][data-item='{setup['items'][1]['id']}']")
    # the console followed the finish (the button is disabled); force a stale click through JS
    expect(stale).to_be_disabled(timeout=WAIT_MS)
    console.evaluate(
        "(id) => { const b = document.querySelector(`button[data-action=present][data-item='${id}']`);"
        " b.disabled = false; b.click(); }",
        setup["items"][1]["id"],
    )
    expect(console.locator("#cs-toasts .cs-toast.error")).to_contain_text("操作失败", timeout=WAIT_MS)
    expect(console.locator("#cs-toasts")).to_contain_text("会议已结束")  # the server's message, translated
    assert console.errors == []  # type: ignore[attr-defined]


def test_screens_reconnect_after_a_server_restart(server, browser, phones):
    setup = make_meeting(server, "重启后自动重连", 3, [GLOVES, BRICKS], quorum="1/3")
    mid = setup["meeting"]["id"]
    console = open_console(browser, server, mid)
    projector = open_projector(browser, server, console)
    console.locator("button[data-action=next]").click()
    expect(projector.locator("#pj-stage .pj-itemtitle")).to_have_text("劳保手套年度采购", timeout=WAIT_MS)

    server.stop()
    # both screens say they are reconnecting
    expect(projector.locator("#pj-conn")).to_be_visible(timeout=WAIT_MS)
    expect(projector.locator("#pj-conn")).to_have_text("正在重新连接…")
    expect(console.locator("#cs-conn")).to_have_attribute("data-connected", "0", timeout=WAIT_MS)
    # the item changes while they are away
    server.start()
    assert server.api("POST", f"items/{setup['items'][1]['id']}/present").status_code == 200
    # both come back by themselves with the true state
    expect(projector.locator("#pj-conn")).to_be_hidden(timeout=30_000)
    expect(projector.locator("#pj-stage .pj-itemtitle")).to_have_text("高炉耐火砖采购", timeout=WAIT_MS)
    expect(console.locator("#cs-conn")).to_have_attribute("data-connected", "1", timeout=30_000)
    expect(console.locator("#cs-current .cs-cur-title")).to_contain_text("高炉耐火砖采购", timeout=WAIT_MS)
    # and the console's controls work again (its session survived the restart)
    phones.append(Phone(server, setup["reps"][0]["join_token"]))
    took = timed(
        lambda: asked_then(console, "open-voting"),
        shows(projector.locator("#pj-count"), "已投票 0 / 1"),
    )
    assert took < WITHIN, f"after the restart, opening the vote took {took:.2f}s"
