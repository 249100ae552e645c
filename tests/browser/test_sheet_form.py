"""The meeting form's rating-sheet editor in headless Chromium against the REAL server: the custom
scale's rows show only for "custom" (moderator.js), a table grows a row on request, and a yearly
民主测评 (four grades, 德能勤绩廉, three weighted groups, every criterion must pass) is set up by
typing into the form and saved.

Screenshot (zh) to docs/screenshots/ when EVALMEET_UPDATE_SCREENSHOTS=1: meeting-form-sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import screenshot_path
from tests.helpers_login import page_log_in
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the module."""
    with live_server(tmp_path_factory.mktemp("sheet-form")) as srv:
        yield srv


def test_a_yearly_evaluation_is_set_up_in_the_meeting_form(chromium: Browser, server: LiveServer) -> None:
    page = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="zh-CN").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page_log_in(page, server)
    page.goto(f"{server.url}/meetings/new")

    custom = page.locator("[data-custom-scale]")
    expect(custom).to_be_hidden()  # a preset needs no rows
    page.select_option("select[name=scale]", "custom")
    expect(custom).to_be_visible()
    page.select_option("select[name=scale]", "four_grade")
    expect(custom).to_be_hidden()

    page.fill("input[name=title]", "2026年度中层管理人员民主测评")
    page.fill("input[name=location]", "公司办公楼二楼大会议室")
    page.select_option("select[name=pass_rule]", "every_criterion")
    criteria = page.locator("[data-sheet-rows=criteria]")
    before = criteria.locator("[data-row]").count()
    criteria.get_by_role("button").click()
    expect(criteria.locator("[data-row]")).to_have_count(before + 1)
    labels = criteria.locator("input[name=criterion_label]")
    for n, word in enumerate("德能勤绩廉"):
        labels.nth(n).fill(word)
    groups = page.locator("[data-sheet-rows=groups]")
    for n, (key, label, weight) in enumerate(
        [("workers", "职工代表", "2/5"), ("middle", "中层干部", "2/5"), ("leaders", "班子成员", "1/5")]
    ):
        groups.locator("input[name=group_key]").nth(n).fill(key)
        groups.locator("input[name=group_label]").nth(n).fill(label)
        groups.locator("input[name=group_weight]").nth(n).fill(weight)
    page.locator("input[name=title]").focus()
    page.locator("input[name=title]").blur()
    page.locator("form.meeting-form").screenshot(path=screenshot_path("meeting-form-sheet.png"))

    page.locator("form.meeting-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    mid = int(page.url.rsplit("/", 1)[1])
    meeting = server.api("GET", f"meetings/{mid}").json()
    assert meeting["scale"] == "four_grade" and meeting["pass_rule"] == "every_criterion"
    assert [c["label"] for c in meeting["criteria"]] == list("德能勤绩廉")
    assert [c["key"] for c in meeting["criteria"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert [(g["key"], g["weight"]) for g in meeting["groups"]] == [
        ("workers", "2/5"),
        ("middle", "2/5"),
        ("leaders", "1/5"),
    ]
    expect(page.locator(".meeting-summary")).to_contain_text("德、能、勤、绩、廉")
    expect(page.locator("select[name=group]")).to_have_count(1)  # the roster form asks for a group
    assert not errors, errors
