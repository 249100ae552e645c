"""The countdown for speaking or questioning time that a live meeting's screens show.

One per meeting, stored (so every worker's snapshot carries it): starting one replaces the one
before; it stays, at zero, until it is stopped. Its end is fixed from the app's clock when it
starts; the screens count down to it against the snapshot's ``now``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import MeetingTimer
from evalmeet.schemas.timer import TimerBody
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.meetings.meeting import get_meeting


def start_timer(session: Session, meeting_id: int, data: TimerBody) -> Done[MeetingTimer]:
    """Start (or restart) the meeting's countdown of ``data.seconds``; only while it is live."""
    meeting = get_meeting(session, meeting_id, for_update=True)
    require_meeting_status(meeting.id, meeting.status, "live", doing="start a timer")
    now = clock.now()
    timer = session.get(MeetingTimer, meeting.id)
    if timer is None:
        timer = MeetingTimer(meeting_id=meeting.id)
        session.add(timer)
    timer.label = data.label
    timer.seconds = data.seconds
    timer.started_at = now
    timer.ends_at = now + timedelta(seconds=data.seconds)
    session.flush()
    return done(timer, MeetingChanged(meeting.id))


def stop_timer(session: Session, meeting_id: int) -> Done[bool]:
    """Take the countdown off every screen; the value says whether one was set."""
    meeting = get_meeting(session, meeting_id, for_update=True)
    removed = session.execute(
        delete(MeetingTimer)
        .where(MeetingTimer.meeting_id == meeting.id)
        .execution_options(synchronize_session="fetch")
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return done(False)
    return done(True, MeetingChanged(meeting.id))


def timer_of(session: Session, meeting_id: int) -> MeetingTimer | None:
    """The meeting's countdown, if one is set."""
    return session.get(MeetingTimer, meeting_id)
