"""Recusal (回避): a representative steps out of one item's vote before its voting first opens.

A recusal is public (the minutes name who recused and why); a ballot is not. A recused
representative is left out of the item's electorate when a round opens, so the item's roster,
its ``present`` and the quorum at opening count without them, and their ``cast_vote`` on it is
refused ``recused``. Declared by a moderator (API, console) or by the phone itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotAllowed, ValidationFailed
from evalmeet.domain.states import require_meeting_status
from evalmeet.models import Item, Recusal, Representative
from evalmeet.schemas.live import DeclareRecusalBody
from evalmeet.schemas.recusals import RecusalCreate, RecusalOut
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, MeetingChanged, done
from evalmeet.services.meetings.meeting import get_item, get_representative


def record_recusal(session: Session, item_id: int, body: RecusalCreate, actor: str) -> Done[RecusalOut]:
    """A moderator records a representative's recusal from an item (``POST /items/{id}/recusals``)."""
    item = get_item(session, item_id, for_update=True)
    rep = get_representative(session, body.representative_id)
    if rep.meeting_id != item.meeting_id or rep.revoked:
        raise ValidationFailed(
            "the representative is not on this meeting's roster",
            field="representative_id",
            reason="not_on_roster",
        )
    return _recuse(session, item, rep, body.reason, "moderator", actor)


def declare_own(session: Session, rep: Representative, body: DeclareRecusalBody) -> Done[RecusalOut]:
    """A phone declares its own representative's recusal (``declare_recusal``)."""
    item = get_item(session, body.item_id, for_update=True)
    if item.meeting_id != rep.meeting_id or rep.revoked:
        raise NotAllowed(
            "you are not on the roster of this item's meeting", code="not_allowed", reason="not_on_roster"
        )
    return _recuse(session, item, rep, body.reason, "phone", f"representative:{rep.id}")


def _recuse(
    session: Session, item: Item, rep: Representative, reason: str, by: str, actor: str
) -> Done[RecusalOut]:
    meeting = item.meeting
    require_meeting_status(meeting.id, meeting.status, "draft", "live", doing="record a recusal")
    if item.status == "voting":
        raise Conflict(f"voting on item {item.id} is open", code="voting_open", item_id=item.id)
    if item.vote_round > 0:
        raise Conflict(
            f"item {item.id} has been voted on: recusals are declared before voting opens",
            code="voting_closed",
            item_id=item.id,
        )
    existing = session.scalar(
        select(Recusal.id).where(Recusal.item_id == item.id, Recusal.representative_id == rep.id)
    )
    if existing is not None:
        raise Conflict(
            f"representative {rep.id} already recused from item {item.id}",
            code="already_recused",
            item_id=item.id,
        )
    recusal = Recusal(item_id=item.id, representative_id=rep.id, reason=reason, declared_by=by)
    session.add(recusal)
    session.flush()
    audit.append(
        session,
        actor,
        "recusal.declared",
        {"item_id": item.id, "representative_id": rep.id, "name": rep.name, "reason": reason, "by": by},
        meeting.id,
    )
    return done(RecusalOut.of(recusal, rep.name), MeetingChanged(meeting.id))


def recusals_of(session: Session, item_id: int) -> list[RecusalOut]:
    """An item's recusals with the representatives' names, in the order they were declared."""
    rows = session.execute(
        select(Recusal, Representative.name)
        .join(Representative, Representative.id == Recusal.representative_id)
        .where(Recusal.item_id == item_id)
        .order_by(Recusal.id)
    ).all()
    return [RecusalOut.of(recusal, name) for recusal, name in rows]


def recusals_by_item(session: Session, item_ids: list[int]) -> dict[int, list[RecusalOut]]:
    """The recusals of several items (the minutes), in one query."""
    found: dict[int, list[RecusalOut]] = {i: [] for i in item_ids}
    if not item_ids:
        return found
    rows = session.execute(
        select(Recusal, Representative.name)
        .join(Representative, Representative.id == Recusal.representative_id)
        .where(Recusal.item_id.in_(item_ids))
        .order_by(Recusal.item_id, Recusal.id)
    ).all()
    for recusal, name in rows:
        found[recusal.item_id].append(RecusalOut.of(recusal, name))
    return found


def recused_reps(item_id: int) -> Select[Any]:
    """A subquery of the representatives who recused from the item (for ``NOT IN``)."""
    return select(Recusal.representative_id).where(Recusal.item_id == item_id)


def recused_counts(session: Session, item_id: int) -> tuple[int, int]:
    """``(on the roster, present)`` among the item's recused representatives (not revoked)."""
    row = session.execute(
        select(func.count(), func.count().filter(Representative.present.is_(True)))
        .select_from(Recusal)
        .join(Representative, Representative.id == Recusal.representative_id)
        .where(Recusal.item_id == item_id, Representative.revoked.is_(False))
    ).one()
    return int(row[0]), int(row[1])


def recusal_count(session: Session, item_id: int) -> int:
    """How many recused from the item (the result's ``recused``)."""
    return session.scalar(select(func.count()).select_from(Recusal).where(Recusal.item_id == item_id)) or 0
