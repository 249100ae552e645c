"""The app's clock is the one the rest of the code reads: EVALMEET_NOW, column defaults, use cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from evalmeet import create_app
from evalmeet.domain import clock
from evalmeet.models import AuditEntry
from evalmeet.schemas.base import parse
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.archive import publishing
from evalmeet.services.meetings import conduct, roster
from evalmeet.services.meetings import meeting as meetings
from tests.conftest import make_test_app


def test_now_in_the_config_starts_the_clock_there_and_lets_it_run(db_url, tmp_path):
    make_test_app(db_url, tmp_path / "instance", NOW="2028-02-29T16:30:00Z")
    running = clock.get_clock()
    assert isinstance(running, clock.OffsetClock)
    assert timedelta(0) <= clock.now() - datetime(2028, 2, 29, 16, 30, tzinfo=UTC) < timedelta(minutes=1)
    assert clock.today() == date(2028, 3, 1)  # 00:30 in China


def test_evalmeet_now_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EVALMEET_NOW", "2027-12-31T23:45:00+08:00")
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "INSTANCE_PATH": str(tmp_path)})
    assert clock.today() == date(2027, 12, 31)
    assert clock.now() - datetime(2027, 12, 31, 15, 45, tzinfo=UTC) < timedelta(minutes=1)


def test_without_now_the_app_keeps_the_clock_it_finds(app, pinned_clock):
    assert clock.get_clock() is pinned_clock


@pytest.mark.parametrize("value", ["yesterday", "2028-02-30T00:00:00Z", "31/12/2027"])
def test_a_bad_evalmeet_now_is_refused_by_name(tmp_path, value):
    with pytest.raises(ValueError, match="EVALMEET_NOW.*ISO 8601"):
        create_app({"NOW": value, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})


def test_timestamps_come_from_the_apps_clock(session):
    instant = datetime(2027, 12, 31, 15, 45, tzinfo=UTC)
    with clock.pinned(instant, frozen=True):
        meeting = meetings.create_meeting(session, parse(MeetingCreate, {"title": "跨年会"}), "mod").value
        rep = roster.add_representative(
            session, meeting.id, parse(RepresentativeCreate, {"name": "甲", "employee_no": "E1"}), "mod"
        ).value
        conduct.start_meeting(session, meeting.id, "mod")
        conduct.check_in(session, rep, "link")
        conduct.finish_meeting(session, meeting.id, "mod")
        publishing.publish(session, meeting.id, "mod")
        session.commit()
    stamps = [meeting.created_at, meeting.started_at, meeting.finished_at, meeting.published_at]
    assert stamps == [instant] * 4 and rep.checked_in_at == instant
    entries = session.scalars(select(AuditEntry.created_at).where(AuditEntry.meeting_id == meeting.id)).all()
    assert entries and set(entries) == {instant}
