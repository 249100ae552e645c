"""Questions from the floor: who asked is never part of any answer."""

from __future__ import annotations

from evalmeet.models import Question
from evalmeet.schemas.base import Out
from evalmeet.schemas.types import When


class QuestionOut(Out):
    """A question and its answer."""

    id: int
    item_id: int
    text: str
    status: str
    answer: str | None
    created_at: When

    @classmethod
    def of(cls, question: Question) -> QuestionOut:
        """The answer for ``question``."""
        return cls.model_validate(question)


class QuestionListOut(Out):
    """``GET /items/{id}/questions`` and the moderators' ``questions`` event."""

    item_id: int | None = None
    questions: list[QuestionOut]
