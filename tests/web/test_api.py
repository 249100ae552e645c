"""The HTTP API driven exactly as contract.md describes, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

from evalmeet.domain import clock
from evalmeet.extensions import db
from evalmeet.services.meetings import conduct
from evalmeet.services.voting import ballots as voting
from tests.conftest import both_databases
from tests.factories import BUYER, ballot, item_body

pytestmark = both_databases

ITEM = item_body("冶金焦炭采购", BUYER, prices=("1250000.00", "2100.00", "2350.00"), description="四季度焦炭")


def make_meeting(api, **extra):
    response = api.post("meetings", {"title": "第25次民主评价会", **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_reps(api, meeting_id, n):
    reps = []
    for i in range(n):
        r = api.post(
            f"meetings/{meeting_id}/representatives",
            {"name": f"代表{i}", "employee_no": f"E{i:03d}", "department": "炼铁厂"},
        )
        assert r.status_code == 201, r.get_json()
        reps.append(r.get_json())
    return reps


def join(client, rep):
    """A phone opens its join link."""
    response = client.get(f"/j/{rep['join_token']}")
    assert response.status_code == 302
    return response


def vote(app, rep_id, item_id, choice, key):
    with app.app_context():
        from evalmeet.models import Representative

        rep = db.session.get(Representative, rep_id)
        out = voting.cast_ballot(db.session, rep, ballot(item_id, choice, key)).value
        db.session.commit()
        return out.receipt


def test_create_meeting_defaults(api):
    body = make_meeting(api)
    assert body["status"] == "draft"
    assert body["scale"] == "three_level"
    assert body["pass_threshold"] == "2/3" and body["quorum"] == "2/3"
    assert body["published"] is False
    assert isinstance(body["id"], int)
    assert body["items"] == []
    again = api.get(f"meetings/{body['id']}").get_json()
    assert again["title"] == "第25次民主评价会"
    listed = api.get("meetings").get_json()
    assert isinstance(listed, list)
    assert [m["id"] for m in listed] == [body["id"]]


def test_create_meeting_with_options(api):
    body = make_meeting(
        api,
        scale="pass_fail",
        pass_threshold="1/2",
        quorum="3/4",
        scheduled_at="2026-12-01T09:00:00+08:00",
        location="三楼会议室",
    )
    assert (body["scale"], body["pass_threshold"], body["quorum"]) == ("pass_fail", "1/2", "3/4")
    assert body["location"] == "三楼会议室"
    assert body["scheduled_at"].startswith("2026-12-01T01:00")


def test_representative_has_join_token_and_url(api):
    meeting = make_meeting(api)
    rep = add_reps(api, meeting["id"], 1)[0]
    assert rep["name"] == "代表0" and rep["employee_no"] == "E000"
    assert len(rep["join_token"]) >= 22  # ≥ 128 bits in URL-safe base64
    assert rep["join_url"].endswith(f"/j/{rep['join_token']}")
    assert rep["join_url"].startswith("http")
    dup = api.post(f"meetings/{meeting['id']}/representatives", {"name": "x", "employee_no": "E000"})
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "duplicate_employee_no"


def test_item_risk_flags(api):
    meeting = make_meeting(api)
    r = api.post(f"meetings/{meeting['id']}/items", ITEM)
    assert r.status_code == 201
    item = r.get_json()
    assert item["status"] == "pending"
    codes = [f["code"] for f in item["risk_flags"]]
    assert codes == ["single_supplier", "single_source_above_threshold", "above_benchmark"]
    assert item["amount"] == "1250000.00"
    assert item["responsible_person"]["name"] == "王建国"
    clean = api.post(
        f"meetings/{meeting['id']}/items",
        {
            "title": "劳保用品",
            "responsible_person": {"name": "李梅"},
            "procurement_method": "tender",
            "supplier_count": 4,
            "amount": 52000,
        },
    ).get_json()
    assert clean["risk_flags"] == []
    # The responsible person is one registry entry across meetings.
    other = make_meeting(api, title="第26次")
    again = api.post(f"meetings/{other['id']}/items", ITEM).get_json()
    assert again["responsible_person"]["id"] == item["responsible_person"]["id"]


def test_full_meeting_flow(app, api, client):
    meeting = make_meeting(api)
    mid = meeting["id"]
    reps = add_reps(api, mid, 6)
    item = api.post(f"meetings/{mid}/items", ITEM).get_json()

    # Before the meeting is live, joining does not check in.
    join(client, reps[0])
    started = api.post(f"meetings/{mid}/start")
    assert started.status_code == 200 and started.get_json()["status"] == "live"
    assert api.post(f"meetings/{mid}/start").get_json()["error"]["code"] == "meeting_live"

    # 3 of 6 present: quorum (2/3 → 4) not met.
    for rep in reps[:3]:
        join(client, rep)
    refused = api.post(f"items/{item['id']}/voting/open")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "quorum_not_met"
    join(client, reps[3])
    join(client, reps[3])  # twice is still one attendance
    opened = api.post(f"items/{item['id']}/voting/open")
    assert opened.status_code == 200 and opened.get_json()["status"] == "voting"

    # While voting: no result, no receipts.
    assert api.get(f"items/{item['id']}/result").status_code == 409
    assert api.get(f"items/{item['id']}/receipts").status_code == 409

    receipts = [
        vote(app, reps[i]["id"], item["id"], choice, f"key-{i}-0123456789abcdef")
        for i, choice in enumerate(["satisfied", "satisfied", "basically_satisfied", "dissatisfied"])
    ]
    closed = api.post(f"items/{item['id']}/voting/close")
    assert closed.status_code == 200
    result = closed.get_json()
    assert result["item_id"] == item["id"]
    assert result["scale"] == "three_level"
    assert result["counts"] == {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}
    assert result["ballots"] == 4 and result["present"] == 4
    assert Fraction(result["satisfaction"]) == Fraction(3, 4)
    assert result["passed"] is True
    assert api.get(f"items/{item['id']}/result").get_json() == result
    assert api.get(f"items/{item['id']}").get_json()["status"] == "passed"
    # the list is for logged-in users until the meeting is published; a code anyone can check
    anonymous = client.get(f"/api/v1/items/{item['id']}/receipts")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    assert api.get(f"items/{item['id']}/receipts").get_json() == {
        "item_id": item["id"],
        "receipts": sorted(receipts),
    }
    for receipt in receipts:
        checked = client.get(f"/api/v1/receipts/{receipt.lower().replace('-', ' ')}").get_json()
        assert checked == {"receipt": receipt, "item_id": item["id"], "round": 1, "counted": True}
    assert client.get("/api/v1/receipts/AAAA-BBBB-CCCC").get_json()["error"]["code"] == "receipt_not_found"
    assert api.post(f"items/{item['id']}/voting/close").get_json()["error"]["code"] == "voting_closed"

    action = api.post(
        f"items/{item['id']}/actions",
        {
            "kind": "rectification",
            "description": "补充询价，三家以上供应商比价",
            "owner": "供应处",
            "due_date": (clock.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert action.status_code == 201
    act = action.get_json()
    assert act["status"] == "open" and act["kind"] == "rectification"
    moved = api.patch(f"actions/{act['id']}", {"status": "in_progress", "note": "已发询价函"})
    assert moved.status_code == 200 and moved.get_json()["status"] == "in_progress"
    assert moved.get_json()["history"][-1]["note"] == "已发询价函"
    skip = api.patch(f"actions/{act['id']}", {"status": "verified"})
    assert skip.status_code == 409 and skip.get_json()["error"]["code"] == "invalid_transition"

    finished = api.post(f"meetings/{mid}/finish")
    assert finished.status_code == 200 and finished.get_json()["status"] == "closed"
    published = api.post(f"meetings/{mid}/publish")
    assert published.status_code == 200 and published.get_json()["published"] is True
    assert "第25次民主评价会" in client.get("/public").get_data(as_text=True)
    public = client.get(f"/api/v1/items/{item['id']}/receipts").get_json()
    assert public == {"item_id": item["id"], "receipts": sorted(receipts)}


def test_stats_follow_the_definitions(app, api, client):
    # Meeting A: closed, 3 present of 4, two items: one passes, one fails with discipline.
    a = make_meeting(api, title="A")
    reps = add_reps(api, a["id"], 4)
    i1 = api.post(f"meetings/{a['id']}/items", ITEM).get_json()
    i2 = api.post(f"meetings/{a['id']}/items", {**ITEM, "title": "耐火材料"}).get_json()
    api.post(f"meetings/{a['id']}/start")
    for rep in reps[:3]:
        join(client, rep)
    api.post(f"items/{i1['id']}/voting/open")
    for n, rep in enumerate(reps[:3]):
        vote(app, rep["id"], i1["id"], "satisfied", f"a1-{n}-0123456789abcdef")
    api.post(f"items/{i1['id']}/voting/close")
    api.post(f"items/{i2['id']}/voting/open")
    for n, rep in enumerate(reps[:3]):
        vote(app, rep["id"], i2["id"], "dissatisfied", f"a2-{n}-0123456789abcdef")
    assert api.post(f"items/{i2['id']}/voting/close").get_json()["passed"] is False
    past = (clock.today() - timedelta(days=3)).isoformat()
    api.post(f"items/{i2['id']}/actions", {"kind": "party_discipline", "description": "党内警告"})
    api.post(f"items/{i2['id']}/actions", {"kind": "reassignment", "description": "调离", "due_date": past})
    overdue = api.post(
        f"items/{i2['id']}/actions", {"kind": "rectification", "description": "整改", "due_date": past}
    ).get_json()
    done = api.post(f"items/{i2['id']}/actions", {"kind": "retender", "description": "重新招标"}).get_json()
    api.patch(f"actions/{done['id']}", {"status": "done"})
    api.post(f"meetings/{a['id']}/finish")

    # Meeting B: still live; must not count.
    b = make_meeting(api, title="B")
    add_reps(api, b["id"], 2)
    api.post(f"meetings/{b['id']}/start")

    stats = api.get("stats").get_json()
    assert stats == {
        "meetings": 1,
        "attendances": 3,
        "items": 2,
        "items_passed": 1,
        "items_failed": 1,
        "people_disciplined": 1,  # one responsible person, two sanctions
        "actions_open": 3,
        "actions_overdue": 2,
        "appeals_pending": 0,
        "savings": "0.00",
    }
    assert overdue["overdue"] is True


def test_marking_present_by_hand_counts(app, api, client):
    meeting = make_meeting(api, quorum="1/1")
    reps = add_reps(api, meeting["id"], 2)
    item = api.post(f"meetings/{meeting['id']}/items", ITEM).get_json()
    api.post(f"meetings/{meeting['id']}/start")
    join(client, reps[0])
    assert api.post(f"items/{item['id']}/voting/open").status_code == 409
    marked = api.patch(f"representatives/{reps[1]['id']}", {"present": True})
    assert marked.status_code == 200 and marked.get_json()["present"] is True
    assert api.post(f"items/{item['id']}/voting/open").status_code == 200


def test_finish_refused_while_voting(api, client):
    meeting = make_meeting(api, quorum="1/2")
    reps = add_reps(api, meeting["id"], 2)
    item = api.post(f"meetings/{meeting['id']}/items", ITEM).get_json()
    api.post(f"meetings/{meeting['id']}/start")
    join(client, reps[0])
    api.post(f"items/{item['id']}/voting/open")
    r = api.post(f"meetings/{meeting['id']}/finish")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "voting_open"


def test_publish_needs_a_closed_meeting(api):
    meeting = make_meeting(api)
    r = api.post(f"meetings/{meeting['id']}/publish")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "meeting_draft"


def test_openapi_document_lists_the_contract(anon_api):
    doc = anon_api.get("openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": "/api/v1"}]
    for path in [
        "/meetings",
        "/meetings/{meeting_id}",
        "/meetings/{meeting_id}/representatives",
        "/meetings/{meeting_id}/items",
        "/meetings/{meeting_id}/start",
        "/items/{item_id}/voting/open",
        "/items/{item_id}/voting/close",
        "/items/{item_id}/result",
        "/items/{item_id}/actions",
        "/actions/{action_id}",
        "/meetings/{meeting_id}/finish",
        "/items/{item_id}/receipts",
        "/receipts/{code}",
        "/meetings/{meeting_id}/publish",
        "/stats",
    ]:
        assert path in doc["paths"], path


def test_every_documented_route_exists(app, anon_api):
    doc = anon_api.get("openapi.json").get_json()
    adapter = app.url_map.bind("localhost")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            # a path parameter with choices (``{fmt}``: xlsx or csv) takes its first one, ids take 1
            values = {
                p["name"]: str(p.get("schema", {}).get("enum", [1])[0])
                for p in op.get("parameters", [])
                if p["in"] == "path"
            }
            concrete = "/api/v1" + re.sub(
                r"\{([a-z_]+)\}", lambda m, given=values: given.get(m.group(1), "1"), path
            )
            endpoint, _args = adapter.match(concrete, method=method.upper())
            assert endpoint.split(".")[0] in ("api", "exports"), (path, method, endpoint)


# --- authentication and roles -----------------------------------------------------------------


def test_no_credentials_is_401(anon_api):
    for method, path in [("GET", "meetings"), ("POST", "meetings"), ("GET", "stats"), ("GET", "meetings/1")]:
        r = anon_api.request(method, path, json={"title": "x"})
        assert r.status_code == 401, (method, path)
        assert r.get_json()["error"]["code"] == "unauthorized"


def test_bad_token_is_401(app):
    from tests.conftest import ApiClient

    bad = ApiClient(app.test_client(), "em_not-a-real-token")
    assert bad.get("meetings").status_code == 401


def test_viewer_reads_but_cannot_write(api, viewer_api):
    meeting = make_meeting(api)
    assert viewer_api.get(f"meetings/{meeting['id']}").status_code == 200
    assert viewer_api.get("stats").status_code == 200
    for method, path in [
        ("POST", "meetings"),
        ("POST", f"meetings/{meeting['id']}/start"),
        ("POST", f"meetings/{meeting['id']}/representatives"),
        ("GET", f"meetings/{meeting['id']}/representatives"),
    ]:
        r = viewer_api.request(method, path, json={"title": "x", "name": "n", "employee_no": "1"})
        assert r.status_code == 403, (method, path)
        assert r.get_json()["error"]["code"] == "forbidden"
    assert api.get(f"meetings/{meeting['id']}").get_json()["status"] == "draft"


def test_session_auth_needs_csrf_for_writes(app, login):
    client = login("moderator")
    assert client.get("/api/v1/meetings").status_code == 200
    no_csrf = client.post("/api/v1/meetings", json={"title": "x"})
    assert no_csrf.status_code == 400
    assert no_csrf.get_json()["error"]["code"] == "csrf_failed"
    from tests.conftest import csrf_token

    token = csrf_token(client)
    ok = client.post("/api/v1/meetings", json={"title": "x"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201


def test_join_link_unknown_token_is_404(client):
    r = client.get("/j/this-token-does-not-exist-at-all", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "Traceback" not in r.get_data(as_text=True)


def test_revoked_join_link_stops_working(api, client):
    meeting = make_meeting(api)
    rep = add_reps(api, meeting["id"], 1)[0]
    assert api.patch(f"representatives/{rep['id']}", {"revoked": True}).status_code == 200
    assert client.get(f"/j/{rep['join_token']}").status_code == 404


def test_check_in_via_join_link_records_presence(app, api, client):
    meeting = make_meeting(api)
    rep = add_reps(api, meeting["id"], 1)[0]
    api.post(f"meetings/{meeting['id']}/start")
    join(client, rep)
    with app.app_context():
        r = conduct.representative_by_token(db.session, rep["join_token"])
        assert r.present and r.checked_in_by == "link" and r.checked_in_at is not None
