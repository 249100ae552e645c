"""Appeals (申诉) against a sanction and corrections of a finished meeting: bodies and answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from evalmeet.domain.states import APPEAL_DECISIONS
from evalmeet.models import Appeal
from evalmeet.schemas.base import Body, Out, RowOut
from evalmeet.schemas.types import Day, OneOf, OptionalDate, Text, When, Whole

# --- appeals ----------------------------------------------------------------------------------


class AppealCreate(Body):
    """``POST /actions/{id}/appeals``: the appellant's statement and the day it was filed
    (default: today, China day)."""

    statement: Annotated[str, Text(5000, multiline=True)]
    filed_on: OptionalDate = None


class AppealDecide(Body):
    """``PATCH /appeals/{id}``: the decision on a pending appeal and its reason."""

    decision: Annotated[str, OneOf(APPEAL_DECISIONS)]
    reason: Annotated[str, Text(5000, multiline=True)]


class AppealOut(Out):
    """An appeal: ``status`` is ``pending`` until decided, then the decision."""

    id: int
    action_id: int
    status: str
    statement: str
    filed_on: Day
    filed_by: str
    deadline: Day
    decision: str | None
    reason: str | None
    decided_at: When
    decided_by: str | None
    created_at: When

    @classmethod
    def of(cls, appeal: Appeal, deadline: date | None) -> AppealOut:
        """The answer for ``appeal`` (``deadline``: the last day an appeal on its action was due)."""
        decided = appeal.status != "pending"
        return cls.from_row(
            appeal,
            deadline=deadline,
            decision=appeal.status if decided else None,
            reason=appeal.reason if decided else None,
            decided_by=appeal.decided_by if decided else None,
        )


class AppealListOut(Out):
    """``GET /actions/{id}/appeals``: oldest first, with the action's deadline."""

    action_id: int
    deadline: Day
    appealable: bool
    appeals: list[AppealOut]


# --- corrections ------------------------------------------------------------------------------


class CorrectionCreate(Body):
    """``POST /meetings/{id}/corrections``: one text of a finished meeting, its new wording and why.

    ``target`` is ``meeting`` (no ``target_id`` needed), ``item``, ``question``,
    ``representative`` or ``responsible_person``; ``field`` one of the texts that target has
    (``docs/interface.md``); anything else (a status, a count, attendance) is refused.
    """

    target: Annotated[str, Text(32)]
    target_id: Annotated[int | None, Whole(1, 2_147_483_647, optional=True)] = None
    field: Annotated[str, Text(32)]
    value: Annotated[str, Text(10_000, required=False, multiline=True)]
    reason: Annotated[str, Text(1000, multiline=True)]


class CorrectionOut(RowOut):
    """One correction in a meeting's revision history."""

    id: int
    meeting_id: int
    target: str
    target_id: int
    field: str
    old_value: str
    new_value: str
    reason: str
    author: str
    created_at: When


class CorrectionListOut(Out):
    """``GET /meetings/{id}/corrections``: the revision history, oldest first."""

    meeting_id: int
    corrections: list[CorrectionOut]
