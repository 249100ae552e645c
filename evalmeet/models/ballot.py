"""Who voted (participation) and what was voted (ballots), kept apart; frozen results.

See ``shared/docs/secrecy.md``: the ballot table has no representative, no timestamp, a random
id and no rowid; the participation table has no choice. At close, ballots are rewritten in
shuffled order in the closing transaction, and the tally is frozen in ``item_results``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evalmeet.models.base import Base, UTCDateTime, random_id, utcnow


class Participation(Base):
    """That a representative voted on one round of an item; never what they chose."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("item_id", "vote_round", "representative_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    vote_round: Mapped[int] = mapped_column()
    representative_id: Mapped[int] = mapped_column(ForeignKey("representatives.id", ondelete="CASCADE"))
    # Hash of the phone's idempotency key (a different hash from the receipt's).
    key_hash: Mapped[str] = mapped_column(String(64))


class Entitlement(Base):
    """Who may vote in one round of an item, fixed when the round opens.

    The round's roster and quorum are the ones at opening: a representative added to the roster
    (or revoked) while the round is open changes nothing about it, so nobody — the moderator
    included, who holds every join link — can grow the electorate of an open vote. Like
    participation, it says nothing about a choice.
    """

    __tablename__ = "electorate"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    vote_round: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(
        ForeignKey("representatives.id", ondelete="CASCADE"), primary_key=True
    )


class Ballot(Base):
    """One secret ballot: an item round and a choice. Nothing that points to a person."""

    __tablename__ = "ballots"
    __table_args__ = (
        Index("ix_ballots_item_round", "item_id", "vote_round"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    vote_round: Mapped[int] = mapped_column()
    # The choice, or a rating sheet "crit=choice,..." (domain/sheets.py).
    choice: Mapped[str] = mapped_column(String(700))
    # The voter's rater group while the round is open (it weighs the tally); null after close.
    rater_group: Mapped[str | None] = mapped_column(String(32))
    receipt: Mapped[str] = mapped_column(String(32), unique=True)


class ItemResult(Base):
    """The frozen result of one round of voting on an item. Never recomputed, never changed."""

    __tablename__ = "item_results"
    __table_args__ = (UniqueConstraint("item_id", "vote_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    vote_round: Mapped[int] = mapped_column()
    scale: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    ballots: Mapped[int] = mapped_column()
    present: Mapped[int] = mapped_column()
    roster: Mapped[int] = mapped_column()
    # Representatives who recused from the item (not in roster or present).
    recused: Mapped[int] = mapped_column(default=0, server_default="0")
    satisfaction_num: Mapped[int] = mapped_column()
    satisfaction_den: Mapped[int] = mapped_column()
    pass_threshold: Mapped[str] = mapped_column(String(16))
    passed: Mapped[bool] = mapped_column(Boolean)
    # Why this round was superseded by a re-vote (null while it is the current result).
    superseded_reason: Mapped[str | None] = mapped_column(String(500))
    # Each ballot channel of the round (phone, paper) as the result shows it; null before paper
    # ballots existed (then every ballot came by phone).
    channels: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # With criteria: {key: {counts, satisfaction}}; with rater groups: {key: {ballots,
    # satisfaction, weight}}; on a scored scale: the exact average score "a/b".
    criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    groups: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    average_score: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaperCount(Base):
    """The scrutineers' (监票人) count of one round's paper ballots, entered by the moderator
    while the round is open; a later entry replaces it. Counts only, keyed by choice — never a
    person. Removed at close, once the result has frozen what it shows of it."""

    __tablename__ = "paper_counts"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    vote_round: Mapped[int] = mapped_column(primary_key=True)
    # The rater group counted ("" without groups): each group's sheets are counted apart.
    rater_group: Mapped[str] = mapped_column(String(32), primary_key=True, default="", server_default="")
    # {choice: n}, or with criteria {criterion: {choice: n}}
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    invalid: Mapped[int] = mapped_column(default=0)
    scrutineers: Mapped[list[str]] = mapped_column(JSON, default=list)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
