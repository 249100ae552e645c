"""Items under review (评价项目) and the questions asked about them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalmeet.models.base import Base, UTCDateTime, utcnow
from evalmeet.models.meeting import ResponsiblePerson

if TYPE_CHECKING:
    from evalmeet.models.meeting import Meeting

MONEY = Numeric(16, 2)


class Item(Base):
    """One procurement (or other) matter a meeting reviews and votes on."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    # "procurement" or "report_back" (a vote on earlier meetings' rectification).
    kind: Mapped[str] = mapped_column(String(16), default="procurement")
    responsible_person_id: Mapped[int] = mapped_column(ForeignKey("responsible_persons.id"), index=True)
    procurement_method: Mapped[str | None] = mapped_column(String(32))
    supplier_count: Mapped[int | None] = mapped_column()
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    benchmark_price: Mapped[Decimal | None] = mapped_column(MONEY)
    unit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(Text, default="")
    # Computed from the figures whenever they change, with the threshold configured then.
    risk_flags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # pending -> voting -> passed | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Increases with every vote on this item (a re-vote starts round 2).
    vote_round: Mapped[int] = mapped_column(default=0)
    voting_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    responsible_person: Mapped[ResponsiblePerson] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="item", order_by="Question.id", cascade="all, delete-orphan"
    )


class Question(Base):
    """A representative's question (质询) on an item, moderated before it is shown."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # Kept for moderation and rate limits; never shown on the projector or public pages.
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("representatives.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    # pending -> approved | hidden; approved -> answered
    status: Mapped[str] = mapped_column(String(16), default="pending")
    answer: Mapped[str] = mapped_column(Text, default="")
    # How many representatives backed it (one row each in question_supports; kept in step).
    support: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[Item] = relationship(back_populates="questions")


class QuestionSupport(Base):
    """That a representative backed an approved question (once: the unique constraint)."""

    __tablename__ = "question_supports"
    __table_args__ = (UniqueConstraint("question_id", "representative_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    representative_id: Mapped[int] = mapped_column(ForeignKey("representatives.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Recusal(Base):
    """A representative's recusal (回避) from one item, declared before its voting first opens.

    Public, like the reason: the minutes name who recused and why. A recused representative is
    not part of the item's electorate (roster, present, quorum) and cannot vote on it.
    """

    __tablename__ = "recusals"
    __table_args__ = (UniqueConstraint("item_id", "representative_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    representative_id: Mapped[int] = mapped_column(ForeignKey("representatives.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    # "moderator" or "phone": who declared it.
    declared_by: Mapped[str] = mapped_column(String(16), default="moderator")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
