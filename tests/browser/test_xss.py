"""Script in any text field is shown as text, in a real browser, on every screen that shows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import socketio

from tests.server import MODERATOR, MODERATOR_PASSWORD, LiveServer, live_server

pytestmark = [pytest.mark.browser, pytest.mark.server]
PAYLOAD = '<img src=x onerror="window.__xss=1">"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("xss")) as server:
        yield server


def test_payloads_render_as_text_on_phone_projector_console_and_archive(srv, chromium, phone_context):
    meeting = srv.api(
        "POST", "meetings", {"title": "会 " + PAYLOAD, "location": PAYLOAD, "quorum": "1/2"}
    ).json()
    rep = srv.api(
        "POST", f"meetings/{meeting['id']}/representatives", {"name": "代表" + PAYLOAD, "employee_no": "1"}
    ).json()
    item = srv.api(
        "POST",
        f"meetings/{meeting['id']}/items",
        {
            "title": "项目" + PAYLOAD,
            "description": PAYLOAD,
            "responsible_person": {"name": PAYLOAD, "department": PAYLOAD},
        },
    ).json()
    srv.api("POST", f"meetings/{meeting['id']}/start")
    srv.api("POST", f"items/{item['id']}/present")
    phone = socketio.Client(reconnection=False)
    phone.connect(srv.url, namespaces=["/live"], auth={"token": rep["join_token"]}, transports=["websocket"])
    asked = phone.call(
        "ask_question", {"item_id": item["id"], "text": "问 " + PAYLOAD}, namespace="/live", timeout=10
    )
    phone.disconnect()
    assert asked["ok"], asked
    srv.api("PATCH", f"questions/{asked['question_id']}", {"status": "approved", "answer": PAYLOAD})

    pages = []
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    login = context.new_page()
    login.goto(srv.url + "/login")
    login.fill("input[name=username]", MODERATOR)
    login.fill("input[name=password]", MODERATOR_PASSWORD)
    login.click("button[type=submit]")
    for path in [
        f"/meetings/{meeting['id']}",
        f"/meetings/{meeting['id']}/console",
        f"/meetings/{meeting['id']}/slips",
    ]:
        page = context.new_page()
        page.goto(srv.url + path)
        pages.append(page)
    projector_href = pages[0].get_attribute("a[href^='/screen/']", "href")
    assert projector_href
    projector = chromium.new_page(viewport={"width": 1280, "height": 720})
    projector.goto(srv.url + projector_href)
    pages.append(projector)
    phone_page = phone_context().new_page()
    phone_page.goto(rep["join_url"])
    pages.append(phone_page)
    for page in pages:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # let the live channel render its snapshot
        assert page.evaluate("window.__xss === undefined"), page.url
        assert "<script>window.__xss=2</script>" in page.inner_text("body"), page.url
    projector.close()
    context.close()
