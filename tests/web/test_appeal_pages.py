"""The appeal forms on an action's page: the deadline shown, filing, deciding, late appeals
refused with a clear message; viewers read only; Chinese first, English on request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from evalmeet.domain import clock
from evalmeet.extensions import db
from evalmeet.models import Appeal
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate
from evalmeet.services.followup import actions
from evalmeet.services.meetings import conduct
from tests.conftest import csrf_token


@pytest.fixture
def sanctions(session, meeting_factory):
    made = meeting_factory(reps=3, items=1)
    conduct.finish_meeting(session, made.id, "mod")

    def add(kind):
        body = parse(ActionCreate, {"kind": kind, "description": "给予党内警告处分"})
        return actions.add_action(session, made.items[0].id, body, "mod").value.id

    ids = {"discipline": add("party_discipline"), "rectification": add("rectification")}
    session.commit()
    return ids


def page(client, action_id, lang=""):
    response = client.get(f"/actions/{action_id}{lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def appeals_of(app, action_id):
    with app.app_context():
        return db.session.scalars(select(Appeal).where(Appeal.action_id == action_id)).all()


def test_the_page_shows_the_deadline_and_files_and_decides_an_appeal(app, login, sanctions):
    client = login("moderator")
    aid = sanctions["discipline"]
    deadline = (clock.today() + timedelta(days=15)).isoformat()
    html = page(client, aid)
    assert f'data-deadline="{deadline}"' in html
    assert f"可在 {deadline} 前提出申诉" in html and "记录申诉" in html
    posted = client.post(
        f"/actions/{aid}/appeals",
        data={
            "statement": "事实认定有误",
            "filed_on": clock.today().isoformat(),
            "csrf_token": csrf_token(client),
        },
    )
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"/actions/{aid}#appeals")
    html = page(client, aid)
    assert "申诉已记录" in html and "事实认定有误" in html and "复核中" in html
    assert "记录复核决定" in html and 'name="statement"' not in html  # one pending at a time
    (appeal,) = appeals_of(app, aid)
    decided = client.post(
        f"/appeals/{appeal.id}/decision",
        data={"decision": "overturned", "reason": "证据不足", "csrf_token": csrf_token(client)},
    )
    assert decided.status_code == 302
    html = page(client, aid)
    assert "撤销处理" in html and "证据不足" in html and "记录复核决定" not in html
    again = client.post(
        f"/appeals/{appeal.id}/decision",
        data={"decision": "upheld", "reason": "x", "csrf_token": csrf_token(client)},
    )
    assert again.status_code == 409 and "复核决定为最终决定" in again.get_data(as_text=True)
    english = page(client, aid, "?lang=en")
    assert "Sanction overturned" in english and "Appeals" in english


def test_a_late_appeal_is_refused_with_a_clear_message(app, login, sanctions):
    client = login("moderator")
    aid = sanctions["discipline"]
    late = (clock.today() + timedelta(days=16)).isoformat()
    refused = client.post(
        f"/actions/{aid}/appeals",
        data={"statement": "逾期申诉", "filed_on": late, "csrf_token": csrf_token(client)},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "已超过申诉期限" in html and "逾期申诉" in html  # the form keeps what was typed
    assert appeals_of(app, aid) == []
    with clock.pinned(clock.now() + timedelta(days=16)):
        html = page(client, aid)
        assert "申诉期已于" in html and "不再受理申诉" in html and 'name="statement"' not in html


def test_bad_input_and_other_kinds(app, login, sanctions):
    client = login("moderator")
    blank = client.post(
        f"/actions/{sanctions['discipline']}/appeals",
        data={"statement": " ", "csrf_token": csrf_token(client)},
    )
    assert blank.status_code == 422 and "申诉理由" in blank.get_data(as_text=True)
    assert "申诉" not in page(client, sanctions["rectification"]).split('id="progress"')[0].split("</h1>")[1]
    other = client.post(
        f"/actions/{sanctions['rectification']}/appeals",
        data={"statement": "不服", "csrf_token": csrf_token(client)},
    )
    assert other.status_code == 409 and "只有警告、党纪处分" in other.get_data(as_text=True)
    assert client.post("/appeals/999/decision", data={"csrf_token": csrf_token(client)}).status_code == 404


def test_viewers_see_appeals_but_no_forms(app, login, sanctions):
    client = login("viewer")
    html = page(client, sanctions["discipline"])
    assert "申诉" in html and 'name="statement"' not in html
    refused = client.post(
        f"/actions/{sanctions['discipline']}/appeals",
        data={"statement": "x", "csrf_token": csrf_token(client)},
    )
    assert refused.status_code == 403
