"""Following actions through: the overdue dashboard, an action's page, report-back, rehearsal wipe.

- The dashboard lists the actions of live and closed meetings (never drafts or rehearsals),
  overdue ones first; an action is overdue when its due date has passed and it is still open or
  in progress (due today is not overdue), exactly as ``/api/v1/stats`` counts it.
- Report-back (回头看): a draft or live meeting takes the unresolved (not yet verified) actions of
  earlier closed, non-rehearsal meetings as ONE item of kind ``report_back``, linked to them by
  :class:`ReportBackLink`. When that item's vote closes, ``round.close_voting`` writes a note
  with the result into each linked action's history (one ``INSERT … SELECT``).
- Wiping a rehearsal deletes the meeting with everything hanging off it
  (``meetings.delete_meeting``, database cascades), responsible persons who were only in it,
  and, once the edge has committed, the evidence files on disk (``FilesRemoved``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.domain.labels import ACTION_KIND_LABELS, ACTION_STATUS_LABELS, Labels
from evalmeet.domain.states import ACTION_STATUSES, UNVERIFIED_ACTION_STATUSES, require_meeting_status
from evalmeet.i18n import chinese
from evalmeet.models import (
    Action,
    ActionAttachment,
    ActionNote,
    Appeal,
    Item,
    ItemResult,
    Meeting,
    ReportBackLink,
    Representative,
    ResponsiblePerson,
)
from evalmeet.models.base import contains_text
from evalmeet.schemas.followup import ActionFilters, ReportBackCreate
from evalmeet.schemas.items import ItemCreate, PersonIn
from evalmeet.schemas.query import Cursor
from evalmeet.services import paging
from evalmeet.services.accounts import audit
from evalmeet.services.archive import savings
from evalmeet.services.events import Done, FilesRemoved, MeetingChanged, done
from evalmeet.services.followup import evidence
from evalmeet.services.followup.actions import days_overdue, get_action, overdue_condition
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings

PAGE_SIZE = 100
MAX_REPORT_BACK = 100  # actions in one report-back item: a meeting votes on what it can discuss
REPORT_BACK_PERSON = "整改责任单位"


# --- the dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    """One line of the dashboard."""

    action: Action
    item: Item
    meeting: Meeting
    person: ResponsiblePerson
    days_overdue: int


@dataclass
class Dashboard:
    """The dashboard: the rows of one page, and counts over every action in scope."""

    rows: list[ActionRow]
    matching: int
    overdue: int
    by_status: dict[str, int]
    owners: list[str]
    page: int
    pages: int
    today: date
    filters: ActionFilters = field(default_factory=ActionFilters)
    saved: Decimal | None = None  # with ``?savings=1``: what the listed re-tenders saved


def _in_scope() -> Any:
    """Actions the dashboard shows: of live and closed meetings that are not rehearsals."""
    return and_(Meeting.status.in_(("live", "closed")), Meeting.rehearsal.is_(False))


def _joined(stmt: Any) -> Any:
    return (
        stmt.join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
        .where(_in_scope())
    )


def dashboard(session: Session, filters: ActionFilters, today: date | None = None) -> Dashboard:
    """The actions dashboard: overdue first (most overdue first), then by status and due date."""
    today = today or clock.today()
    conditions = []
    if filters.status:
        conditions.append(Action.status == filters.status)
    if filters.kind:
        conditions.append(Action.kind == filters.kind)
    if filters.overdue_only:
        conditions.append(overdue_condition(today))
    if filters.owner:
        conditions.append(contains_text(Action.owner, filters.owner))
    if filters.appeal_pending:
        conditions.append(exists().where(Appeal.action_id == Action.id, Appeal.status == "pending"))
    if filters.savings:
        conditions.append(savings.savings_condition())
    if filters.year:
        conditions.append(savings.year_condition(filters.year))
    if filters.department:
        conditions.append(savings.department_condition(filters.department))

    matching = session.scalar(_joined(select(func.count()).select_from(Action)).where(*conditions)) or 0
    pages = max(1, -(-matching // PAGE_SIZE))
    page = min(filters.page, pages)
    status_rank = case({s: n for n, s in enumerate(ACTION_STATUSES)}, value=Action.status, else_=9)
    stmt = (
        _joined(select(Action, Item, Meeting, ResponsiblePerson).select_from(Action))
        .where(*conditions)
        .order_by(
            case((overdue_condition(today), 0), else_=1),
            status_rank,
            Action.due_date.is_(None),
            Action.due_date,
            Action.id,
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [
        ActionRow(action, item, meeting, person, days_overdue(action, today))
        for action, item, meeting, person in session.execute(stmt).all()
    ]
    overdue = (
        session.scalar(_joined(select(func.count()).select_from(Action)).where(overdue_condition(today))) or 0
    )
    by_status: dict[str, int] = dict(
        session.execute(
            _joined(select(Action.status, func.count()).select_from(Action)).group_by(Action.status)
        ).all()
    )
    owners = list(
        session.scalars(
            _joined(select(Action.owner).select_from(Action))
            .where(Action.owner != "")
            .group_by(Action.owner)
            .order_by(Action.owner)
            .limit(500)
        )
    )
    return Dashboard(
        rows=rows,
        matching=int(matching),
        overdue=int(overdue),
        by_status={s: int(by_status.get(s, 0)) for s in ACTION_STATUSES},
        owners=owners,
        page=page,
        pages=pages,
        today=today,
        filters=filters,
        saved=_saved(session, conditions) if filters.savings else None,
    )


def _saved(session: Session, conditions: list[Any]) -> Decimal:
    """What the re-tenders matching ``conditions`` saved (every page, not just this one)."""
    rows = session.execute(
        _joined(select(Item.amount, Action.outcome_amount).select_from(Action)).where(*conditions)
    )
    return sum((savings.saving(amount, outcome) for amount, outcome in rows), Decimal("0.00"))


# --- failed items nobody has followed up yet ----------------------------------------------------


@dataclass(frozen=True)
class UnfollowedItem:
    """An item whose vote failed and that has no follow-up action yet."""

    item: Item
    meeting: Meeting
    person: ResponsiblePerson


MAX_UNFOLLOWED = 200


def failed_without_actions(
    session: Session, meeting_id: int | None = None, limit: int = MAX_UNFOLLOWED
) -> list[UnfollowedItem]:
    """Failed items (未通过) without any follow-up action: of one meeting, or of every live and
    closed real meeting (the dashboard's scope), oldest meeting first, in running order."""
    has_action = select(Action.id).where(Action.item_id == Item.id).exists()
    stmt = (
        select(Item, Meeting, ResponsiblePerson)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
        .where(Item.status == "failed", ~has_action)
    )
    stmt = stmt.where(_in_scope()) if meeting_id is None else stmt.where(Item.meeting_id == meeting_id)
    stmt = stmt.order_by(Meeting.id, Item.position, Item.id).limit(limit)
    return [UnfollowedItem(item, meeting, person) for item, meeting, person in session.execute(stmt).all()]


# --- one action -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportBackVote:
    """A report-back item an action was put to, with its latest result (None until voted)."""

    item: Item
    meeting: Meeting
    result: ItemResult | None


@dataclass
class ActionDetail:
    """Everything the action page shows."""

    action: Action
    item: Item
    meeting: Meeting
    person: ResponsiblePerson
    notes: list[ActionNote]
    attachments: list[ActionAttachment]
    report_backs: list[ReportBackVote]
    days_overdue: int


def action_detail(session: Session, action_id: Any, today: date | None = None) -> ActionDetail:
    """An action with its item, meeting, history, evidence and report-back votes."""
    action = get_action(session, action_id)
    item = meetings.get_item(session, action.item_id)
    notes = list(
        session.scalars(select(ActionNote).where(ActionNote.action_id == action.id).order_by(ActionNote.id))
    )
    linked = session.execute(
        select(Item, Meeting)
        .join(ReportBackLink, ReportBackLink.item_id == Item.id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(ReportBackLink.action_id == action.id)
        .order_by(Item.id)
    ).all()
    results: dict[int, ItemResult] = {}
    if linked:
        for result in session.scalars(
            select(ItemResult)
            .where(ItemResult.item_id.in_([i.id for i, _m in linked]))
            .order_by(ItemResult.item_id, ItemResult.vote_round)
        ):
            results[result.item_id] = result  # the last round wins
    return ActionDetail(
        action=action,
        item=item,
        meeting=item.meeting,
        person=item.responsible_person,
        notes=notes,
        attachments=evidence.attachments_of(session, action.id),
        report_backs=[ReportBackVote(i, m, results.get(i.id)) for i, m in linked],
        days_overdue=days_overdue(action, today),
    )


# --- report-back ------------------------------------------------------------------------------


# The candidates' order, oldest meetings first: the pages of a draft's report-back list (ten
# years of a company hold thousands of unresolved actions; one page of them was 2.3 MB, 0.9 s).
CANDIDATES: paging.Keyset[Any] = paging.Keyset(
    "report_back",
    paging.keys((Meeting.finished_at, datetime), (Meeting.id, int), (Item.position, int), (Action.id, int)),
    key_of=lambda row: (row[2].finished_at, row[2].id, row[1].position, row[0].id),
    descending=False,
)


def _candidates(meeting_id: int, text: str = "") -> Any:
    """Unresolved actions of earlier closed real meetings, not yet put to this meeting; with
    ``text``, those whose meeting, item, responsible person, department, owner or description
    holds it."""
    already = (
        select(ReportBackLink.action_id)
        .join(Item, Item.id == ReportBackLink.item_id)
        .where(Item.meeting_id == meeting_id)
    )
    return (
        select(Action, Item, Meeting, ResponsiblePerson)
        .select_from(Action)
        .join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
        .where(
            Meeting.status == "closed",
            Meeting.rehearsal.is_(False),
            Meeting.id != meeting_id,
            Action.status.in_(UNVERIFIED_ACTION_STATUSES),
            Action.id.not_in(already),
            *(
                [
                    or_(
                        contains_text(Meeting.title, text),
                        contains_text(Item.title, text),
                        contains_text(ResponsiblePerson.name, text),
                        contains_text(ResponsiblePerson.department, text),
                        contains_text(Action.owner, text),
                        contains_text(Action.description, text),
                    )
                ]
                if text
                else []
            ),
        )
    )


def report_back_candidates(session: Session, meeting_id: int, today: date | None = None) -> list[ActionRow]:
    """What a meeting can take a report-back on: oldest meetings first, overdue marked (all)."""
    return report_back_page(session, meeting_id, today, limit=None, cursor=None, default=None).rows


def report_back_page(
    session: Session,
    meeting_id: int,
    today: date | None = None,
    *,
    text: str = "",
    limit: int | None,
    cursor: Cursor | None,
    default: int | None = paging.DEFAULT_LIMIT,
) -> paging.Page[ActionRow]:
    """One page of :func:`report_back_candidates` (keyset-paged in their order), optionally only
    those matching ``text``; ``count_report_back`` says how many there are in all."""
    today = today or clock.today()
    meeting = meetings.get_meeting(session, meeting_id)
    found = paging.page(
        session,
        _candidates(meeting.id, text.strip()),
        CANDIDATES,
        limit=limit,
        cursor=cursor,
        default=default,
        read=lambda stmt: session.execute(stmt).all(),
    )
    rows = [
        ActionRow(action, item, m, person, days_overdue(action, today))
        for action, item, m, person in found.rows
    ]
    return paging.Page(rows, next=found.next, prev=found.prev)


def count_report_back(session: Session, meeting_id: int, text: str = "") -> int:
    """How many actions :func:`report_back_page` pages through (with the same ``text``)."""
    stmt = _candidates(meeting_id, text.strip()).with_only_columns(func.count(Action.id))
    return int(session.scalar(stmt) or 0)


def _selected_ids(data: ReportBackCreate) -> list[int]:
    """The ticked actions: at least one, at most :data:`MAX_REPORT_BACK`."""
    ids = data.action_ids
    if not ids:
        raise ValidationFailed(
            "tick at least one action to report back on", code="nothing_selected", field="action_id"
        )
    if len(ids) > MAX_REPORT_BACK:
        raise ValidationFailed(
            f"one report-back item takes at most {MAX_REPORT_BACK} actions",
            code="too_many_actions",
            field="action_id",
            max=MAX_REPORT_BACK,
        )
    return ids


def _in_chinese(labels: Labels, code: str) -> str:
    """A code's name in the record's language (Chinese), the code itself when unknown."""
    label = labels.get(code)
    return code if label is None else chinese(label)


def _summary_line(n: int, row: ActionRow) -> str:
    action = row.action
    description = action.description if len(action.description) <= 200 else action.description[:200] + "…"
    due = action.due_date.isoformat() if action.due_date else "未定"
    kind = _in_chinese(ACTION_KIND_LABELS, action.kind)
    status = _in_chinese(ACTION_STATUS_LABELS, action.status)
    return (
        f"{n}. 【{kind}】{row.meeting.title} · {row.item.title}（责任人：{row.person.name}）：{description}"
        f" — 负责：{action.owner or '未定'}，期限：{due}，状态：{status}"
    )


def create_report_back(session: Session, meeting_id: int, data: ReportBackCreate, actor: str) -> Done[Item]:
    """Add ONE report-back item to a draft or live meeting, linked to the chosen actions.

    The responsible person is the actions' owner when they all share one, else "整改责任单位"
    (the units responsible for the rectification).
    """
    meeting = meetings.get_meeting(session, meeting_id)
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="add a report-back item")
    ids = _selected_ids(data)
    found = {row[0].id: row for row in session.execute(_candidates(meeting.id).where(Action.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Conflict(
            f"action {missing[0]} cannot be reported back on here: it is verified, belongs to a "
            "meeting that is not closed (or is a rehearsal), or is already on this meeting",
            code="not_reportable",
            action_id=missing[0],
        )
    rows = [ActionRow(found[i][0], found[i][1], found[i][2], found[i][3], 0) for i in ids]
    owners = {row.action.owner for row in rows}
    person = owners.pop() if len(owners) == 1 and "" not in owners else REPORT_BACK_PERSON
    title_text = data.title or f"整改落实情况回头看（{len(rows)} 项）"
    lines = [_summary_line(n, row) for n, row in enumerate(rows, start=1)]
    description = "请对以下整改措施的落实情况进行评价：\n" + "\n".join(lines)
    report_back = ItemCreate(
        title=title_text,
        kind="report_back",
        responsible_person=PersonIn(name=person[:100]),
        description=description[:10_000],
    )
    item = agenda.add_item(session, meeting.id, report_back, actor).value
    for row in rows:
        session.add(ReportBackLink(item_id=item.id, action_id=row.action.id))
    session.flush()
    audit.append(
        session,
        actor,
        "report_back.created",
        {"item_id": item.id, "action_ids": ids},
        meeting.id,
    )
    return done(item, MeetingChanged(meeting.id))


def linked_actions(session: Session, item_id: int) -> list[Action]:
    """The actions a report-back item is about."""
    return list(
        session.scalars(
            select(Action)
            .join(ReportBackLink, ReportBackLink.action_id == Action.id)
            .where(ReportBackLink.item_id == item_id)
            .order_by(Action.id)
        )
    )


# --- rehearsal wipe ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WipeSummary:
    """What wiping a meeting will delete (for the confirmation page)."""

    meeting: Meeting
    items: int
    representatives: int
    actions: int
    attachments: int


def wipe_summary(session: Session, meeting_id: int) -> WipeSummary:
    """Counts of what a wipe deletes."""
    meeting = meetings.get_meeting(session, meeting_id)
    item_ids = select(Item.id).where(Item.meeting_id == meeting.id)
    action_ids = select(Action.id).where(Action.item_id.in_(item_ids))

    def count(stmt: Select[Any]) -> int:
        return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    return WipeSummary(
        meeting=meeting,
        items=count(item_ids),
        representatives=count(select(Representative.id).where(Representative.meeting_id == meeting.id)),
        actions=count(action_ids),
        attachments=count(select(ActionAttachment.id).where(ActionAttachment.action_id.in_(action_ids))),
    )


def wipe_meeting(session: Session, meeting_id: int, actor: str) -> Done[None]:
    """Delete a rehearsal (or a draft) with everything in it; its evidence files go after commit.

    A real meeting that went live is refused (409): its record must stay.
    """
    meeting = meetings.get_meeting(session, meeting_id)
    if meeting.status != "draft" and not meeting.rehearsal:
        raise Conflict(
            f"meeting {meeting.id} is not a rehearsal; only rehearsals (and drafts) can be wiped",
            code="not_rehearsal",
            meeting_id=meeting.id,
        )
    stored = evidence.stored_names_of_meeting(session, meeting.id)
    person_ids = set(session.scalars(select(Item.responsible_person_id).where(Item.meeting_id == meeting.id)))
    summary = wipe_summary(session, meeting.id)
    title, rehearsal = meeting.title, meeting.rehearsal
    meetings.delete_meeting(session, meeting.id, actor)
    if person_ids:
        # People who answered only in this meeting were made up for it; keep everyone else.
        still_used = select(Item.responsible_person_id).where(Item.responsible_person_id.is_not(None))
        session.execute(
            delete(ResponsiblePerson)
            .where(
                ResponsiblePerson.id.in_(person_ids),
                ResponsiblePerson.id.not_in(still_used),
                or_(ResponsiblePerson.notes == "", ResponsiblePerson.notes.is_(None)),
            )
            .execution_options(synchronize_session=False)
        )
    audit.append(
        session,
        actor,
        "meeting.wiped",
        {
            "meeting_id": meeting_id,
            "title": title,
            "rehearsal": rehearsal,
            "items": summary.items,
            "representatives": summary.representatives,
            "actions": summary.actions,
            "attachments": summary.attachments,
        },
        meeting_id,
    )
    return done(None, FilesRemoved(tuple(stored)))
