"""The moderator holds every join link: a link used from a second device, or re-issued during the
meeting, is shown to the room (console and projector) and written to the audit log — and never
refuses anybody. A phone reconnecting from the same device raises nothing."""

from __future__ import annotations

from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import AuditEntry, Meeting
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.meetings import roster
from tests.conftest import make_account
from tests.realtime.conftest import call, connect, received, wait_for

PHONE_A = "device-A-0123456789abcdef"
PHONE_B = "device-B-0123456789abcdef"


def screens(app, meeting_id):
    display = db.session.scalar(select(Meeting.display_token).where(Meeting.id == meeting_id))
    projector = connect(app, {"display": display})
    token = make_account(app, "mod-alerts", "moderator")
    console = connect(app, {"api_token": token, "meeting_id": meeting_id})
    received(projector)
    received(console)
    return projector, console


def alert_events(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.event).where(AuditEntry.event.like("alert.%"))))


def test_a_link_on_a_second_device_alerts_the_room_but_is_not_refused(app, session, plain_meeting):
    m = plain_meeting(reps=2, items=1, present=0)
    rep = m.reps[0]
    projector, console = screens(app, m.id)

    first = connect(app, {"token": rep.join_token, "device": PHONE_A})
    first.disconnect(namespace=NAMESPACE)
    again = connect(app, {"token": rep.join_token, "device": PHONE_A})  # bad Wi-Fi: same phone
    assert again.is_connected(NAMESPACE)
    assert wait_for(projector, "alert", timeout=0.3) == []
    assert alert_events(app) == []

    other = connect(app, {"token": rep.join_token, "device": PHONE_B})
    assert other.is_connected(NAMESPACE)  # an alarm, never a refusal
    for screen in (projector, console):
        (payload,) = wait_for(screen, "alert")
        (alert,) = payload["alerts"]
        assert alert["kind"] == "second_device"
        assert alert["representative"] == {"id": rep.id, "name": rep.name}
        assert len(alert["time"]) == 5  # HH:MM, China time
    assert alert_events(app) == ["alert.second_device"]
    # the screens' snapshots carry it too (a projector that reconnects still shows it)
    state = call(console, "sync")["state"]
    assert [a["kind"] for a in state["alerts"]] == ["second_device"]
    phone_state = received(again, "state")
    assert all("alerts" not in s for s in phone_state)
    # the second device reconnecting is not a new alarm
    connect(app, {"token": rep.join_token, "device": PHONE_B})
    assert alert_events(app) == ["alert.second_device"]


def test_connections_without_a_device_id_alarm_only_beside_one_with(app, session, plain_meeting):
    m = plain_meeting(reps=2, items=1, present=0)
    rep = m.reps[1]
    connect(app, {"token": rep.join_token})
    connect(app, {"token": rep.join_token, "device": 42})  # nothing usable: the same as none
    assert alert_events(app) == []
    assert connect(app, {"token": rep.join_token, "device": PHONE_A}).is_connected(NAMESPACE)
    assert alert_events(app) == ["alert.second_device"]


def test_re_issuing_a_link_during_the_meeting_is_announced(app, session, plain_meeting):
    m = plain_meeting(reps=2, items=1, present=0)
    projector, _console = screens(app, m.id)
    with app.app_context():
        roster.reissue_join_token(db.session, m.reps[0].id, "mod")
        db.session.commit()
    from evalmeet.realtime import broadcast

    with app.app_context():
        broadcast.alert(m.id)
    (payload,) = wait_for(projector, "alert")
    assert payload["alerts"][0]["kind"] == "link_reissued"
    assert payload["alerts"][0]["representative"]["name"] == m.reps[0].name
    assert "alert.link_reissued" in alert_events(app)
