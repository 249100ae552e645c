"""The meeting's countdown (speaking or questioning time): start it, stop it."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.timer import TimerBody, TimerOut
from evalmeet.services.meetings import timer
from evalmeet.services.meetings.meeting import get_meeting
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, documented, moderator, route


@route("POST", "/meetings/<int:meeting_id>/timer", who=moderator, exists=get_meeting)
@documented("200", TimerOut, json=TimerBody)
def start_timer(meeting_id: int) -> Any:
    """Start a countdown of ``seconds`` (1 … 3600) on every screen; it replaces the one before
    and stays, at zero, until stopped. Only while the meeting is live (409 ``meeting_draft`` /
    ``meeting_closed``)."""
    data = body_of(TimerBody)
    started = edge.commit(timer.start_timer(db.session, meeting_id, data))
    return answer(TimerOut.of(started))


@route("DELETE", "/meetings/<int:meeting_id>/timer", who=moderator)
@documented("204")
def stop_timer(meeting_id: int) -> Any:
    """Stop the countdown (take it off every screen); 204 also when none was running."""
    edge.commit(timer.stop_timer(db.session, meeting_id))
    return "", 204
