"""The minutes (会议纪要) of a closed meeting: everything the record holds, nothing about a ballot.

This module gathers the data; ``services.exports`` turns it into a workbook and a PDF. The
minutes carry the frozen results (counts per choice, never who chose what), the questions the
room saw with their answer summaries, the follow-up actions, attendance (public: who was in the
hall) and the head of the audit chain, so a printed copy can be checked against the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from evalmeet.domain import clock
from evalmeet.domain.sheets import Rules
from evalmeet.domain.states import require_meeting_status
from evalmeet.i18n import N_
from evalmeet.models import Action, Appeal, Item, ItemResult, Meeting, Representative, utcnow
from evalmeet.schemas.recusals import RecusalOut
from evalmeet.schemas.voting import ChannelsOut
from evalmeet.services.accounts import audit
from evalmeet.services.archive.sheet_figures import SheetFigures, figures_of
from evalmeet.services.followup.actions import is_overdue
from evalmeet.services.followup.appeals import appeals_by_action
from evalmeet.services.meetings.meeting import get_meeting
from evalmeet.services.meetings.questions import AnsweredQuestion, questions_for
from evalmeet.services.meetings.recusals import recusals_by_item

# Who signs the printed minutes, each on a line with the date: the moderator (主持人), the
# recorder (记录人) and the scrutineers (监票人, two lines). Message ids, translated by the edge.
SIGNATORIES = (N_("Moderator"), N_("Recorder"), N_("Scrutineer"), N_("Scrutineer"))

# Meetings happen in China: every time in the minutes is China Standard Time (domain/clock).
china_time = clock.china_time
china_date = clock.china_date


def percent(num: int, den: int) -> Decimal | None:
    """``num/den`` as a percentage with one decimal (display only; results are decided exactly)."""
    if not den:
        return None
    return (Decimal(num * 100) / Decimal(den)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Round:
    """One frozen round of voting on an item."""

    number: int
    counts: list[tuple[str, int]]  # (choice, n) in the scale's order
    ballots: int
    present: int
    roster: int
    satisfaction: str  # "a/b", unreduced, as counted in the hall
    satisfaction_num: int
    satisfaction_den: int
    percent: Decimal | None
    pass_threshold: str
    passed: bool
    closed_at: datetime
    superseded_reason: str | None
    # Phone and paper apart (a channel's counts are None below three ballots).
    channels: ChannelsOut | None = None
    # Each criterion's and each rater group's figures, and the average score (when any).
    sheet: SheetFigures = field(default_factory=SheetFigures)

    @property
    def had_paper(self) -> bool:
        """Whether paper ballots were counted (or a paper count entered) in this round."""
        paper = self.channels.paper if self.channels else None
        return bool(paper and (paper.ballots or paper.invalid or paper.scrutineers))

    def channel_counts(self, channel: str) -> list[tuple[str, int]] | None:
        """One channel's counts in the scale's order, or None when they are not shown."""
        if self.channels is None:
            return None
        counts = getattr(self.channels, channel).counts
        return (
            None if counts is None else [(choice, int(counts.get(choice, 0))) for choice, _n in self.counts]
        )


@dataclass(frozen=True)
class AppealEntry:
    """An appeal against a sanction (申诉) and its decision, as the minutes list it."""

    status: str
    statement: str
    filed_on: date
    reason: str
    decided_at: datetime | None


@dataclass(frozen=True)
class ActionEntry:
    """A follow-up action as the minutes list it."""

    kind: str
    description: str
    owner: str
    due_date: date | None
    status: str
    overdue: bool
    appeals: tuple[AppealEntry, ...] = ()


@dataclass
class ItemEntry:
    """One item of the running order with everything recorded about it."""

    number: int
    item: Item
    person_name: str
    person_position: str
    person_department: str
    risk_flags: list[dict[str, str]]
    questions: list[AnsweredQuestion] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    actions: list[ActionEntry] = field(default_factory=list)
    # Who recused and why, as the API answers it (public, unlike any ballot).
    recusals: list[RecusalOut] = field(default_factory=list)

    @property
    def result(self) -> Round | None:
        """The current (latest) round's result, or None when the item was never voted on."""
        return self.rounds[-1] if self.rounds else None


@dataclass
class Minutes:
    """The whole record of one closed meeting."""

    meeting: Meeting
    rules: Rules
    choices: tuple[str, ...]
    roster: int
    present: int
    present_names: list[str]
    items: list[ItemEntry]
    audit_head: str
    generated_at: datetime
    signatories: tuple[str, ...] = SIGNATORIES

    @property
    def passed(self) -> int:
        """Items whose current result passed."""
        return sum(1 for entry in self.items if entry.result is not None and entry.result.passed)

    @property
    def failed(self) -> int:
        """Items whose current result failed."""
        return sum(1 for entry in self.items if entry.result is not None and not entry.result.passed)


def to_round(result: ItemResult, rules: Rules) -> Round:
    """A frozen result as the minutes show it (counts in the order of the meeting's scale, which
    may be a custom one: its choices come from the meeting's rules, not from a preset's name)."""
    order = rules.scale.keys
    return Round(
        number=result.vote_round,
        counts=[(choice, int(result.counts.get(choice, 0))) for choice in order],
        ballots=result.ballots,
        present=result.present,
        roster=result.roster,
        satisfaction=f"{result.satisfaction_num}/{result.satisfaction_den}",
        satisfaction_num=result.satisfaction_num,
        satisfaction_den=result.satisfaction_den,
        percent=percent(result.satisfaction_num, result.satisfaction_den),
        pass_threshold=result.pass_threshold,
        passed=result.passed,
        closed_at=result.closed_at,
        superseded_reason=result.superseded_reason,
        channels=ChannelsOut.of(result),
        sheet=figures_of(result, rules),
    )


def to_appeal(appeal: Appeal) -> AppealEntry:
    """An appeal as the minutes list it."""
    return AppealEntry(appeal.status, appeal.statement, appeal.filed_on, appeal.reason, appeal.decided_at)


def to_action(action: Action, today: date, appeals: list[Appeal] | None = None) -> ActionEntry:
    """An action as the minutes list it (with its appeals, oldest first)."""
    return ActionEntry(
        kind=action.kind,
        description=action.description,
        owner=action.owner,
        due_date=action.due_date,
        status=action.status,
        overdue=is_overdue(action, today),
        appeals=tuple(to_appeal(a) for a in appeals or ()),
    )


def _results_by_item(session: Session, item_ids: list[int]) -> dict[int, list[ItemResult]]:
    out: dict[int, list[ItemResult]] = {i: [] for i in item_ids}
    if item_ids:
        rows = session.scalars(
            select(ItemResult).where(ItemResult.item_id.in_(item_ids)).order_by(ItemResult.vote_round)
        )
        for row in rows:
            out[row.item_id].append(row)
    return out


def _actions_by_item(session: Session, item_ids: list[int]) -> dict[int, list[Action]]:
    out: dict[int, list[Action]] = {i: [] for i in item_ids}
    if item_ids:
        for row in session.scalars(select(Action).where(Action.item_id.in_(item_ids)).order_by(Action.id)):
            out[row.item_id].append(row)
    return out


def build_minutes(session: Session, meeting_id: Any, today: date | None = None) -> Minutes:
    """The minutes of a closed meeting; a draft or live one is refused (``meeting_<status>``, 409)."""
    meeting = get_meeting(session, meeting_id)
    require_meeting_status(
        meeting.id, meeting.status, "closed", doing="produce the minutes", reason="minutes"
    )
    today = today or clock.today()
    meeting = session.scalars(
        select(Meeting)
        .where(Meeting.id == meeting.id)
        .options(selectinload(Meeting.items).selectinload(Item.responsible_person))
        .execution_options(populate_existing=True)
    ).one()
    reps = list(
        session.scalars(
            select(Representative)
            .where(Representative.meeting_id == meeting.id, Representative.revoked.is_(False))
            .order_by(Representative.id)
        )
    )
    item_ids = [item.id for item in meeting.items]
    results = _results_by_item(session, item_ids)
    actions = _actions_by_item(session, item_ids)
    recused = recusals_by_item(session, item_ids)
    appealed = appeals_by_action(session, [a.id for rows in actions.values() for a in rows])
    rules = meeting.rules
    entries = []
    for number, item in enumerate(meeting.items, start=1):
        person = item.responsible_person
        entries.append(
            ItemEntry(
                number=number,
                item=item,
                person_name=person.name,
                person_position=person.position,
                person_department=person.department,
                risk_flags=list(item.risk_flags or []),
                questions=[AnsweredQuestion.of(q) for q in questions_for(session, item.id, public_only=True)],
                rounds=[to_round(r, rules) for r in results[item.id]],
                actions=[to_action(a, today, appealed.get(a.id)) for a in actions[item.id]],
                recusals=recused[item.id],
            )
        )
    return Minutes(
        meeting=meeting,
        rules=rules,
        choices=rules.scale.keys,
        roster=len(reps),
        present=sum(1 for r in reps if r.present),
        present_names=[r.name for r in reps if r.present],
        items=entries,
        audit_head=audit.head(session),
        generated_at=utcnow(),
    )
