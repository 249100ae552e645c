"""Appeals (申诉) against a sanction, and corrections of a finished meeting's texts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evalmeet.models.base import Base, UTCDateTime, utcnow


class Appeal(Base):
    """A sanctioned person's appeal against one action, and the decision on it.

    ``status`` is ``pending`` until decided, then the decision: ``upheld``, ``overturned`` or
    ``modified``. Only an overturned appeal takes the sanction out of the statistics.
    """

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    statement: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    filed_by: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # the decision's reason
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Correction(Base):
    """One text of a finished meeting corrected by an admin: what it said, what it says, why.

    ``target`` names the row's kind (``meeting``, ``item``, ``question``, ``representative``,
    ``responsible_person``) and ``target_id`` its id; never a result, a ballot or attendance.
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int] = mapped_column()
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
