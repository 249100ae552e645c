"""``/items/{id}/recusals`` and the questions' ``support`` over the HTTP API (test client), on
SQLite and PostgreSQL: who may call, bad bodies, unknown ids, the answers' shapes."""

from __future__ import annotations

from tests.conftest import both_databases

pytestmark = both_databases


def test_recusals_need_a_login_and_a_moderator(api, anon_api, viewer_api, meeting_factory):
    live = meeting_factory(reps=2, items=1)
    item, rep = live.items[0].id, live.reps[0].id
    body = {"representative_id": rep, "reason": "亲属任职"}
    assert anon_api.get(f"items/{item}/recusals").status_code == 401
    assert anon_api.post(f"items/{item}/recusals", body).status_code == 401
    assert viewer_api.post(f"items/{item}/recusals", body).status_code == 403
    made = api.post(f"items/{item}/recusals", body)
    assert made.status_code == 201
    assert {"id", "representative_id", "reason"} <= set(made.get_json())
    listed = viewer_api.get(f"items/{item}/recusals")
    assert listed.status_code == 200
    assert listed.get_json()["recusals"] == [made.get_json()]


def test_bad_bodies_and_unknown_ids(api, meeting_factory):
    live = meeting_factory(reps=2, items=1)
    item = live.items[0].id
    assert api.post("items/999999/recusals", {"representative_id": 1, "reason": "x"}).status_code == 404
    assert api.get("items/999999/recusals").status_code == 404
    unknown = api.post(f"items/{item}/recusals", {"representative_id": 999999, "reason": "x"})
    assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (404, "representative_not_found")
    for body in (
        {"reason": "x"},
        {"representative_id": live.reps[0].id},
        {"representative_id": "a", "reason": "x"},
    ):
        refused = api.post(f"items/{item}/recusals", body)
        assert refused.status_code == 422, body
        assert refused.get_json()["error"]["code"] == "validation_error"
    long = api.post(f"items/{item}/recusals", {"representative_id": live.reps[0].id, "reason": "长" * 501})
    assert long.get_json()["error"]["details"]["reason"] == "too_long"


def test_questions_carry_their_support(api, meeting_factory):
    live = meeting_factory(reps=2, items=1)
    item = live.items[0].id
    from evalmeet.extensions import db
    from evalmeet.models import Question

    db.session.add(Question(item_id=item, representative_id=live.reps[0].id, text="为何单一来源？"))
    db.session.commit()
    listed = api.get(f"items/{item}/questions").get_json()["questions"]
    assert [q["support"] for q in listed] == [0]
