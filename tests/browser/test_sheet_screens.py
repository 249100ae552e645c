"""A rating sheet's result on the projector and the console in headless Chromium, against the
REAL server: each criterion's satisfaction and counts, each rater group's weight, ballots and
satisfaction, and the exact average score, shown as percentages (one decimal) of the exact
fractions the result gives. Before closing, the console warns about a group with fewer than 3
ballots. Screenshots: projector-rating-sheet.png, console-rating-sheet.png."""

from __future__ import annotations

import uuid
from fractions import Fraction
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import screenshot_path
from tests.browser.test_projector_console import (  # noqa: F401 (module fixtures)
    WAIT_MS,
    Phone,
    browser,
    open_console,
    open_projector,
    phones,
    server,
)
from tests.factories import BUYER, item_body
from tests.over_api import started_meeting

pytestmark = [pytest.mark.browser, pytest.mark.server]

CRITERIA = [{"key": "de", "label": "德"}, {"key": "neng", "label": "能"}]
GROUPS = [
    {"key": "workers", "label": "职工代表", "weight": "2/3"},
    {"key": "managers", "label": "中层干部", "weight": "1/3"},
]
SHEETS = [
    ("workers", {"de": "excellent", "neng": "competent"}),
    ("workers", {"de": "excellent", "neng": "excellent"}),
    ("workers", {"de": "competent", "neng": "incompetent"}),
    ("workers", {"de": "basically_competent", "neng": "incompetent"}),
    ("managers", {"de": "incompetent", "neng": "incompetent"}),
    ("managers", {"de": "competent", "neng": "competent"}),
]


def sheet_meeting(srv: Any) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Four workers and three managers rating 德 and 能 on the four grades, every criterion to
    reach 1/2."""
    people = [
        {"name": f"{label}{n}", "employee_no": f"{key[0]}{n:03d}", "group": key}
        for key, label, size in (("workers", "职工", 4), ("managers", "干部", 3))
        for n in range(1, size + 1)
    ]
    meeting, roster, (item,) = started_meeting(
        srv,
        {
            "title": "2026年度班子成员民主测评",
            "scale": "four_grade",
            "criteria": CRITERIA,
            "groups": GROUPS,
            "pass_rule": "every_criterion",
            "pass_threshold": "1/2",
            "quorum": "1/2",
        },
        people,
        [item_body("李四（总经理）", BUYER)],
    )
    return meeting, roster, item


def test_results_per_criterion_and_group_and_the_small_group_warning(server, browser, phones):  # noqa: F811
    meeting, roster, item = sheet_meeting(server)
    phones.extend(Phone(server, rep["join_token"]) for rep in roster)
    console = open_console(browser, server, meeting["id"])
    projector = open_projector(browser, server, console)
    assert server.api("POST", f"items/{item['id']}/present").status_code == 200
    assert server.api("POST", f"items/{item['id']}/voting/open").status_code == 200
    voters = {"workers": phones[:4], "managers": phones[4:6]}  # the third manager does not vote
    for group, sheet in SHEETS:
        phone = voters[group].pop(0)
        ack = phone.call("cast_vote", {"item_id": item["id"], "choices": sheet, "key": uuid.uuid4().hex})
        assert ack.get("ok") is True, ack
    expect(console.locator("#cs-count")).to_have_text("已投票 6 / 7", timeout=WAIT_MS)

    # the console data gives each group's ballots so far — counts only, nobody's name or choice
    data = console.evaluate(
        "fetch(document.getElementById('console').getAttribute('data-data-url'),"
        " {headers: {Accept: 'application/json'}}).then(r => r.json())"
    )
    assert data.get("group_ballots") == [
        {"key": "workers", "label": "职工代表", "ballots": 4},
        {"key": "managers", "label": "中层干部", "ballots": 2},
    ]

    # closing warns about the group with two ballots (and the one who has not voted); cancel
    close = console.locator('#cs-current button[data-action="close-voting"]')
    close.click()
    dialog = console.locator("#cs-dialog-text")
    expect(dialog).to_contain_text("中层干部 (2)不足 3 票", timeout=WAIT_MS)
    expect(dialog).to_contain_text("还有 1 人未投票")
    console.locator('#cs-dialog button[value="cancel"]').click()
    console.wait_for_timeout(500)
    assert server.api("GET", f"items/{item['id']}").json()["status"] == "voting"
    close.click()
    expect(dialog).to_contain_text("中层干部 (2)", timeout=WAIT_MS)
    console.locator("#cs-dialog-ok").click()

    expect(projector.locator(".pj-banner")).to_have_text("通过", timeout=WAIT_MS)
    result = server.api("GET", f"items/{item['id']}/result").json()
    # the exact figures, as the result gives them (weights 2/3 and 1/3 of the groups' own)
    assert Fraction(result["criteria"]["de"]["satisfaction"]) == Fraction(5, 6)
    assert Fraction(result["criteria"]["neng"]["satisfaction"]) == Fraction(1, 2)
    assert Fraction(result["satisfaction"]) == Fraction(2, 3)
    assert Fraction(result["average_score"]) == Fraction(170, 3)
    assert result["passed"] is True

    for page, scope in ((projector, ".pj-sheet"), (console, "#cs-current .cs-sheet")):
        sheet = page.locator(scope)
        crit = sheet.locator(".sf-criteria tbody tr")
        expect(crit).to_have_count(2, timeout=WAIT_MS)
        expect(crit.locator(".sf-name")).to_have_text(["德", "能"])
        expect(crit.locator(".sf-rate")).to_have_text(["83.3%", "50.0%"])
        expect(crit.nth(0).locator(".sf-counts")).to_have_text("优秀 2 · 称职 2 · 基本称职 1 · 不称职 1")
        expect(crit.nth(1).locator(".sf-counts")).to_have_text("优秀 1 · 称职 2 · 基本称职 0 · 不称职 3")
        groups = sheet.locator(".sf-groups tbody tr")
        expect(groups.locator(".sf-name")).to_have_text(["职工代表", "中层干部"])
        expect(groups.locator(".sf-weight")).to_have_text(["66.7%", "33.3%"])
        expect(groups.locator(".sf-ballots")).to_have_text(["4", "2"])
        expect(groups.locator(".sf-rate")).to_have_text(["75.0%", "50.0%"])
        expect(sheet.locator(".sf-average")).to_have_text("平均得分 56.7")
    expect(projector.locator(".pj-rate")).to_have_text(f"满意率 {result['satisfaction']} = 66.7%")
    expect(projector.locator(".pj-rule")).to_contain_text("（每项指标）")
    expect(projector.locator(".pj-row-lbl")).to_have_text(["优秀", "称职", "基本称职", "不称职"])
    # the bars are out of every rating (12), not of the 6 ballots
    assert projector.locator(".pj-row .fill").first.get_attribute("width") == str(1000 * 3 // 12)
    projector.screenshot(path=screenshot_path("projector-rating-sheet.png"))
    console.screenshot(path=screenshot_path("console-rating-sheet.png"), full_page=True)

    # the server's first paint says the same (before any script runs)
    html = requests.get(server.url + projector.url.removeprefix(server.url), timeout=10).text
    assert '<td class="sf-num sf-rate">83.3%</td>' in html
    assert '<p class="sf-average">平均得分 56.7</p>' in html
    assert '<td class="sf-num sf-weight">33.3%</td>' in html
    assert not projector.errors and not console.errors  # type: ignore[attr-defined]


def test_the_console_enters_paper_sheets_per_criterion_and_per_group(server, browser, phones):  # noqa: F811
    people = [
        {"name": f"{label}{n}", "employee_no": f"p{key[0]}{n:03d}", "group": key}
        for key, label, size in (("workers", "职工", 4), ("managers", "干部", 3))
        for n in range(1, size + 1)
    ]
    groups = [{**GROUPS[0], "weight": "1/2"}, {**GROUPS[1], "weight": "1/2"}]
    meeting, roster, (item,) = started_meeting(
        server,
        {"title": "2026年度纸质测评", "scale": "four_grade", "criteria": CRITERIA, "groups": groups},
        people,
        [item_body("王五（副总经理）", BUYER)],
    )
    paper = roster[3:]  # the fourth worker and the three managers vote on paper
    for rep in paper:
        assert server.api("PATCH", f"representatives/{rep['id']}", {"ballot": "paper"}).status_code == 200
        assert server.api("PATCH", f"representatives/{rep['id']}", {"present": True}).status_code == 200
    phones.extend(Phone(server, rep["join_token"]) for rep in roster[:3])
    console = open_console(browser, server, meeting["id"])
    assert server.api("POST", f"items/{item['id']}/present").status_code == 200
    assert server.api("POST", f"items/{item['id']}/voting/open").status_code == 200

    panel = console.locator("#cs-paper")
    expect(panel).to_be_visible(timeout=WAIT_MS)
    expect(panel).to_contain_text("出席的纸质投票代表：4 人")
    picker = panel.locator("select[data-paper-group]")
    expect(picker.locator("option")).to_have_text(["职工代表", "中层干部"])
    expect(panel.locator("[data-paper-head] th")).to_have_text(["", "优秀", "称职", "基本称职", "不称职"])
    expect(panel.locator("[data-paper-lines] .cs-pline")).to_have_text(["德", "能"])
    expect(panel.locator("input[data-paper-choice]")).to_have_count(8)

    def cell(criterion: str, choice: str):
        return panel.locator(f'input[data-paper-criterion="{criterion}"][data-paper-choice="{choice}"]')

    def submit() -> None:
        panel.locator("button[data-paper-submit]").click()

    # the workers' one paper sheet
    picker.select_option("workers")
    cell("de", "excellent").fill("1")
    cell("neng", "competent").fill("1")
    panel.locator("input[data-paper-scrutineers]").fill("张监票、李监票")
    submit()
    expect(panel).to_contain_text("已录入：有效 1 票，无效 0 张", timeout=WAIT_MS)

    # the managers': nothing entered yet for them; four sheets is one more than are present
    picker.select_option("managers")
    expect(panel).to_contain_text("尚未录入")
    assert cell("de", "excellent").input_value() == ""
    cell("de", "competent").fill("4")
    cell("neng", "basically_competent").fill("4")
    submit()
    expect(console.locator("#cs-toasts")).to_contain_text("只有 3 人", timeout=WAIT_MS)
    expect(panel).to_contain_text("尚未录入")
    cell("de", "competent").fill("2")
    cell("de", "incompetent").fill("1")
    cell("neng", "basically_competent").fill("3")
    submit()
    expect(panel).to_contain_text("已录入：有效 3 票，无效 0 张", timeout=WAIT_MS)
    # back to the workers: their own count comes back into the grid
    picker.select_option("workers")
    expect(panel).to_contain_text("已录入：有效 1 票，无效 0 张")
    assert cell("de", "excellent").input_value() == "1" and cell("de", "competent").input_value() == "0"
    assert cell("neng", "competent").input_value() == "1"

    for phone in phones:
        ack = phone.call(
            "cast_vote",
            {
                "item_id": item["id"],
                "choices": {"de": "excellent", "neng": "excellent"},
                "key": uuid.uuid4().hex,
            },
        )
        assert ack.get("ok") is True, ack
    expect(console.locator("#cs-count")).to_have_text("已投票 7 / 7", timeout=WAIT_MS)
    console.screenshot(path=screenshot_path("console-paper-sheet.png"), full_page=True)
    closed = server.api("POST", f"items/{item['id']}/voting/close")
    assert closed.status_code == 200, closed.text
    result = server.api("GET", f"items/{item['id']}/result").json()
    assert result["ballots"] == 7
    assert result["criteria"]["de"]["counts"] == {
        "excellent": 4,
        "competent": 2,
        "basically_competent": 0,
        "incompetent": 1,
    }
    assert result["criteria"]["neng"]["counts"] == {
        "excellent": 3,
        "competent": 1,
        "basically_competent": 3,
        "incompetent": 0,
    }
    assert {k: g["ballots"] for k, g in result["groups"].items()} == {"workers": 4, "managers": 3}
    assert result["channels"]["paper"]["ballots"] == 4
    assert result["channels"]["paper"]["scrutineers"]
    assert not console.errors  # type: ignore[attr-defined]
