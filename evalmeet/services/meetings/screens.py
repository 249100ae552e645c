"""Read helpers for the projector screen and the moderator console (no Flask, no writes).

Both screens are server-rendered with the same snapshot the live channel sends, so the page is
right before its socket connects; the extras here (per-item results, the roster, every question
of the item on the floor, voting progress) are what the console shows beside that snapshot.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import NotFound
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.models import Ballot, Item, Meeting
from evalmeet.schemas.live import (
    ConsoleItemOut,
    ConsoleMeetingOut,
    ConsoleViewOut,
    GroupBallotsOut,
    LiveStateOut,
    PaperStatusOut,
    ProgressOut,
    ProjectorViewOut,
    RosterRowOut,
)
from evalmeet.schemas.meetings import ItemOut
from evalmeet.schemas.voting import ResultOut
from evalmeet.services.meetings.live_state import build_state
from evalmeet.services.meetings.meeting import get_item, get_meeting
from evalmeet.services.meetings.questions import moderators_list
from evalmeet.services.voting.paper import current_paper_count
from evalmeet.services.voting.round import latest_result, progress

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


def voting_progress(session: Session, state: LiveStateOut) -> ProgressOut | None:
    """``{item_id, ballots, present}`` when the snapshot's item is being voted on, else None."""
    if state.voting is None:
        return None
    return progress(session, state.voting.item_id)


def projector_view(session: Session, meeting: Meeting) -> ProjectorViewOut:
    """What the projector renders first: the live snapshot plus the vote's progress."""
    state = build_state(session, meeting)
    return ProjectorViewOut(state=state, progress=voting_progress(session, state))


def console_view(session: Session, meeting_id: int) -> ConsoleViewOut:
    """Everything the console shows: snapshot, running order with results, roster, questions."""
    meeting = get_meeting(session, meeting_id)
    state = build_state(session, meeting)
    items = []
    for item in meeting.items:
        frozen = latest_result(session, item.id) if item.status in DECIDED_ITEM_STATUSES else None
        result = ResultOut.of(frozen) if frozen is not None else None
        items.append(ConsoleItemOut(**dict(ItemOut.of(item)), result=result))
    current = meeting.current_item_id if meeting.status == "live" else None
    paper = None
    group_ballots = None
    if state.voting is not None:
        voting_item = get_item(session, state.voting.item_id)
        entries, paper_present = current_paper_count(session, voting_item)
        paper = PaperStatusOut(
            item_id=voting_item.id,
            round=voting_item.vote_round,
            paper_present=paper_present,
            entered=next((e for e in entries if e.group is None), None),
            entries=entries,
        )
        group_ballots = groups_so_far(session, voting_item, {e.group or "": e.ballots for e in entries})
    return ConsoleViewOut(
        meeting=ConsoleMeetingOut.model_validate(meeting),
        state=state,
        progress=voting_progress(session, state),
        items=items,
        roster=[RosterRowOut.model_validate(rep) for rep in meeting.representatives],
        questions=moderators_list(session, current),
        paper=paper,
        group_ballots=group_ballots,
    )


def groups_so_far(session: Session, item: Item, paper: dict[str, int]) -> list[GroupBallotsOut] | None:
    """Each rater group's ballots so far in the item's open round (phone ballots by the group
    they carry while open, plus the group's paper sheets entered): how many, nothing else.
    None for a meeting without groups."""
    groups = item.meeting.rules.groups
    if not groups:
        return None
    rows = session.execute(
        select(Ballot.rater_group, func.count())
        .where(Ballot.item_id == item.id, Ballot.vote_round == item.vote_round)
        .group_by(Ballot.rater_group)
    ).tuples()
    phone = {group: int(n) for group, n in rows}
    return [
        GroupBallotsOut(key=g.key, label=g.label, ballots=phone.get(g.key, 0) + paper.get(g.key, 0))
        for g in groups
    ]
