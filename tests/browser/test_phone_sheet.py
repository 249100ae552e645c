"""The phone's rating sheet in headless Chromium at 360×740, against the REAL server.

A meeting whose ballots rate two criteria on the four-grade scale: the phone shows one row per
criterion, the confirm button waits until both rows are rated, the phone goes offline before the
one confirmation and sends the kept sheet when it is back — counted exactly once (the result
over the API after close). And the sheet in English. Screenshot: docs/screenshots/phone-rating-sheet.png.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import socketio
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import screenshot_path
from tests.browser.test_phone import RECEIPT, TIMEOUT, open_phone, participations, sent_once_back_online
from tests.factories import BUYER, item_body
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

CRITERIA = [{"key": "de", "label": "德（政治品德）"}, {"key": "neng", "label": "能（履职能力）"}]
GRADES_ZH = ["优秀", "称职", "基本称职", "不称职"]
GRADES_EN = ["Excellent", "Competent", "Basically competent", "Incompetent"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the module."""
    with live_server(tmp_path_factory.mktemp("sheet")) as server:
        yield server


def sheet_meeting(srv: LiveServer, title: str, reps: int = 3) -> tuple[list[dict[str, Any]], int]:
    """A started meeting rating two criteria on the four-grade scale, its item on the floor and
    every representative checked in."""
    meeting = srv.api(
        "POST", "meetings", {"title": title, "scale": "four_grade", "criteria": CRITERIA, "quorum": "1/2"}
    )
    assert meeting.status_code == 201, meeting.text
    mid = meeting.json()["id"]
    roster = []
    for n, name in enumerate(["李秀英", "张伟", "刘洋", "陈静"][:reps]):
        rep = srv.api("POST", f"meetings/{mid}/representatives", {"name": name, "employee_no": f"S{n:04d}"})
        assert rep.status_code == 201, rep.text
        roster.append(rep.json())
    item = srv.api("POST", f"meetings/{mid}/items", item_body("张三（炼钢厂副厂长）年度测评", BUYER))
    assert item.status_code == 201, item.text
    assert srv.api("POST", f"meetings/{mid}/start").status_code == 200
    assert srv.api("POST", f"items/{item.json()['id']}/present").status_code == 200
    return roster, item.json()["id"]


def check_in(rep: dict[str, Any]) -> None:
    assert requests.get(rep["join_url"], timeout=10).status_code == 200


def voting_in_english(
    srv: LiveServer, phone_context: Callable[..., BrowserContext], pair: list[dict[str, Any]], item_id: int
) -> Page:
    """The first of ``pair`` joins on an English phone (``?lang=en``), the second checks in, and
    voting on ``item_id`` opens: the phone's page."""
    page = phone_context(locale="en-US").new_page()
    page.goto(pair[0]["join_url"])
    page.goto(srv.url + "/phone?lang=en")
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    check_in(pair[1])
    assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
    return page


def socket_sheet(srv: LiveServer, token: str, item_id: int, choices: dict[str, str]) -> str:
    """Another representative sends a rating sheet from python-socketio; returns the receipt."""
    client = socketio.Client(reconnection=False)
    client.connect(
        srv.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"], wait_timeout=10
    )
    try:
        ack = client.call(
            "cast_vote",
            {"item_id": item_id, "choices": choices, "key": secrets.token_urlsafe(24)},
            namespace="/live",
            timeout=10,
        )
    finally:
        client.disconnect()
    assert ack["ok"] is True, ack
    return str(ack["receipt"])


def rate(page: Page, criterion: str, choice: str) -> None:
    page.locator(f'.ph-srow[data-criterion="{criterion}"] .ph-sopt[data-choice="{choice}"]').tap()


def test_a_rating_sheet_offline_and_back_is_counted_once(srv, phone_context):
    roster, item_id = sheet_meeting(srv, "2026年度中层管理人员民主测评")
    context = phone_context()
    page = context.new_page()
    open_phone(page, roster[0]["join_url"])
    for rep in roster[1:]:
        check_in(rep)
    assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200

    # one row per criterion, the four grades in each, nothing chosen, the confirm button off
    rows = page.locator("#sheet-rows .ph-srow")
    expect(rows).to_have_count(2, timeout=TIMEOUT)
    expect(page.locator("#vote-choose")).to_be_hidden()
    expect(rows.locator(".ph-slabel")).to_have_text([c["label"] for c in CRITERIA])
    for n in range(2):
        expect(rows.nth(n).locator(".ph-sopt")).to_have_text(GRADES_ZH)
    confirm = page.locator("#sheet-confirm")
    expect(confirm).to_have_text("确认并提交测评表")
    expect(confirm).to_be_disabled()
    expect(page.locator("#sheet-left")).to_have_text("已评 0 / 2 项")

    # thumb-sized: each choice at least 44 px tall, the four side by side within 360 px
    boxes = [rows.nth(0).locator(".ph-sopt").nth(n).bounding_box() for n in range(4)]
    assert all(b is not None and b["height"] >= 44 for b in boxes), boxes
    assert (
        len({round(b["y"]) for b in boxes if b}) == 1 and max(b["x"] + b["width"] for b in boxes if b) <= 360
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    rate(page, "de", "excellent")
    expect(page.locator("#sheet-left")).to_have_text("已评 1 / 2 项")
    expect(confirm).to_be_disabled()  # one row is not a sheet
    rate(page, "neng", "competent")
    rate(page, "neng", "basically_competent")  # changed: the last tap counts
    expect(rows.nth(1).locator('[aria-checked="true"]')).to_have_text("基本称职")
    expect(rows.nth(1).locator(".ph-sopt-on")).to_have_count(1)
    expect(page.locator("#sheet-left")).to_have_text("各项均已评价，请核对后提交。")
    expect(confirm).to_be_enabled()
    page.screenshot(path=screenshot_path("phone-rating-sheet.png"))

    # the Wi-Fi drops before the one confirmation: the sheet waits on the phone
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-conn", "offline", timeout=TIMEOUT)
    confirm.tap()
    expect(page.locator("#pending-text")).to_have_text("您的投票已保存在本机，网络恢复后会自动提交。")
    expect(page.locator("#vote-sheet")).to_be_hidden()
    rep_id = roster[0]["id"]
    pending = page.evaluate(f"JSON.parse(localStorage.getItem('evalmeet.pending.{rep_id}'))")
    assert pending["choices"] == {"de": "excellent", "neng": "basically_competent"}
    assert pending["item_id"] == item_id and pending["round"] == 1 and "choice" not in pending
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", pending["key"])
    page.wait_for_timeout(1500)  # give a would-be leak time to reach the server
    assert participations(srv, item_id) == 0

    # back online: the kept sheet goes out by itself, once
    code = sent_once_back_online(srv, context, page, rep_id, item_id)
    # a reload finds it voted (no second sheet to fill)
    page.reload()
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    expect(page.locator("#receipt")).to_have_text(code)
    expect(page.locator("#vote-sheet")).to_be_hidden()

    receipts = [
        code,
        socket_sheet(srv, roster[1]["join_token"], item_id, {"de": "competent", "neng": "competent"}),
        socket_sheet(srv, roster[2]["join_token"], item_id, {"de": "excellent", "neng": "incompetent"}),
    ]
    closed = srv.api("POST", f"items/{item_id}/voting/close")
    assert closed.status_code == 200, closed.text
    result = srv.api("GET", f"items/{item_id}/result").json()
    assert result["ballots"] == 3 and participations(srv, item_id) == 3
    assert result["criteria"]["de"]["counts"] == {
        "excellent": 2,
        "competent": 1,
        "basically_competent": 0,
        "incompetent": 0,
    }
    assert result["criteria"]["neng"]["counts"] == {
        "excellent": 0,
        "competent": 1,
        "basically_competent": 1,
        "incompetent": 1,
    }
    assert srv.api("GET", f"items/{item_id}/receipts").json()["receipts"] == sorted(receipts)
    # the phone shows each criterion's satisfaction and the average score
    expect(page.locator("#result-criteria li")).to_have_text(
        [f"{CRITERIA[0]['label']}100.0%", f"{CRITERIA[1]['label']}66.7%"], timeout=TIMEOUT
    )
    expect(page.locator("#result-average")).to_have_text("平均得分 70.0")
    expect(page.locator("#result-counts li")).to_have_text(["优秀2", "称职2", "基本称职1", "不称职1"])


def test_the_rating_sheet_in_english(srv, phone_context):
    roster, item_id = sheet_meeting(srv, "2026 annual evaluation of managers", reps=2)
    page = voting_in_english(srv, phone_context, roster, item_id)

    rows = page.locator("#sheet-rows .ph-srow")
    expect(rows).to_have_count(2, timeout=TIMEOUT)
    expect(rows.nth(0).locator(".ph-sopt")).to_have_text(GRADES_EN)
    expect(page.locator("#vote-sheet .ph-hint")).to_have_text(
        "Rate every line, then send the whole sheet once."
    )
    expect(page.locator("#sheet-left")).to_have_text("0 of 2 lines rated")
    expect(page.locator("#sheet-confirm")).to_have_text("Confirm and send the sheet")
    rate(page, "de", "incompetent")
    rate(page, "neng", "excellent")
    expect(page.locator("#sheet-left")).to_have_text("Every line is rated: check them, then send.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # long English names wrap
    page.locator("#sheet-confirm").tap()
    expect(page.locator("#receipt")).to_have_text(RECEIPT, timeout=TIMEOUT)
    expect(page.locator("#done-text")).to_have_text("Voted")
    socket_sheet(srv, roster[1]["join_token"], item_id, {"de": "competent", "neng": "competent"})
    result = srv.api("POST", f"items/{item_id}/voting/close").json()
    assert result["criteria"]["de"]["counts"]["incompetent"] == 1
    assert result["criteria"]["neng"]["counts"]["excellent"] == 1


def test_a_custom_scale_shows_its_choices_as_written(srv, phone_context):
    scale = {
        "choices": [
            {"key": "good", "label": "好", "satisfied": True},
            {"key": "fair", "label": "较好", "satisfied": True},
            {"key": "poor", "label": "差", "satisfied": False},
        ]
    }
    meeting = srv.api(
        "POST",
        "meetings",
        {
            "title": "食堂服务评议",
            "scale": scale,
            "criteria": [{"key": "taste", "label": "口味"}],
            "quorum": "1/2",
        },
    )
    assert meeting.status_code == 201, meeting.text
    mid = meeting.json()["id"]
    reps = [
        srv.api("POST", f"meetings/{mid}/representatives", {"name": n, "employee_no": f"C{i}"}).json()
        for i, n in enumerate(["赵一", "钱二"])
    ]
    item = srv.api("POST", f"meetings/{mid}/items", item_body("食堂承包服务", BUYER)).json()
    assert srv.api("POST", f"meetings/{mid}/start").status_code == 200
    assert srv.api("POST", f"items/{item['id']}/present").status_code == 200
    page = voting_in_english(srv, phone_context, reps, item["id"])
    options = page.locator('.ph-srow[data-criterion="taste"] .ph-sopt')
    expect(options).to_have_text(["好", "较好", "差"], timeout=TIMEOUT)  # as written, in English too
    rate(page, "taste", "poor")
    expect(page.locator(".ph-sopt-no.ph-sopt-on")).to_have_text("差")
    page.locator("#sheet-confirm").tap()
    expect(page.locator("#receipt")).to_have_text(RECEIPT, timeout=TIMEOUT)
    socket_sheet(srv, reps[1]["join_token"], item["id"], {"taste": "good"})
    result = srv.api("POST", f"items/{item['id']}/voting/close").json()
    assert result["criteria"]["taste"]["counts"] == {"good": 1, "fair": 0, "poor": 1}
    expect(page.locator("#result-counts li")).to_have_text(["好1", "较好0", "差1"], timeout=TIMEOUT)
