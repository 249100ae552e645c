"""Voting: the frozen result of a round, as the API, the screens and the minutes show it."""

from __future__ import annotations

from typing import Annotated

from evalmeet.models import ItemResult
from evalmeet.schemas.base import Body, Out
from evalmeet.schemas.types import Text, When


class RevoteBody(Body):
    """``POST /items/{id}/revote``: why the vote is run again (kept on record)."""

    reason: Annotated[str, Text(500)]


class ResultOut(Out):
    """The contract's result object, frozen when the round closed."""

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

    @classmethod
    def of(cls, result: ItemResult) -> ResultOut:
        """The answer for a frozen ``result``."""
        return cls(
            item_id=result.item_id,
            round=result.vote_round,
            scale=result.scale,
            counts=dict(result.counts),
            ballots=result.ballots,
            present=result.present,
            roster=result.roster,
            recused=result.recused,
            satisfaction=f"{result.satisfaction_num}/{result.satisfaction_den}",
            pass_threshold=result.pass_threshold,
            passed=result.passed,
            closed_at=result.closed_at,
            superseded_reason=result.superseded_reason,
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
