"""A join link opened on a second phone shows on the projector; the same phone reloading does
not (Chromium contexts as phones, the real server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot_path
from tests.e2e.test_live_meeting import display_token, setup_meeting
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:
    with live_server(tmp_path) as srv:
        yield srv


def test_a_second_device_raises_a_notice_on_the_projector(server, chromium, phone_context):
    meeting_id, roster, _items = setup_meeting(server, reps=3)
    projector = chromium.new_page(viewport={"width": 1280, "height": 720})
    projector.goto(f"{server.url}/screen/{display_token(server, meeting_id)}")
    expect(projector.locator("#projector[data-ready='1']")).to_have_count(1)
    alerts = projector.locator("#pj-alerts li")

    own_phone = phone_context().new_page()
    own_phone.goto(f"{server.url}/j/{roster[0]['join_token']}")
    expect(own_phone.locator("#conn-text")).to_be_visible()
    own_phone.wait_for_function("document.body.innerText.length > 0")
    own_phone.reload()  # the same phone again (its device id is kept): no notice
    own_phone.wait_for_timeout(800)
    expect(alerts).to_have_count(0)

    other_phone = phone_context().new_page()
    other_phone.goto(f"{server.url}/j/{roster[0]['join_token']}")
    expect(alerts).to_have_count(1, timeout=10_000)
    expect(alerts.first).to_contain_text(roster[0]["name"])
    expect(alerts.first).to_contain_text("另一台设备")
    projector.screenshot(path=screenshot_path("projector-alert.png"))
