"""Corrections after close, and the appeal and correction pages, through the real server
(`evalmeet serve`) on SQLite and on PostgreSQL: the API by code, the audit chain checked by
`evalmeet audit verify`, and the forms as a browser posts them (login, CSRF token)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from evalmeet.domain import clock
from tests.helpers_login import form_login
from tests.server import live_server

pytestmark = pytest.mark.server
ADMIN_PASSWORD = "admin horse battery staple"


def finished_meeting(srv):
    meeting = srv.api("POST", "meetings", {"title": "第九次评价会议", "quorum": "1/3"}).json()
    item = srv.api(
        "POST",
        f"meetings/{meeting['id']}/items",
        {"title": "焦碳采购", "responsible_person": {"name": "王建囯", "department": "供应处"}},
    ).json()
    rep = srv.api(
        "POST", f"meetings/{meeting['id']}/representatives", {"name": "张叁", "employee_no": "E1"}
    ).json()
    assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200
    assert srv.api("POST", f"meetings/{meeting['id']}/finish").status_code == 200
    return meeting, item, rep


def as_admin(srv, token):
    def call(method, path, json=None):
        return srv.api(method, path, json, headers={"Authorization": f"Bearer {token}"})

    return call


def test_corrections_through_the_real_server(tmp_path, database_env):
    with live_server(tmp_path, env=database_env) as srv:
        admin = as_admin(srv, srv.create_user("root", "admin", ADMIN_PASSWORD))
        meeting, item, rep = finished_meeting(srv)
        mid = meeting["id"]

        def correct(body, caller=admin):
            return caller("POST", f"meetings/{mid}/corrections", {"reason": "录入笔误", **body})

        made = correct({"target": "item", "target_id": item["id"], "field": "title", "value": "焦炭采购"})
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["old_value"], body["new_value"], body["author"]) == ("焦碳采购", "焦炭采购", "root")
        assert correct({"target": "meeting", "field": "title", "value": "第九次评价会"}).status_code == 201
        person = {"target": "responsible_person", "target_id": item["responsible_person"]["id"]}
        assert correct({**person, "field": "name", "value": "王建国"}).status_code == 201
        fixed = {"target": "representative", "target_id": rep["id"], "field": "name", "value": "张三"}
        assert correct(fixed).status_code == 201

        detail = srv.api("GET", f"meetings/{mid}").json()
        assert detail["title"] == "第九次评价会"
        assert detail["items"][0]["title"] == "焦炭采购"
        assert detail["items"][0]["responsible_person"]["name"] == "王建国"
        history = srv.api("GET", f"meetings/{mid}/corrections").json()["corrections"]
        assert [(c["target"], c["field"]) for c in history] == [
            ("item", "title"),
            ("meeting", "title"),
            ("responsible_person", "name"),
            ("representative", "name"),
        ]

        for refused_body, status, code in (
            (
                {"target": "item", "target_id": item["id"], "field": "status", "value": "passed"},
                409,
                "not_correctable",
            ),
            (
                {"target": "representative", "target_id": rep["id"], "field": "present", "value": "false"},
                409,
                "not_correctable",
            ),
            (
                {"target": "ballot", "target_id": 1, "field": "choice", "value": "pass"},
                409,
                "not_correctable",
            ),
            (
                {"target": "item", "target_id": 99999, "field": "title", "value": "x"},
                404,
                "correction_target_not_found",
            ),
            (
                {"target": "item", "target_id": item["id"], "field": "title", "value": ""},
                422,
                "validation_error",
            ),
        ):
            refused = correct(refused_body)
            assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), refused.text
        no_reason = admin(
            "POST", f"meetings/{mid}/corrections", {"target": "meeting", "field": "title", "value": "y"}
        )
        assert no_reason.status_code == 422 and no_reason.json()["error"]["details"]["field"] == "reason"
        by_moderator = correct({"target": "meeting", "field": "title", "value": "改名"}, caller=srv.api)
        assert (by_moderator.status_code, by_moderator.json()["error"]["code"]) == (403, "forbidden")
        assert srv.api("GET", f"meetings/{mid}").json()["title"] == "第九次评价会"

        draft = srv.api("POST", "meetings", {"title": "草稿会"}).json()
        early = admin(
            "POST",
            f"meetings/{draft['id']}/corrections",
            {"target": "meeting", "field": "title", "value": "x", "reason": "r"},
        )
        assert (early.status_code, early.json()["error"]["code"]) == (409, "meeting_draft")

        srv.cli("audit", "verify")  # exits non-zero (and raises here) when a hash does not match
        assert "Traceback" not in srv.log(), srv.log()


def form_post(browser, srv, page_path, action, fields):
    """Post a form of ``page_path`` as a browser does: its CSRF token and the typed fields."""
    page = browser.get(f"{srv.url}{page_path}", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return browser.post(
        f"{srv.url}{action}", data={**fields, "csrf_token": token}, allow_redirects=False, timeout=30
    )


def test_the_appeal_and_correction_pages_through_the_real_server(tmp_path, database_env):
    with live_server(tmp_path, env=database_env) as srv:
        srv.create_user("root", "admin", ADMIN_PASSWORD, token=False)
        meeting, item, _rep = finished_meeting(srv)
        action = srv.api(
            "POST",
            f"items/{item['id']}/actions",
            {"kind": "administrative_discipline", "description": "记过"},
        ).json()
        browser = form_login(srv, "root", ADMIN_PASSWORD, timeout=30)

        path = f"/actions/{action['id']}"
        deadline = (clock.today() + timedelta(days=15)).isoformat()
        assert f"可在 {deadline} 前提出申诉" in browser.get(f"{srv.url}{path}", timeout=30).text
        late = (clock.today() + timedelta(days=20)).isoformat()
        refused = form_post(browser, srv, path, f"{path}/appeals", {"statement": "逾期", "filed_on": late})
        assert refused.status_code == 409 and "已超过申诉期限" in refused.text
        filed = form_post(browser, srv, path, f"{path}/appeals", {"statement": "事实不清", "filed_on": ""})
        assert filed.status_code == 302
        appeal_id = srv.api("GET", f"actions/{action['id']}/appeals").json()["appeals"][0]["id"]
        decided = form_post(
            browser, srv, path, f"/appeals/{appeal_id}/decision", {"decision": "upheld", "reason": "事实清楚"}
        )
        assert decided.status_code == 302
        page = browser.get(f"{srv.url}{path}", timeout=30).text
        assert "维持原处理" in page and "事实清楚" in page
        person = browser.get(f"{srv.url}/archive/people/{item['responsible_person']['id']}", timeout=30).text
        assert "维持原处理" in person and "事实不清" in person

        meeting_path = f"/meetings/{meeting['id']}"
        saved = form_post(
            browser,
            srv,
            meeting_path,
            f"{meeting_path}/corrections",
            {"what": f"item:{item['id']}:title", "value": "焦炭采购", "reason": "错别字"},
        )
        assert saved.status_code == 302, saved.text[:1000]
        for shown in (meeting_path, f"/archive/meetings/{meeting['id']}"):
            html = browser.get(f"{srv.url}{shown}", timeout=30).text
            assert 'class="revision-old">焦碳采购<' in html and "错别字" in html
        pdf = srv.api("GET", f"meetings/{meeting['id']}/minutes.pdf")
        assert pdf.status_code == 200
        assert "Traceback" not in srv.log(), srv.log()
