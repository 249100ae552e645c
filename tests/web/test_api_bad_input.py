"""Bad input to every endpoint answers a 4xx with a code and a message — never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalmeet.extensions import db
from evalmeet.models import Meeting
from tests.conftest import both_databases

HUGE = "长" * 100_000


def assert_error(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:200]
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert body["error"]["code"] == body["error"]["code"].lower()
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]


@pytest.fixture
def world(api):
    """A draft meeting with one rep and one item, plus a live one and a closed one."""
    draft = api.post("meetings", {"title": "draft"}).get_json()
    rep = api.post(f"meetings/{draft['id']}/representatives", {"name": "a", "employee_no": "1"}).get_json()
    item = api.post(
        f"meetings/{draft['id']}/items", {"title": "i", "responsible_person": {"name": "p"}}
    ).get_json()
    action = api.post(f"items/{item['id']}/actions", {"kind": "other", "description": "d"}).get_json()
    return {"meeting": draft["id"], "rep": rep["id"], "item": item["id"], "action": action["id"]}


ENDPOINTS = [
    ("POST", "meetings"),
    ("PATCH", "meetings/{meeting}"),
    ("POST", "meetings/{meeting}/representatives"),
    ("POST", "meetings/{meeting}/items"),
    ("PATCH", "items/{item}"),
    ("POST", "items/{item}/actions"),
    ("PATCH", "actions/{action}"),
    ("PATCH", "representatives/{rep}"),
    ("PUT", "meetings/{meeting}/items/order"),
    ("POST", "items/{item}/revote"),
    ("PATCH", "questions/{item}"),
]

BAD_BODIES = [
    None,
    [],
    ["title"],
    "a string",
    42,
    {"title": None},
    {"title": 12},
    {"title": HUGE},
    {"title": ""},
    {"title": "  "},
    {"title": ["x"]},
    {"title": {"x": 1}},
    {"name": HUGE, "employee_no": "1"},
    {"name": "n", "employee_no": None},
    {"title": "t", "responsible_person": "王"},
    {"title": "t", "responsible_person": {"name": ""}},
    {"title": "t", "responsible_person": {"name": "p"}, "amount": "abc"},
    {"title": "t", "responsible_person": {"name": "p"}, "amount": -5},
    {"title": "t", "responsible_person": {"name": "p"}, "amount": "1e400"},
    {"title": "t", "responsible_person": {"name": "p"}, "amount": "NaN"},
    {"title": "t", "responsible_person": {"name": "p"}, "amount": "1.234"},
    {"title": "t", "responsible_person": {"name": "p"}, "supplier_count": "many"},
    {"title": "t", "responsible_person": {"name": "p"}, "supplier_count": -1},
    {"title": "t", "responsible_person": {"name": "p"}, "supplier_count": 10**30},
    {"title": "t", "responsible_person": {"name": "p"}, "supplier_count": True},
    {"title": "t", "responsible_person": {"name": "p"}, "procurement_method": "bribe"},
    {"title": "t", "scale": "five_star"},
    {"title": "t", "pass_threshold": "0.67"},
    {"title": "t", "pass_threshold": 0.67},
    {"title": "t", "quorum": "3/2"},
    {"title": "t", "quorum": "0/5"},
    {"title": "t", "scheduled_at": "yesterday"},
    {"title": "t", "scheduled_at": 1234},
    {"kind": "execution", "description": "d"},
    {"kind": "warning", "description": ""},
    {"kind": "warning", "description": "d", "due_date": "31/12/2026"},
    {"kind": "warning", "description": "d", "due_date": "2026-02-30"},
    {"status": "closed"},
    {"status": 3},
    {"status": "verified"},
    {"present": "yes"},
    {"order": "1,2"},
    {"order": [1, 1]},
    {"order": [999999]},
    {"reason": ""},
    {"reason": HUGE},
    {"title": "t\x00"},
]


@both_databases
def test_every_endpoint_refuses_bad_bodies(api, world):
    for method, template in ENDPOINTS:
        path = template.format(**world)
        for body in BAD_BODIES:
            response = api.request(method, path, json=body)
            if response.status_code < 400:
                continue  # e.g. PATCH with unrelated keys is a valid no-op edit
            assert_error(response, 400, 404, 409, 422)
    # Nothing half-made: no item, representative or action came from a refused body.
    meeting = api.get(f"meetings/{world['meeting']}").get_json()
    assert len(meeting["items"]) == 1
    reps = api.get(f"meetings/{world['meeting']}/representatives").get_json()["representatives"]
    assert len(reps) == 1
    assert len(api.get(f"items/{world['item']}/actions").get_json()["actions"]) == 1


@both_databases
def test_missing_fields_name_the_field(api, world):
    err = assert_error(api.post("meetings", {}), 422)
    assert err["details"]["field"] == "title"
    err = assert_error(api.post(f"meetings/{world['meeting']}/representatives", {"name": "x"}), 422)
    assert err["details"]["field"] == "employee_no"
    err = assert_error(api.post(f"meetings/{world['meeting']}/items", {"title": "x"}), 422)
    assert err["details"]["field"] == "responsible_person"
    err = assert_error(api.post(f"items/{world['item']}/actions", {"kind": "warning"}), 422)
    assert err["details"]["field"] == "description"


def test_non_json_bodies(api, world):
    for data, ctype in [
        ("title=x", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("", "application/json"),
        ("\xff\xfe", "application/json"),
        ("null", "application/json"),
    ]:
        response = api.client.post(
            "/api/v1/meetings",
            data=data,
            content_type=ctype,
            headers={"Authorization": f"Bearer {api.token}"},
        )
        err = assert_error(response, 400, 415, 422)
        assert err["code"] in ("invalid_json", "validation_error", "unsupported_media_type")


def test_lone_surrogates_and_deep_nesting_are_invalid_json(api, world):
    """Python's json module accepts both and the request then failed later, as a 500
    (UnicodeEncodeError writing the text; RecursionError walking it)."""
    headers = {"Authorization": f"Bearer {api.token}"}
    for path, data in [
        ("/api/v1/meetings", '{"title": "\\ud800 会议"}'),
        (f"/api/v1/items/{world['item']}/actions", '{"kind": "warning", "description": "x\\udfff"}'),
        ("/api/v1/meetings", '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"),
        ("/api/v1/meetings", "[" * 50_000 + "]" * 50_000),
    ]:
        response = api.client.post(path, data=data, content_type="application/json", headers=headers)
        err = assert_error(response, 400, 422)
        assert err["code"] == "invalid_json", (path, data[:30])
    # a real pair of surrogates is one character, and fine
    ok = api.client.post(
        "/api/v1/meetings",
        data='{"title": "\\ud83d\\ude00 会议"}',
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 201 and ok.get_json()["title"] == "😀 会议"


def test_oversized_request_is_413_json(api):
    response = api.client.post(
        "/api/v1/meetings",
        data="x" * (6 * 1024 * 1024),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    err = assert_error(response, 413)
    assert err["code"] == "request_entity_too_large"


@both_databases
def test_unknown_ids_are_404(api):
    for method, path in [
        ("GET", "meetings/999999"),
        ("PATCH", "meetings/999999"),
        ("POST", "meetings/999999/start"),
        ("POST", "meetings/999999/finish"),
        ("POST", "meetings/999999/publish"),
        ("POST", "meetings/999999/representatives"),
        ("POST", "meetings/999999/items"),
        ("GET", "items/999999"),
        ("PATCH", "items/999999"),
        ("POST", "items/999999/voting/open"),
        ("POST", "items/999999/voting/close"),
        ("GET", "items/999999/result"),
        ("GET", "items/999999/receipts"),
        ("POST", "items/999999/actions"),
        ("PATCH", "actions/999999"),
        ("PATCH", "representatives/999999"),
        ("PATCH", "questions/999999"),
        ("POST", "items/999999/present"),
        ("GET", "meetings/abc"),
        ("GET", "items/-1"),
        ("GET", "nothing/here"),
        ("GET", "meetings/99999999999999999999999"),
    ]:
        response = api.request(
            method,
            path,
            json={
                "title": "x",
                "name": "n",
                "employee_no": "e",
                "kind": "other",
                "description": "d",
                "status": "done",
            },
        )
        assert_error(response, 404)


def test_wrong_method_is_405_json(api):
    assert_error(api.request("DELETE", "stats"), 405)


@both_databases
def test_wrong_state_is_409(api, world):
    mid, item = world["meeting"], world["item"]
    for method, path in [
        ("POST", f"items/{item}/voting/open"),
        ("POST", f"items/{item}/voting/close"),
        ("POST", f"meetings/{mid}/finish"),
        ("POST", f"meetings/{mid}/publish"),
        ("GET", f"items/{item}/result"),
        ("POST", f"items/{item}/present"),
    ]:
        err = assert_error(api.request(method, path), 409)
        assert err["code"] in ("meeting_draft", "voting_not_open", "not_voted", "invalid_transition")
    assert api.post(f"meetings/{mid}/start").status_code == 200
    assert_error(api.post(f"meetings/{mid}/start"), 409)
    # Quorum: nobody has joined.
    assert assert_error(api.post(f"items/{item}/voting/open"), 409)["code"] == "quorum_not_met"
    assert api.post(f"meetings/{mid}/finish").status_code == 200
    for method, path, body in [
        ("POST", f"meetings/{mid}/items", {"title": "late", "responsible_person": {"name": "p"}}),
        ("POST", f"meetings/{mid}/representatives", {"name": "late", "employee_no": "99"}),
        ("PATCH", f"meetings/{mid}", {"quorum": "1/2"}),
        ("POST", f"meetings/{mid}/start", None),
        ("POST", f"items/{item}/voting/open", None),
    ]:
        assert_error(api.request(method, path, json=body), 409)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=300),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "title",
                        "name",
                        "employee_no",
                        "responsible_person",
                        "amount",
                        "kind",
                        "description",
                        "status",
                        "scale",
                        "quorum",
                        "pass_threshold",
                        "due_date",
                        "supplier_count",
                        "present",
                        "order",
                        "reason",
                        "answer",
                    ]
                )
                | st.text(max_size=10),
                children,
                max_size=6,
            )
        ),
        max_leaves=12,
    )
)
def test_fuzzed_bodies_never_500(app, api, body):
    with app.app_context():
        meeting = db.session.query(Meeting).first()
        if meeting is None:
            api.post("meetings", {"title": "seed"})
    for method, path in [
        ("POST", "meetings"),
        ("POST", "meetings/1/items"),
        ("POST", "meetings/1/representatives"),
        ("PATCH", "meetings/1"),
        ("POST", "items/1/actions"),
        ("PATCH", "actions/1"),
    ]:
        response = api.request(method, path, json=body)
        assert response.status_code < 500, (method, path, body, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code)
