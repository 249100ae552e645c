"""cast_ballot, open and close on SQLite and PostgreSQL: idempotency, refusals, races, secrecy."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.db import make_engine, make_session_factory
from evalmeet.domain.errors import Conflict, DomainError, NotAllowed, ValidationFailed
from evalmeet.models import AuditEntry, Ballot, Item, ItemResult, Participation, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.schemas.voting import RevoteBody
from evalmeet.services.meetings import conduct
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import ballot, refusal
from tests.statements import statements_run

pytestmark = both_databases
KEY = "k" * 10 + "-phone-key-0001"


def key(n: int) -> str:
    return f"phone-key-{n:08d}-abcdef"


def open_item(session, live, index=0):
    item = live.items[index]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    return item


def count(session, model, **where):
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return session.scalar(stmt)


def test_cast_counts_and_close_freezes_result(session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = open_item(session, live)
    receipts = []
    for n, (rep, choice) in enumerate(
        zip(live.reps, ["satisfied", "basically_satisfied", "dissatisfied"], strict=True)
    ):
        out = voting.cast_ballot(session, rep, ballot(item.id, choice, key(n))).value
        session.commit()
        assert out.counted
        receipts.append(out.receipt)
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert result.counts == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
    assert (result.ballots, result.present, result.roster) == (3, 3, 3)
    assert (result.satisfaction_num, result.satisfaction_den) == (2, 3)
    assert result.passed is True
    assert session.get(Item, item.id).status == "passed"
    assert rounds.receipts(session, item.id) == sorted(receipts)
    assert len(set(receipts)) == 3


def test_same_key_twice_returns_same_receipt_and_counts_once(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    first = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", KEY)).value
    session.commit()
    again = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", KEY)).value
    session.commit()
    assert again.receipt == first.receipt and first.counted and not again.counted
    assert count(session, Ballot, item_id=item.id) == 1
    assert count(session, Participation, item_id=item.id) == 1


def test_another_key_from_same_person_is_already_voted(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(1)))
    session.commit()
    with pytest.raises(Conflict) as err:
        voting.cast_ballot(session, live.reps[0], ballot(item.id, "dissatisfied", key(2)))
    session.rollback()
    assert err.value.code == "already_voted"
    assert count(session, Ballot, item_id=item.id) == 1


def test_resend_after_close_returns_receipt_but_new_vote_is_refused(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    out = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", KEY)).value
    session.commit()
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    again = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", KEY)).value
    assert again.receipt == out.receipt and not again.counted
    assert refusal(session, live.reps[1], ballot(item.id, "satisfied", key(9))).code == "voting_closed"
    assert count(session, Ballot, item_id=item.id) == 1


def test_not_present_cannot_vote(session, meeting_factory):
    live = meeting_factory(reps=3, present=2)
    item = open_item(session, live)
    with pytest.raises(NotAllowed) as err:
        voting.cast_ballot(session, live.reps[2], ballot(item.id, "satisfied", KEY))
    assert err.value.code == "not_present"


def test_pending_item_is_voting_closed(session, meeting_factory):
    live = meeting_factory(reps=3, items=2)
    open_item(session, live, 0)
    with pytest.raises(Conflict) as err:
        voting.cast_ballot(session, live.reps[0], ballot(live.items[1].id, "satisfied", KEY))
    assert err.value.code == "voting_closed"


def test_invalid_choice_and_key_and_item(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    rep = live.reps[0]
    for choice in ["pass", "", None, 1, "SATISFIED"]:
        with pytest.raises(ValidationFailed) as err:
            voting.cast_ballot(session, rep, ballot(item.id, choice, KEY))
        assert err.value.code == "invalid_choice"
    for bad_key in [None, "short", 12345678901234567, "x" * 129]:
        with pytest.raises(ValidationFailed) as err:
            voting.cast_ballot(session, rep, ballot(item.id, "satisfied", bad_key))
        assert err.value.code == "invalid_key"
    with pytest.raises(DomainError) as err:
        voting.cast_ballot(session, rep, ballot(999999, "satisfied", KEY))
    assert err.value.code == "item_not_found"
    with pytest.raises(ValidationFailed):
        voting.cast_ballot(session, rep, ballot("1", "satisfied", KEY))
    session.rollback()
    assert count(session, Ballot) == 0


def test_other_meetings_item_is_not_allowed(session, meeting_factory):
    first = meeting_factory(reps=3)
    second = meeting_factory(reps=3)
    item = open_item(session, second)
    with pytest.raises(NotAllowed) as err:
        voting.cast_ballot(session, first.reps[0], ballot(item.id, "satisfied", KEY))
    assert err.value.code == "not_allowed"


def test_revoked_representative_is_not_allowed(session, meeting_factory):
    from evalmeet.services.meetings import roster

    live = meeting_factory(reps=3)
    item = open_item(session, live)
    roster.revoke_representative(session, live.reps[0].id, "mod")
    session.commit()
    with pytest.raises(NotAllowed):
        voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", KEY))


def test_quorum_not_met_refuses_to_open(session, meeting_factory):
    live = meeting_factory(reps=9, present=5)  # 2/3 of 9 = 6 needed
    with pytest.raises(Conflict) as err:
        rounds.open_voting(session, live.items[0].id, "mod")
    assert err.value.code == "quorum_not_met"
    assert "5 of 9 present, 6 needed" in err.value.message
    session.rollback()
    conduct.check_in(session, live.reps[5], "link")
    rounds.open_voting(session, live.items[0].id, "mod")
    session.commit()
    assert session.get(Item, live.items[0].id).status == "voting"


def test_only_one_item_votes_at_a_time_and_close_twice_refused(session, meeting_factory):
    live = meeting_factory(reps=3, items=2)
    item = open_item(session, live, 0)
    with pytest.raises(Conflict) as err:
        rounds.open_voting(session, live.items[1].id, "mod")
    assert err.value.code == "voting_open"
    session.rollback()
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    with pytest.raises(Conflict) as err:
        rounds.close_voting(session, item.id, "mod")
    assert err.value.code == "voting_closed"
    with pytest.raises(Conflict) as err:
        rounds.open_voting(session, item.id, "mod")
    assert err.value.code == "voting_closed"


def test_zero_ballots_fails(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert result.ballots == 0 and result.passed is False
    assert session.get(Item, item.id).status == "failed"


def test_result_hidden_while_voting(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    with pytest.raises(Conflict) as err:
        rounds.get_result(session, item.id)
    assert err.value.code == "voting_open"
    with pytest.raises(Conflict):
        rounds.receipts(session, item.id)


def test_revote_keeps_earlier_result(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    voting.cast_ballot(session, live.reps[0], ballot(item.id, "dissatisfied", key(1)))
    session.commit()
    first = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert not first.passed
    rounds.revote(session, item.id, RevoteBody(reason="投票系统说明不清，重新投票"), "mod")
    session.commit()
    # The same person votes again in round 2, even with the old key.
    voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(1)))
    voting.cast_ballot(session, live.reps[1], ballot(item.id, "satisfied", key(2)))
    session.commit()
    second = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    history = rounds.result_history(session, item.id)
    assert [r.vote_round for r in history] == [1, 2]
    assert history[0].passed is False and history[0].counts["dissatisfied"] == 1
    assert history[0].superseded_reason == "投票系统说明不清，重新投票"
    assert second.passed and rounds.get_result(session, item.id).vote_round == 2


def test_close_rewrites_ballots_and_audits_once_with_receipts(session, meeting_factory):
    live = meeting_factory(reps=5)
    item = open_item(session, live)
    receipts = []
    for n, rep in enumerate(live.reps):
        receipts.append(voting.cast_ballot(session, rep, ballot(item.id, "satisfied", key(n))).value.receipt)
        session.commit()
    ids_before = set(session.scalars(select(Ballot.id).where(Ballot.item_id == item.id)))
    audit_before = count(session, AuditEntry)
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    ids_after = set(session.scalars(select(Ballot.id).where(Ballot.item_id == item.id)))
    assert len(ids_after) == 5 and ids_before.isdisjoint(ids_after)
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.id > 0).order_by(AuditEntry.id)))
    assert count(session, AuditEntry) == audit_before + 1
    last = entries[-1]
    assert last.event == "voting.closed"
    for receipt in receipts:
        assert receipt in last.payload
    # Casting wrote no audit entries at all.
    assert not any(e.event.startswith("ballot") for e in entries)


def test_ballot_rows_carry_nothing_about_people(session, meeting_factory):
    columns = set(Ballot.__table__.columns.keys())
    # rater_group only while the round is open (tests/services/test_sheets.py: null after close)
    assert columns == {"id", "item_id", "vote_round", "choice", "receipt", "rater_group"}
    assert "choice" not in Participation.__table__.columns.keys()


# --- races: separate sessions in threads ------------------------------------------------------


def _racing_sessions(app, n):
    engine = make_engine(app.config["DATABASE_URL"])
    factory = make_session_factory(engine)
    return engine, [factory() for _ in range(n)]


def _race(sessions: list[Session], work):
    barrier = threading.Barrier(len(sessions))
    outcomes: list[object] = [None] * len(sessions)

    def run(i):
        s = sessions[i]
        barrier.wait()
        try:
            outcomes[i] = work(s, i)
            s.commit()
        except DomainError as exc:
            s.rollback()
            outcomes[i] = exc
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            s.rollback()
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in sessions:
        s.close()
    return outcomes


def _one_voter_racing(app, session, meeting_factory, *, voter, threads, choice, key_of):
    """Three present, voting open: ``threads`` sessions cast at once for the same ``voter``
    (an index in the roster), the i-th with the key ``key_of(i)``: (the item, each outcome)."""
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    rep_id = live.reps[voter].id
    engine, sessions = _racing_sessions(app, threads)

    def cast(s, i):
        return voting.cast_ballot(s, s.get(Representative, rep_id), ballot(item.id, choice, key_of(i))).value

    outcomes = _race(sessions, cast)
    engine.dispose()
    return item, outcomes


def test_concurrent_double_votes_count_once(app, session, meeting_factory):
    item, outcomes = _one_voter_racing(
        app, session, meeting_factory, voter=0, threads=8, choice="satisfied", key_of=key
    )
    ok = [o for o in outcomes if isinstance(o, voting.CastOutcome)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(ok) == 1, outcomes
    assert len(refused) == 7 and all(e.code == "already_voted" for e in refused)
    session.expire_all()
    assert count(session, Ballot, item_id=item.id) == 1
    assert count(session, Participation, item_id=item.id) == 1


def test_concurrent_resends_of_one_key_count_once(app, session, meeting_factory):
    item, outcomes = _one_voter_racing(
        app, session, meeting_factory, voter=1, threads=6, choice="dissatisfied", key_of=lambda _i: KEY
    )
    assert all(isinstance(o, voting.CastOutcome) for o in outcomes), outcomes
    assert len({o.receipt for o in outcomes}) == 1
    assert sum(o.counted for o in outcomes) == 1
    session.expire_all()
    assert count(session, Ballot, item_id=item.id) == 1


def test_close_racing_with_votes_never_loses_an_acked_ballot(app, session, meeting_factory):
    live = meeting_factory(reps=12)
    item = open_item(session, live)
    rep_ids = [r.id for r in live.reps]
    engine, sessions = _racing_sessions(app, 13)

    def work(s, i):
        if i == 12:
            return rounds.close_voting(s, item.id, "mod").value
        return voting.cast_ballot(
            s, s.get(Representative, rep_ids[i]), ballot(item.id, "satisfied", key(i))
        ).value

    outcomes = _race(sessions, work)
    engine.dispose()
    acked = [o for o in outcomes[:12] if isinstance(o, voting.CastOutcome)]
    refused = [o for o in outcomes[:12] if isinstance(o, DomainError)]
    assert len(acked) + len(refused) == 12, outcomes
    assert all(e.code == "voting_closed" for e in refused)
    session.expire_all()
    result = session.scalar(select(ItemResult).where(ItemResult.item_id == item.id))
    assert result is not None
    # Every acknowledged ballot is in the frozen tally, and nothing arrived after it.
    assert result.ballots == len(acked)
    assert count(session, Ballot, item_id=item.id) == len(acked)


# --- batches (what the group commit sends) ----------------------------------------------------


def test_a_batch_answers_every_request_as_if_it_came_alone(session, meeting_factory):
    from evalmeet.services.meetings import roster

    live = meeting_factory(reps=8, present=7)
    other = meeting_factory(reps=1)
    item = open_item(session, live)
    roster.revoke_representative(session, live.reps[5].id, "mod")
    session.commit()
    reps = [r.id for r in live.reps]
    tokens = {r.id: r.join_token for r in live.reps}

    def R(rep_id, item_id, choice, key, vote_round=None, token=None):  # noqa: N802 - a short name
        return voting.CastRequest(rep_id, ballot(item_id, choice, key, round=vote_round), token)

    requests = [
        R(reps[0], item.id, "satisfied", key(0)),  # counted
        R(reps[0], item.id, "satisfied", key(0)),  # the same phone again: same ballot
        R(reps[1], item.id, "dissatisfied", key(1)),  # counted
        R(reps[1], item.id, "satisfied", key(99)),  # another key for the same person
        R(reps[7], item.id, "satisfied", key(7)),  # not checked in
        R(reps[2], item.id, "pass", key(2)),  # not a choice of this scale
        R(reps[3], item.id, "satisfied", "short"),  # bad key
        R(reps[3], 999999, "satisfied", key(3)),  # no such item
        R(other.reps[0].id, item.id, "satisfied", key(4)),  # another meeting's representative
        R(reps[5], item.id, "satisfied", key(5), token=tokens[reps[5]]),  # revoked since connecting
        R(reps[6], item.id, "satisfied", key(6), token="replaced-token"),  # link replaced
        R(reps[4], item.id, "basically_satisfied", key(4), vote_round=item.vote_round, token=tokens[reps[4]]),
        R(reps[3], item.id, "satisfied", key(3), vote_round=item.vote_round + 1),  # a round not open
    ]
    outcomes = voting.cast_ballots(session, requests)
    session.commit()
    codes = [
        o.code if isinstance(o, DomainError) else ("counted" if o.counted else "again") for o in outcomes
    ]
    assert codes == [
        "counted",
        "again",
        "counted",
        "already_voted",
        "not_present",
        "invalid_choice",
        "invalid_key",
        "item_not_found",
        "not_allowed",
        "not_allowed",
        "not_allowed",
        "counted",
        "invalid_round",
    ]
    assert isinstance(outcomes[9], voting.LinkNoLongerValid)
    assert isinstance(outcomes[10], voting.LinkNoLongerValid)
    assert not isinstance(outcomes[8], voting.LinkNoLongerValid)  # no token: not a socket's link
    assert outcomes[0].receipt == outcomes[1].receipt == voting.receipt_for(item.id, 1, key(0))
    assert outcomes[11].meeting_id == live.meeting.id and outcomes[11].item_id == item.id
    session.expire_all()
    assert count(session, Participation, item_id=item.id) == count(session, Ballot, item_id=item.id) == 3
    # The same requests again, one at a time, now all find their slots taken or refused alike.
    again = voting.cast_ballots(session, requests[:3])
    assert [o.counted for o in again] == [False, False, False]
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert result.counts == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
    late = voting.cast_ballots(session, [requests[0], R(reps[2], item.id, "satisfied", key(2))])
    assert late[0].receipt == outcomes[0].receipt and not late[0].counted  # a resend after close
    assert isinstance(late[1], Conflict) and late[1].code == "voting_closed"


def test_a_batch_runs_a_fixed_number_of_statements(app, session, meeting_factory):
    from evalmeet.extensions import db

    counts = {}
    for size in (2, 60):
        live = meeting_factory(reps=size)
        item = open_item(session, live)
        requests = [
            voting.CastRequest(r.id, ballot(item.id, "satisfied", key(n))) for n, r in enumerate(live.reps)
        ]
        requests.append(requests[0])  # a resend in the batch adds the key-hash read
        with statements_run(db.engine) as statements:
            outcomes = voting.cast_ballots(session, requests)
        session.commit()
        assert sum(o.counted for o in outcomes) == size
        counts[size] = len([s for s in statements if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))])
    # representatives, items, electorate, participations, ballots, key hashes (for the resend)
    assert counts[2] == counts[60] == 6, counts


def test_batches_sharing_slots_in_opposite_orders_never_deadlock(app, session, meeting_factory):
    """Two workers' batches holding the same people (phones that resent through the other
    worker), listed in opposite orders: both finish, and every person counts once.

    Big batches, so that the two inserts overlap: unsorted, PostgreSQL detected a deadlock in
    every run of this test (each transaction waiting for the other's uncommitted rows)."""
    live = meeting_factory(reps=1500)
    item = open_item(session, live)
    rep_ids = [r.id for r in live.reps]
    for attempt in range(3):
        if attempt:
            rounds.close_voting(session, item.id, "mod")
            rounds.revote(session, item.id, RevoteBody(reason="再次测试"), "mod")
            session.commit()
        engine, sessions = _racing_sessions(app, 2)
        orders = [rep_ids, rep_ids[::-1]]

        def work(s, i, orders=orders, attempt=attempt):
            keys = [key(10_000 * attempt + 5_000 * i + n) for n in range(len(rep_ids))]  # all distinct
            requests = [
                voting.CastRequest(r, ballot(item.id, "satisfied", k))
                for r, k in zip(orders[i], keys, strict=True)
            ]
            return voting.cast_ballots(s, requests)

        outcomes = _race(sessions, work)
        engine.dispose()
        assert all(isinstance(o, list) for o in outcomes), outcomes  # no deadlock, no error
        counted = sum(o.counted for batch in outcomes for o in batch if isinstance(o, voting.CastOutcome))
        refused = [o for batch in outcomes for o in batch if isinstance(o, DomainError)]
        assert counted == len(rep_ids) and len(refused) == len(rep_ids)
        assert {e.code for e in refused} == {"already_voted"}


# --- a key another representative used; the electorate of an open round ----------------------


def test_a_key_another_representative_used_is_refused_alone(session, meeting_factory, caplog):
    """One representative resending someone else's key must not fail the honest ballots of the
    batch, nor write anybody's choice or receipt into a log line."""
    live = meeting_factory(reps=6)
    item = open_item(session, live)
    honest = voting.cast_ballot(session, live.reps[0], ballot(item.id, "dissatisfied", key(1))).value
    session.commit()
    thief, others = live.reps[1], live.reps[2:]
    requests = [voting.CastRequest(thief.id, ballot(item.id, "satisfied", key(1)))]  # rep 0's key
    requests += [
        voting.CastRequest(r.id, ballot(item.id, "basically_satisfied", key(10 + n)))
        for n, r in enumerate(others)
    ]
    requests.append(voting.CastRequest(others[0].id, ballot(item.id, "satisfied", key(1))))  # used twice over
    with caplog.at_level("DEBUG"):
        outcomes = voting.cast_ballots(session, requests)
        session.commit()
    assert isinstance(outcomes[0], DomainError) and outcomes[0].code == "invalid_key"
    assert all(isinstance(o, voting.CastOutcome) and o.counted for o in outcomes[1:-1]), outcomes
    assert isinstance(outcomes[-1], DomainError) and outcomes[-1].code == "invalid_key"
    # the thief did not vote, and can still vote with a key of their own
    assert count(session, Participation, item_id=item.id) == 1 + len(others)
    assert count(session, Ballot, item_id=item.id) == 1 + len(others)
    assert voting.cast_ballot(session, thief, ballot(item.id, "satisfied", key(99))).value.counted
    session.commit()
    for record in caplog.records:
        text = record.getMessage()
        assert honest.receipt not in text and "dissatisfied" not in text, text


def test_a_reused_key_inside_one_batch_counts_only_the_first(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    outcomes = voting.cast_ballots(
        session, [voting.CastRequest(r.id, ballot(item.id, "satisfied", key(5))) for r in live.reps]
    )
    session.commit()
    assert isinstance(outcomes[0], voting.CastOutcome) and outcomes[0].counted
    assert [getattr(o, "code", None) for o in outcomes[1:]] == ["invalid_key", "invalid_key"]
    assert count(session, Participation, item_id=item.id) == 1


def test_after_voting_a_stolen_key_is_invalid_key_not_already_voted(session, meeting_factory):
    live = meeting_factory(reps=2)
    item = open_item(session, live)
    for n, rep in enumerate(live.reps):
        voting.cast_ballot(session, rep, ballot(item.id, "satisfied", key(n)))
        session.commit()
    assert refusal(session, live.reps[1], ballot(item.id, "satisfied", key(0))).code == "invalid_key"
    with pytest.raises(Conflict) as again:
        voting.cast_ballot(session, live.reps[1], ballot(item.id, "satisfied", key(7)))
    assert again.value.code == "already_voted"


def test_the_electorate_is_the_roster_at_opening(session, meeting_factory):
    from evalmeet.services.meetings import roster

    live = meeting_factory(reps=3)
    item = open_item(session, live)
    late = roster.add_representative(
        session, live.id, parse(RepresentativeCreate, {"name": "迟到者", "employee_no": "L1"}), "mod"
    ).value
    conduct.check_in(session, late, "link")
    roster.revoke_representative(session, live.reps[2].id, "mod")  # revoked mid-round
    session.commit()
    assert refusal(session, late, ballot(item.id, "satisfied", key(1))).code == "not_allowed"
    assert rounds.progress(session, item.id).present == 2  # the late one is not in it
    voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(2)))
    session.commit()
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert (result.roster, result.present, result.ballots) == (3, 2, 1)  # rep 2 revoked: not present
    # the next round has them all (the late one included, the revoked one not)
    second = live.items[0]
    rounds.revote(session, second.id, RevoteBody(reason="再议"), "mod")
    session.commit()
    assert voting.cast_ballot(session, late, ballot(second.id, "satisfied", key(3))).value.counted
    session.commit()
    assert rounds.progress(session, second.id).present == 3


def test_a_resend_is_answered_before_any_other_refusal(session, meeting_factory):
    """contract.md: a resend of a counted key gets its receipt right after not_allowed — also
    with a choice that is no longer valid, once marked absent, and after the close."""
    live = meeting_factory(reps=2)
    item = open_item(session, live)
    first = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(1))).value
    session.commit()
    conduct.set_present(session, live.reps[0].id, False, "mod")
    session.commit()
    again = voting.cast_ballot(session, live.reps[0], ballot(item.id, "bogus", key(1))).value
    assert again.receipt == first.receipt and not again.counted
    session.rollback()
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    late = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(1), round=1)).value
    assert late.receipt == first.receipt and not late.counted


def test_a_receipt_is_found_only_once_its_round_has_closed(session, meeting_factory):
    live = meeting_factory(reps=2)
    item = open_item(session, live)
    cast = voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(1))).value
    session.commit()
    with pytest.raises(DomainError) as hidden:
        rounds.check_receipt(session, cast.receipt)  # the round is still open
    assert hidden.value.code == "receipt_not_found"
    rounds.close_voting(session, item.id, "mod")
    rounds.revote(
        session, item.id, RevoteBody(reason="重新表决"), "mod"
    )  # round 2 open: round 1's receipts stand
    session.commit()
    found = rounds.check_receipt(session, cast.receipt.replace("-", "").lower())
    assert found.json_dict() == {"receipt": cast.receipt, "item_id": item.id, "round": 1, "counted": True}
    for bad in ("", "ABCD", "ABCD-EFGH-JKL1", 42, "A" * 41):
        with pytest.raises(DomainError):
            rounds.check_receipt(session, bad)


def test_a_reused_key_sent_twice_in_one_batch_is_refused_both_times(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = open_item(session, live)
    voting.cast_ballot(session, live.reps[0], ballot(item.id, "satisfied", key(1)))
    session.commit()
    thief = live.reps[1].id
    outcomes = voting.cast_ballots(
        session,
        [
            voting.CastRequest(thief, ballot(item.id, "satisfied", key(1))),
            voting.CastRequest(thief, ballot(item.id, "satisfied", key(1))),
            voting.CastRequest(thief, ballot(item.id, "dissatisfied", key(2))),  # their own, after
            voting.CastRequest(live.reps[2].id, ballot(item.id, "satisfied", key(3))),
        ],
    )
    session.commit()
    codes = [getattr(o, "code", "counted") for o in outcomes]
    assert codes == ["invalid_key", "invalid_key", "temporarily_unavailable", "counted"]
    assert voting.cast_ballot(
        session, live.reps[1], ballot(item.id, "dissatisfied", key(2))
    ).value.counted  # sent again
