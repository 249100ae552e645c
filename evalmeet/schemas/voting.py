"""Voting: the frozen result of a round, as the API, the screens and the minutes show it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from evalmeet.models import ItemResult, PaperCount
from evalmeet.schemas.base import Body, Out
from evalmeet.schemas.types import Text, When, Whole

MAX_SHEETS = 100_000
MAX_SCRUTINEERS = 20


class RevoteBody(Body):
    """``POST /items/{id}/revote``: why the vote is run again (kept on record)."""

    reason: Annotated[str, Text(500)]


Count = Annotated[int, Whole(0, MAX_SHEETS)]


class PaperCountBody(Body):
    """``PUT /items/{id}/paper_count``: the scrutineers' count of the paper ballots, by choice.

    ``counts``: ``{choice: n}``, or with criteria ``{criterion: {choice: n}}`` (each criterion's
    counts and ``invalid`` add up to the same number of sheets); ``invalid``: spoilt or blank
    sheets, which count towards the sheets but not the ballots; ``group``: the rater group whose
    sheets these are (meetings with groups: each group is counted, and replaced, apart).
    """

    counts: dict[str, Count | dict[str, Count]]
    invalid: Count = 0
    scrutineers: Annotated[list[Annotated[str, Text(100)]], Field(max_length=MAX_SCRUTINEERS)]
    group: Annotated[str | None, Text(32, required=False)] = None


class PaperCountOut(Out):
    """The paper count entered for an open round (``ballots``: the valid sheets; ``paper_present``:
    the paper voters of the round who are present, which the sheets may not exceed)."""

    item_id: int
    round: int
    group: str | None = None
    counts: dict[str, int | dict[str, int]]
    ballots: int
    invalid: int
    scrutineers: list[str]
    paper_present: int
    entered_at: When

    @classmethod
    def of(cls, row: PaperCount, paper_present: int) -> PaperCountOut:
        """The answer for an entered count."""
        return cls(
            item_id=row.item_id,
            round=row.vote_round,
            group=row.rater_group or None,
            counts=dict(row.counts),
            ballots=valid_sheets(row.counts),
            invalid=row.invalid,
            scrutineers=list(row.scrutineers),
            paper_present=paper_present,
            entered_at=row.entered_at,
        )


def valid_sheets(counts: dict[str, Any]) -> int:
    """The valid sheets of a paper count: its choices' sum (with criteria: any criterion's)."""
    first = next(iter(counts.values()), 0)
    return sum(first.values()) if isinstance(first, dict) else sum(counts.values())


CHANNEL_MIN = 3
"""A ballot channel with fewer ballots than this shows how many, never its counts (secrecy.md)."""


class _ChannelOut(Out):
    counts: dict[str, int] | None = None
    ballots: int

    @model_serializer(mode="wrap")
    def _without_hidden_counts(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("counts") is None:
            data.pop("counts", None)
        return data


class PhoneChannelOut(_ChannelOut):
    """The ballots cast on phones; ``counts`` left out below three ballots."""


class PaperChannelOut(_ChannelOut):
    """The paper ballots the scrutineers counted; ``counts`` left out below three ballots."""

    invalid: int = 0
    scrutineers: list[str] = []


class ChannelsOut(Out):
    """Each ballot channel of a round; the result's own ``counts``/``ballots`` are their sum."""

    phone: PhoneChannelOut
    paper: PaperChannelOut

    @classmethod
    def of(cls, result: ItemResult) -> ChannelsOut:
        """As frozen; a result from before paper ballots had only the phone channel."""
        if result.channels is not None:
            return cls.model_validate(result.channels)
        counts = dict(result.counts) if result.ballots >= CHANNEL_MIN else None
        return cls(
            phone=PhoneChannelOut(counts=counts, ballots=result.ballots),
            paper=PaperChannelOut(ballots=0),
        )


class CriterionResultOut(Out):
    """One criterion of a rating sheet: its counts by choice, and its satisfaction."""

    counts: dict[str, int]
    satisfaction: str


class GroupResultOut(Out):
    """One rater group: its ballots, its satisfaction and its weight (exact fractions)."""

    ballots: int
    satisfaction: str
    weight: str


class ResultOut(Out):
    """The contract's result object, frozen when the round closed (``counts`` and ``ballots``:
    every valid ballot, phone and paper; ``channels``: each apart)."""

    item_id: int
    round: int
    scale: str
    counts: dict[str, int]
    ballots: int
    present: int
    roster: int
    recused: int = 0
    satisfaction: str
    pass_threshold: str
    passed: bool
    closed_at: When
    superseded_reason: str | None
    channels: ChannelsOut
    # With criteria: each one's counts and satisfaction; with rater groups: each group's ballots,
    # satisfaction and weight; on a scored scale: the exact average score. Left out otherwise.
    criteria: dict[str, CriterionResultOut] | None = None
    groups: dict[str, GroupResultOut] | None = None
    average_score: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_figures(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in ("criteria", "groups", "average_score"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    @classmethod
    def of(cls, result: ItemResult) -> ResultOut:
        """The answer for a frozen ``result``."""
        return cls.from_row(
            result,
            round=result.vote_round,
            counts=dict(result.counts),
            satisfaction=f"{result.satisfaction_num}/{result.satisfaction_den}",
            channels=ChannelsOut.of(result),
        )


class ResultHistoryOut(Out):
    """``GET /items/{id}/results``: every round, superseded ones included."""

    results: list[ResultOut]


class ReceiptsOut(Out):
    """``GET /items/{id}/receipts``: the sorted receipt codes of the latest round, never a choice."""

    item_id: int
    receipts: list[str]


class ReceiptCheckOut(Out):
    """``GET /receipts/{code}``: the ballot with this receipt was counted."""

    receipt: str
    item_id: int
    round: int
    counted: bool
