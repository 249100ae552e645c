"""The representative's phone in headless Chromium at 360×740, against the REAL server.

Join by link, see the item and its risk flags, ask a question, vote in two taps, see the receipt;
reload and still see "voted"; go offline before confirming and come back: the ballot is counted
exactly once. Screenshots for the docs: docs/screenshots/phone-*.png.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import create_engine, func, select

from evalmeet.models import Participation
from tests.browser.conftest import screenshot_path
from tests.factories import BUYER, item_body
from tests.over_api import created
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

RECEIPT = re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")
TIMEOUT = 15_000
ITEM = item_body(
    "转炉用镁碳砖采购",
    BUYER,
    prices=("486000.00", "5200.00", "6350.00"),
    description="2026年第二季度炼钢厂转炉维修用镁碳砖 76.5 吨，由原供应商单一来源采购。",
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the module."""
    with live_server(tmp_path_factory.mktemp("phone")) as server:
        yield server


def new_meeting(
    srv: LiveServer, title: str, reps: int = 3, item: dict[str, Any] = ITEM
) -> tuple[int, list[dict[str, Any]], int]:
    """A started meeting with ``reps`` representatives and one flagged item."""
    meeting_id = created(srv, "meetings", {"title": title})["id"]
    roster = [
        created(
            srv,
            f"meetings/{meeting_id}/representatives",
            {"name": name, "employee_no": f"G{n:04d}", "department": "炼钢厂"},
        )
        for n, name in enumerate(["李秀英", "张伟", "刘洋", "陈静", "杨帆"][:reps])
    ]
    made = created(srv, f"meetings/{meeting_id}/items", item)
    assert srv.api("POST", f"meetings/{meeting_id}/start").status_code == 200
    return meeting_id, roster, made["id"]


def open_phone(page: Page, join_url: str) -> None:
    """Follow the join link and wait until the live channel is up."""
    page.goto(join_url)
    expect(page).to_have_url(re.compile(r"/phone$"))
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)


def socket_vote(srv: LiveServer, token: str, item_id: int, choice: str) -> str:
    """Another representative votes from a python-socketio client; returns the receipt."""
    client = socketio.Client(reconnection=False)
    client.connect(
        srv.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"], wait_timeout=10
    )
    ballot = {"item_id": item_id, "choice": choice, "key": secrets.token_urlsafe(24)}
    try:
        ack = client.call("cast_vote", ballot, namespace="/live", timeout=10)
    finally:
        client.disconnect()
    assert ack["ok"] is True, ack
    return str(ack["receipt"])


def sent_once_back_online(
    srv: LiveServer, context: BrowserContext, page: Page, rep_id: int, item_id: int
) -> str:
    """The phone, offline with a ballot (or sheet) kept, comes back: it reconnects by itself, sends
    what it kept exactly once and forgets it. Returns the receipt it shows."""
    context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    receipt = page.locator("#receipt")
    expect(receipt).to_have_text(RECEIPT, timeout=TIMEOUT)
    code = receipt.inner_text()
    assert page.evaluate(f"localStorage.getItem('evalmeet.pending.{rep_id}')") is None
    assert participations(srv, item_id) == 1
    return code


def test_join_see_the_item_ask_vote_in_two_taps_and_reload(srv, phone_context):
    meeting_id, roster, item_id = new_meeting(srv, "2026年第3次采购民主评价会")
    page = phone_context().new_page()
    open_phone(page, roster[0]["join_url"])
    expect(page.locator("#meeting-title")).to_have_text("2026年第3次采购民主评价会")
    expect(page.locator("#me-name")).to_have_text("李秀英")
    expect(page.locator("#me-presence")).to_have_text("已签到")
    expect(page.locator("#notice")).to_contain_text("请等待主持人")

    # the moderator puts the item up: the phone shows it, risk flags first
    assert srv.api("POST", f"items/{item_id}/present").status_code == 200
    expect(page.locator("#item-title")).to_have_text("转炉用镁碳砖采购", timeout=TIMEOUT)
    expect(page.locator("#item-person")).to_have_text("王建国 · 采购员 · 供应处")
    expect(page.locator("#item-amount")).to_have_text("¥486,000.00")
    expect(page.locator("#item-method")).to_have_text("单一来源")
    expect(page.locator("#item-suppliers")).to_have_text("1")
    expect(page.locator("#item-unit")).to_have_text("¥6,350.00")
    flags = page.locator("#risk-list li")
    expect(flags).to_have_count(3)
    expect(flags.nth(0)).to_have_text("只有一家供应商")
    expect(page.locator("#risk")).to_be_visible()
    expect(page.locator("#vote")).to_be_hidden()
    page.screenshot(path=screenshot_path("phone-item.png"), full_page=True)

    # a question
    page.locator("#q-text").fill("为什么只有一家供应商？价格为什么比基准价高 22%？")
    page.locator("#q-send").click()
    expect(page.locator("#q-feedback")).to_have_text("质询已提交，等待主持人审核。")
    questions = srv.api("GET", f"items/{item_id}/questions").json()["questions"]
    assert [q["text"] for q in questions] == ["为什么只有一家供应商？价格为什么比基准价高 22%？"]

    # voting opens (a second representative is present for the quorum)
    assert requests.get(roster[1]["join_url"], timeout=10).status_code == 200
    assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
    choices = page.locator("#choices .ph-choice")
    expect(choices).to_have_text(["满意", "基本满意", "不满意"], timeout=TIMEOUT)
    expect(page.locator("#q-form")).to_be_hidden()

    # tap one: the confirm step
    page.locator('.ph-choice[data-choice="basically_satisfied"]').tap()
    expect(page.locator("#vote-confirm")).to_be_visible()
    expect(page.locator("#confirm-choice")).to_have_text("基本满意")
    expect(page.locator("#choices")).to_be_hidden()
    # "back" returns to the choices, nothing sent
    page.locator("#confirm-back").tap()
    expect(choices).to_have_count(3)
    page.locator('.ph-choice[data-choice="satisfied"]').tap()
    expect(page.locator("#confirm-choice")).to_have_text("满意")
    page.screenshot(path=screenshot_path("phone-vote.png"))

    # tap two: sent, acknowledged, receipt shown
    page.locator("#confirm-yes").tap()
    receipt = page.locator("#receipt")
    expect(receipt).to_have_text(RECEIPT, timeout=TIMEOUT)
    expect(page.locator("#done-text")).to_have_text("已投票")
    code = receipt.inner_text()
    expect(page.locator("#vote-progress")).to_have_text("出席 2 人中已有 1 人投票", timeout=TIMEOUT)
    page.screenshot(path=screenshot_path("phone-receipt.png"))

    # reload: still voted, same receipt (kept on the phone)
    page.reload()
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(page.locator("#receipt")).to_have_text(code)
    expect(page.locator("#vote-choose")).to_be_hidden()

    # even with the phone's storage wiped, the server's own snapshot says "voted"
    page.evaluate("localStorage.clear()")
    page.reload()
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(page.locator("#done-text")).to_have_text("您已对此项目投过票。")
    expect(page.locator("#receipt-line")).to_be_hidden()
    expect(page.locator("#vote-choose")).to_be_hidden()

    # the server crashes: the phone says so, reconnects by itself, and still shows "voted"
    srv.kill()
    expect(page.locator("#conn")).to_have_attribute("data-conn", "reconnecting", timeout=TIMEOUT)
    expect(page.locator("#conn-text")).to_have_text("连接已断开，正在重新连接…")
    srv.start()
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(page.locator("#done-text")).to_have_text("您已对此项目投过票。")

    result = srv.api("POST", f"items/{item_id}/voting/close").json()
    assert result["counts"] == {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 0}
    assert srv.api("GET", f"items/{item_id}/receipts").json()["receipts"] == [code]


def participations(srv: LiveServer, item_id: int) -> int:
    """How many have voted on the item, read straight from the server's database."""
    engine = create_engine(srv.db_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count()).select_from(Participation).where(Participation.item_id == item_id)
                )
                or 0
            )
    finally:
        engine.dispose()


def test_offline_before_confirming_is_counted_exactly_once(srv, phone_context):
    meeting_id, roster, item_id = new_meeting(srv, "2026年第4次采购民主评价会")
    context = phone_context()
    page = context.new_page()
    open_phone(page, roster[0]["join_url"])
    assert srv.api("POST", f"items/{item_id}/present").status_code == 200
    for rep in roster[1:]:
        assert requests.get(rep["join_url"], timeout=10).status_code == 200
    assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
    page.locator('.ph-choice[data-choice="dissatisfied"]').tap()
    expect(page.locator("#confirm-choice")).to_have_text("不满意")

    # the Wi-Fi drops before the second tap
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline", timeout=TIMEOUT)
    expect(page.locator("#conn-text")).to_have_text("网络已断开，正在等待恢复…")
    page.locator("#confirm-yes").tap()
    expect(page.locator("#pending-text")).to_have_text("您的投票已保存在本机，网络恢复后会自动提交。")
    rep_id = roster[0]["id"]
    pending = page.evaluate(f"JSON.parse(localStorage.getItem('evalmeet.pending.{rep_id}'))")
    assert pending["item_id"] == item_id and pending["choice"] == "dissatisfied" and pending["round"] == 1
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", pending["key"])
    page.wait_for_timeout(1500)  # give a would-be leak time to reach the server
    assert participations(srv, item_id) == 0  # nothing got out while offline

    # back online: the phone reconnects by itself and sends the kept ballot
    code = sent_once_back_online(srv, context, page, rep_id, item_id)

    # the others vote; the result counts the phone's ballot exactly once
    receipts = [code]
    receipts.append(socket_vote(srv, roster[1]["join_token"], item_id, "satisfied"))
    receipts.append(socket_vote(srv, roster[2]["join_token"], item_id, "basically_satisfied"))
    closed = srv.api("POST", f"items/{item_id}/voting/close")
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert result["counts"] == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
    assert result["ballots"] == 3
    assert srv.api("GET", f"items/{item_id}/receipts").json()["receipts"] == sorted(receipts)

    # the phone shows the result
    expect(page.locator("#result-verdict")).to_have_text("通过", timeout=TIMEOUT)
    expect(page.locator("#result-rate")).to_have_text("2/3 (66.7%)")
    expect(page.locator("#result-counts li")).to_have_text(["满意1", "基本满意1", "不满意1"])
    expect(page.locator("#result-turnout")).to_have_text("共 3 票，出席 3 人")
    expect(page.locator("#vote")).to_be_hidden()
    page.screenshot(path=screenshot_path("phone-result.png"))
