"""Savings from re-tenders: ``outcome_amount`` on re-tender actions (API and the action form),
``GET /api/v1/stats``'s ``savings`` (two decimals, signed, verified only, items without an
amount skipped, archive meetings only), and the dashboard's savings by year and department,
each figure linking to the follow-up register's list of the actions behind it."""

from __future__ import annotations

import re
from html import unescape

import pytest

from evalmeet.schemas.base import parse
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.meetings import conduct, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from tests.conftest import both_databases, csrf_token
from tests.factories import action_on


def _meeting(session, title, when, items, rehearsal=False):
    """A closed meeting dated ``when`` with items (title, department, amount or None)."""
    fields = {"title": title, "scheduled_at": when, "rehearsal": rehearsal}
    meeting = meetings.create_meeting(session, parse(MeetingCreate, fields), "test").value
    made = []
    for name, department, amount in items:
        body = {"title": name, "responsible_person": {"name": f"{name}负责人", "department": department}}
        if amount is not None:
            body["amount"] = amount
        made.append(agenda.add_item(session, meeting.id, parse(ItemCreate, body), "test").value)
    rep = parse(RepresentativeCreate, {"name": "代表", "employee_no": "E1", "department": "炼钢厂"})
    roster.add_representative(session, meeting.id, rep, "test")
    conduct.start_meeting(session, meeting.id, "test")
    conduct.finish_meeting(session, meeting.id, "test")
    return made


def _verify(api, action_id, outcome):
    assert api.patch(f"actions/{action_id}", {"outcome_amount": outcome}).status_code == 200
    for status in ("done", "verified"):
        answer = api.patch(f"actions/{action_id}", {"status": status})
        assert answer.status_code == 200, answer.json


@pytest.fixture
def retenders(session, api):
    """Re-tenders in 2030 and 2031 of two departments, plus ones that must not count."""
    a, b, no_amount = _meeting(
        session,
        "2030 年评价会",
        "2030-06-01T09:00",
        [
            ("焦炭采购", "供应处", "1000000.00"),
            ("耐材采购", "炼钢厂", "200000.00"),
            ("劳保用品", "供应处", None),
        ],
    )
    (c,) = _meeting(session, "2031 年评价会", "2031-03-01T09:00", [("废钢采购", "供应处", "500000.50")])
    (rehearsed,) = _meeting(
        session, "演练", "2031-03-02T09:00", [("演练项目", "供应处", "900.00")], rehearsal=True
    )
    ids = {
        "a": action_on(session, a.id, "重新招标", kind="retender").id,
        "b": action_on(session, b.id, "重新招标", kind="retender").id,
        "no_amount": action_on(session, no_amount.id, "重新招标", kind="retender").id,
        "c": action_on(session, c.id, "重新招标", kind="retender").id,
        "unverified": action_on(session, c.id, "再次招标", kind="retender").id,
        "rehearsal": action_on(session, rehearsed.id, "重新招标", kind="retender").id,
        "warning": action_on(session, a.id, "警告", kind="warning").id,
    }
    session.commit()
    _verify(api, ids["a"], "850000.00")  # saves 150,000.00
    _verify(api, ids["b"], "230000")  # dearer: -30,000.00
    _verify(api, ids["no_amount"], "100.00")  # no amount on the item: skipped
    _verify(api, ids["c"], "400000.25")  # saves 100,000.25
    assert api.patch(f"actions/{ids['unverified']}", {"outcome_amount": "1.00"}).status_code == 200
    assert api.patch(f"actions/{ids['unverified']}", {"status": "done"}).status_code == 200  # not verified
    _verify(api, ids["rehearsal"], "100.00")
    return ids


@both_databases
def test_stats_sums_verified_retenders_signed_with_two_decimals(api, retenders):
    answer = api.get("stats")
    assert answer.status_code == 200
    assert answer.json["savings"] == "220000.25"  # 150000.00 - 30000.00 + 100000.25


@both_databases
def test_outcome_amount_is_for_retenders_only_and_shown_in_the_action(api, retenders):
    refused = api.patch(f"actions/{retenders['warning']}", {"outcome_amount": "10.00"})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "validation_error"
    assert refused.json["error"]["details"]["field"] == "outcome_amount"
    bad = api.patch(f"actions/{retenders['unverified']}", {"outcome_amount": "12.345"})
    assert bad.status_code == 422 and bad.json["error"]["details"]["reason"] == "too_many_decimals"
    shown = api.patch(f"actions/{retenders['unverified']}", {"outcome_amount": 99.5}).json
    assert shown["outcome_amount"] == "99.50" and shown["kind"] == "retender"
    assert "重新招标成交价（元）：1.00 → 99.50" in shown["history"][-1]["note"]
    cleared = api.patch(f"actions/{retenders['unverified']}", {"outcome_amount": None}).json
    assert cleared["outcome_amount"] is None
    assert api.get("stats").json["savings"] == "220000.25"  # unverified never counts


@both_databases
def test_a_negative_total_keeps_its_sign(session, api):
    (item,) = _meeting(session, "评价会", "2031-01-05T09:00", [("采购", "供应处", "100.00")])
    action_id = action_on(session, item.id, "重新招标", kind="retender").id
    session.commit()
    assert api.get("stats").json["savings"] == "0.00"
    _verify(api, action_id, "100.10")
    assert api.get("stats").json["savings"] == "-0.10"


def _links(html, section):
    part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return part


def test_the_dashboard_shows_savings_by_year_and_department_linking_to_their_actions(login, api, retenders):
    client = login("viewer")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-figure="savings"' in html and "¥220,000.25" in html and "重新招标节约" in html
    part = _links(html, "savings")
    assert 'data-key="2030" data-saved="120000.00"' in part
    assert 'data-key="2031" data-saved="100000.25"' in part
    assert 'data-key="供应处" data-saved="250000.25"' in part
    assert 'data-key="炼钢厂" data-saved="-30000.00"' in part and "-¥30,000.00" in part
    hrefs = {unescape(h) for h in re.findall(r'href="([^"]+)"', part)}
    assert "/actions?savings=1&year=2030" in hrefs
    # each figure's link lists exactly the actions behind it, and their sum
    expected = {
        "/actions?savings=1&year=2030": ({retenders["a"], retenders["b"]}, "120000.00"),
        "/actions?savings=1&year=2031": ({retenders["c"]}, "100000.25"),
        "/actions?savings=1&department=炼钢厂": ({retenders["b"]}, "-30000.00"),
        "/actions?savings=1": ({retenders["a"], retenders["b"], retenders["c"]}, "220000.25"),
    }
    for href, (ids, saved) in expected.items():
        listed = client.get(href).get_data(as_text=True)
        assert {int(i) for i in re.findall(r'data-action-id="(\d+)"', listed)} == ids, href
        assert f'data-saved="{saved}"' in listed, href
    english = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "Savings from re-tenders" in english and "By department" in english


def test_the_action_form_records_the_outcome_and_the_owner_email(login, session, retenders):
    client = login("moderator")
    aid = retenders["unverified"]
    page = client.get(f"/actions/{aid}").get_data(as_text=True)
    assert 'name="outcome_amount"' in page and 'name="owner_email"' in page
    posted = client.post(
        f"/actions/{aid}/edit",
        data={
            "owner": "李明",
            "owner_email": "li@example.com",
            "due_date": "",
            "description": "再次招标",
            "outcome_amount": "480000.00",
            "csrf_token": csrf_token(client),
        },
    )
    assert posted.status_code == 302
    page = client.get(f"/actions/{aid}").get_data(as_text=True)
    assert "li@example.com" in page and "¥480,000.00" in page and 'data-saved="20000.50"' in page
    warning = client.get(f"/actions/{retenders['warning']}").get_data(as_text=True)
    assert 'name="outcome_amount"' not in warning
    refused = client.post(
        f"/actions/{aid}/edit",
        data={"owner_email": "not an address", "description": "再次招标", "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 422 and "电子邮件地址" in refused.get_data(as_text=True)
