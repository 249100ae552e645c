"""The phone's pages over HTTP: the join link, the voting page, the no-session page, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from evalmeet.extensions import db
from evalmeet.models import Representative
from evalmeet.services.meetings import roster
from evalmeet.static_build import BUNDLES
from tests.static_names import static


def json_block(html: str, element_id: str) -> dict:
    """The JSON data block ``<script type="application/json" id=...>`` of a page."""
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no {element_id} block"
    return json.loads(match.group(1))


def test_join_link_checks_in_and_leads_to_the_phone_page(app, session, plain_meeting):
    meeting = plain_meeting(reps=2, items=1, present=0)
    rep = meeting.reps[0]
    browser = app.test_client()

    response = browser.get(f"/j/{rep.join_token}")

    assert response.status_code == 302 and response.headers["Location"].endswith("/phone")
    db.session.remove()
    assert db.session.get(Representative, rep.id).checked_in_by == "link"
    page = browser.get("/phone")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "第一次采购评价会" in html and "代表1" in html
    # over factory Wi-Fi: one stylesheet and one script (the bundles of static_build.BUNDLES),
    # and early.js first of all, before the stylesheet, in the page itself
    assert re.findall(r'<script src="([^"]+)"', html) == [static("bundles/phone.js")]
    assert html.index("<script>") < html.index("EvalmeetEarly") < html.index(static("bundles/phone.css"))
    assert static("css/app.css") not in html and static("css/phone.css") not in html
    assert BUNDLES["bundles/phone.js"] == (
        "vendor/socket.io.min.js",
        "js/live.js",
        "js/countdown.js",
        "js/phone.js",
    )
    assert BUNDLES["bundles/phone.css"] == ("css/base.css", "css/phone.css", "css/countdown.css")
    # CSP: the one inline script is early.js, allowed by its hash and nothing wider
    (inline,) = re.findall(r"<script>(.+?)</script>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    policy = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in policy and "unsafe-inline" not in policy
    boot = json_block(html, "phone-boot")
    assert boot["lang"] == "zh"
    assert boot["rep"] == {"id": rep.id, "name": "代表1"}
    assert boot["state"]["me"]["present"] is True
    assert boot["state"]["meeting"]["id"] == meeting.id
    strings = json_block(html, "phone-strings")
    assert strings["connected"] == "已连接"
    assert strings["reconnecting"] == "连接已断开，正在重新连接…"
    assert strings["choices"] == {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
        "pass": "通过",
        "fail": "不通过",
        "excellent": "优秀",
        "competent": "称职",
        "basically_competent": "基本称职",
        "incompetent": "不称职",
    }
    assert strings["progress"] == "出席 {present} 人中已有 {ballots} 人投票"
    assert 'class="site-nav"' not in html  # the site navigation is hidden on the phone


def test_phone_page_in_english(app, session, plain_meeting):
    meeting = plain_meeting(reps=1, items=1)
    browser = app.test_client()
    browser.get(f"/j/{meeting.reps[0].join_token}")
    html = browser.get("/phone?lang=en").get_data(as_text=True)
    strings = json_block(html, "phone-strings")
    assert strings["connected"] == "Connected"
    assert strings["choices"]["basically_satisfied"] == "Basically satisfied"
    assert json_block(html, "phone-boot")["lang"] == "en"
    assert "Confirm and send" in html
    # the language sticks (cookie)
    assert json_block(browser.get("/phone").get_data(as_text=True), "phone-boot")["lang"] == "en"


def test_phone_without_a_session_is_told_to_scan_the_qr_code(app, client):
    response = client.get("/phone")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "请扫描入场凭条上的二维码" in html
    assert "phone-boot" not in html


def test_unknown_join_link_is_a_404_page_not_json(app, client):
    response = client.get("/j/" + "z" * 32, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "此入场链接无效" in html and "invalid_token" in html and "Traceback" not in html
    assert static("bundles/phone.css") in html
    assert client.get("/j/short").status_code == 404
    as_json = client.get("/j/" + "z" * 32, headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.get_json()["error"]["code"] == "invalid_token"


def test_revoked_link_and_stale_phone_session(app, session, plain_meeting):
    meeting = plain_meeting(reps=1, items=1)
    rep = meeting.reps[0]
    browser = app.test_client()
    browser.get(f"/j/{rep.join_token}")
    roster.revoke_representative(db.session, rep.id, "test")
    db.session.commit()
    stale = browser.get("/phone")
    assert stale.status_code == 404 and stale.mimetype == "text/html"
    assert "此入场链接无效" in stale.get_data(as_text=True)
    # the dead token was dropped from the session: next time the phone is told to scan
    assert "请扫描入场凭条上的二维码" in browser.get("/phone").get_data(as_text=True)
    assert browser.get(f"/j/{rep.join_token}").status_code == 404
