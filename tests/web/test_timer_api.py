"""``POST``/``DELETE /api/v1/meetings/{id}/timer`` as contract.md describes them, on SQLite and
PostgreSQL; and ``/verify``, the page anyone checks a receipt code on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from evalmeet.domain import clock
from evalmeet.extensions import db
from evalmeet.models import Representative
from evalmeet.schemas.voting import RevoteBody
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import ballot

pytestmark = both_databases

START = datetime(2031, 5, 14, 2, 30, tzinfo=UTC)


def live_meeting(api, reps=3, start=True):
    meeting = api.post("meetings", {"title": "计时评价会"}).get_json()
    for n in range(reps):
        api.post(
            f"meetings/{meeting['id']}/representatives",
            {"name": f"代表{n}", "employee_no": f"T{n:03d}", "department": "炼铁厂"},
        )
    item = api.post(
        f"meetings/{meeting['id']}/items",
        {"title": "耐火砖采购", "responsible_person": {"name": "赵采购", "department": "供应处"}},
    ).get_json()
    if start:
        assert api.post(f"meetings/{meeting['id']}/start").status_code == 200
    return meeting["id"], item["id"]


def test_post_starts_a_countdown_and_answers_the_timer(api, app):
    mid, _item = live_meeting(api)
    with clock.pinned(START, frozen=True):
        started = api.post(f"meetings/{mid}/timer", {"seconds": 180, "label": "质询时间"})
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    assert body == {"label": "质询时间", "seconds": 180, "ends_at": body["ends_at"]}
    ends_at = datetime.fromisoformat(body["ends_at"])
    assert ends_at == START + timedelta(seconds=180) and ends_at.utcoffset() == timedelta(0)
    # without a label: an empty one; a new POST replaces the timer
    again = api.post(f"meetings/{mid}/timer", {"seconds": 1}).get_json()
    assert again["label"] == "" and again["seconds"] == 1
    assert api.delete(f"meetings/{mid}/timer").status_code == 204
    assert api.delete(f"meetings/{mid}/timer").status_code == 204  # nothing running: still 204


@pytest.mark.parametrize(
    "payload",
    [{"seconds": 0}, {"seconds": 3601}, {"seconds": "ten"}, {}, {"seconds": 60, "label": "x" * 101}],
)
def test_a_bad_body_is_a_validation_error_naming_its_field(api, payload):
    mid, _item = live_meeting(api)
    refused = api.post(f"meetings/{mid}/timer", payload)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["field"] == ("label" if "label" in payload else "seconds")


def test_refusals_by_state_login_and_id(api, anon_api, viewer_api):
    draft, _item = live_meeting(api, start=False)
    refused = api.post(f"meetings/{draft}/timer", {"seconds": 60})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "meeting_draft"
    assert api.post("meetings/99999/timer", {"seconds": 60}).status_code == 404
    assert api.delete("meetings/99999/timer").status_code == 404
    mid, _item = live_meeting(api)
    for method in ("post", "delete"):
        anon = getattr(anon_api, method)(
            f"meetings/{mid}/timer", **({"json": {"seconds": 60}} if method == "post" else {})
        )
        assert anon.status_code == 401 and anon.get_json()["error"]["code"] == "unauthorized"
    viewer = viewer_api.post(f"meetings/{mid}/timer", {"seconds": 60})
    assert viewer.status_code == 403
    assert api.post(f"meetings/{mid}/finish").status_code == 200
    closed = api.post(f"meetings/{mid}/timer", {"seconds": 60})
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "meeting_closed"


def test_the_projector_page_starts_from_the_timer_and_the_servers_clock(api, client, app):
    mid, _item = live_meeting(api)
    with clock.pinned(START, frozen=True):
        api.post(f"meetings/{mid}/timer", {"seconds": 300, "label": "发言"})
    with app.app_context():
        from evalmeet.models import Meeting

        token = db.session.get(Meeting, mid).display_token
        db.session.remove()
    with clock.pinned(START + timedelta(seconds=20), frozen=True):
        page = client.get(f"/screen/{token}").get_data(as_text=True)
    assert (
        '"timer": {"ends_at": "2031-05-14T02:35:00+00:00", "label": "\\u53d1\\u8a00", "seconds": 300}' in page
    )
    assert '"now": "2031-05-14T02:30:20+00:00"' in page
    assert "data-countdown" in page and "data-countdown-sound" in page


# --- /verify ---------------------------------------------------------------------------------------


def cast(app, item_id, round_=None):
    with app.app_context():
        rep = db.session.scalars(
            select(Representative).where(Representative.present.is_(True)).order_by(Representative.id)
        ).first()
        key = f"verify-key-{item_id}-{round_ or 1}-0123456789"
        out = voting.cast_ballot(db.session, rep, ballot(item_id, "dissatisfied", key, round=round_)).value
        db.session.commit()
        return out.receipt


def test_verify_says_counted_only_once_the_round_closed_and_never_the_choice(api, client, app):
    mid, item = live_meeting(api)
    with app.app_context():
        for rep in db.session.scalars(select(Representative)):
            rep.present = True
        db.session.commit()
    form = client.get("/verify")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert "回执码查验" in page and 'name="code"' in page and "verify-result" not in page
    assert api.post(f"items/{item}/voting/open").status_code == 200
    receipt = cast(app, item)
    waiting = client.get(f"/verify?code={receipt}").get_data(as_text=True)
    assert 'data-result="not_found"' in waiting  # still open: not yet
    assert api.post(f"items/{item}/voting/close").status_code == 200
    typed = receipt.lower().replace("-", " ")
    counted = client.get("/verify", query_string={"code": typed}).get_data(as_text=True)
    assert 'data-result="counted"' in counted and receipt in counted
    assert "计时评价会" in counted and "耐火砖采购" in counted and "第 1 轮" in counted
    assert "不满意" not in counted and "dissatisfied" not in counted  # never the choice
    english = client.get(f"/verify?code={receipt}&lang=en").get_data(as_text=True)
    assert "Counted" in english and "Round 1" in english
    # a re-vote: round 1's receipt still answers with its round
    with app.app_context():
        rounds.revote(db.session, item, RevoteBody(reason="计票有误"), "mod")
        db.session.commit()
    assert "第 1 轮" in client.get(f"/verify?code={receipt}&lang=zh").get_data(as_text=True)
    for bad in ("AAAA-BBBB-CCCC", "nonsense", "x" * 300):
        shown = client.get("/verify", query_string={"code": bad})
        assert shown.status_code == 200 and 'data-result="not_found"' in shown.get_data(as_text=True)
