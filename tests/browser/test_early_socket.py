"""early.js in headless Chromium against the real server: the phone opens its WebSocket before the
page's scripts arrive, and the Socket.IO client takes that socket — one WebSocket per page, not
two — then votes over it. A phone whose early socket failed still connects with a new one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.test_phone import TIMEOUT, new_meeting
from tests.server import LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("early")) as server:
        yield server


def test_the_client_takes_the_socket_early_js_opened(srv, phone_context):
    _meeting, roster, item_id = new_meeting(srv, "早连接")
    page = phone_context().new_page()
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{srv.url}/j/{roster[0]['join_token']}")
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    lb = page.evaluate("window.EvalmeetEarly.lb")
    assert len(sockets) == 1, sockets
    assert re.search(rf"[?&]lb={lb}&EIO=4&transport=websocket", sockets[0]), sockets
    # the adopted socket carries the meeting: the vote opens on it, and the ballot goes over it
    assert requests.get(roster[1]["join_url"], timeout=10).status_code == 200  # the quorum
    assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
    page.locator('.ph-choice[data-choice="satisfied"]').click(timeout=TIMEOUT)
    page.locator("#confirm-yes").click()
    expect(page.locator("#receipt")).to_have_text(re.compile(r"^[A-Z2-7]{4}-"), timeout=TIMEOUT)
    closed = srv.api("POST", f"items/{item_id}/voting/close")
    assert closed.status_code == 200 and closed.json()["counts"]["satisfied"] == 1, closed.text
    assert len(sockets) == 1, sockets


def test_a_failed_early_socket_gives_way_to_a_new_one(srv, phone_context):
    _meeting, roster, _item = new_meeting(srv, "早连接失败")
    context = phone_context()
    # the first WebSocket the page opens (early.js's) is refused at the network
    refused = {"n": 0}

    def route(ws):
        if refused["n"] == 0:
            refused["n"] += 1
            ws.close()
        else:
            ws.connect_to_server()

    context.route_web_socket(re.compile(r"/socket\.io/"), route)
    page = context.new_page()
    page.goto(f"{srv.url}/j/{roster[1]['join_token']}")
    expect(page.locator("#conn")).to_have_attribute("data-conn", "connected", timeout=TIMEOUT)
    assert refused["n"] == 1
