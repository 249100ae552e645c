"""The countdown a meeting's screens show (speaking or questioning time): one per meeting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evalmeet.models.base import Base, UTCDateTime, utcnow


class MeetingTimer(Base):
    """The meeting's running (or run-out) countdown; the row is removed when it is stopped.

    ``ends_at`` is computed once, from the app's clock, when it starts: every screen counts down
    to that instant against the server's ``now`` in the snapshot, whatever its own clock says.
    """

    __tablename__ = "meeting_timers"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    seconds: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
