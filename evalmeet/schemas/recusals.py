"""Recusal (回避): a representative steps out of one item's vote, with a reason (public)."""

from __future__ import annotations

from typing import Annotated

from evalmeet.models import Recusal
from evalmeet.schemas.base import Body, Out
from evalmeet.schemas.types import Id, Text, When

MAX_REASON = 500


class RecusalCreate(Body):
    """``POST /items/{id}/recusals``: who recuses, and why."""

    representative_id: Id
    reason: Annotated[str, Text(MAX_REASON, multiline=True)]


class RecusalOut(Out):
    """A recusal: who (id and name, both public) and why."""

    id: int
    item_id: int
    representative_id: int
    name: str
    reason: str
    created_at: When

    @classmethod
    def of(cls, recusal: Recusal, name: str) -> RecusalOut:
        """The answer for ``recusal`` of the representative called ``name``."""
        return cls.from_row(recusal, name=name)


class RecusalListOut(Out):
    """``GET /items/{id}/recusals``: the item's recusals, in the order they were declared."""

    item_id: int
    recusals: list[RecusalOut]
