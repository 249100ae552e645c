"""Plain-dict views of models for the API, the live channel and exports (no Flask)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from evalmeet.domain.rules import choices_for, parse_fraction, quorum_met, quorum_needed
from evalmeet.models import Action, Item, ItemResult, Meeting, Question, Representative
from evalmeet.services.followup.actions import is_overdue
from evalmeet.services.meetings.meeting import present_count, roster_size


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 text or None."""
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    """Amounts travel as strings ("1234.50") so no float touches them."""
    return None if value is None else f"{value:.2f}"


def meeting_dict(
    meeting: Meeting, *, with_items: bool = False, session: Session | None = None
) -> dict[str, Any]:
    """The meeting as the API returns it."""
    out: dict[str, Any] = {
        "id": meeting.id,
        "title": meeting.title,
        "status": meeting.status,
        "scheduled_at": iso(meeting.scheduled_at),
        "location": meeting.location,
        "scale": meeting.scale,
        "choices": list(choices_for(meeting.scale)),
        "pass_threshold": meeting.pass_threshold,
        "quorum": meeting.quorum,
        "published": meeting.published,
        "rehearsal": meeting.rehearsal,
        "phase": meeting.phase,
        "current_item_id": meeting.current_item_id,
        "created_at": iso(meeting.created_at),
        "started_at": iso(meeting.started_at),
        "finished_at": iso(meeting.finished_at),
    }
    if session is not None:
        out["attendance"] = attendance(session, meeting)
    if with_items:
        out["items"] = [item_dict(item) for item in meeting.items]
    return out


def attendance(session: Session, meeting: Meeting) -> dict[str, Any]:
    """``{present, roster, needed, quorum_met}``."""
    present = present_count(session, meeting.id)
    roster = roster_size(session, meeting.id)
    quorum = parse_fraction(meeting.quorum, "quorum")
    return {
        "present": present,
        "roster": roster,
        "needed": quorum_needed(roster, quorum),
        "quorum_met": quorum_met(present, roster, quorum),
    }


def person_dict(item: Item) -> dict[str, Any]:
    """The responsible person of an item."""
    person = item.responsible_person
    return {
        "id": person.id,
        "name": person.name,
        "position": person.position,
        "department": person.department,
    }


def item_dict(item: Item) -> dict[str, Any]:
    """An item as the API and the phones see it."""
    return {
        "id": item.id,
        "meeting_id": item.meeting_id,
        "position": item.position,
        "title": item.title,
        "kind": item.kind,
        "responsible_person": person_dict(item),
        "procurement_method": item.procurement_method,
        "supplier_count": item.supplier_count,
        "amount": money(item.amount),
        "benchmark_price": money(item.benchmark_price),
        "unit_price": money(item.unit_price),
        "description": item.description,
        "status": item.status,
        "vote_round": item.vote_round,
        "risk_flags": list(item.risk_flags or []),
    }


def representative_dict(rep: Representative, join_url: str | None = None) -> dict[str, Any]:
    """A roster entry (with its join token: only moderators see this)."""
    out: dict[str, Any] = {
        "id": rep.id,
        "meeting_id": rep.meeting_id,
        "name": rep.name,
        "employee_no": rep.employee_no,
        "department": rep.department,
        "join_token": rep.join_token,
        "present": rep.present,
        "revoked": rep.revoked,
        "checked_in_at": iso(rep.checked_in_at),
    }
    if join_url is not None:
        out["join_url"] = join_url
    return out


def result_dict(result: ItemResult) -> dict[str, Any]:
    """The contract's result object (frozen at close)."""
    return {
        "item_id": result.item_id,
        "round": result.vote_round,
        "scale": result.scale,
        "counts": dict(result.counts),
        "ballots": result.ballots,
        "present": result.present,
        "roster": result.roster,
        "satisfaction": f"{result.satisfaction_num}/{result.satisfaction_den}",
        "pass_threshold": result.pass_threshold,
        "passed": result.passed,
        "closed_at": iso(result.closed_at),
        "superseded_reason": result.superseded_reason,
    }


def question_dict(question: Question, *, for_moderator: bool = False) -> dict[str, Any]:
    """A question; who asked it is never included."""
    return {
        "id": question.id,
        "item_id": question.item_id,
        "text": question.text,
        "status": question.status,
        "answer": question.answer,
        "created_at": iso(question.created_at),
    }


def action_dict(action: Action, today: date | None = None) -> dict[str, Any]:
    """A follow-up action with its history."""
    return {
        "id": action.id,
        "item_id": action.item_id,
        "kind": action.kind,
        "description": action.description,
        "owner": action.owner,
        "due_date": iso(action.due_date),
        "status": action.status,
        "overdue": is_overdue(action, today),
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
        "history": [
            {
                "at": iso(note.created_at),
                "author": note.author,
                "from": note.status_from,
                "to": note.status_to,
                "note": note.note,
            }
            for note in action.notes
        ],
    }
