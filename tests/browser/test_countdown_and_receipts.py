"""The countdown and the receipt check in headless Chromium, against the REAL server.

The console starts a countdown (1/3/5 minutes, or any), the projector shows it big and the
phones small, counted on the server's clock (a phone whose clock is years off still shows the
right time); at zero it flashes and stays until stopped, and the projector beeps only once its
sound is switched on. A phone votes, voting closes, the phone still lists its receipt, and its
link checks it on /verify. Screenshots for the docs: docs/screenshots/{console-timer,
projector-countdown,phone-countdown,phone-receipts,verify,public-receipts}.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE_VIEWPORT, screenshot_path
from tests.browser.test_phone import ITEM, new_meeting, open_phone
from tests.server import MODERATOR, MODERATOR_PASSWORD, LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

WAIT = 15_000
WRONG_CLOCK = datetime(2019, 3, 1, 8, 17, tzinfo=UTC)
RECEIPT = re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the module."""
    with live_server(tmp_path_factory.mktemp("countdown")) as server:
        yield server


def watched(page: Page) -> Page:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def open_console(chromium: Browser, srv: LiveServer, meeting_id: int) -> Page:
    page = watched(chromium.new_context(viewport={"width": 1280, "height": 860}).new_page())
    page.goto(srv.url + "/login")
    page.fill("input[name=username]", MODERATOR)
    page.fill("input[name=password]", MODERATOR_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{srv.url}/meetings/{meeting_id}/console")
    expect(page.locator("#cs-conn")).to_have_attribute("data-connected", "1", timeout=WAIT)
    return page


def open_projector(chromium: Browser, srv: LiveServer, console: Page) -> Page:
    href = console.get_attribute("#cs-projector-link", "href")
    assert href
    page = watched(chromium.new_context(viewport={"width": 1280, "height": 720}).new_page())
    page.goto(srv.url + href)
    expect(page.locator("#projector")).to_have_attribute("data-ready", "1", timeout=WAIT)
    return page


def seconds_left(box) -> int:
    return int(box.get_attribute("data-remaining"))


def test_a_countdown_from_the_console_on_the_projector_and_the_phones(srv, chromium, phone_context):
    meeting_id, roster, item_id = new_meeting(srv, "2026年第4次采购民主评价会", reps=2)
    assert srv.api("POST", f"items/{item_id}/present").status_code == 200
    console = open_console(chromium, srv, meeting_id)
    projector = open_projector(chromium, srv, console)
    phone = watched(phone_context().new_page())
    # this phone's clock is years off: it must count down on the server's clock anyway
    phone.clock.install(time=WRONG_CLOCK)
    open_phone(phone, roster[0]["join_url"])
    big = projector.locator(".pj-countdown")
    small = phone.locator(".ph-countdown")
    expect(big).to_be_hidden()
    expect(small).to_be_hidden()
    sound = projector.locator("[data-countdown-sound]")
    expect(sound).to_have_attribute("aria-pressed", "false")  # off by default
    expect(sound).to_have_text("到时提示音：关")

    # "3 min" on the console
    console.locator('#cs-timer button[data-timer="180"]').click()
    expect(big).to_be_visible(timeout=WAIT)
    expect(big.locator("[data-countdown-clock]")).to_have_text(re.compile(r"^0[23]:[0-5]\d$"))
    expect(big.locator("[data-countdown-label]")).to_have_text("倒计时")
    expect(small).to_be_visible(timeout=WAIT)
    assert 170 <= seconds_left(small) <= 180, small.get_attribute("data-remaining")
    expect(console.locator(".cs-countdown")).to_be_visible()
    left = seconds_left(big)
    projector.wait_for_timeout(2200)
    assert 1 <= left - seconds_left(big) <= 3  # it runs
    projector.screenshot(path=screenshot_path("projector-countdown.png"))
    console.locator("#cs-timer").screenshot(path=screenshot_path("console-timer.png"))
    phone.screenshot(path=screenshot_path("phone-countdown.png"))

    # any number of minutes, with a label: 0.05 min = 3 s; the projector's sound switched on
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    console.locator("[data-timer-minutes]").fill("0.05")
    console.locator("[data-timer-label]").fill("发言时间")
    console.locator('#cs-timer button[data-timer="custom"]').click()
    expect(big.locator("[data-countdown-label]")).to_have_text("发言时间", timeout=WAIT)
    expect(small.locator("[data-countdown-label]")).to_have_text("发言时间", timeout=WAIT)
    expect(big).to_have_class(re.compile(r"\bcountdown-zero\b"), timeout=WAIT)
    expect(big.locator("[data-countdown-clock]")).to_have_text("00:00")
    expect(big.locator("[data-countdown-zero]")).to_have_text("时间到")
    expect(sound).to_have_attribute("data-beeped", "1")
    expect(small).to_have_class(re.compile(r"\bcountdown-zero\b"), timeout=WAIT)
    projector.screenshot(path=screenshot_path("projector-countdown-zero.png"))
    projector.wait_for_timeout(1500)
    expect(big).to_be_visible()  # it stays at zero until stopped
    expect(sound).to_have_attribute("data-beeped", "1")  # one beep per timer

    # a number out of range is refused on the console, nothing sent
    console.locator("[data-timer-minutes]").fill("61")
    console.locator('#cs-timer button[data-timer="custom"]').click()
    expect(console.locator("[data-timer-error]")).to_have_text("请输入 1 秒至 60 分钟之间的时长。")
    expect(big.locator("[data-countdown-label]")).to_have_text("发言时间")

    # stop
    console.locator('#cs-timer button[data-timer="stop"]').click()
    expect(big).to_be_hidden(timeout=WAIT)
    expect(small).to_be_hidden(timeout=WAIT)
    for page in (console, projector, phone):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_the_phone_keeps_its_receipt_after_close_and_its_link_verifies_it(srv, phone_context):
    meeting_id, roster, item_id = new_meeting(srv, "2026年第5次采购民主评价会", reps=2)
    assert requests.get(roster[1]["join_url"], timeout=10).status_code == 200  # the quorum
    context = phone_context()
    phone = watched(context.new_page())
    open_phone(phone, roster[0]["join_url"])
    assert srv.api("POST", f"items/{item_id}/present").status_code == 200
    assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
    phone.locator('.ph-choice[data-choice="dissatisfied"]').tap(timeout=WAIT)
    phone.locator("#confirm-yes").tap()
    expect(phone.locator("#receipt")).to_have_text(RECEIPT, timeout=WAIT)
    code = phone.locator("#receipt").inner_text()

    # voting closes: the ballot panel goes, the receipt stays in "my receipts"
    assert srv.api("POST", f"items/{item_id}/voting/close").status_code == 200
    expect(phone.locator("#result")).to_be_visible(timeout=WAIT)
    expect(phone.locator("#vote")).to_be_hidden()
    kept = phone.locator("#receipt-list .ph-rc")
    expect(kept).to_have_count(1)
    expect(kept.locator(".ph-rc-code")).to_have_text(code)
    expect(kept.locator(".ph-rc-item")).to_have_text(f"第 1 项 {ITEM['title']}")
    # and after a reload, and after the item leaves the screen
    assert srv.api("POST", f"meetings/{meeting_id}/clear").status_code == 200
    phone.reload()
    expect(phone.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=WAIT)
    expect(kept.locator(".ph-rc-code")).to_have_text(code)
    assert "dissatisfied" not in phone.evaluate("JSON.stringify(localStorage)")  # never the choice
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], width
    phone.screenshot(path=screenshot_path("phone-receipts.png"), full_page=True)

    # its link checks it on /verify (no login, phone-sized)
    kept.locator("a.ph-rc-check").tap()
    expect(phone).to_have_url(re.compile(r"/verify\?code=" + re.escape(code)))
    result = phone.locator("#verify-result")
    expect(result).to_have_attribute("data-result", "counted")
    expect(result).to_contain_text("已计入")
    expect(result).to_contain_text(ITEM["title"])
    expect(result).to_contain_text("第 1 轮")
    assert "不满意" not in phone.locator("main").inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], width
    phone.screenshot(path=screenshot_path("verify.png"), full_page=True)

    # typed by hand, in lower case with spaces, in English
    phone.goto(srv.url + "/verify?lang=en")
    phone.locator("#verify-code").fill(code.lower().replace("-", " "))
    phone.locator(".verify-form button[type=submit]").tap()
    expect(phone.locator("#verify-result")).to_have_attribute("data-result", "counted")
    expect(phone.locator("#verify-result")).to_contain_text("Counted")
    phone.locator("#verify-code").fill("AAAA-BBBB-CCCC")
    phone.locator(".verify-form button[type=submit]").tap()
    expect(phone.locator("#verify-result")).to_have_attribute("data-result", "not_found")

    # once published, the meeting's public page lists the receipt, linked to /verify
    assert srv.api("POST", f"meetings/{meeting_id}/finish").status_code == 200
    assert srv.api("POST", f"meetings/{meeting_id}/publish").status_code == 200
    public = watched(context.new_page())
    public.goto(f"{srv.url}/public/meetings/{meeting_id}?lang=zh")
    listed = public.locator(f'.receipt-list a[href="/verify?code={code}"]')
    expect(listed).to_have_text(code)
    public.screenshot(path=screenshot_path("public-receipts.png"), full_page=True)
    for page in (phone, public):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
