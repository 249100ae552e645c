"""Questions from the floor: who asked is never part of any answer."""

from __future__ import annotations

from typing import Annotated

from evalmeet.domain.states import QUESTION_STATUSES
from evalmeet.schemas.base import Body, Out, RowOut
from evalmeet.schemas.types import OneOf, Text, When


class QuestionOut(RowOut):
    """A question and its answer."""

    id: int
    item_id: int
    text: str
    status: str
    answer: str | None
    support: int = 0
    created_at: When


class QuestionListOut(Out):
    """``GET /items/{id}/questions`` and the moderators' ``questions`` event."""

    item_id: int | None = None
    questions: list[QuestionOut]


class QuestionModerate(Body):
    """``PATCH /questions/{id}``: a new status, and/or the secretary's answer summary.

    Either may be left out (or null) to leave it as it is.
    """

    status: Annotated[str | None, OneOf(QUESTION_STATUSES, optional=True)] = None
    answer: Annotated[str | None, Text(5000, required=False, multiline=True, nullable=True)] = None
