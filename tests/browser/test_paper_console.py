"""Paper ballots in headless Chromium against the REAL server: the moderator enters the
scrutineers' count on the console while voting is open; the result on the console and the
projector shows both channels; a paper voter's phone says to vote on paper. Screenshots:
console-paper.png, projector-paper-result.png, phone-paper.png (docs/screenshots/)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_VIEWPORT, screenshot_path
from tests.browser.test_projector_console import (  # noqa: F401 (module fixtures)
    BRICKS,
    WAIT_MS,
    Phone,
    browser,
    make_meeting,
    open_console,
    open_projector,
    phones,
    screenshot,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_the_moderator_enters_the_paper_count_on_the_console(server, browser, phones):  # noqa: F811
    setup = make_meeting(server, "2025年第一季度物资采购民主评价会", 7, [BRICKS])
    mid = setup["meeting"]["id"]
    (item,) = setup["items"]
    paper_reps = setup["reps"][4:]
    for rep in paper_reps:
        assert server.api("PATCH", f"representatives/{rep['id']}", {"ballot": "paper"}).status_code == 200
        assert server.api("PATCH", f"representatives/{rep['id']}", {"present": True}).status_code == 200
    phones.extend(Phone(server, rep["join_token"]) for rep in setup["reps"][:4])

    console = open_console(browser, server, mid)
    projector = open_projector(browser, server, console)
    panel = console.locator("#cs-paper")
    expect(panel).to_be_hidden()
    expect(console.locator("#cs-roster .cs-rpaper")).to_have_count(3)
    assert server.api("POST", f"items/{item['id']}/present").status_code == 200
    console.locator('#cs-current button[data-action="open-voting"]').click()
    console.locator("#cs-dialog-ok").click()  # opening voting asks first
    expect(panel).to_be_visible(timeout=WAIT_MS)
    expect(panel).to_contain_text("出席的纸质投票代表：3 人")
    expect(panel).to_contain_text("尚未录入")

    # more sheets than paper voters present: refused, with the reason
    panel.locator('input[data-paper-choice="satisfied"]').fill("3")
    panel.locator("input[data-paper-invalid]").fill("1")
    panel.locator("input[data-paper-scrutineers]").fill("张监票、李监票")
    panel.locator("button[data-paper-submit]").click()
    expect(console.locator("#cs-toasts")).to_contain_text("只有 3 人", timeout=WAIT_MS)
    expect(panel).to_contain_text("尚未录入")

    panel.locator('input[data-paper-choice="satisfied"]').fill("2")
    panel.locator('input[data-paper-choice="dissatisfied"]').fill("")
    panel.locator("input[data-paper-invalid]").fill("1")
    panel.locator("button[data-paper-submit]").click()
    expect(panel).to_contain_text("已录入：有效 2 票，无效 1 张", timeout=WAIT_MS)
    expect(console.locator("#cs-count")).to_have_text("已投票 2 / 7", timeout=WAIT_MS)
    expect(projector.locator("#pj-count")).to_have_text("已投票 2 / 7", timeout=WAIT_MS)

    for phone, choice in zip(
        phones, ["satisfied", "satisfied", "basically_satisfied", "dissatisfied"], strict=True
    ):
        phone.vote(item["id"], choice)
    expect(console.locator("#cs-count")).to_have_text("已投票 6 / 7", timeout=WAIT_MS)
    # the count is corrected: a later entry replaces the earlier one
    panel.locator('input[data-paper-choice="basically_satisfied"]').fill("1")
    panel.locator("input[data-paper-invalid]").fill("0")
    panel.locator("button[data-paper-submit]").click()
    expect(panel).to_contain_text("已录入：有效 3 票，无效 0 张", timeout=WAIT_MS)
    expect(console.locator("#cs-count")).to_have_text("已投票 7 / 7", timeout=WAIT_MS)
    assert panel.locator('input[data-paper-choice="satisfied"]').input_value() == "2"
    console.evaluate(
        "document.getElementById('cs-toasts').querySelectorAll('.cs-toast').forEach(t => t.remove())"
    )
    screenshot(console, "console-paper.png")

    # a paper voter's own phone says to vote on paper
    context = browser.new_context(
        viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        phone_page = context.new_page()
        phone_page.goto(f"{server.url}/j/{paper_reps[0]['join_token']}")
        expect(phone_page.locator("#vote-paper")).to_be_visible(timeout=WAIT_MS)
        expect(phone_page.locator("#vote-paper")).to_contain_text("您使用纸质选票投票")
        expect(phone_page.locator("#vote-choose")).to_be_hidden()
        phone_page.screenshot(path=screenshot_path("phone-paper.png"), full_page=True)
    finally:
        context.close()

    closed = server.api("POST", f"items/{item['id']}/voting/close")
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert result["ballots"] == 7 and result["channels"]["paper"]["ballots"] == 3
    assert result["channels"]["paper"]["scrutineers"] == ["张监票", "李监票"]
    expect(panel).to_be_hidden(timeout=WAIT_MS)
    expect(console.locator("#cs-current .cs-channels")).to_contain_text(
        "手机 4 票 · 纸质 3 票", timeout=WAIT_MS
    )
    expect(projector.locator(".pj-channels")).to_contain_text("手机 4 票 · 纸质 3 票", timeout=WAIT_MS)
    screenshot(projector, "projector-paper-result.png")
    assert not console.errors and not projector.errors  # type: ignore[attr-defined]
