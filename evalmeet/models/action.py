"""Follow-up actions on items (rectification, re-tender, discipline) and their history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalmeet.models.base import Base, UTCDateTime, utcnow


class Action(Base):
    """A follow-up action: kind, owner, deadline, status."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100), default="")
    # where reminders go (``evalmeet remind``): the owner's e-mail address, "" for none
    owner_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    # open -> in_progress -> done -> verified
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # a re-tender's outcome: the price (yuan) the new tender reached; what it saved is the
    # item's amount minus this (services/archive/savings.py)
    outcome_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))

    notes: Mapped[list[ActionNote]] = relationship(order_by="ActionNote.id", cascade="all, delete-orphan")


class ActionNote(Base):
    """One entry of an action's history: a status change and/or a progress note."""

    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64), default="")
    status_from: Mapped[str | None] = mapped_column(String(16))
    status_to: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActionAttachment(Base):
    """Evidence for an action (a scan, a photo, a spreadsheet), stored under a random name."""

    __tablename__ = "action_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # the uploader's name, cleaned, for display
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random; never from the user
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportBackLink(Base):
    """A report-back item (回头看) votes on the rectification of these earlier actions."""

    __tablename__ = "report_back_links"
    __table_args__ = (UniqueConstraint("item_id", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)


class ReminderSend(Base):
    """One reminder of an action on one channel (``mail``, ``webhook``) for one China day.

    The row is claimed (``sending``) and committed before anything is sent, so the unique
    constraint lets only one run (of one server) send it; it ends ``sent`` or ``failed`` (with
    the error), and a failed one is claimed again by the next run of the same day.
    """

    __tablename__ = "reminder_sends"
    __table_args__ = (UniqueConstraint("action_id", "channel", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="sending")
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=1)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
