"""Factories: build meetings, rosters and items through the services (as a user would)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from sqlalchemy.orm import Session

from evalmeet.domain.errors import DomainError
from evalmeet.models import Action, Item, Meeting, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.live import AskQuestionBody, CastVoteBody
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.questions import QuestionModerate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.followup import actions
from evalmeet.services.meetings import conduct, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import ballots as voting

__all__ = [
    "meeting_factory",
    "build_meeting",
    "LiveMeeting",
    "ballot",
    "asked",
    "moderation",
    "item_body",
    "action_on",
    "add_person",
    "add_item",
    "cast_together",
]


class LiveMeeting:
    """A meeting with a roster and items, optionally started and checked in."""

    def __init__(self, meeting: Meeting, reps: list[Representative], items: list[Item]) -> None:
        self.meeting = meeting
        self.reps = reps
        self.items = items

    @property
    def id(self) -> int:
        return self.meeting.id


def add_person(
    session: Session, meeting_id: int, fields: dict[str, Any], actor: str = "test"
) -> Representative:
    """A representative put on a meeting's roster through the service (``fields`` as the roster
    form and API take them)."""
    return roster.add_representative(session, meeting_id, parse(RepresentativeCreate, fields), actor).value


def add_item(session: Session, meeting_id: int, fields: dict[str, Any], actor: str = "test") -> Item:
    """An item put on a meeting's agenda through the service (``fields`` as ``ItemCreate`` takes
    them, see :func:`item_body`)."""
    return agenda.add_item(session, meeting_id, parse(ItemCreate, fields), actor).value


def cast_together(
    session: Session,
    item_id: int,
    voters: Sequence[Representative],
    choices: Iterable[str],
    keys: Iterable[str] | None = None,
) -> list[Any]:
    """``voters`` cast one ballot each (``choices`` in the same order; ``keys`` fresh unless
    given) in one batch through ``voting.cast_ballots``, as a hall of phones does; the outcomes."""
    keys = keys if keys is not None else (uuid.uuid4().hex for _ in voters)
    batch = [
        voting.CastRequest(rep.id, ballot(item_id, choice, key))
        for rep, choice, key in zip(voters, choices, keys, strict=True)
    ]
    return voting.cast_ballots(session, batch)


def build_meeting(
    session: Session,
    *,
    reps: int = 3,
    items: int = 1,
    start: bool = True,
    present: int | None = None,
    group_of: list[str] | None = None,
    **meeting_fields: Any,
) -> LiveMeeting:
    """A meeting with ``reps`` representatives and ``items`` items; ``present`` check in;
    ``group_of``: each representative's rater group (meetings with ``groups``)."""
    fields = {"title": "第一次采购评价会"}
    fields.update(meeting_fields)
    meeting = meetings.create_meeting(session, parse(MeetingCreate, fields), "test").value
    people = [
        add_person(
            session,
            meeting.id,
            {"name": f"代表{i}", "employee_no": f"E{i:04d}", "department": "炼钢厂"}
            | ({"group": group_of[i - 1]} if group_of else {}),
        )
        for i in range(1, reps + 1)
    ]
    item_rows = [
        add_item(
            session,
            meeting.id,
            {
                "title": f"采购项目 {i}",
                "responsible_person": {"name": f"采购员{i}", "department": "供应处"},
                "procurement_method": "single_source",
                "supplier_count": 1,
                "amount": "350000.00",
                "benchmark_price": "100.00",
                "unit_price": "120.00",
            },
        )
        for i in range(1, items + 1)
    ]
    if start:
        conduct.start_meeting(session, meeting.id, "test")
        count = reps if present is None else present
        for rep in people[:count]:
            conduct.check_in(session, rep, "link")
    session.commit()
    return LiveMeeting(meeting, people, item_rows)


@pytest.fixture
def meeting_factory(session: Session) -> Any:
    """``meeting_factory(reps=3, items=1, start=True, present=None, **fields)``."""

    def make(**kw: Any) -> LiveMeeting:
        return build_meeting(session, **kw)

    return make


# A custom scale with scores (the one a yearly 民主测评 uses), as the API takes it.
GRADES: dict[str, Any] = {
    "choices": [
        {"key": "excellent", "label": "优秀", "satisfied": True, "score": "100"},
        {"key": "competent", "label": "称职", "satisfied": True, "score": "80"},
        {"key": "basically_competent", "label": "基本称职", "satisfied": True, "score": "60"},
        {"key": "incompetent", "label": "不称职", "satisfied": False, "score": "0"},
    ]
}

# The buyer most test items are about: (name, position, department).
BUYER = ("王建国", "采购员", "供应处")


def item_body(
    title: str,
    person: tuple[str, str, str],
    method: str = "single_source",
    suppliers: int = 1,
    *,
    prices: tuple[str, str, str] | None = None,
    **more: str,
) -> dict[str, Any]:
    """An item as the API and ``ItemCreate`` take it: ``person`` is (name, position, department);
    ``prices`` the (amount, benchmark_price, unit_price); ``more`` adds amount, description."""
    name, position, department = person
    if prices is not None:
        more = dict(zip(("amount", "benchmark_price", "unit_price"), prices, strict=True)) | more
    return {
        "title": title,
        "responsible_person": {"name": name, "position": position, "department": department},
        "procurement_method": method,
        "supplier_count": suppliers,
        **more,
    }


def action_on(
    session: Session,
    item_id: int,
    description: str,
    kind: str = "other",
    *,
    actor: str = "mod",
    **fields: Any,
) -> Action:
    """A follow-up action on an item, added by ``actor`` (the moderator; ``fields``: owner,
    due_date, ...)."""
    body = parse(ActionCreate, {"kind": kind, "description": description, **fields})
    return actions.add_action(session, item_id, body, actor).value


def ballot(item_id: Any, choice: Any, key: Any, round: Any = None) -> CastVoteBody:  # noqa: A002
    """A phone's ``cast_vote`` payload, read as the live channel reads it (``round`` if given;
    a dict ``choice`` is a rating sheet, sent as ``choices``)."""
    payload = {"item_id": item_id, "key": key} | (
        {"choices": choice} if isinstance(choice, dict) else {"choice": choice}
    )
    if round is not None:
        payload["round"] = round
    return parse(CastVoteBody, payload)


def asked(item_id: Any, text: Any) -> AskQuestionBody:
    """A phone's ``ask_question`` payload, read as the live channel reads it."""
    return parse(AskQuestionBody, {"item_id": item_id, "text": text})


def moderation(status: Any = None, answer: Any = None) -> QuestionModerate:
    """A moderator's ``PATCH /questions/{id}`` body: a status and/or an answer."""
    body = {"status": status} if status is not None else {}
    if answer is not None:
        body["answer"] = answer
    return parse(QuestionModerate, body)


def refusal(session: Session, rep: Representative, payload: CastVoteBody) -> DomainError:
    """What casting ``payload`` as ``rep`` is refused with (the session is rolled back after)."""
    with pytest.raises(DomainError) as err:
        voting.cast_ballot(session, rep, payload)
    session.rollback()
    return err.value
