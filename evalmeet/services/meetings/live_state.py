"""The ``state`` snapshot every screen of a live meeting receives (phones, projector, console)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from evalmeet.domain.rules import choices_for
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.models import Meeting, Representative
from evalmeet.schemas.meetings import ItemOut
from evalmeet.schemas.questions import QuestionOut
from evalmeet.schemas.voting import ResultOut
from evalmeet.services.meetings.alerts import alerts_for
from evalmeet.services.meetings.meeting import attendance_of, get_item
from evalmeet.services.meetings.questions import questions_for
from evalmeet.services.voting.ballots import has_voted, latest_result


def build_state(session: Session, meeting: Meeting, rep: Representative | None = None) -> dict[str, Any]:
    """Full snapshot; ``has_voted`` is filled in for a representative's own phone only."""
    att = attendance_of(session, meeting).json_dict()
    item_payload: dict[str, Any] | None = None
    voting: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    phase = meeting.phase if meeting.status == "live" else "idle"
    if meeting.status == "live" and meeting.current_item_id is not None:
        item = get_item(session, meeting.current_item_id)
        item_payload = ItemOut.of(item).json_dict()
        item_payload["questions"] = [
            QuestionOut.of(q).json_dict() for q in questions_for(session, item.id, public_only=True)
        ]
        item_payload["questions_open"] = meeting.questions_open
        if item.status == "voting":
            phase = "voting"
            voting = {
                "item_id": item.id,
                "round": item.vote_round,
                "choices": list(choices_for(meeting.scale)),
                "has_voted": has_voted(session, item, rep.id) if rep is not None else False,
            }
        elif item.status in DECIDED_ITEM_STATUSES:
            frozen = latest_result(session, item.id)
            result = ResultOut.of(frozen).json_dict() if frozen is not None else None
    state: dict[str, Any] = {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "status": meeting.status,
            "scale": meeting.scale,
            "quorum": meeting.quorum,
            "pass_threshold": meeting.pass_threshold,
        },
        "item": item_payload,
        "phase": phase,
        "voting": voting,
        "attendance": {
            "present": att["present"],
            "roster": att["roster"],
            "needed": att["needed"],
            "quorum_met": att["quorum_met"],
        },
        "result": result,
    }
    if rep is not None:
        state["me"] = {"id": rep.id, "name": rep.name, "present": rep.present}
    elif meeting.status == "live":  # the console and the projector: what the room must see
        state["alerts"] = alerts_for(session, meeting.id)
    return state
