"""A meeting, its roster of representatives, and the registry of responsible persons."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalmeet.domain.sheets import Rules, rules_from
from evalmeet.models.base import Base, UTCDateTime, new_token, utcnow

if TYPE_CHECKING:
    from evalmeet.models.item import Item


class Meeting(Base):
    """One democratic evaluation meeting (民主评价会)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(200), default="")
    # A preset's name, or "custom" with its choices in scale_choices (domain/sheets.py).
    scale: Mapped[str] = mapped_column(String(16), default="three_level")
    scale_choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # A rating sheet's lines [{key, label}] and the rater groups [{key, label, weight}], or null.
    criteria: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    rater_groups: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # "overall" or "every_criterion": which satisfaction must reach the threshold.
    pass_rule: Mapped[str] = mapped_column(String(16), default="overall", server_default="overall")
    pass_threshold: Mapped[str] = mapped_column(String(16), default="2/3")
    quorum: Mapped[str] = mapped_column(String(16), default="2/3")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    rehearsal: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the room is looking at: idle | questions | voting | result.
    phase: Mapped[str] = mapped_column(String(16), default="idle")
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", use_alter=True, ondelete="SET NULL")
    )
    questions_open: Mapped[bool] = mapped_column(Boolean, default=False)
    display_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[Item]] = relationship(
        back_populates="meeting",
        order_by="Item.position",
        foreign_keys="Item.meeting_id",
        cascade="all, delete-orphan",
    )
    representatives: Mapped[list[Representative]] = relationship(
        back_populates="meeting", order_by="Representative.id", cascade="all, delete-orphan"
    )

    @property
    def rules(self) -> Rules:
        """The scale, criteria, groups and pass rule its ballots and results follow."""
        return rules_from(self.scale, self.scale_choices, self.criteria, self.rater_groups, self.pass_rule)


class Representative(Base):
    """A worker representative (职工代表) on one meeting's roster."""

    __tablename__ = "representatives"
    __table_args__ = (UniqueConstraint("meeting_id", "employee_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    employee_no: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(100), default="")
    join_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "link", "socket" or "moderator": how presence was recorded.
    checked_in_by: Mapped[str | None] = mapped_column(String(16))
    # "phone" or "paper": how this representative votes (paper: counted by the scrutineers).
    ballot: Mapped[str] = mapped_column(String(8), default="phone", server_default="phone")
    # The rater group's key (meetings with groups: every representative has one).
    rater_group: Mapped[str | None] = mapped_column(String(32))

    meeting: Mapped[Meeting] = relationship(back_populates="representatives")


class LinkDevice(Base):
    """A device a representative's join link was used from on the live channel (phones send a
    random id they keep). The moderator holds every link: a second device raises an alarm."""

    __tablename__ = "link_devices"

    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representatives.id", ondelete="CASCADE"), primary_key=True
    )
    # SHA-256 of the id the phone sent; NO_DEVICE for a connection that sent none.
    device_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(Base):
    """Something the room must see: a link used from a second device, a link re-issued."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # second_device | link_reissued
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("representatives.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResponsiblePerson(Base):
    """A person who answers for items; reused across meetings (matched by name + department)."""

    __tablename__ = "responsible_persons"
    __table_args__ = (UniqueConstraint("name", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
