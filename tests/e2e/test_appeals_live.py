"""Appeals through the real server (`evalmeet serve`), on SQLite and on PostgreSQL: filing,
the refusals by code, deciding, the deadline by EVALMEET_APPEAL_DAYS, and /api/v1/stats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evalmeet.domain import clock
from tests.server import live_server

pytestmark = pytest.mark.server


@pytest.fixture
def server_env(database_env):
    return {"EVALMEET_APPEAL_DAYS": "10", **database_env}


def closed_meeting_with_sanctions(srv):
    meeting = srv.api("POST", "meetings", {"title": "申诉测试会", "quorum": "1/3"}).json()
    items = [
        srv.api(
            "POST",
            f"meetings/{meeting['id']}/items",
            {"title": title, "responsible_person": {"name": name, "department": "供应处"}},
        ).json()
        for title, name in (("焦炭采购", "王建国"), ("耐火材料", "李明"))
    ]
    srv.api("POST", f"meetings/{meeting['id']}/representatives", {"name": "代表1", "employee_no": "E1"})
    assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200

    def action(item, kind):
        made = srv.api("POST", f"items/{item['id']}/actions", {"kind": kind, "description": "处理决定"})
        assert made.status_code == 201, made.text
        return made.json()

    made = {
        "discipline": action(items[0], "party_discipline"),
        "reassignment": action(items[1], "reassignment"),
        "warning": action(items[1], "warning"),
        "rectification": action(items[0], "rectification"),
    }
    assert srv.api("POST", f"meetings/{meeting['id']}/finish").status_code == 200
    return meeting, made


def test_appeals_through_the_real_server(tmp_path, server_env):
    with live_server(tmp_path, env=server_env) as srv:
        _meeting, made = closed_meeting_with_sanctions(srv)
        assert srv.api("GET", "stats").json()["people_disciplined"] == 2

        filed = srv.api("POST", f"actions/{made['discipline']['id']}/appeals", {"statement": "处分过重"})
        assert filed.status_code == 201, filed.text
        appeal = filed.json()
        assert appeal["action_id"] == made["discipline"]["id"]
        assert (appeal["status"], appeal["statement"]) == ("pending", "处分过重")
        assert appeal["filed_on"] == clock.today().isoformat()
        assert appeal["deadline"] == (clock.today() + timedelta(days=10)).isoformat()

        again = srv.api("POST", f"actions/{made['discipline']['id']}/appeals", {"statement": "再次申诉"})
        assert (again.status_code, again.json()["error"]["code"]) == (409, "appeal_pending")
        other = srv.api("POST", f"actions/{made['rectification']['id']}/appeals", {"statement": "不服"})
        assert (other.status_code, other.json()["error"]["code"]) == (409, "appeal_not_allowed")
        late_day = (clock.today() + timedelta(days=11)).isoformat()
        late = srv.api(
            "POST", f"actions/{made['warning']['id']}/appeals", {"statement": "逾期", "filed_on": late_day}
        )
        assert (late.status_code, late.json()["error"]["code"]) == (409, "appeal_too_late")
        assert "申诉" in late.json()["error"]["message"]
        last_day = (clock.today() + timedelta(days=10)).isoformat()
        on_time = srv.api(
            "POST", f"actions/{made['warning']['id']}/appeals", {"statement": "按期", "filed_on": last_day}
        )
        assert on_time.status_code == 201, on_time.text
        bad = srv.api("POST", f"actions/{made['warning']['id']}/appeals", {"filed_on": "明天"})
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_error")
        missing = srv.api("POST", "actions/99999/appeals", {"statement": "x"})
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "action_not_found")

        stats = srv.api("GET", "stats").json()
        assert (stats["people_disciplined"], stats["appeals_pending"]) == (2, 2)

        reassign = srv.api("POST", f"actions/{made['reassignment']['id']}/appeals", {"statement": "不服调岗"})
        modified = srv.api(
            "PATCH", f"appeals/{reassign.json()['id']}", {"decision": "modified", "reason": "改为警告"}
        )
        assert modified.status_code == 200, modified.text
        assert (modified.json()["status"], modified.json()["reason"]) == ("modified", "改为警告")
        assert srv.api("GET", "stats").json()["people_disciplined"] == 2  # modified still counts

        overturned = srv.api(
            "PATCH", f"appeals/{appeal['id']}", {"decision": "overturned", "reason": "证据不足"}
        )
        assert overturned.status_code == 200 and overturned.json()["status"] == "overturned"
        twice = srv.api("PATCH", f"appeals/{appeal['id']}", {"decision": "upheld", "reason": "x"})
        assert (twice.status_code, twice.json()["error"]["code"]) == (409, "appeal_decided")
        wrong = srv.api("PATCH", f"appeals/{on_time.json()['id']}", {"decision": "pending", "reason": "x"})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "validation_error")
        unknown = srv.api("PATCH", "appeals/99999", {"decision": "upheld", "reason": "x"})
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "appeal_not_found")

        stats = srv.api("GET", "stats").json()
        assert (stats["people_disciplined"], stats["appeals_pending"]) == (1, 1)
        listed = srv.api("GET", f"actions/{made['discipline']['id']}/appeals").json()
        assert [a["status"] for a in listed["appeals"]] == ["overturned"]
        assert srv.api("GET", f"appeals/{appeal['id']}").json()["decision"] == "overturned"
        assert "Traceback" not in srv.log(), srv.log()
