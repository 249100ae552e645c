"""Issue 13's moderator-side screens in headless Chromium against the REAL server: the person
picker (moderator.js fills and locks the fields, filters a long list), the failed item without an
action flagged on the meeting page and on /actions, the new-action form's date field styled like
the other fields, the import preview's single-source warning, and the signed minutes.

Screenshots (zh) go to docs/screenshots/ when EVALMEET_UPDATE_SCREENSHOTS=1: item-person-picker,
meeting-needs-action, actions-needs-action, new-action-form, import-preview-warning,
minutes-signatures.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot_path
from tests.browser.test_projector_console import Phone, make_meeting
from tests.helpers_login import page_log_in
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

DEPARTMENTS = ["炼钢厂", "炼铁厂", "轧钢厂", "供应处", "设备处", "运输部", "能源中心", "质检站", "焦化厂"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the module."""
    with live_server(tmp_path_factory.mktemp("moderator-forms")) as srv:
        yield srv


def moderator_page(browser: Browser, server: LiveServer, width: int = 1280) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    page_log_in(page, server)
    return page


def draft_with_people(server: LiveServer) -> dict[str, Any]:
    """A draft whose items have nine responsible persons, two of them namesakes (张伟)."""
    meeting = server.api("POST", "meetings", {"title": "第30次物资采购民主评价会"}).json()
    people = {}
    for n, department in enumerate(DEPARTMENTS):
        name = "张伟" if n < 2 else f"采购员{n}"
        body = {"title": f"采购项目{n}", "responsible_person": {"name": name, "department": department}}
        item = server.api("POST", f"meetings/{meeting['id']}/items", body).json()
        people[(name, department)] = item["responsible_person"]["id"]
    return {"meeting": meeting, "people": people}


def test_the_picker_fills_and_locks_the_person_fields_and_filters_the_list(
    chromium: Browser, server: LiveServer
):
    made = draft_with_people(server)
    mid = made["meeting"]["id"]
    page = moderator_page(chromium, server)
    page.goto(f"{server.url}/meetings/{mid}")
    page.locator("#add-item summary").click()  # the add-item form folds away once there are items
    form = page.locator("#add-item form")
    name, department = form.locator("input[name=person_name]"), form.locator("input[name=person_department]")
    picker = form.locator("select[name=person_id]")
    filter_box = form.locator("input[data-person-filter]")
    expect(filter_box).to_be_visible()  # nine people: a long list gets its filter box
    filter_box.fill("炼铁")
    visible = picker.locator("option:not([hidden])")
    expect(visible).to_have_count(2)  # the empty choice and 张伟 · 炼铁厂
    iron = made["people"][("张伟", "炼铁厂")]
    picker.select_option(str(iron))
    expect(name).to_have_value("张伟")
    expect(department).to_have_value("炼铁厂")
    assert name.evaluate("el => el.readOnly") and department.evaluate("el => el.readOnly")
    form.locator("input[name=title]").fill("烧结矿采购")
    page.screenshot(path=screenshot_path("item-person-picker.png"), full_page=False)
    picker.select_option("")  # back to typing a person in: the fields are free and empty again
    expect(name).to_have_value("")
    assert not name.evaluate("el => el.readOnly")
    picker.select_option(str(iron))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    items = server.api("GET", f"meetings/{mid}").json()["items"]
    assert (items[-1]["title"], items[-1]["responsible_person"]["id"]) == ("烧结矿采购", iron)
    assert len({i["responsible_person"]["id"] for i in items}) == 9  # nobody new
    assert page.errors == []  # type: ignore[attr-defined]


def failed_meeting(server: LiveServer, phones: list[Phone]) -> dict[str, Any]:
    items = [
        {
            "title": "高炉耐火砖采购",
            "responsible_person": {"name": "王建国", "department": "供应处", "position": "采购员"},
            "procurement_method": "single_source",
            "supplier_count": 3,
            "amount": "1280000",
        },
        {
            "title": "劳保手套年度采购",
            "responsible_person": {"name": "李红", "department": "供应处", "position": "采购员"},
            "procurement_method": "inquiry",
            "supplier_count": 3,
            "amount": "86000",
        },
    ]
    made = make_meeting(server, "第31次民主评价会", 3, items)
    phones += [Phone(server, rep["join_token"]) for rep in made["reps"]]
    failed = made["items"][0]["id"]
    assert server.api("POST", f"items/{failed}/present").status_code == 200
    assert server.api("POST", f"items/{failed}/voting/open").status_code == 200
    for phone in phones:
        phone.vote(failed, "dissatisfied")
    assert server.api("POST", f"items/{failed}/voting/close").status_code == 200
    return made


@pytest.fixture
def phones() -> Iterator[list[Phone]]:
    made: list[Phone] = []
    yield made
    for phone in made:
        phone.close()


def test_a_failed_item_without_an_action_is_flagged_until_one_is_recorded(
    chromium: Browser, server: LiveServer, phones: list[Phone]
):
    made = failed_meeting(server, phones)
    mid, failed = made["meeting"]["id"], made["items"][0]["id"]
    page = moderator_page(chromium, server)
    page.goto(f"{server.url}/meetings/{mid}")
    flag = page.locator(f"[data-needs-action='{failed}']")
    expect(flag).to_contain_text("未通过但尚无整改措施")
    expect(page.locator(".entry-warning")).to_contain_text("单一来源采购，却填写了 3 家供应商")
    page.locator("#items").screenshot(path=screenshot_path("meeting-needs-action.png"))

    page.goto(f"{server.url}/actions")
    row = page.locator(f"section.needs-action tr[data-needs-action='{failed}']")
    expect(row).to_contain_text("高炉耐火砖采购")
    page.screenshot(path=screenshot_path("actions-needs-action.png"), full_page=True)

    row.get_by_role("link", name="新增整改措施").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/items/{failed}/actions/new")
    styles = page.evaluate(
        """() => ['owner', 'due_date'].map(n => {
            const s = getComputedStyle(document.querySelector(`[name=${n}]`));
            return [s.borderTopWidth, s.borderTopColor, s.borderTopLeftRadius,
                    s.minHeight, s.width, s.fontSize];
        })"""
    )
    assert styles[0] == styles[1], styles  # the date field looks like the text field beside it
    page.select_option("select[name=kind]", "rectification")
    page.fill("textarea[name=description]", "限期重新论证采购方式并提交书面说明。")
    page.fill("input[name=due_date]", "2031-06-30")
    page.screenshot(path=screenshot_path("new-action-form.png"), full_page=True)
    page.get_by_role("button", name="登记整改措施").click()
    page.wait_for_load_state()
    page.goto(f"{server.url}/meetings/{mid}")
    expect(page.locator("[data-needs-action]")).to_have_count(0)
    page.goto(f"{server.url}/actions")
    expect(page.locator("section.needs-action")).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_import_preview_warns_and_the_minutes_are_signed(
    chromium: Browser, server: LiveServer, phones: list[Phone], tmp_path: Path
):
    draft = server.api("POST", "meetings", {"title": "第32次民主评价会"}).json()
    page = moderator_page(chromium, server)
    page.goto(f"{server.url}/meetings/{draft['id']}/import/items")
    upload = tmp_path / "items.csv"
    upload.write_text(
        "标题,责任人,责任人部门,采购方式,供应商数量,金额\n"
        "备件采购,刘洋,设备处,单一来源,3,56000\n"
        "劳保用品,李梅,供应处,询价,3,12000\n",
        encoding="utf-8",
    )
    page.set_input_files("input[type=file]", str(upload))
    page.locator("form.import-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("tr.row-warning .warning")).to_have_text(
        "单一来源采购，却填写了 3 家供应商：请核对采购方式或供应商数量。"
    )
    page.screenshot(path=screenshot_path("import-preview-warning.png"), full_page=True)
    page.get_by_role("button", name="导入 2 行").click()
    page.wait_for_load_state()
    assert len(server.api("GET", f"meetings/{draft['id']}").json()["items"]) == 2

    made = failed_meeting(server, phones)
    mid = made["meeting"]["id"]
    assert server.api("POST", f"meetings/{mid}/finish").status_code == 200
    pdf = server.api("GET", f"meetings/{mid}/minutes.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    )
    words = text.stdout.decode()
    assert all(role in words for role in ("主持人", "记录人", "监票人", "签字人", "日期"))
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "m.pdf").write_bytes(pdf.content)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "m.pdf", "page"], cwd=folder, check=True)
        last = sorted(Path(folder).glob("page*.png"))[-1]
        Path(screenshot_path("minutes-signatures.png")).write_bytes(last.read_bytes())
    assert page.errors == []  # type: ignore[attr-defined]
