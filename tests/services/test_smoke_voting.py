"""A first end-to-end pass through the voting services on both databases."""

from __future__ import annotations

from evalmeet.services import voting
from tests.conftest import both_databases

pytestmark = both_databases


def test_vote_and_close(session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = live.items[0]
    voting.open_voting(session, item.id, "mod")
    session.commit()
    receipts = []
    for rep, choice in zip(live.reps, ["satisfied", "basically_satisfied", "dissatisfied"], strict=True):
        out = voting.cast_ballot(session, rep, item.id, choice, f"key-{rep.id}-abcdefghijklmnop")
        session.commit()
        receipts.append(out.receipt)
    result = voting.close_voting(session, item.id, "mod")
    session.commit()
    assert result.counts == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
    assert result.passed is True
    assert voting.receipts(session, item.id) == sorted(receipts)
