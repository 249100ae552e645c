"""Read helpers for the projector screen and the moderator console (no Flask, no writes).

Both screens are server-rendered with the same snapshot the live channel sends, so the page is
right before its socket connects; the extras here (per-item results, the roster, every question
of the item on the floor, voting progress) are what the console shows beside that snapshot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import NotFound
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.models import Meeting
from evalmeet.schemas.meetings import ItemOut
from evalmeet.schemas.questions import QuestionOut
from evalmeet.schemas.voting import ResultOut
from evalmeet.services.meetings.live_state import build_state
from evalmeet.services.meetings.meeting import get_meeting
from evalmeet.services.meetings.questions import questions_for
from evalmeet.services.voting.ballots import latest_result, progress

# Display tokens are made by ``new_token``; anything far outside that length is not one.
_TOKEN_MIN, _TOKEN_MAX = 16, 64


def meeting_for_display(session: Session, token: object) -> Meeting:
    """The meeting whose projector link carries ``token``; unknown tokens are NotFound."""
    if not isinstance(token, str) or not _TOKEN_MIN <= len(token) <= _TOKEN_MAX:
        raise NotFound("this screen link is not valid", code="invalid_display_token")
    meeting = session.scalar(select(Meeting).where(Meeting.display_token == token))
    if meeting is None:
        raise NotFound("this screen link is not valid", code="invalid_display_token")
    return meeting


def voting_progress(session: Session, state: dict[str, Any]) -> dict[str, int] | None:
    """``{item_id, ballots, present}`` when the snapshot's item is being voted on, else None."""
    voting = state.get("voting")
    if not voting:
        return None
    return progress(session, voting["item_id"])


def projector_view(session: Session, meeting: Meeting) -> dict[str, Any]:
    """What the projector renders first: the live snapshot plus the vote's progress."""
    state = build_state(session, meeting)
    return {"state": state, "progress": voting_progress(session, state)}


def roster_rows(meeting: Meeting) -> list[dict[str, Any]]:
    """The roster for the console: no join tokens (they are credentials, and not needed here)."""
    return [
        {
            "id": rep.id,
            "name": rep.name,
            "employee_no": rep.employee_no,
            "department": rep.department,
            "present": rep.present,
            "revoked": rep.revoked,
            "checked_in_by": rep.checked_in_by,
        }
        for rep in meeting.representatives
    ]


def console_view(session: Session, meeting_id: int) -> dict[str, Any]:
    """Everything the console shows: snapshot, running order with results, roster, questions."""
    meeting = get_meeting(session, meeting_id)
    state = build_state(session, meeting)
    items = []
    for item in meeting.items:
        row = ItemOut.of(item).json_dict()
        frozen = latest_result(session, item.id) if item.status in DECIDED_ITEM_STATUSES else None
        row["result"] = ResultOut.of(frozen).json_dict() if frozen is not None else None
        items.append(row)
    current = meeting.current_item_id if meeting.status == "live" else None
    questions = (
        [QuestionOut.of(q).json_dict() for q in questions_for(session, current, public_only=False)]
        if current is not None
        else []
    )
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "status": meeting.status,
            "scale": meeting.scale,
            "quorum": meeting.quorum,
            "pass_threshold": meeting.pass_threshold,
            "location": meeting.location,
            "display_token": meeting.display_token,
        },
        "state": state,
        "progress": voting_progress(session, state),
        "items": items,
        "roster": roster_rows(meeting),
        "questions": {"item_id": current, "questions": questions},
    }
