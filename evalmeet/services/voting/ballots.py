"""Casting the secret ballot (see ``shared/docs/secrecy.md``): the engine behind ``cast_vote``.

Casting writes a participation row (who) and a ballot row (what) in one transaction, guarded by
the unique constraint on (item, round, representative) through ``INSERT … ON CONFLICT DO
NOTHING``. The ballot row carries a random id and a receipt derived from the phone's key, and
nothing else. Ballots are cast in batches (``cast_ballots``: what the group commit sends, a
fixed number of statements per batch; ``cast_ballot`` is a batch of one). Each request is the
phone's :class:`~evalmeet.schemas.live.CastVoteBody`, whose unusable fields this engine refuses
in the order contract.md gives. Opening and closing the round: :mod:`evalmeet.services.voting.round`.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from evalmeet.domain.sheets import Rules, rules_from
from evalmeet.models import Representative
from evalmeet.models.base import random_id
from evalmeet.schemas.live import KEY_MAX, KEY_MIN, CastVoteBody
from evalmeet.services.events import BallotCounted, Done
from evalmeet.services.voting import statements as sql

_shuffle = random.SystemRandom().shuffle


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()


def receipt_for(item_id: int, vote_round: int, key: str) -> str:
    """The receipt code of a ballot: 60 bits of a hash of the phone's key, shaped like ABCD-EFGH-JKLM."""
    # Base32 turns each 5 bytes into 8 characters, so the first 10 bytes give the same first 12
    # characters as the whole digest would, at a fraction of the (pure-Python) encoding's cost.
    code = base64.b32encode(_digest("receipt", item_id, vote_round, key)[:10]).decode()[:12]
    return f"{code[0:4]}-{code[4:8]}-{code[8:12]}"


def key_hash_for(item_id: int, vote_round: int, key: str) -> str:
    """What the participation row keeps of the key: a different hash than the receipt's."""
    return _digest("participation", item_id, vote_round, key).hex()


# --- cast -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastOutcome:
    """What the phone is told: its receipt, and whether this call counted a new ballot."""

    receipt: str
    counted: bool
    item_id: int
    meeting_id: int

    @property
    def events(self) -> tuple[BallotCounted, ...]:
        """What the edge does once this is committed: a counted ballot moves the progress."""
        return (BallotCounted(self.meeting_id, self.item_id),) if self.counted else ()


@dataclass(frozen=True)
class CastRequest:
    """One phone's ``cast_vote`` as the edge received it: who sent it (``rep_id``, the only part
    that is trusted) and what (``vote``).

    ``token`` is the join token the phone connected with: when given, a link that was revoked or
    replaced since is refused with :class:`LinkNoLongerValid` (the edge then drops the socket).
    ``vote.round`` is the round the phone meant: a ballot retried after its round closed must not
    slip into a re-vote's new round, so an earlier round is ``voting_closed``.
    """

    rep_id: int
    vote: CastVoteBody
    token: str | None = None


class LinkNoLongerValid(NotAllowed):
    """The representative's join link was revoked or replaced (or the entry deleted)."""


def _invalid_key() -> ValidationFailed:
    return ValidationFailed(
        f"key must be a random string of {KEY_MIN}–{KEY_MAX} characters",
        code="invalid_key",
        min=KEY_MIN,
        max=KEY_MAX,
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
    rater_group: str | None = None

    @cached_property
    def receipt(self) -> str:  # asked several times per ballot in a batch: hashed once
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


def cast_ballot(session: Session, rep: Representative, vote: CastVoteBody) -> Done[CastOutcome]:
    """Record one secret ballot; the same key again returns the same receipt and counts once.

    The single-ballot form of :func:`cast_ballots` (same rules, same statements): it raises the
    refusal instead of returning it.
    """
    outcome = cast_ballots(session, [CastRequest(rep.id, vote)])[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return Done(outcome, outcome.events)


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
    reps = {row.id: row for row in conn.execute(sql.SELECT_REPS, {"ids": rep_ids})}
    item_ids = list({r.vote.item_id for r in requests if r.vote.item_id is not None})
    items = {row.id: row for row in conn.execute(sql.SELECT_ITEMS, {"ids": item_ids})} if item_ids else {}
    voting_now = [i for i, row in items.items() if row.status == "voting"]
    entitled: set[_Slot] = (
        {tuple(row) for row in conn.execute(sql.SELECT_ENTITLED, {"items": voting_now, "reps": rep_ids})}
        if voting_now
        else set()
    )
    recused = _recused_among(conn, requests, items, entitled)
    rules = {
        i: rules_from(row.scale, row.scale_choices, row.criteria, row.rater_groups, row.pass_rule)
        for i, row in items.items()
    }

    # One participation row per slot: a phone's second request in the same batch is a resend.
    first: dict[_Slot, _Pending] = {}
    by_receipt: dict[str, _Pending] = {}
    lookups: list[_Lookup] = []
    for index, request in enumerate(requests):
        try:
            check = _check(index, request, reps.get(request.rep_id), items, rules, entitled, recused)
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
            sql.INSERT_PARTICIPATION[conn.dialect.name],
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
                "rater_group": p.rater_group,
                "receipt": p.receipt,
            }
        )
    if ballots:
        _shuffle(ballots)  # no order within the batch that matches the participation rows
        stored = {row.receipt for row in conn.execute(sql.INSERT_BALLOT[conn.dialect.name], ballots)}
        taken = [p for p in first.values() if p.slot in inserted and p.receipt not in stored]
        if taken:  # another representative's ballot holds that receipt: undo this vote, refuse it
            conn.execute(
                sql.DELETE_PARTICIPATION,
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


def _recused_among(
    conn: Any, requests: list[CastRequest], items: dict[int, Any], entitled: set[_Slot]
) -> set[tuple[int, int]]:
    """``(item_id, representative_id)`` of the batch's senders who recused from the item.

    A recused representative is never in an open round's electorate, so only requests for an
    open round whose sender is not entitled are looked up: none on the ordinary path."""
    candidates = {
        (item.id, r.rep_id)
        for r in requests
        if r.vote.item_id is not None
        and (item := items.get(r.vote.item_id)) is not None
        and item.status == "voting"
        and (item.id, item.vote_round, r.rep_id) not in entitled
    }
    if not candidates:
        return set()
    rows = conn.execute(
        sql.SELECT_RECUSED,
        {"items": list({c[0] for c in candidates}), "reps": list({c[1] for c in candidates})},
    )
    return {(row.item_id, row.representative_id) for row in rows} & candidates


def _check(
    index: int,
    request: CastRequest,
    rep: Any,
    items: dict[int, Any],
    rules_of: dict[int, Rules],
    entitled: set[_Slot],
    recused: set[tuple[int, int]],
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
    vote = request.vote
    if vote.item_id is None:
        raise ValidationFailed("item_id must be an item id", code="invalid_item")
    item = items.get(vote.item_id)
    if item is None:
        raise NotFound(f"item {vote.item_id} not found", code="item_not_found", item_id=vote.item_id)
    if item.meeting_id != rep.meeting_id:
        raise NotAllowed(
            "you are not on the roster of this item's meeting", code="not_allowed", reason="not_on_roster"
        )
    vote_round = vote.round
    if vote_round is not None and vote_round != item.vote_round:
        if vote_round < 1 or vote_round > item.vote_round:
            raise ValidationFailed("round must be the item's current voting round", code="invalid_round")
    slot = (item.id, item.vote_round if vote_round is None else vote_round, rep.id)
    open_round = item.status == "voting" and slot[1] == item.vote_round
    is_recused = (item.id, rep.id) in recused
    if open_round and slot not in entitled and not is_recused:
        raise NotAllowed(
            "you joined the roster after this round of voting opened; you can vote in the next one",
            code="not_allowed",
            reason="not_entitled",
        )
    key = vote.key
    if key is None:
        raise _invalid_key()
    if not open_round:
        if not item.vote_round:
            raise Conflict(f"voting on item {item.id} is not open", code="voting_closed", item_id=item.id)
        closed = Conflict(
            f"round {slot[1]} of voting on item {item.id} is closed", code="voting_closed", item_id=item.id
        )
        return _Lookup(index, slot, key, item.meeting_id, closed)
    if rep.ballot == "paper":  # the scrutineers count this representative's sheet
        raise NotAllowed("you vote on paper; hand your ballot to the scrutineers", code="paper_voter")
    if is_recused:
        raise Conflict(f"you recused from item {item.id}; you do not vote on it", code="recused")
    if not rep.present:
        absent = NotAllowed("you have not checked in to this meeting", code="not_present")
        return _Lookup(index, slot, key, item.meeting_id, absent)
    rules = rules_of[item.id]
    sheet = rules.sheet_of(vote.choice, vote.choices)
    if sheet is None:
        allowed = ", ".join(rules.scale.keys)
        what = (
            f"choices must rate each of {', '.join(rules.lines)} with" if rules.criteria else "choice must be"
        )
        invalid = ValidationFailed(f"{what} one of: {allowed}", code="invalid_choice", allowed=allowed)
        return _Lookup(index, slot, key, item.meeting_id, invalid)
    return _Pending(index, slot, key, sheet, item.meeting_id, rep.rater_group)


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
            sql.SELECT_KEY_HASHES,
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
        taken = set(conn.scalars(sql.SELECT_TAKEN_RECEIPTS, {"receipts": list(receipts)}))
        for lookup in mismatched:
            if receipt_for(lookup.slot[0], lookup.slot[1], lookup.key) in taken:
                outcomes[lookup.index] = _reused_key()
            else:
                outcomes[lookup.index] = Conflict("you have already voted on this item", code="already_voted")
