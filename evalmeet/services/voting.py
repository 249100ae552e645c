"""Opening, casting, closing: the secret ballot (see ``shared/docs/secrecy.md``).

Casting writes a participation row (who) and a ballot row (what) in one transaction, guarded by
the unique constraint on (item, round, representative) through ``INSERT … ON CONFLICT DO
NOTHING``. The ballot row carries a random id and a receipt derived from the phone's key, and
nothing else. Closing locks the item, tallies with one aggregate query, rewrites the round's
ballots in shuffled order under fresh random ids, freezes the result, and writes one audit entry
with the sorted receipts — a fixed number of statements whatever the number of ballots.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from evalmeet.domain.rules import (
    Tally,
    choices_for,
    format_fraction,
    parse_fraction,
    quorum_met,
    quorum_needed,
)
from evalmeet.domain.rules import tally as make_tally
from evalmeet.domain.states import check_item_can_close, check_item_can_open, require_meeting_status
from evalmeet.models import (
    ActionNote,
    Ballot,
    Item,
    ItemResult,
    Participation,
    ReportBackLink,
    Representative,
    utcnow,
)
from evalmeet.models.base import UTCDateTime, random_id
from evalmeet.services import audit
from evalmeet.services.meetings import get_item, get_meeting, present_count, roster_size
from evalmeet.services.validate import is_id, text

_shuffle = random.SystemRandom().shuffle
KEY_MIN, KEY_MAX = 16, 128


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()


def receipt_for(item_id: int, vote_round: int, key: str) -> str:
    """The receipt code of a ballot: 60 bits of a hash of the phone's key, shaped like ABCD-EFGH-JKLM."""
    code = base64.b32encode(_digest("receipt", item_id, vote_round, key)).decode()[:12]
    return f"{code[0:4]}-{code[4:8]}-{code[8:12]}"


def key_hash_for(item_id: int, vote_round: int, key: str) -> str:
    """What the participation row keeps of the key: a different hash than the receipt's."""
    return _digest("participation", item_id, vote_round, key).hex()


def _insert_ignore(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# --- open -------------------------------------------------------------------------------------


def open_voting(session: Session, item_id: int, actor: str, revote_reason: str | None = None) -> Item:
    """Open voting on an item of a live meeting once the quorum is present.

    ``revote_reason`` re-runs the vote on a decided item; the earlier result stays on record.
    """
    item = get_item(session, item_id, for_update=True)
    meeting = get_meeting(session, item.meeting_id, for_update=True)
    require_meeting_status(meeting.id, meeting.status, "live", doing="open voting")
    check_item_can_open(item.id, item.status, revote=revote_reason is not None)
    other = session.scalar(
        select(Item.id).where(Item.meeting_id == meeting.id, Item.status == "voting", Item.id != item.id)
    )
    if other is not None:
        raise Conflict(f"voting on item {other} is still open; close it first", code="voting_open")
    present = present_count(session, meeting.id)
    roster = roster_size(session, meeting.id)
    quorum = parse_fraction(meeting.quorum, "quorum")
    if not quorum_met(present, roster, quorum):
        needed = quorum_needed(roster, quorum)
        raise Conflict(
            f"quorum not met: {present} of {roster} present, {needed} needed",
            code="quorum_not_met",
            present=present,
            roster=roster,
            needed=needed,
        )
    if revote_reason is not None:
        if item.status == "pending":
            raise Conflict(f"item {item.id} has not been voted on yet", code="not_voted")
        previous = session.scalar(
            select(ItemResult).where(ItemResult.item_id == item.id, ItemResult.vote_round == item.vote_round)
        )
        if previous is not None:
            previous.superseded_reason = revote_reason
    item.status = "voting"
    item.vote_round += 1
    item.voting_opened_at = utcnow()
    meeting.current_item_id = item.id
    meeting.phase = "voting"
    meeting.questions_open = False
    session.flush()
    audit.append(
        session,
        actor,
        "voting.opened",
        {
            "item_id": item.id,
            "round": item.vote_round,
            "present": present,
            "roster": roster,
            "revote_reason": revote_reason,
        },
        meeting.id,
    )
    return item


def revote(session: Session, item_id: int, reason: Any, actor: str) -> Item:
    """Re-run a decided item's vote with a recorded reason."""

    reason = text(reason, "reason", max_len=500)
    return open_voting(session, item_id, actor, revote_reason=reason)


# --- cast -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastOutcome:
    """What the phone is told: its receipt, and whether this call counted a new ballot."""

    receipt: str
    counted: bool
    item_id: int
    meeting_id: int


def _require_key(key: object) -> str:
    if not isinstance(key, str) or not KEY_MIN <= len(key) <= KEY_MAX or not key.isprintable():
        raise ValidationFailed(
            f"key must be a random string of {KEY_MIN}–{KEY_MAX} characters", code="invalid_key"
        )
    return key


def _existing_receipt(session: Session, item: Item, rep_id: int, key: str) -> str | None:
    """The receipt when this representative already voted with this key, else None."""
    stored = session.scalar(
        select(Participation.key_hash).where(
            Participation.item_id == item.id,
            Participation.vote_round == item.vote_round,
            Participation.representative_id == rep_id,
        )
    )
    if stored is None:
        return None
    if stored != key_hash_for(item.id, item.vote_round, key):
        raise Conflict("you have already voted on this item", code="already_voted")
    return receipt_for(item.id, item.vote_round, key)


def cast_ballot(
    session: Session, rep: Representative, item_id: Any, choice: Any, key: Any, vote_round: Any = None
) -> CastOutcome:
    """Record one secret ballot; the same key again returns the same receipt and counts once.

    ``vote_round`` (optional) is the round the phone meant: a ballot retried after its round
    closed must not slip into a re-vote's new round, so an earlier round is ``voting_closed``.
    """
    key = _require_key(key)
    if not is_id(item_id):
        raise ValidationFailed("item_id must be an item id", code="invalid_item")
    # FOR SHARE on PostgreSQL: a concurrent close (FOR UPDATE) waits for us, and we for it.
    item = get_item(session, item_id, share=True)
    if item.meeting_id != rep.meeting_id:
        raise NotAllowed("you are not on the roster of this item's meeting", code="not_allowed")
    if rep.revoked:
        raise NotAllowed("your join link was revoked", code="not_allowed")
    if vote_round is not None and vote_round != item.vote_round:
        if not is_id(vote_round) or vote_round > item.vote_round:
            raise ValidationFailed("round must be the item's current voting round", code="invalid_round")
        raise Conflict(f"round {vote_round} of voting on item {item.id} is closed", code="voting_closed")
    if item.status != "voting":
        if item.vote_round:
            again = _existing_receipt(session, item, rep.id, key)
            if again is not None:  # a resend whose first ack was lost before the close
                return CastOutcome(again, False, item.id, item.meeting_id)
        raise Conflict(f"voting on item {item.id} is not open", code="voting_closed")
    if not rep.present:
        raise NotAllowed("you have not checked in to this meeting", code="not_present")
    scale = item.meeting.scale
    if not isinstance(choice, str) or choice not in choices_for(scale):
        raise ValidationFailed(
            f"choice must be one of: {', '.join(choices_for(scale))}", code="invalid_choice"
        )
    inserted = session.execute(
        _insert_ignore(session)(Participation)
        .values(
            id=random_id(),
            item_id=item.id,
            vote_round=item.vote_round,
            representative_id=rep.id,
            key_hash=key_hash_for(item.id, item.vote_round, key),
        )
        .on_conflict_do_nothing(index_elements=["item_id", "vote_round", "representative_id"])
        .returning(Participation.id)
    ).scalar_one_or_none()
    if inserted is None:  # the unique constraint said: this person already voted in this round
        again = _existing_receipt(session, item, rep.id, key)
        assert again is not None  # the conflicting row exists: we are in its transaction's future
        return CastOutcome(again, False, item.id, item.meeting_id)
    receipt = receipt_for(item.id, item.vote_round, key)
    session.execute(
        insert(Ballot).values(
            id=random_id(), item_id=item.id, vote_round=item.vote_round, choice=choice, receipt=receipt
        )
    )
    return CastOutcome(receipt, True, item.id, item.meeting_id)


def has_voted(session: Session, item: Item, rep_id: int) -> bool:
    """Whether the representative voted in the item's current round."""
    if not item.vote_round:
        return False
    return (
        session.scalar(
            select(Participation.id).where(
                Participation.item_id == item.id,
                Participation.vote_round == item.vote_round,
                Participation.representative_id == rep_id,
            )
        )
        is not None
    )


def ballots_cast(session: Session, item_id: int, vote_round: int) -> int:
    """How many have voted in a round (from participation: no choices involved)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Participation)
            .where(Participation.item_id == item_id, Participation.vote_round == vote_round)
        )
        or 0
    )


def progress(session: Session, item_id: int) -> dict[str, int]:
    """``{item_id, ballots, present}`` while voting: never the counts."""
    item = get_item(session, item_id)
    return {
        "item_id": item.id,
        "ballots": ballots_cast(session, item.id, item.vote_round),
        "present": present_count(session, item.meeting_id),
    }


# --- close ------------------------------------------------------------------------------------


def close_voting(session: Session, item_id: int, actor: str) -> ItemResult:
    """Close the vote: freeze the tally, shuffle the ballots, record one audit entry."""
    item = get_item(session, item_id, for_update=True)
    check_item_can_close(item.id, item.status)
    meeting = item.meeting
    vote_round = item.vote_round
    counts = dict(
        session.execute(
            select(Ballot.choice, func.count())
            .where(Ballot.item_id == item.id, Ballot.vote_round == vote_round)
            .group_by(Ballot.choice)
        ).all()
    )
    threshold = parse_fraction(meeting.pass_threshold, "pass_threshold")
    outcome = make_tally(meeting.scale, counts, threshold)
    present = present_count(session, meeting.id)
    roster = roster_size(session, meeting.id)

    # Rewrite the round's ballots in random order under new ids, inside this transaction, so
    # neither physical order nor transaction ids link a ballot to a participation row.
    rows = session.execute(
        select(Ballot.choice, Ballot.receipt).where(
            Ballot.item_id == item.id, Ballot.vote_round == vote_round
        )
    ).all()
    fresh = [
        {"id": random_id(), "item_id": item.id, "vote_round": vote_round, "choice": c, "receipt": r}
        for c, r in rows
    ]
    _shuffle(fresh)
    session.execute(delete(Ballot).where(Ballot.item_id == item.id, Ballot.vote_round == vote_round))
    if fresh:
        session.execute(insert(Ballot), fresh)

    status = "passed" if outcome.passed else "failed"
    won = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status == "voting")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"voting on item {item.id} is already closed", code="voting_closed")
    item.status = status
    result = ItemResult(
        item_id=item.id,
        vote_round=vote_round,
        scale=meeting.scale,
        counts=outcome.counts,
        ballots=outcome.ballots,
        present=present,
        roster=roster,
        satisfaction_num=outcome.favourable,
        satisfaction_den=outcome.ballots,
        pass_threshold=format_fraction(threshold),
        passed=outcome.passed,
    )
    session.add(result)
    if meeting.current_item_id == item.id:
        meeting.phase = "result"
    session.flush()
    if item.kind == "report_back" and not meeting.rehearsal:
        _note_report_back(session, item.id, meeting.title, vote_round, outcome, actor)
    audit.append(
        session,
        actor,
        "voting.closed",
        {
            "item_id": item.id,
            "round": vote_round,
            "counts": outcome.counts,
            "ballots": outcome.ballots,
            "present": present,
            "passed": outcome.passed,
            "receipts": sorted(r for _c, r in rows),
        },
        meeting.id,
    )
    return result


def _note_report_back(
    session: Session, item_id: int, meeting_title: str, vote_round: int, outcome: Tally, actor: str
) -> None:
    """Write the report-back result into the history of every linked action: ONE statement.

    Rehearsals write nothing: their votes are not part of any real action's record.
    """
    verdict = "通过" if outcome.passed else "未通过"
    again = f"（第{vote_round}轮）" if vote_round > 1 else ""
    note = f"回头看表决（{meeting_title}）{again}：{verdict} {outcome.favourable}/{outcome.ballots}"
    session.execute(
        insert(ActionNote).from_select(
            ["action_id", "author", "note", "created_at"],
            select(
                ReportBackLink.action_id,
                literal(actor[:64], String()),
                literal(note, Text()),
                literal(utcnow(), UTCDateTime()),
            ).where(ReportBackLink.item_id == item_id),
        )
    )


# --- read -------------------------------------------------------------------------------------


def latest_result(session: Session, item_id: int) -> ItemResult | None:
    """The result of the item's newest closed round, or None."""
    return session.scalar(
        select(ItemResult)
        .where(ItemResult.item_id == item_id)
        .order_by(ItemResult.vote_round.desc())
        .limit(1)
    )


def result_history(session: Session, item_id: int) -> list[ItemResult]:
    """Every frozen result of an item, oldest round first."""
    return list(
        session.scalars(
            select(ItemResult).where(ItemResult.item_id == item_id).order_by(ItemResult.vote_round)
        )
    )


def get_result(session: Session, item_id: Any) -> ItemResult:
    """The frozen result; refused while voting is open (no live counts, ever)."""
    item = get_item(session, item_id)
    if item.status == "voting":
        raise Conflict(f"voting on item {item.id} is still open", code="voting_open")
    result = latest_result(session, item.id)
    if result is None:
        raise Conflict(f"item {item.id} has not been voted on", code="not_voted")
    return result


def receipts(session: Session, item_id: Any) -> list[str]:
    """Sorted receipt codes of the item's latest closed round (no choices)."""
    result = get_result(session, item_id)
    return sorted(
        session.scalars(
            select(Ballot.receipt).where(
                Ballot.item_id == result.item_id, Ballot.vote_round == result.vote_round
            )
        )
    )


def item_meeting_id(session: Session, item_id: Any) -> int:
    """The meeting an item belongs to (for authorisation at the edge)."""
    item = session.get(Item, item_id) if is_id(item_id) else None
    if item is None:
        raise NotFound(f"item {item_id} not found", code="item_not_found")
    return item.meeting_id
