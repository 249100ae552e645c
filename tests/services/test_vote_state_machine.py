"""A stateful Hypothesis test of open / vote / resend / close / re-vote: the invariants always hold.

Every cast, alone or in a batch (``cast_ballots``, as the group commit sends them), is answered
exactly as a model of the rules says: counted, the same receipt again, or the right refusal.

- ballots = participations for every item and round;
- every acknowledged ballot is counted exactly once; a resend never adds a ballot;
- a frozen result never changes afterwards.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from evalmeet.db import make_engine, make_session_factory
from evalmeet.domain.errors import DomainError
from evalmeet.models import Ballot, ItemResult, Participation, Representative
from evalmeet.schemas.voting import RevoteBody
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.databases import sqlite_template
from tests.factories import ballot, build_meeting

CHOICES = ["satisfied", "basically_satisfied", "dissatisfied", "bogus"]


class VotingMachine(RuleBasedStateMachine):
    """Drives the services like a moderator and a hall of phones would."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        # The services need a session, not an app: each example gets a copy of the empty schema.
        self.engine = make_engine(sqlite_template().copy(Path(self.tmp.name) / "sm.db"))
        self.session = make_session_factory(self.engine)()
        live = build_meeting(self.session, reps=4, items=2, present=3)
        self.item_ids = [i.id for i in live.items]
        self.rep_ids = [r.id for r in live.reps]
        self.open_item: int | None = None
        self.round: dict[int, int] = dict.fromkeys(self.item_ids, 0)
        # (item, round) -> rep -> (receipt, key) of the ballot that counted
        self.acked: dict[tuple[int, int], dict[int, tuple[str, str]]] = {}
        self.keys: dict[tuple[int, int, int], str] = {}
        self.frozen: dict[tuple[int, int], tuple] = {}

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()
        self.tmp.cleanup()

    @precondition(lambda self: self.open_item is None)
    @rule(index=st.integers(0, 1), revote=st.booleans())
    def open_voting(self, index: int, revote: bool) -> None:
        item_id = self.item_ids[index]
        try:
            if revote:
                rounds.revote(self.session, item_id, RevoteBody(reason="复核"), "mod")
            else:
                rounds.open_voting(self.session, item_id, "mod")
            self.session.commit()
        except DomainError:
            self.session.rollback()
            return
        self.open_item = item_id
        self.round[item_id] += 1

    def _request(self, rep: int, choice: str, fresh_key: bool, item: int) -> voting.CastRequest:
        item_id, rep_id = self.item_ids[item], self.rep_ids[rep]
        slot = (item_id, self.round[item_id], rep_id)
        key = self.keys.get(slot) if not fresh_key else None
        key = key or f"key-{item_id}-{slot[1]}-{rep_id}-{len(self.keys):06d}"
        self.keys.setdefault(slot, key)
        return voting.CastRequest(rep_id, ballot(item_id, choice, key))

    def _expect(self, request: voting.CastRequest, outcome: object) -> None:
        """Check one outcome against the model of the rules, then record it in the model."""
        item_id, rep_id = request.vote.item_id, request.rep_id
        rnd = self.round[item_id]
        earlier = self.acked.setdefault((item_id, rnd), {}).get(rep_id)
        # contract.md's refusal order: a resend of a counted key is answered first, then
        # voting_closed, not_present, invalid_choice, already_voted
        resend = earlier is not None and earlier[1] == request.vote.key
        if resend:
            expected = "resend"
        elif item_id != self.open_item:
            expected = "voting_closed"
        elif rep_id == self.rep_ids[3]:
            expected = "not_present"
        elif request.vote.choice not in CHOICES[:3]:
            expected = "invalid_choice"
        elif earlier is None:
            expected = "counted"
        else:
            expected = "already_voted"
        if isinstance(outcome, DomainError):
            assert outcome.code == expected, (outcome.code, expected)
            return
        assert isinstance(outcome, voting.CastOutcome), outcome
        if expected == "resend":
            assert earlier is not None and outcome.receipt == earlier[0] and not outcome.counted
        else:
            assert expected == "counted" and outcome.counted, expected
            self.acked[(item_id, rnd)][rep_id] = (outcome.receipt, request.vote.key)

    @rule(
        rep=st.integers(0, 3),
        choice=st.sampled_from(CHOICES),
        fresh_key=st.booleans(),
        item=st.integers(0, 1),
    )
    def cast(self, rep: int, choice: str, fresh_key: bool, item: int) -> None:
        request = self._request(rep, choice, fresh_key, item)
        representative = self.session.get(Representative, request.rep_id)
        try:
            outcome: object = voting.cast_ballot(self.session, representative, request.vote).value
            self.session.commit()
        except DomainError as err:
            self.session.rollback()
            outcome = err
        self._expect(request, outcome)

    @rule(
        casts=st.lists(
            st.tuples(st.integers(0, 3), st.sampled_from(CHOICES), st.booleans(), st.integers(0, 1)),
            min_size=1,
            max_size=8,
        )
    )
    def cast_batch(self, casts: list[tuple[int, str, bool, int]]) -> None:
        """A group commit's batch: each request is answered exactly as if it came alone, in order."""
        requests = [self._request(*c) for c in casts]
        outcomes = voting.cast_ballots(self.session, requests)
        self.session.commit()
        assert len(outcomes) == len(requests)
        for request, outcome in zip(requests, outcomes, strict=True):
            self._expect(request, outcome)

    @precondition(lambda self: self.open_item is not None)
    @rule()
    def close(self) -> None:
        item_id = self.open_item
        assert item_id is not None
        result = rounds.close_voting(self.session, item_id, "mod").value
        self.session.commit()
        rnd = self.round[item_id]
        assert result.ballots == len(self.acked.get((item_id, rnd), {}))
        self.frozen[(item_id, rnd)] = (dict(result.counts), result.ballots, result.passed)
        self.open_item = None

    @invariant()
    def ballots_equal_participations(self) -> None:
        for item_id in self.item_ids:
            for rnd in range(1, self.round[item_id] + 1):
                ballots = self.session.scalar(
                    select(func.count())
                    .select_from(Ballot)
                    .where(Ballot.item_id == item_id, Ballot.vote_round == rnd)
                )
                parts = self.session.scalar(
                    select(func.count())
                    .select_from(Participation)
                    .where(Participation.item_id == item_id, Participation.vote_round == rnd)
                )
                assert ballots == parts == len(self.acked.get((item_id, rnd), {}))

    @invariant()
    def frozen_results_never_change(self) -> None:
        for (item_id, rnd), snapshot in self.frozen.items():
            row = self.session.scalar(
                select(ItemResult).where(ItemResult.item_id == item_id, ItemResult.vote_round == rnd)
            )
            assert row is not None
            assert (dict(row.counts), row.ballots, row.passed) == snapshot


TestVotingMachine = VotingMachine.TestCase
TestVotingMachine.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
