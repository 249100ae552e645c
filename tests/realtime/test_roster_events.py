"""The roster's and the agenda's after-commit steps, driven through the views: a change to either
reaches every screen as a fresh snapshot, a link that stops working drops its sockets, and a link
re-issued during the meeting is announced to the room."""

from __future__ import annotations

from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Meeting, Representative
from evalmeet.realtime.rooms import NAMESPACE
from tests.conftest import csrf_token
from tests.realtime.conftest import connect, received, wait_for
from tests.web.test_exports import confirm, upload


def projector_of(app, meeting_id):
    """The meeting's projector, connected, and the snapshot it got on connecting."""
    with app.app_context():
        display = db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting_id))
    projector = connect(app, {"display": display})
    (first,) = received(projector, "state")
    return projector, first


def last_state(sock):
    states = wait_for(sock, "state")
    assert states, "no snapshot arrived"
    return states[-1]


def test_re_issuing_on_the_moderator_page_alerts_the_room_and_drops_the_old_link(
    app, session, plain_meeting, login
):
    m = plain_meeting(reps=3, items=1, present=0)
    rep = m.reps[0]
    phone = connect(app, {"token": rep.join_token})
    assert phone.is_connected(NAMESPACE)
    projector, _first = projector_of(app, m.id)
    mod = login("moderator")

    response = mod.post(f"/representatives/{rep.id}/reissue", data={"csrf_token": csrf_token(mod)})

    assert response.status_code == 302
    (alert,) = wait_for(projector, "alert")
    assert alert["alerts"][0]["kind"] == "link_reissued"
    assert alert["alerts"][0]["representative"]["name"] == rep.name
    assert wait_for(phone, "revoked")
    assert not phone.is_connected(NAMESPACE)


def test_one_patch_renames_and_revokes_and_the_screens_see_both(app, session, plain_meeting, api):
    m = plain_meeting(reps=3, items=1, present=0)
    rep = m.reps[1]
    phone = connect(app, {"token": rep.join_token})
    projector, first = projector_of(app, m.id)
    assert first["attendance"]["present"] == 1

    response = api.patch(f"representatives/{rep.id}", {"name": "改名的代表", "revoked": True})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["revoked"], body["present"]) == ("改名的代表", True, False)
    assert not phone.is_connected(NAMESPACE)
    assert last_state(projector)["attendance"] == {
        "present": 0,
        "roster": 2,
        "needed": 2,
        "quorum_met": False,
    }


def test_reordering_through_the_api_sends_a_snapshot(app, session, plain_meeting, api):
    m = plain_meeting(reps=2, items=3, present=0)
    projector, _first = projector_of(app, m.id)
    order = [m.items[2].id, m.items[0].id, m.items[1].id]

    response = api.put(f"meetings/{m.id}/items/order", {"order": order})

    assert [item["id"] for item in response.get_json()["items"]] == order
    assert last_state(projector)["meeting"]["id"] == m.id


def test_an_imported_roster_reaches_the_screens(app, session, plain_meeting, login):
    m = plain_meeting(reps=2, items=1, present=0)
    projector, _first = projector_of(app, m.id)
    mod = login("moderator")
    preview = upload(mod, m.id, "roster", "r.csv", "姓名,工号\n新人甲,N1\n新人乙,N2\n".encode())
    assert preview.status_code == 200

    response = confirm(mod, m.id, "roster", preview.get_data(as_text=True))

    assert response.status_code == 302
    assert last_state(projector)["attendance"]["roster"] == 4
    with app.app_context():
        names = set(db.session.scalars(select(Representative.name).where(Representative.meeting_id == m.id)))
    assert {"新人甲", "新人乙"} <= names
