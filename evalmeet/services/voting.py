"""Opening, casting, closing: the secret ballot (see ``shared/docs/secrecy.md``).

Casting writes a participation row (who) and a ballot row (what) in one transaction, guarded by
the unique constraint on (item, round, representative) through ``INSERT … ON CONFLICT DO
NOTHING``. The ballot row carries a random id and a receipt derived from the phone's key, and
nothing else. Ballots are cast in batches (``cast_ballots``: what the group commit sends, a
fixed number of statements per batch; ``cast_ballot`` is a batch of one). Closing locks the
item, tallies with one aggregate query, rewrites the round's ballots in shuffled order under
fresh random ids, freezes the result, and writes one audit entry with the sorted receipts — a
fixed number of statements whatever the number of ballots.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import String, Table, Text, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
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
    Meeting,
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
        raise Conflict(
            f"voting on item {other} is still open; close it first", code="voting_open", item_id=other
        )
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
            raise Conflict(f"item {item.id} has not been voted on yet", code="not_voted", item_id=item.id)
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


@dataclass(frozen=True)
class CastRequest:
    """One phone's ``cast_vote``, as the edge received it (only ``rep_id`` is trusted).

    ``token`` is the join token the phone connected with: when given, a link that was revoked or
    replaced since is refused with :class:`LinkNoLongerValid` (the edge then drops the socket).
    ``vote_round`` is the round the phone meant: a ballot retried after its round closed must not
    slip into a re-vote's new round, so an earlier round is ``voting_closed``.
    """

    rep_id: int
    item_id: Any
    choice: Any
    key: Any
    vote_round: Any = None
    token: str | None = None


class LinkNoLongerValid(NotAllowed):
    """The representative's join link was revoked or replaced (or the entry deleted)."""


def _require_key(key: object) -> str:
    if not isinstance(key, str) or not KEY_MIN <= len(key) <= KEY_MAX or not key.isprintable():
        raise ValidationFailed(
            f"key must be a random string of {KEY_MIN}–{KEY_MAX} characters",
            code="invalid_key",
            min=KEY_MIN,
            max=KEY_MAX,
        )
    return key


# Core statements built once: the vote path runs them for every batch of ballots, and the ORM's
# per-statement work (entity compile, identity map, bulk-insert machinery) was most of a ballot's
# CPU cost (docs/performance.md). ``expanding`` IN lists keep one cached compilation each.
_reps_t, _items_t, _meetings_t = (cast(Table, m.__table__) for m in (Representative, Item, Meeting))
_parts_t, _ballots_t = (cast(Table, m.__table__) for m in (Participation, Ballot))
_SELECT_REPS = select(
    _reps_t.c.id, _reps_t.c.meeting_id, _reps_t.c.join_token, _reps_t.c.revoked, _reps_t.c.present
).where(_reps_t.c.id.in_(bindparam("ids", expanding=True)))
# FOR SHARE OF items on PostgreSQL: a concurrent close (FOR UPDATE) waits for us, and we for it.
# (SQLite renders no lock clause: BEGIN IMMEDIATE already serialises writers.)
_SELECT_ITEMS = (
    select(
        _items_t.c.id,
        _items_t.c.meeting_id,
        _items_t.c.status,
        _items_t.c.vote_round,
        _meetings_t.c.scale,
    )
    .join(_meetings_t, _meetings_t.c.id == _items_t.c.meeting_id)
    .where(_items_t.c.id.in_(bindparam("ids", expanding=True)))
    .with_for_update(read=True, of=_items_t)
)
_SELECT_KEY_HASHES = select(
    _parts_t.c.item_id, _parts_t.c.vote_round, _parts_t.c.representative_id, _parts_t.c.key_hash
).where(
    _parts_t.c.item_id.in_(bindparam("items", expanding=True)),
    _parts_t.c.representative_id.in_(bindparam("reps", expanding=True)),
)
_PART_KEY = ["item_id", "vote_round", "representative_id"]
_INSERT_PARTICIPATION = {
    name: dialect_insert(_parts_t)
    .on_conflict_do_nothing(index_elements=_PART_KEY)
    .returning(_parts_t.c.item_id, _parts_t.c.vote_round, _parts_t.c.representative_id)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
_INSERT_BALLOT = insert(_ballots_t)

# (item_id, vote_round, representative_id): one person's one vote in one round
_Slot = tuple[int, int, int]


@dataclass
class _Pending:
    """A request that passed every check and now depends on the participation insert."""

    index: int
    slot: _Slot
    key: str
    choice: str
    meeting_id: int


def cast_ballot(
    session: Session, rep: Representative, item_id: Any, choice: Any, key: Any, vote_round: Any = None
) -> CastOutcome:
    """Record one secret ballot; the same key again returns the same receipt and counts once.

    The single-ballot form of :func:`cast_ballots` (same rules, same statements): it raises the
    refusal instead of returning it.
    """
    outcome = cast_ballots(session, [CastRequest(rep.id, item_id, choice, key, vote_round)])[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def cast_ballots(session: Session, requests: list[CastRequest]) -> list[CastOutcome | Exception]:
    """Record a batch of secret ballots in the session's transaction; one outcome per request.

    Each request gets what :func:`cast_ballot` would give it alone, in order: a
    :class:`CastOutcome` or the refusal (a :class:`DomainError`), which writes nothing. The
    batch costs a fixed number of statements whatever its size — the representatives, the items,
    one multi-row participation insert (``ON CONFLICT DO NOTHING``: the unique constraint, not a
    check, stops a second vote), one multi-row ballot insert in shuffled order, and, only when
    some are resends or second votes, one read of their key hashes. A database error raises and
    leaves the batch to be rolled back whole.
    """
    session.flush()  # the caller's pending changes (a check-in) must be visible to Core reads
    conn = session.connection()
    outcomes: list[CastOutcome | Exception | None] = [None] * len(requests)
    reps = {row.id: row for row in conn.execute(_SELECT_REPS, {"ids": list({r.rep_id for r in requests})})}
    item_ids = list({r.item_id for r in requests if is_id(r.item_id)})
    items = {row.id: row for row in conn.execute(_SELECT_ITEMS, {"ids": item_ids})} if item_ids else {}

    # One participation row per slot: a phone's second request in the same batch is a resend.
    first: dict[_Slot, _Pending] = {}
    lookups: list[tuple[int, _Slot, str, DomainError | None]] = []  # resend checks: see below
    for index, request in enumerate(requests):
        try:
            check = _check(index, request, reps.get(request.rep_id), items)
        except DomainError as refusal:
            outcomes[index] = refusal
            continue
        if isinstance(check, _Pending) and check.slot not in first:
            first[check.slot] = check
        elif isinstance(check, _Pending):
            lookups.append((index, check.slot, check.key, None))
        else:  # voting is not open: only a resend of a ballot cast before the close is answered
            slot, key = check
            lookups.append(
                (
                    index,
                    slot,
                    key,
                    Conflict(f"voting on item {slot[0]} is not open", code="voting_closed", item_id=slot[0]),
                )
            )
    inserted: set[_Slot] = set()
    if first:
        insert_participation = _INSERT_PARTICIPATION[conn.dialect.name]
        # In slot order: two workers' batches that share slots (a phone that resent through
        # another worker) then wait for each other's rows in the same order, never in a cycle.
        rows = conn.execute(
            insert_participation,
            [
                {
                    "id": random_id(),
                    "item_id": s[0],
                    "vote_round": s[1],
                    "representative_id": s[2],
                    "key_hash": key_hash_for(s[0], s[1], p.key),
                }
                for s, p in sorted(first.items(), key=lambda slot_and_pending: slot_and_pending[0])
            ],
        )
        inserted = {(row.item_id, row.vote_round, row.representative_id) for row in rows}
    ballots = []
    for slot, p in first.items():
        if slot not in inserted:  # the unique constraint said: this person already voted
            lookups.append((p.index, slot, p.key, None))
            continue
        receipt = receipt_for(slot[0], slot[1], p.key)
        ballots.append(
            {
                "id": random_id(),
                "item_id": slot[0],
                "vote_round": slot[1],
                "choice": p.choice,
                "receipt": receipt,
            }
        )
        outcomes[p.index] = CastOutcome(receipt, True, slot[0], p.meeting_id)
    if ballots:
        _shuffle(ballots)  # no order within the batch that matches the participation rows
        conn.execute(_INSERT_BALLOT, ballots)
    if lookups:
        _answer_resends(conn, lookups, items, outcomes)
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


def _check(index: int, request: CastRequest, rep: Any, items: dict[int, Any]) -> _Pending | tuple[_Slot, str]:
    """The refusals of one request, in the order a phone should hear them; raises the first."""
    if request.token is not None and (rep is None or rep.revoked or rep.join_token != request.token):
        raise LinkNoLongerValid(
            "your join link is no longer valid", code="not_allowed", reason="link_invalid"
        )
    if rep is None:
        raise NotFound(
            f"representative {request.rep_id} not found",
            code="representative_not_found",
            representative_id=request.rep_id,
        )
    if rep.revoked:
        raise NotAllowed("your join link was revoked", code="not_allowed", reason="link_revoked")
    key = _require_key(request.key)
    if not is_id(request.item_id):
        raise ValidationFailed("item_id must be an item id", code="invalid_item")
    item = items.get(request.item_id)
    if item is None:
        raise NotFound(f"item {request.item_id} not found", code="item_not_found", item_id=request.item_id)
    if item.meeting_id != rep.meeting_id:
        raise NotAllowed(
            "you are not on the roster of this item's meeting", code="not_allowed", reason="not_on_roster"
        )
    vote_round = request.vote_round
    if vote_round is not None and vote_round != item.vote_round:
        if not is_id(vote_round) or vote_round > item.vote_round:
            raise ValidationFailed("round must be the item's current voting round", code="invalid_round")
        raise Conflict(
            f"round {vote_round} of voting on item {item.id} is closed", code="voting_closed", item_id=item.id
        )
    slot = (item.id, item.vote_round, rep.id)
    if item.status != "voting":
        if not item.vote_round:
            raise Conflict(f"voting on item {item.id} is not open", code="voting_closed", item_id=item.id)
        return slot, key
    if not rep.present:
        raise NotAllowed("you have not checked in to this meeting", code="not_present")
    if not isinstance(request.choice, str) or request.choice not in choices_for(item.scale):
        raise ValidationFailed(
            f"choice must be one of: {', '.join(choices_for(item.scale))}",
            code="invalid_choice",
            allowed=", ".join(choices_for(item.scale)),
        )
    return _Pending(index, slot, key, request.choice, item.meeting_id)


def _answer_resends(
    conn: Any,
    lookups: list[tuple[int, _Slot, str, DomainError | None]],
    items: dict[int, Any],
    outcomes: list[CastOutcome | Exception | None],
) -> None:
    """Answer the requests whose slot already holds a participation row: the same key is the
    same ballot (same receipt, not counted again), another key is ``already_voted``. ``missing``
    is the answer when the slot is empty (a ballot sent after the close that was never cast)."""
    stored = {
        (row.item_id, row.vote_round, row.representative_id): row.key_hash
        for row in conn.execute(
            _SELECT_KEY_HASHES,
            {
                "items": list({s[0] for _i, s, _k, _m in lookups}),
                "reps": list({s[2] for _i, s, _k, _m in lookups}),
            },
        )
    }
    for index, slot, key, missing in lookups:
        item_id, vote_round, _rep = slot
        key_hash = stored.get(slot)
        if key_hash is None:
            # A conflict whose row we cannot see would be a database bug: fail this one loudly.
            outcomes[index] = missing or RuntimeError(
                f"participation for {slot} conflicted but is not visible"
            )
        elif key_hash != key_hash_for(item_id, vote_round, key):
            outcomes[index] = Conflict("you have already voted on this item", code="already_voted")
        else:
            outcomes[index] = CastOutcome(
                receipt_for(item_id, vote_round, key), False, item_id, items[item_id].meeting_id
            )


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
    # Core statements on the session's connection: thousands of plain rows need no ORM.
    conn = session.connection()
    in_round = (_ballots_t.c.item_id == item.id) & (_ballots_t.c.vote_round == vote_round)
    rows = conn.execute(select(_ballots_t.c.choice, _ballots_t.c.receipt).where(in_round)).all()
    fresh = [
        {"id": random_id(), "item_id": item.id, "vote_round": vote_round, "choice": c, "receipt": r}
        for c, r in rows
    ]
    _shuffle(fresh)
    conn.execute(delete(_ballots_t).where(in_round))
    if fresh and conn.dialect.name == "postgresql":
        _copy_ballots(conn, fresh)
    elif fresh:
        conn.execute(insert(_ballots_t), fresh)

    status = "passed" if outcome.passed else "failed"
    won = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status == "voting")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"voting on item {item.id} is already closed", code="voting_closed", item_id=item.id)
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


def _copy_ballots(conn: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: write the rows, in their order, with one ``COPY`` in this transaction."""
    columns = ("id", "item_id", "vote_round", "choice", "receipt")
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY ballots ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    finally:
        cursor.close()


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
        raise Conflict(f"voting on item {item.id} is still open", code="voting_open", item_id=item.id)
    result = latest_result(session, item.id)
    if result is None:
        raise Conflict(f"item {item.id} has not been voted on", code="not_voted", item_id=item.id)
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
        raise NotFound(f"item {item_id} not found", code="item_not_found", item_id=item_id)
    return item.meeting_id
