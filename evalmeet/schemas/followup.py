"""Follow-up actions: what was decided after a vote, and its history."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from evalmeet.domain import clock
from evalmeet.models import Action
from evalmeet.schemas.base import Out
from evalmeet.schemas.types import Day, When


class ActionNoteOut(Out):
    """One step of an action's history."""

    at: When
    author: str
    from_: str | None = Field(serialization_alias="from")
    to: str | None
    note: str | None


class ActionOut(Out):
    """A follow-up action with its history."""

    id: int
    item_id: int
    kind: str
    description: str
    owner: str | None
    due_date: Day
    status: str
    overdue: bool
    created_at: When
    updated_at: When
    history: list[ActionNoteOut]

    @classmethod
    def of(cls, action: Action, today: date | None = None) -> ActionOut:
        """The answer for ``action`` (overdue as of ``today``, the China day by default)."""
        from evalmeet.services.followup.actions import is_overdue  # (services import this module)

        return cls(
            id=action.id,
            item_id=action.item_id,
            kind=action.kind,
            description=action.description,
            owner=action.owner,
            due_date=action.due_date,
            status=action.status,
            overdue=is_overdue(action, today or clock.today()),
            created_at=action.created_at,
            updated_at=action.updated_at,
            history=[
                ActionNoteOut(
                    at=note.created_at,
                    author=note.author,
                    from_=note.status_from,
                    to=note.status_to,
                    note=note.note,
                )
                for note in action.notes
            ],
        )


class ActionListOut(Out):
    """``GET /items/{id}/actions``."""

    actions: list[ActionOut]
