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
    Entitlement,
    Item,
    ItemResult,
    Meeting,
    Participation,
    ReportBackLink,
    Representative,
    utcnow,
)
from evalmeet.models.base import UTCDateTime, random_id
from evalmeet.services.accounts import audit
from evalmeet.services.meetings.meeting import get_item, get_meeting, present_count, roster_size
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
    _freeze_electorate(session, item.id, item.vote_round, meeting.id)
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


def _freeze_electorate(session: Session, item_id: int, vote_round: int, meeting_id: int) -> None:
    """Who may vote in this round: the roster as it is now, in one statement (see Entitlement)."""
    session.execute(
        insert(Entitlement).from_select(
            ["item_id", "vote_round", "representative_id"],
            select(literal(item_id), literal(vote_round), Representative.id).where(
                Representative.meeting_id == meeting_id, Representative.revoked.is_(False)
            ),
        )
    )


def electorate_counts(session: Session, item_id: int, vote_round: int) -> tuple[int, int]:
    """``(roster, present)`` of one round: its electorate, and those of it who are present or
    have voted in it (someone marked absent after voting still took part)."""
    voted = select(Participation.representative_id).where(
        Participation.item_id == item_id, Participation.vote_round == vote_round
    )
    row = session.execute(
        select(
            func.count(),
            func.count().filter((Representative.present.is_(True)) | Representative.id.in_(voted)),
        )
        .select_from(Entitlement)
        .join(Representative, Representative.id == Entitlement.representative_id)
        .where(Entitlement.item_id == item_id, Entitlement.vote_round == vote_round)
    ).one()
    return int(row[0]), int(row[1])


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
_parts_t, _ballots_t, _electorate_t = (cast(Table, m.__table__) for m in (Participation, Ballot, Entitlement))
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
_SELECT_ENTITLED = select(
    _electorate_t.c.item_id, _electorate_t.c.vote_round, _electorate_t.c.representative_id
).where(
    _electorate_t.c.item_id.in_(bindparam("items", expanding=True)),
    _electorate_t.c.representative_id.in_(bindparam("reps", expanding=True)),
)
_SELECT_KEY_HASHES = select(
    _parts_t.c.item_id, _parts_t.c.vote_round, _parts_t.c.representative_id, _parts_t.c.key_hash
).where(
    _parts_t.c.item_id.in_(bindparam("items", expanding=True)),
    _parts_t.c.representative_id.in_(bindparam("reps", expanding=True)),
)
_SELECT_TAKEN_RECEIPTS = select(_ballots_t.c.receipt).where(
    _ballots_t.c.receipt.in_(bindparam("receipts", expanding=True))
)
_PART_KEY = ["item_id", "vote_round", "representative_id"]
_INSERT_PARTICIPATION = {
    name: dialect_insert(_parts_t)
    .on_conflict_do_nothing(index_elements=_PART_KEY)
    .returning(_parts_t.c.item_id, _parts_t.c.vote_round, _parts_t.c.representative_id)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
# A receipt another representative's ballot already holds (they sent the same key) is skipped,
# not an error: one phone's reused key must never fail the rest of the batch.
_INSERT_BALLOT = {
    name: dialect_insert(_ballots_t)
    .on_conflict_do_nothing(index_elements=["receipt"])
    .returning(_ballots_t.c.receipt)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
_DELETE_PARTICIPATION = delete(_parts_t).where(
    _parts_t.c.item_id == bindparam("p_item"),
    _parts_t.c.vote_round == bindparam("p_round"),
    _parts_t.c.representative_id == bindparam("p_rep"),
)

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

    @property
    def receipt(self) -> str:
        return receipt_for(self.slot[0], self.slot[1], self.key)


@dataclass
class _Lookup:
    """A request answered from the participation row its slot holds (or should hold).

    The same key there is a resend: its receipt, counted once. Another key is ``already_voted``
    (or ``invalid_key`` when that key is another representative's). No row: ``refusal`` — why
    the request could not be a new ballot (voting closed, not present, ...); a resend of a
    counted key is answered with its receipt before any of those (contract.md).
    """

    index: int
    slot: _Slot
    key: str
    meeting_id: int
    refusal: DomainError | None = None


class ReusedKey(ValidationFailed):
    """The key is another representative's (their ballot already carries its receipt)."""

    code = "invalid_key"


def _reused_key() -> ReusedKey:
    return ReusedKey("this key was already used for another ballot; send a new random key", reason="reused")


class SendAgain(Conflict):
    """Nothing was stored for this request; the phone may send it again as it is."""

    code = "temporarily_unavailable"


def _send_again() -> SendAgain:
    return SendAgain("nothing was saved; please send again")


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
    :class:`CastOutcome` or the refusal (a :class:`DomainError`), which writes nothing. No
    request's refusal affects another's outcome. The batch costs a fixed number of statements
    whatever its size — the representatives, the items, their electorates, one multi-row
    participation insert (``ON CONFLICT DO NOTHING``: the unique constraint, not a check, stops
    a second vote), one multi-row ballot insert in shuffled order, and, only when some are
    resends, refusals or second votes, one read of their key hashes. A database error raises and
    leaves the batch to be rolled back whole.
    """
    session.flush()  # the caller's pending changes (a check-in) must be visible to Core reads
    conn = session.connection()
    outcomes: list[CastOutcome | Exception | None] = [None] * len(requests)
    rep_ids = list({r.rep_id for r in requests})
    reps = {row.id: row for row in conn.execute(_SELECT_REPS, {"ids": rep_ids})}
    item_ids = list({r.item_id for r in requests if is_id(r.item_id)})
    items = {row.id: row for row in conn.execute(_SELECT_ITEMS, {"ids": item_ids})} if item_ids else {}
    voting_now = [i for i, row in items.items() if row.status == "voting"]
    entitled: set[_Slot] = (
        {tuple(row) for row in conn.execute(_SELECT_ENTITLED, {"items": voting_now, "reps": rep_ids})}
        if voting_now
        else set()
    )

    # One participation row per slot: a phone's second request in the same batch is a resend.
    first: dict[_Slot, _Pending] = {}
    by_receipt: dict[str, _Pending] = {}
    lookups: list[_Lookup] = []
    for index, request in enumerate(requests):
        try:
            check = _check(index, request, reps.get(request.rep_id), items, entitled)
        except DomainError as refusal:
            outcomes[index] = refusal
            continue
        if isinstance(check, _Lookup):
            lookups.append(check)
        elif check.slot in first:
            lookups.append(_Lookup(index, check.slot, check.key, check.meeting_id))
        elif check.receipt in by_receipt:  # another representative in this batch sent this key
            outcomes[index] = _reused_key()
        else:
            first[check.slot] = by_receipt[check.receipt] = check
    inserted: set[_Slot] = set()
    if first:
        # In slot order: two workers' batches that share slots (a phone that resent through
        # another worker) then wait for each other's rows in the same order, never in a cycle.
        rows = conn.execute(
            _INSERT_PARTICIPATION[conn.dialect.name],
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
            lookups.append(_Lookup(p.index, slot, p.key, p.meeting_id))
            continue
        ballots.append(
            {
                "id": random_id(),
                "item_id": slot[0],
                "vote_round": slot[1],
                "choice": p.choice,
                "receipt": p.receipt,
            }
        )
    if ballots:
        _shuffle(ballots)  # no order within the batch that matches the participation rows
        stored = {row.receipt for row in conn.execute(_INSERT_BALLOT[conn.dialect.name], ballots)}
        taken = [p for p in first.values() if p.slot in inserted and p.receipt not in stored]
        if taken:  # another representative's ballot holds that receipt: undo this vote, refuse it
            conn.execute(
                _DELETE_PARTICIPATION,
                [{"p_item": p.slot[0], "p_round": p.slot[1], "p_rep": p.slot[2]} for p in taken],
            )
            for p in taken:
                outcomes[p.index] = _reused_key()
        for p in first.values():
            if p.slot in inserted and p.receipt in stored:
                outcomes[p.index] = CastOutcome(p.receipt, True, p.slot[0], p.meeting_id)
    if lookups:
        counted_at = {p.slot: p.index for p in first.values() if isinstance(outcomes[p.index], CastOutcome)}
        undone = {p.slot: p.key for p in first.values() if isinstance(outcomes[p.index], ReusedKey)}
        _answer_lookups(conn, lookups, outcomes, counted_at, undone)
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


def _check(
    index: int, request: CastRequest, rep: Any, items: dict[int, Any], entitled: set[_Slot]
) -> _Pending | _Lookup:
    """The refusals of one request, in the order contract.md gives; raises the first.

    Refusals that a resend of a counted ballot must not hear (voting closed, not present, an
    invalid choice) come back as a :class:`_Lookup` carrying the refusal: the key decides.
    """
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
    slot = (item.id, item.vote_round if vote_round is None else vote_round, rep.id)
    open_round = item.status == "voting" and slot[1] == item.vote_round
    if open_round and slot not in entitled:
        raise NotAllowed(
            "you joined the roster after this round of voting opened; you can vote in the next one",
            code="not_allowed",
            reason="not_entitled",
        )
    key = _require_key(request.key)
    if not open_round:
        if not item.vote_round:
            raise Conflict(f"voting on item {item.id} is not open", code="voting_closed", item_id=item.id)
        closed = Conflict(
            f"round {slot[1]} of voting on item {item.id} is closed", code="voting_closed", item_id=item.id
        )
        return _Lookup(index, slot, key, item.meeting_id, closed)
    if not rep.present:
        absent = NotAllowed("you have not checked in to this meeting", code="not_present")
        return _Lookup(index, slot, key, item.meeting_id, absent)
    if not isinstance(request.choice, str) or request.choice not in choices_for(item.scale):
        invalid = ValidationFailed(
            f"choice must be one of: {', '.join(choices_for(item.scale))}",
            code="invalid_choice",
            allowed=", ".join(choices_for(item.scale)),
        )
        return _Lookup(index, slot, key, item.meeting_id, invalid)
    return _Pending(index, slot, key, request.choice, item.meeting_id)


def _answer_lookups(
    conn: Any,
    lookups: list[_Lookup],
    outcomes: list[CastOutcome | Exception | None],
    counted_at: dict[_Slot, int],
    undone: dict[_Slot, str],
) -> None:
    """Answer the requests that depend on what their slot's participation row holds (see
    :class:`_Lookup`): one read of the key hashes, and one of receipts only for mismatches.

    Each is answered as if it had come alone, in batch order: a refused request whose slot was
    filled by a LATER request of this batch (``counted_at``) was no resend when it came. A slot
    whose vote this batch undid (``undone``: a reused key) holds nothing: the same key again is
    refused alike, another key is asked to send again (it counts in the next batch)."""
    stored = {
        (row.item_id, row.vote_round, row.representative_id): row.key_hash
        for row in conn.execute(
            _SELECT_KEY_HASHES,
            {"items": list({x.slot[0] for x in lookups}), "reps": list({x.slot[2] for x in lookups})},
        )
    }
    mismatched: list[_Lookup] = []
    for lookup in lookups:
        item_id, vote_round, _rep = lookup.slot
        key_hash = stored.get(lookup.slot)
        if lookup.refusal is not None and counted_at.get(lookup.slot, -1) > lookup.index:
            key_hash = None
        if key_hash is not None and key_hash == key_hash_for(item_id, vote_round, lookup.key):
            outcomes[lookup.index] = CastOutcome(
                receipt_for(item_id, vote_round, lookup.key), False, item_id, lookup.meeting_id
            )
        elif lookup.refusal is not None:
            outcomes[lookup.index] = lookup.refusal
        elif key_hash is None and lookup.slot in undone:
            outcomes[lookup.index] = _reused_key() if undone[lookup.slot] == lookup.key else _send_again()
        elif key_hash is None:
            # A conflict whose row we cannot see would be a database bug: fail this one loudly.
            outcomes[lookup.index] = RuntimeError(
                f"participation for {lookup.slot} conflicted but is not visible"
            )
        else:
            mismatched.append(lookup)
    if mismatched:
        receipts = {receipt_for(x.slot[0], x.slot[1], x.key) for x in mismatched}
        taken = set(conn.scalars(_SELECT_TAKEN_RECEIPTS, {"receipts": list(receipts)}))
        for lookup in mismatched:
            if receipt_for(lookup.slot[0], lookup.slot[1], lookup.key) in taken:
                outcomes[lookup.index] = _reused_key()
            else:
                outcomes[lookup.index] = Conflict("you have already voted on this item", code="already_voted")


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
        "present": electorate_counts(session, item.id, item.vote_round)[1],
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
    roster, present = electorate_counts(session, item.id, vote_round)

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


_RECEIPT_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def normalise_receipt(code: object) -> str | None:
    """``abcd efgh-jklm`` as typed or scanned -> ``ABCD-EFGH-JKLM``; None when it cannot be one."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    plain = "".join(ch for ch in code.upper() if ch not in " -\t")
    if len(plain) != 12 or not set(plain) <= _RECEIPT_ALPHABET:
        return None
    return f"{plain[0:4]}-{plain[4:8]}-{plain[8:12]}"


def check_receipt(session: Session, code: object) -> dict[str, Any]:
    """Whether a receipt was counted: ``{receipt, item_id, round, counted: true}`` once the round
    that holds it has closed; NotFound for an unknown code or one whose round is still open.
    Never the choice."""
    receipt = normalise_receipt(code)
    row = None
    if receipt is not None:
        row = session.execute(
            select(Ballot.item_id, Ballot.vote_round, Item.status, Item.vote_round)
            .join(Item, Item.id == Ballot.item_id)
            .where(Ballot.receipt == receipt)
        ).first()
    if row is None or (row[2] == "voting" and row[3] == row[1]):
        raise NotFound("no counted ballot has this receipt (yet)", code="receipt_not_found")
    return {"receipt": receipt, "item_id": row[0], "round": row[1], "counted": True}


def item_meeting_id(session: Session, item_id: Any) -> int:
    """The meeting an item belongs to (for authorisation at the edge)."""
    item = session.get(Item, item_id) if is_id(item_id) else None
    if item is None:
        raise NotFound(f"item {item_id} not found", code="item_not_found", item_id=item_id)
    return item.meeting_id
