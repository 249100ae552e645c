"""Paper ballots on SQLite and PostgreSQL: paper voters, the scrutineers' count, merged results."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.models import AuditEntry, PaperCount, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.roster import RepresentativeCreate, RepresentativeUpdate
from evalmeet.schemas.voting import PaperCountBody, ResultOut, RevoteBody
from evalmeet.services.files import imports
from evalmeet.services.meetings import roster
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import paper
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import ballot, refusal

pytestmark = both_databases


def key(n: int) -> str:
    return f"paper-test-key-{n:08d}"


def to_paper(session, rep):
    roster.update_representative(session, rep.id, parse(RepresentativeUpdate, {"ballot": "paper"}), "mod")
    session.commit()


def count_body(counts, invalid=0, scrutineers=("张三", "李四")):
    return parse(PaperCountBody, {"counts": counts, "invalid": invalid, "scrutineers": list(scrutineers)})


def enter(session, item, counts, invalid=0):
    out = paper.enter_paper_count(session, item.id, count_body(counts, invalid), "mod").value
    session.commit()
    return out


def phones_vote(session, hall, item, choices):
    """Voting opens on ``item`` and the first of the hall vote ``choices`` by phone, in order."""
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for n, choice in enumerate(choices):
        voting.cast_ballot(session, hall.reps[n], ballot(item.id, choice, key(n)))
        session.commit()


@pytest.fixture
def hall(session, meeting_factory):
    """Eight present: the first five vote by phone, the last three on paper."""
    live = meeting_factory(reps=8, items=2)
    for rep in live.reps[5:]:
        to_paper(session, rep)
    return live


def test_representatives_default_to_phone_and_switch(session, meeting_factory):
    live = meeting_factory(reps=3)
    assert [rep.ballot for rep in live.reps] == ["phone"] * 3
    to_paper(session, live.reps[0])
    assert live.reps[0].ballot == "paper"
    added = roster.add_representative(
        session,
        live.id,
        parse(RepresentativeCreate, {"name": "王五", "employee_no": "P9", "ballot": "paper"}),
        "m",
    ).value
    assert added.ballot == "paper"
    with pytest.raises(ValidationFailed) as err:
        parse(RepresentativeUpdate, {"ballot": "pigeon"})
    assert err.value.details["field"] == "ballot"


def test_switching_is_refused_while_any_vote_is_open(session, hall):
    item = hall.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for rep, channel in ((hall.reps[0], "paper"), (hall.reps[7], "phone")):
        with pytest.raises(Conflict) as err:
            roster.update_representative(
                session, rep.id, parse(RepresentativeUpdate, {"ballot": channel}), "m"
            )
        assert err.value.code == "voting_open"
        session.rollback()
    # the same value, and other fields, still go through
    roster.update_representative(
        session,
        hall.reps[7].id,
        parse(RepresentativeUpdate, {"ballot": "paper", "department": "轧钢厂"}),
        "m",
    )
    session.commit()
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    to_paper(session, hall.reps[0])
    assert hall.reps[0].ballot == "paper"


def test_paper_voter_cannot_cast_on_a_phone(session, hall):
    item = hall.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    assert refusal(session, hall.reps[6], ballot(item.id, "satisfied", key(1))).code == "paper_voter"
    # refusal order: voting_closed comes before paper_voter, paper_voter before invalid_choice
    assert refusal(session, hall.reps[6], ballot(item.id, "nonsense", key(2))).code == "paper_voter"
    assert (
        refusal(session, hall.reps[6], ballot(hall.items[1].id, "satisfied", key(3))).code == "voting_closed"
    )


def test_paper_count_merges_with_phone_ballots(session, hall):
    item = hall.items[0]
    phones_vote(
        session, hall, item, ["satisfied", "satisfied", "dissatisfied", "dissatisfied", "dissatisfied"]
    )
    assert rounds.progress(session, item.id).ballots == 5
    first = enter(session, item, {"satisfied": 1}, invalid=1)
    assert (first.ballots, first.invalid, first.paper_present) == (1, 1, 3)
    assert rounds.progress(session, item.id).ballots == 6
    # a later entry replaces the first
    again = enter(session, item, {"satisfied": 2, "basically_satisfied": 1})
    assert again.counts == {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 0}
    assert rounds.progress(session, item.id).ballots == 8
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    out = ResultOut.of(result).json_dict()
    assert out["counts"] == {"satisfied": 4, "basically_satisfied": 1, "dissatisfied": 3}
    assert out["ballots"] == 8 and out["present"] == 8
    assert out["satisfaction"] == "5/8" and out["passed"] is False  # 5/8 < 2/3
    assert out["channels"] == {
        "phone": {"counts": {"satisfied": 2, "basically_satisfied": 0, "dissatisfied": 3}, "ballots": 5},
        "paper": {
            "counts": {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 0},
            "ballots": 3,
            "invalid": 0,
            "scrutineers": ["张三", "李四"],
        },
    }
    # the entry is gone; the result keeps what may be shown; the close's audit has the channels
    assert session.scalar(select(func.count()).select_from(PaperCount)) == 0
    closed = session.scalars(select(AuditEntry).where(AuditEntry.event == "voting.closed")).all()
    assert json.loads(closed[-1].payload)["channels"] == out["channels"]
    entered = session.scalars(select(AuditEntry).where(AuditEntry.event == "paper_count.entered")).all()
    assert len(entered) == 2 and all("counts" not in json.loads(e.payload) for e in entered)


def test_paper_ballots_decide_the_pass(session, hall):
    item = hall.items[0]
    phones_vote(session, hall, item, ["satisfied", "satisfied", "satisfied", "dissatisfied", "dissatisfied"])
    # 3/5 by phone alone fails; with three favourable paper ballots it is 6/8 ≥ 2/3
    enter(session, item, {"basically_satisfied": 3})
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    assert (result.satisfaction_num, result.satisfaction_den, result.passed) == (6, 8, True)


def test_small_channel_shows_ballots_but_no_counts(session, hall):
    item = hall.items[0]
    phones_vote(session, hall, item, ["satisfied"] * 4)
    enter(session, item, {"dissatisfied": 2}, invalid=1)
    out = ResultOut.of(rounds.close_voting(session, item.id, "mod").value).json_dict()
    session.commit()
    assert out["counts"] == {"satisfied": 4, "basically_satisfied": 0, "dissatisfied": 2}
    assert out["channels"]["phone"] == {
        "counts": {"satisfied": 4, "basically_satisfied": 0, "dissatisfied": 0},
        "ballots": 4,
    }
    assert out["channels"]["paper"] == {"ballots": 2, "invalid": 1, "scrutineers": ["张三", "李四"]}


def test_no_paper_count_gives_an_empty_paper_channel(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for n in range(2):
        voting.cast_ballot(session, live.reps[n], ballot(item.id, "satisfied", key(n)))
        session.commit()
    out = ResultOut.of(rounds.close_voting(session, item.id, "mod").value).json_dict()
    assert out["channels"] == {
        "phone": {"ballots": 2},
        "paper": {"ballots": 0, "invalid": 0, "scrutineers": []},
    }


def test_too_many_paper_ballots(session, hall):
    item = hall.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    with pytest.raises(Conflict) as err:
        enter(session, item, {"satisfied": 3}, invalid=1)
    assert err.value.code == "too_many_paper_ballots"
    assert err.value.details == {"sheets": 4, "paper_present": 3}
    session.rollback()


def test_absent_paper_voters_do_not_count(session, meeting_factory):
    live = meeting_factory(reps=4, present=3)  # the fourth never arrives
    for rep in live.reps[2:]:
        to_paper(session, rep)
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    assert paper.current_paper_count(session, item)[1] == 1
    with pytest.raises(Conflict) as err:
        enter(session, item, {"satisfied": 2})
    assert err.value.code == "too_many_paper_ballots"
    session.rollback()
    assert enter(session, item, {"satisfied": 1}).paper_present == 1


def test_paper_count_only_while_voting_is_open(session, hall):
    item = hall.items[0]
    with pytest.raises(Conflict) as err:
        enter(session, item, {"satisfied": 1})
    assert err.value.code == "voting_not_open"
    session.rollback()
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    with pytest.raises(Conflict) as err:
        enter(session, item, {"satisfied": 1})
    assert err.value.code == "voting_closed"
    session.rollback()


def test_paper_count_body_is_checked(session, hall):
    item = hall.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    with pytest.raises(ValidationFailed) as err:
        enter(session, item, {"pass": 1})
    assert err.value.details["field"] == "counts"
    session.rollback()
    for body in (
        {"counts": {"satisfied": -1}, "scrutineers": []},
        {"counts": {"satisfied": 1}, "invalid": "x", "scrutineers": []},
        {"counts": [], "scrutineers": []},
        {"counts": {"satisfied": 1}},
        {"counts": {"satisfied": 1}, "scrutineers": ["x" * 101]},
    ):
        with pytest.raises(ValidationFailed):
            parse(PaperCountBody, body)


def test_a_revote_starts_a_fresh_paper_count(session, hall):
    item = hall.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    enter(session, item, {"satisfied": 3})
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    rounds.revote(session, item.id, parse(RevoteBody, {"reason": "计票有误"}), "mod")
    session.commit()
    assert paper.current_paper_count(session, item)[0] == []
    assert rounds.progress(session, item.id).ballots == 0


def test_roster_import_reads_the_ballot_column(session, tmp_path):
    from tests.services.test_imports import draft, stage_and_confirm

    meeting_id = draft(session)
    data = (
        "姓名,工号,部门,投票方式\n张三,E001,炼铁厂,纸质\n李四,E002,炼钢厂,\n王五,E003,炼钢厂,手机\n".encode()
    )
    assert stage_and_confirm(session, tmp_path / "pending", meeting_id, "roster", "r.csv", data) == 3
    reps = session.scalars(select(Representative).where(Representative.meeting_id == meeting_id)).all()
    assert sorted((r.employee_no, r.ballot) for r in reps) == [
        ("E001", "paper"),
        ("E002", "phone"),
        ("E003", "phone"),
    ]
    exported = imports.roster_table(session, meeting_id)
    # 投票方式, then 组别 (empty: this meeting has no rater groups)
    assert [c.header for c in exported.columns[-2:]] == ["投票方式", "组别"]
    assert sorted(row[-2] for row in exported.rows) == ["手机", "手机", "纸质"]
    assert {row[-1] for row in exported.rows} == {""}
    bad = imports.stage(
        session,
        tmp_path / "p2",
        meeting_id,
        "roster",
        "r.csv",
        "姓名,工号,投票方式\n赵六,E009,飞鸽\n".encode(),
        "m",
    )
    assert not bad.ok and bad.issues[0].field == "ballot"
