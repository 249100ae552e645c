"""Recusal (回避) and question support, as use cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from evalmeet.domain.errors import Conflict, DomainError
from evalmeet.models import AuditEntry, Entitlement, QuestionSupport
from evalmeet.schemas.base import parse
from evalmeet.schemas.live import DeclareRecusalBody, SupportQuestionBody
from evalmeet.schemas.recusals import RecusalCreate
from evalmeet.services.meetings import conduct, recusals
from evalmeet.services.meetings import questions as question_service
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import asked, ballot, moderation

pytestmark = both_databases


def key(n: int) -> str:
    return f"recusal-key-{n:08d}-abcdef"


def recuse(session, item_id, rep_id, reason="本人为该项目供应商亲属"):
    done = recusals.record_recusal(
        session, item_id, parse(RecusalCreate, {"representative_id": rep_id, "reason": reason}), "mod"
    )
    session.commit()
    return done.value


def code_of(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_recusal_is_recorded_public_and_audited(session, meeting_factory):
    live = meeting_factory(reps=4, items=1)
    item, rep = live.items[0], live.reps[1]

    out = recuse(session, item.id, rep.id)

    assert (out.representative_id, out.reason, out.name) == (rep.id, "本人为该项目供应商亲属", rep.name)
    assert [r.representative_id for r in recusals.recusals_of(session, item.id)] == [rep.id]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.event == "recusal.declared")).one()
    assert json.loads(entry.payload)["representative_id"] == rep.id


def test_second_recusal_and_after_opening_are_refused(session, meeting_factory):
    live = meeting_factory(reps=4, items=2)
    first, second = live.items
    recuse(session, first.id, live.reps[0].id)
    assert code_of(lambda: recuse(session, first.id, live.reps[0].id)) == "already_recused"
    session.rollback()

    rounds.open_voting(session, first.id, "mod")
    session.commit()
    assert code_of(lambda: recuse(session, first.id, live.reps[1].id)) == "voting_open"
    session.rollback()
    rounds.close_voting(session, first.id, "mod")
    session.commit()
    assert code_of(lambda: recuse(session, first.id, live.reps[1].id)) == "voting_closed"
    session.rollback()
    # a re-vote does not reopen the window: the item's voting already opened once
    assert code_of(lambda: recuse(session, first.id, live.reps[1].id)) == "voting_closed"
    session.rollback()
    # the other item is untouched
    assert recuse(session, second.id, live.reps[1].id).item_id == second.id


def test_representative_of_another_meeting_is_refused(session, meeting_factory):
    live, other = meeting_factory(reps=3, items=1), meeting_factory(reps=1, items=1)
    refused = code_of(lambda: recuse(session, live.items[0].id, other.reps[0].id))
    assert refused == "validation_error"


def test_phone_declares_its_own_recusal(session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    rep = live.reps[2]
    body = parse(DeclareRecusalBody, {"item_id": live.items[0].id, "reason": "曾参与该项目评标"})
    recusals.declare_own(session, rep, body)
    session.commit()
    assert code_of(lambda: recusals.declare_own(session, rep, body)) == "already_recused"


def test_recused_are_out_of_roster_present_and_quorum(session, meeting_factory):
    # quorum 2/3 of 6 = 4; 4 present, one of them recuses: the item's roster is 5, its present 3,
    # and 3 >= ceil(2/3 * 5) = 4 fails.
    live = meeting_factory(reps=6, items=1, present=4, quorum="2/3")
    item = live.items[0]
    recuse(session, item.id, live.reps[0].id)
    with pytest.raises(Conflict) as caught:
        rounds.open_voting(session, item.id, "mod")
    assert caught.value.code == "quorum_not_met"
    assert (caught.value.details["present"], caught.value.details["roster"]) == (3, 5)
    session.rollback()

    conduct.check_in(session, live.reps[4], "moderator")
    session.commit()
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    electorate = set(
        session.scalars(select(Entitlement.representative_id).where(Entitlement.item_id == item.id))
    )
    assert live.reps[0].id not in electorate and len(electorate) == 5
    assert rounds.progress(session, item.id).present == 4

    for n, rep in enumerate(live.reps[1:5]):
        voting.cast_ballot(session, rep, ballot(item.id, "satisfied", key(n)))
    session.commit()
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert (result.roster, result.present, result.recused, result.ballots) == (5, 4, 1, 4)


def test_recused_vote_is_refused_in_contract_order(session, meeting_factory):
    live = meeting_factory(reps=4, items=1)
    item, rep = live.items[0], live.reps[0]
    recuse(session, item.id, rep.id)
    conduct.set_present(session, rep.id, False, "mod")  # absent too: recused comes first
    rounds.open_voting(session, item.id, "mod")
    session.commit()

    def cast(**fields):
        payload = {"choice": "satisfied", "key": key(1), **fields}
        return voting.cast_ballot(session, rep, ballot(item.id, payload["choice"], payload["key"]))

    assert code_of(lambda: cast()) == "recused"
    assert code_of(lambda: cast(choice="nonsense")) == "recused"  # before invalid_choice
    assert code_of(lambda: cast(key="short")) == "invalid_key"  # after invalid_key
    session.rollback()
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    assert code_of(lambda: cast()) == "voting_closed"  # before recused


def support(session, rep, question_id):
    value = question_service.support_question(
        session, rep, parse(SupportQuestionBody, {"question_id": question_id})
    ).value
    session.commit()
    return value


def test_support_counts_once_per_representative(session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = live.items[0]
    conduct.present_item(session, item.id, "mod")
    session.commit()
    question = question_service.ask_question(session, live.reps[0], asked(item.id, "为何单一来源？")).value
    session.commit()
    assert code_of(lambda: support(session, live.reps[1], question.id)) == "invalid_question"  # pending
    session.rollback()
    question_service.moderate_question(session, question.id, moderation("approved"), "mod")
    session.commit()

    assert support(session, live.reps[1], question.id) == 1
    assert support(session, live.reps[1], question.id) == 1  # a repeat changes nothing
    assert support(session, live.reps[2], question.id) == 2
    rows = session.scalar(select(func.count()).select_from(QuestionSupport))
    assert rows == 2
    listed = question_service.moderators_list(session, item.id).questions
    assert [q.support for q in listed] == [2]


def test_support_only_on_the_item_on_the_floor(session, meeting_factory):
    live = meeting_factory(reps=3, items=2)
    first, second = live.items
    conduct.present_item(session, first.id, "mod")
    session.commit()
    question = question_service.ask_question(session, live.reps[0], asked(first.id, "为何单一来源？")).value
    question_service.moderate_question(session, question.id, moderation("approved"), "mod")
    session.commit()
    conduct.present_item(session, second.id, "mod")
    session.commit()
    assert code_of(lambda: support(session, live.reps[1], question.id)) == "invalid_question"
    session.rollback()
    assert code_of(lambda: support(session, live.reps[1], 999999)) == "invalid_question"
