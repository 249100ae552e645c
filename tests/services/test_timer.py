"""The meeting's countdown: started and stopped by the moderator, carried in every snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, DomainError
from evalmeet.schemas.base import parse
from evalmeet.schemas.timer import TimerBody
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import timer as timers
from evalmeet.services.meetings.live_state import build_state
from tests.conftest import both_databases

START = datetime(2031, 5, 14, 2, 30, tzinfo=UTC)


def body(seconds, label=None):
    data = {"seconds": seconds}
    if label is not None:
        data["label"] = label
    return parse(TimerBody, data)


@both_databases
def test_a_timer_ends_its_seconds_after_the_apps_clock_and_shows_in_every_snapshot(session, meeting_factory):
    live = meeting_factory(reps=2)
    with clock.pinned(START, frozen=True):
        started = timers.start_timer(session, live.id, body(180, "发言时间"))
        session.commit()
        assert started.events and started.value.ends_at == START + timedelta(seconds=180)
        state = build_state(session, live.meeting).json_dict()
    assert state["timer"] == {
        "label": "发言时间",
        "seconds": 180,
        "ends_at": (START + timedelta(seconds=180)).isoformat(),
    }
    assert datetime.fromisoformat(state["timer"]["ends_at"]).utcoffset() == timedelta(0)
    assert state["now"] == START.isoformat()
    # a phone's own snapshot carries it too, and the shared one for phones
    phone = build_state(session, live.meeting, live.reps[0])
    assert phone.timer is not None and phone.for_phones(0).json_dict()["timer"]["seconds"] == 180


@both_databases
def test_the_timer_stays_at_zero_until_it_is_stopped(session, meeting_factory):
    live = meeting_factory(reps=2)
    with clock.pinned(START, frozen=True):
        timers.start_timer(session, live.id, body(60))
        session.commit()
    with clock.pinned(START + timedelta(hours=1), frozen=True):
        state = build_state(session, live.meeting).json_dict()
        assert state["timer"]["ends_at"] == (START + timedelta(seconds=60)).isoformat()
        assert state["timer"]["label"] == ""
        assert state["now"] == (START + timedelta(hours=1)).isoformat()
    stopped = timers.stop_timer(session, live.id)
    session.commit()
    assert stopped.value is True and stopped.events
    assert build_state(session, live.meeting).timer is None
    again = timers.stop_timer(session, live.id)  # stopping twice: nothing to tell anyone
    assert again.value is False and not again.events


@both_databases
def test_starting_again_replaces_the_running_timer(session, meeting_factory):
    live = meeting_factory(reps=2)
    with clock.pinned(START, frozen=True):
        timers.start_timer(session, live.id, body(300, "质询"))
        session.commit()
    with clock.pinned(START + timedelta(seconds=10), frozen=True):
        timers.start_timer(session, live.id, body(60))
        session.commit()
    timer = timers.timer_of(session, live.id)
    assert timer is not None and (timer.seconds, timer.label) == (60, "")
    assert timer.ends_at == START + timedelta(seconds=70)


@pytest.mark.parametrize("seconds", [0, 3601, -5, "abc", None, 1.5, True])
def test_seconds_must_be_1_to_3600(seconds):
    with pytest.raises(DomainError) as refused:
        body(seconds)
    assert refused.value.code == "validation_error"
    assert refused.value.details["field"] == "seconds"


def test_limits_are_inclusive():
    assert body(1).seconds == 1 and body(3600).seconds == 3600
    with pytest.raises(DomainError):
        body(10, "x" * 101)


@both_databases
def test_only_a_live_meeting_has_a_timer(session, meeting_factory):
    draft = meeting_factory(reps=2, start=False)
    with pytest.raises(Conflict) as refused:
        timers.start_timer(session, draft.id, body(60))
    assert refused.value.code == "meeting_draft"
    session.rollback()
    live = meeting_factory(reps=2)
    timers.start_timer(session, live.id, body(60))
    session.commit()
    conduct.finish_meeting(session, live.id, "mod")
    session.commit()
    assert build_state(session, live.meeting).timer is None  # a finished meeting shows none
    with pytest.raises(Conflict) as closed:
        timers.start_timer(session, live.id, body(60))
    assert closed.value.code == "meeting_closed"
