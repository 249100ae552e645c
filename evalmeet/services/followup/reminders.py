"""Reminders for follow-up actions that are due soon or overdue: what to send, and its record.

An action is reminded when it is ``open`` or ``in_progress``, belongs to a live or closed
meeting that is not a rehearsal (the follow-up register's scope), and its due date is 0 to
``days`` China days ahead, or past. Each channel (``mail``, ``webhook``) keeps its own record in
:class:`~evalmeet.models.ReminderSend`, one row per action, channel and China day:

- :func:`claim` takes the row before anything is sent (a new row, or a ``failed`` one of the same
  day, or a ``sending`` one left behind by a run that died); the caller commits at once, so the
  unique constraint lets only one run of one server send it;
- :func:`finish` marks it ``sent``, or ``failed`` with the error (the next run claims it again).

The texts are in Chinese, the language of the record (as the actions' history is). Nothing here
sends anything: ``evalmeet/reminding.py`` does, between the commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.labels import ACTION_KIND_LABELS
from evalmeet.domain.states import UNFINISHED_ACTION_STATUSES
from evalmeet.i18n import chinese
from evalmeet.models import Action, Item, Meeting, ReminderSend

CHANNELS = ("mail", "webhook")
# A claim that never finished (the process died while sending) is taken again after this long.
STALE_CLAIM = timedelta(minutes=5)
MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class Due:
    """An action to remind, with its item and meeting, as of ``today``."""

    action: Action
    item: Item
    meeting: Meeting
    today: date

    @property
    def days_overdue(self) -> int:
        """Days past the due date (0 when due today or later)."""
        assert self.action.due_date is not None
        return max(0, (self.today - self.action.due_date).days)

    @property
    def days_left(self) -> int:
        """Days until the due date (0 when due today or past)."""
        assert self.action.due_date is not None
        return max(0, (self.action.due_date - self.today).days)


def due_actions(session: Session, today: date, days: int) -> list[Due]:
    """Unfinished actions due within ``days`` China days of ``today`` (inclusive) or overdue,
    most overdue first."""
    stmt = (
        select(Action, Item, Meeting)
        .join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .where(
            Meeting.status.in_(("live", "closed")),
            Meeting.rehearsal.is_(False),
            Action.status.in_(UNFINISHED_ACTION_STATUSES),
            Action.due_date.is_not(None),
            Action.due_date <= today + timedelta(days=max(0, days)),
        )
        .order_by(Action.due_date, Action.id)
    )
    return [Due(action, item, meeting, today) for action, item, meeting in session.execute(stmt).all()]


# --- the texts ----------------------------------------------------------------------------------


def _when(due: Due) -> str:
    if due.days_overdue:
        return f"已逾期 {due.days_overdue} 天"
    if due.days_left == 0:
        return "今天到期"
    return f"还有 {due.days_left} 天到期"


def subject(due: Due) -> str:
    """The e-mail's subject line."""
    head = "整改逾期提醒" if due.days_overdue else "整改到期提醒"
    return f"【{head}】{due.item.title}（{_when(due)}）"


def text(due: Due, base_url: str | None = None) -> str:
    """The reminder (the e-mail's body and the group robot's message): item, action, owner, due
    date, days overdue, and the action's page when the public base URL is known."""
    action = due.action
    description = action.description
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION] + "…"
    label = ACTION_KIND_LABELS.get(action.kind)
    kind = action.kind if label is None else chinese(label)
    assert action.due_date is not None
    lines = [
        subject(due),
        f"会议：{due.meeting.title}",
        f"事项：{due.item.title}",
        f"整改措施：【{kind}】{description}",
        f"负责人：{action.owner or '未定'}",
        f"完成期限：{action.due_date.isoformat()}",
        f"逾期天数：{due.days_overdue}",
    ]
    if base_url:
        lines.append(f"查看：{base_url.rstrip('/')}/actions/{action.id}")
    return "\n".join(lines)


# --- the record ---------------------------------------------------------------------------------


def claim(session: Session, action_id: int, channel: str, day: date, now: datetime | None = None) -> bool:
    """Take the reminder of ``action_id`` on ``channel`` for China ``day``; False when it was
    sent already or another run is sending it. Commit right after a True."""
    now = now or clock.now()
    try:
        with session.begin_nested():
            session.add(ReminderSend(action_id=action_id, channel=channel, day=day, attempted_at=now))
        return True
    except IntegrityError:
        pass
    taken = session.execute(
        update(ReminderSend)
        .where(
            ReminderSend.action_id == action_id,
            ReminderSend.channel == channel,
            ReminderSend.day == day,
            or_(
                ReminderSend.status == "failed",
                and_(ReminderSend.status == "sending", ReminderSend.attempted_at < now - STALE_CLAIM),
            ),
        )
        .values(status="sending", error="", attempted_at=now, attempts=ReminderSend.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(taken, "rowcount", 0) == 1)


def finish(session: Session, action_id: int, channel: str, day: date, error: str | None = None) -> None:
    """Mark a claimed reminder ``sent``, or ``failed`` with ``error`` (tried again next run)."""
    session.execute(
        update(ReminderSend)
        .where(ReminderSend.action_id == action_id, ReminderSend.channel == channel, ReminderSend.day == day)
        .values(status="failed" if error else "sent", error=(error or "")[:2000], attempted_at=clock.now())
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Failure:
    """A reminder whose last attempt failed: which action and channel, when, why."""

    action_id: int
    item_title: str
    channel: str
    day: date
    at: datetime
    error: str
    attempts: int


def failures(session: Session, action_ids: list[int] | None = None, limit: int = 100) -> list[Failure]:
    """Channels whose latest reminder of an action failed (newest first): what ``/actions`` shows
    until a later attempt goes through."""
    latest = select(func.max(ReminderSend.id)).group_by(ReminderSend.action_id, ReminderSend.channel)
    stmt = (
        select(ReminderSend, Item.title)
        .join(Action, Action.id == ReminderSend.action_id)
        .join(Item, Item.id == Action.item_id)
        .where(
            ReminderSend.id.in_(latest),
            ReminderSend.status == "failed",
            Action.status.in_(UNFINISHED_ACTION_STATUSES),  # a finished action needs no reminder
        )
    )
    if action_ids is not None:
        stmt = stmt.where(ReminderSend.action_id.in_(action_ids))
    rows = session.execute(
        stmt.order_by(ReminderSend.attempted_at.desc(), ReminderSend.id.desc()).limit(limit)
    )
    return [
        Failure(r.action_id, title, r.channel, r.day, r.attempted_at, r.error, r.attempts)
        for r, title in rows
    ]
