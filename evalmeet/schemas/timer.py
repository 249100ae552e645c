"""The meeting's countdown: what starts it, and how every screen is told about it."""

from __future__ import annotations

from typing import Annotated

from evalmeet.models import MeetingTimer
from evalmeet.schemas.base import Body, Out
from evalmeet.schemas.types import Text, When, Whole

MAX_TIMER_SECONDS = 3600


class TimerBody(Body):
    """``POST /meetings/{id}/timer``: ``seconds`` (the full duration, 1 … 3600) and a label."""

    seconds: Annotated[int, Whole(1, MAX_TIMER_SECONDS)]
    label: Annotated[str, Text(100, required=False)] = ""


class TimerOut(Out):
    """The countdown: its label, its full duration and when it reaches zero (ISO 8601, UTC).

    It stays, at zero, until it is stopped; screens count down to ``ends_at`` against the
    snapshot's ``now`` (the server's clock), not their own.
    """

    label: str
    seconds: int
    ends_at: When

    @classmethod
    def of(cls, timer: MeetingTimer) -> TimerOut:
        """The answer for a stored timer."""
        return cls(label=timer.label, seconds=timer.seconds, ends_at=timer.ends_at)
