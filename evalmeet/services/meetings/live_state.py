"""The ``state`` snapshot every screen of a live meeting receives (phones, projector, console)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.models import Meeting, Representative
from evalmeet.schemas.live import LiveItemOut, LiveMeetingOut, LiveStateOut, MeOut, SummaryRowOut, VotingOut
from evalmeet.schemas.meetings import ItemOut
from evalmeet.schemas.questions import QuestionOut
from evalmeet.schemas.sheets import choices_out, criteria_out
from evalmeet.schemas.timer import TimerOut
from evalmeet.schemas.voting import ResultOut
from evalmeet.services.meetings.alerts import alerts_for
from evalmeet.services.meetings.meeting import attendance_of, get_item
from evalmeet.services.meetings.questions import questions_for
from evalmeet.services.meetings.recusals import recusals_of
from evalmeet.services.meetings.timer import timer_of
from evalmeet.services.voting.round import has_voted, latest_result, revote_reason


def build_state(session: Session, meeting: Meeting, rep: Representative | None = None) -> LiveStateOut:
    """Full snapshot; ``has_voted`` is filled in for a representative's own phone only."""
    item_out: LiveItemOut | None = None
    voting: VotingOut | None = None
    result: ResultOut | None = None
    phase = meeting.phase if meeting.status == "live" else "idle"
    if meeting.status == "live" and meeting.current_item_id is not None:
        item = get_item(session, meeting.current_item_id)
        item_out = LiveItemOut(
            **dict(ItemOut.of(item)),
            questions=[QuestionOut.of(q) for q in questions_for(session, item.id, public_only=True)],
            questions_open=meeting.questions_open,
            recusals=recusals_of(session, item.id),
        )
        if item.status == "voting":
            phase = "voting"
            voting = VotingOut(
                item_id=item.id,
                round=item.vote_round,
                choices=list(meeting.rules.scale.keys),
                scale=choices_out(meeting.rules),
                criteria=criteria_out(meeting.rules),
                has_voted=has_voted(session, item, rep.id) if rep is not None else False,
                revote_reason=revote_reason(session, item),
            )
        elif item.status in DECIDED_ITEM_STATUSES:
            frozen = latest_result(session, item.id)
            result = ResultOut.of(frozen) if frozen is not None else None
    timer = timer_of(session, meeting.id) if meeting.status == "live" else None
    return LiveStateOut(
        meeting=LiveMeetingOut.of(meeting),
        item=item_out,
        phase=phase,
        voting=voting,
        attendance=attendance_of(session, meeting),
        result=result,
        me=MeOut.model_validate(rep) if rep is not None else None,
        # the console and the projector: what the room must see
        alerts=alerts_for(session, meeting.id) if rep is None and meeting.status == "live" else None,
        timer=TimerOut.of(timer) if timer is not None else None,
        now=clock.now(),
        summary=closing_summary(session, meeting) if meeting.status == "closed" else None,
    )


def closing_summary(session: Session, meeting: Meeting) -> list[SummaryRowOut]:
    """Every item of a closed meeting with its latest result (none for an item never voted)."""
    rows = []
    for item in meeting.items:
        frozen = latest_result(session, item.id) if item.status in DECIDED_ITEM_STATUSES else None
        rows.append(
            SummaryRowOut(
                id=item.id,
                position=item.position,
                title=item.title,
                status=item.status,
                result=ResultOut.of(frozen) if frozen is not None else None,
            )
        )
    return rows
