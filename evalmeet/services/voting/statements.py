"""The cast engine's Core statements, built once (see :mod:`evalmeet.services.voting.ballots`).

The vote path runs them for every batch of ballots, and the ORM's per-statement work (entity
compile, identity map, bulk-insert machinery) was most of a ballot's CPU cost
(docs/performance.md). ``expanding`` IN lists keep one cached compilation each.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from evalmeet.models import Ballot, Entitlement, Item, Meeting, Participation, Recusal, Representative

_reps_t, _items_t, _meetings_t = (cast(Table, m.__table__) for m in (Representative, Item, Meeting))
_parts_t, _ballots_t, _electorate_t = (cast(Table, m.__table__) for m in (Participation, Ballot, Entitlement))
SELECT_REPS = select(
    _reps_t.c.id,
    _reps_t.c.meeting_id,
    _reps_t.c.join_token,
    _reps_t.c.revoked,
    _reps_t.c.present,
    _reps_t.c.ballot,
    _reps_t.c.rater_group,
).where(_reps_t.c.id.in_(bindparam("ids", expanding=True)))
# FOR SHARE OF items on PostgreSQL: a concurrent close (FOR UPDATE) waits for us, and we for it.
# (SQLite renders no lock clause: BEGIN IMMEDIATE already serialises writers.)
SELECT_ITEMS = (
    select(
        _items_t.c.id,
        _items_t.c.meeting_id,
        _items_t.c.status,
        _items_t.c.vote_round,
        _meetings_t.c.scale,
        _meetings_t.c.scale_choices,
        _meetings_t.c.criteria,
        _meetings_t.c.rater_groups,
        _meetings_t.c.pass_rule,
    )
    .join(_meetings_t, _meetings_t.c.id == _items_t.c.meeting_id)
    .where(_items_t.c.id.in_(bindparam("ids", expanding=True)))
    .with_for_update(read=True, of=_items_t)
)
SELECT_ENTITLED = select(
    _electorate_t.c.item_id, _electorate_t.c.vote_round, _electorate_t.c.representative_id
).where(
    _electorate_t.c.item_id.in_(bindparam("items", expanding=True)),
    _electorate_t.c.representative_id.in_(bindparam("reps", expanding=True)),
)
_recusals_t = cast(Table, Recusal.__table__)
# Who of a batch's unentitled senders recused from the item (only read when there are such).
SELECT_RECUSED = select(_recusals_t.c.item_id, _recusals_t.c.representative_id).where(
    _recusals_t.c.item_id.in_(bindparam("items", expanding=True)),
    _recusals_t.c.representative_id.in_(bindparam("reps", expanding=True)),
)
SELECT_KEY_HASHES = select(
    _parts_t.c.item_id, _parts_t.c.vote_round, _parts_t.c.representative_id, _parts_t.c.key_hash
).where(
    _parts_t.c.item_id.in_(bindparam("items", expanding=True)),
    _parts_t.c.representative_id.in_(bindparam("reps", expanding=True)),
)
SELECT_TAKEN_RECEIPTS = select(_ballots_t.c.receipt).where(
    _ballots_t.c.receipt.in_(bindparam("receipts", expanding=True))
)
PART_KEY = ["item_id", "vote_round", "representative_id"]
INSERT_PARTICIPATION = {
    name: dialect_insert(_parts_t)
    .on_conflict_do_nothing(index_elements=PART_KEY)
    .returning(_parts_t.c.item_id, _parts_t.c.vote_round, _parts_t.c.representative_id)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
# A receipt another representative's ballot already holds (they sent the same key) is skipped,
# not an error: one phone's reused key must never fail the rest of the batch.
INSERT_BALLOT = {
    name: dialect_insert(_ballots_t)
    .on_conflict_do_nothing(index_elements=["receipt"])
    .returning(_ballots_t.c.receipt)
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
DELETE_PARTICIPATION = delete(_parts_t).where(
    _parts_t.c.item_id == bindparam("p_item"),
    _parts_t.c.vote_round == bindparam("p_round"),
    _parts_t.c.representative_id == bindparam("p_rep"),
)
