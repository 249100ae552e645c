"""Rating sheets, custom scales and weighted rater groups through the services, on SQLite and
PostgreSQL: what a meeting accepts, what voting refuses, what the frozen result says, and that
no ballot row keeps its group once the round has closed."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import func, select

from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.models import Ballot
from evalmeet.schemas.base import parse
from evalmeet.schemas.meetings import MeetingOut, MeetingUpdate
from evalmeet.schemas.roster import RepresentativeCreate, RepresentativeUpdate
from evalmeet.schemas.voting import PaperCountBody, ResultOut
from evalmeet.services.meetings import conduct, roster
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import paper
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import GRADES, ballot, refusal

pytestmark = both_databases

CRITERIA = [{"key": "price", "label": "价格合理"}, {"key": "process", "label": "程序合规"}]
GROUPS = [
    {"key": "workers", "label": "职工代表", "weight": "2/3"},
    {"key": "managers", "label": "中层干部", "weight": "1/3"},
]


def key(n: int) -> str:
    return f"sheet-test-key-{n:08d}"


def cast(session, rep, item, choice, n):
    out = voting.cast_ballot(session, rep, ballot(item.id, choice, key(n))).value
    session.commit()
    return out


def close(session, item):
    result = rounds.close_voting(session, item.id, "mod").value
    session.commit()
    return ResultOut.of(result).json_dict()


def test_a_custom_scale_is_kept_and_answered_as_data(session, meeting_factory):
    live = meeting_factory(reps=3, start=False, scale=GRADES)
    out = MeetingOut.of(live.meeting).json_dict()
    assert out["scale"] == GRADES
    assert out["choices"] == ["excellent", "competent", "basically_competent", "incompetent"]
    assert out["criteria"] is None and out["groups"] is None and out["pass_rule"] == "overall"
    preset = meeting_factory(reps=1, start=False, scale="four_grade")
    assert [c["score"] for c in MeetingOut.of(preset.meeting).json_dict()["scale_choices"]] == [
        "100",
        "80",
        "60",
        "0",
    ]


def test_every_representative_of_a_grouped_meeting_needs_one_of_its_groups(session, meeting_factory):
    live = meeting_factory(reps=0, start=False, groups=GROUPS)
    body = {"name": "张三", "employee_no": "A1"}
    for extra, reason in (({}, "required"), ({"group": "leaders"}, "not_one_of")):
        with pytest.raises(ValidationFailed) as err:
            roster.add_representative(session, live.id, parse(RepresentativeCreate, body | extra), "mod")
        assert (err.value.details["field"], err.value.details["reason"]) == ("group", reason)
    session.rollback()
    rep = roster.add_representative(
        session, live.id, parse(RepresentativeCreate, body | {"group": "workers"}), "mod"
    ).value
    assert rep.rater_group == "workers"
    plain = meeting_factory(reps=0, start=False)
    with pytest.raises(ValidationFailed) as err:
        roster.add_representative(
            session, plain.id, parse(RepresentativeCreate, body | {"group": "workers"}), "mod"
        )
    assert err.value.details["reason"] == "no_groups"


def test_voting_waits_until_every_group_with_members_present_has_three(session, meeting_factory):
    groups = ["workers"] * 4 + ["managers"] * 3
    live = meeting_factory(reps=7, present=6, group_of=groups, groups=GROUPS, quorum="1/2")
    item = live.items[0]
    with pytest.raises(Conflict) as err:
        rounds.open_voting(session, item.id, "mod")
    assert err.value.code == "group_too_small"
    assert err.value.details == {"group": "managers", "label": "中层干部", "present": 2, "needed": 3}
    session.rollback()
    conduct.check_in(session, live.reps[6], "link")
    session.commit()
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    assert item.status == "voting"


def test_a_group_with_nobody_present_does_not_block_but_recused_members_do_not_count(
    session, meeting_factory
):
    groups = ["workers"] * 3 + ["managers"] * 3
    live = meeting_factory(reps=6, items=2, present=3, group_of=groups, groups=GROUPS, quorum="1/3")
    rounds.open_voting(session, live.items[0].id, "mod")  # managers: nobody present
    session.commit()
    rounds.close_voting(session, live.items[0].id, "mod")
    session.commit()
    from evalmeet.schemas.recusals import RecusalCreate
    from evalmeet.services.meetings import recusals

    recusals.record_recusal(
        session,
        live.items[1].id,
        parse(RecusalCreate, {"representative_id": live.reps[0].id, "reason": "亲属"}),
        "mod",
    )
    session.commit()
    with pytest.raises(Conflict) as err:
        rounds.open_voting(session, live.items[1].id, "mod")
    assert err.value.code == "group_too_small" and err.value.details["present"] == 2


def test_a_rating_sheet_rates_every_criterion_or_is_invalid(session, meeting_factory):
    live = meeting_factory(reps=3, criteria=CRITERIA)
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    rep = live.reps[0]
    for sheet in (
        {"price": "satisfied"},  # missing
        {"price": "satisfied", "process": "satisfied", "quality": "satisfied"},  # unknown
        {"price": "satisfied", "process": "great"},  # not a choice
        "satisfied",  # one verdict where a sheet is asked for
    ):
        assert refusal(session, rep, ballot(item.id, sheet, key(1))).code == "invalid_choice"
    out = cast(session, rep, item, {"price": "satisfied", "process": "dissatisfied"}, 1)
    again = voting.cast_ballot(
        session, rep, ballot(item.id, {"price": "satisfied", "process": "dissatisfied"}, key(1))
    ).value
    assert (out.counted, again.counted, again.receipt) == (True, False, out.receipt)
    assert (
        refusal(session, rep, ballot(item.id, {"price": "satisfied", "process": "satisfied"}, key(2))).code
        == "already_voted"
    )


def test_sheets_and_groups_decide_the_result_exactly_and_groups_leave_the_ballots(session, meeting_factory):
    groups = ["workers"] * 3 + ["managers"] * 3
    live = meeting_factory(
        reps=6,
        group_of=groups,
        groups=GROUPS,
        criteria=CRITERIA,
        scale=GRADES,
        pass_rule="every_criterion",
        pass_threshold="1/2",
    )
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for n, rep in enumerate(live.reps[:3]):  # workers: price excellent, process competent
        cast(session, rep, item, {"price": "excellent", "process": "competent"}, n)
    for n, rep in enumerate(live.reps[3:], start=3):  # managers: price incompetent
        cast(session, rep, item, {"price": "incompetent", "process": "basically_competent"}, n)
    grouped = session.scalar(
        select(func.count())
        .select_from(Ballot)
        .where(Ballot.item_id == item.id, Ballot.rater_group.is_not(None))
    )
    assert grouped == 6  # while open the group weighs the tally
    result = close(session, item)
    assert (
        session.scalar(
            select(func.count())
            .select_from(Ballot)
            .where(Ballot.item_id == item.id, Ballot.rater_group.is_not(None))
        )
        == 0
    )
    assert result["ballots"] == 6
    assert result["groups"] == {
        "workers": {"ballots": 3, "satisfaction": "6/6", "weight": "2/3"},
        "managers": {"ballots": 3, "satisfaction": "3/6", "weight": "1/3"},
    }
    assert Fraction(result["satisfaction"]) == Fraction(2, 3) + Fraction(1, 3) * Fraction(1, 2)
    assert Fraction(result["criteria"]["price"]["satisfaction"]) == Fraction(2, 3)
    assert Fraction(result["criteria"]["process"]["satisfaction"]) == 1
    assert result["criteria"]["price"]["counts"] == {
        "excellent": 3,
        "competent": 0,
        "basically_competent": 0,
        "incompetent": 3,
    }
    # workers (100 + 80) / 2 = 90, managers (0 + 60) / 2 = 30: 2/3 · 90 + 1/3 · 30 = 70
    assert Fraction(result["average_score"]) == 70
    assert result["passed"] is True  # each criterion ≥ 1/2
    assert result["counts"]["excellent"] == 3 and sum(result["counts"].values()) == 12


def test_paper_counts_per_group_and_criterion(session, meeting_factory):
    groups = ["workers"] * 4 + ["managers"] * 3
    live = meeting_factory(reps=7, group_of=groups, groups=GROUPS, criteria=CRITERIA)
    for rep in live.reps[:3] + live.reps[4:7]:
        roster.update_representative(session, rep.id, parse(RepresentativeUpdate, {"ballot": "paper"}), "mod")
    session.commit()
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()

    def enter(counts, group, invalid=0):
        body = parse(
            PaperCountBody, {"counts": counts, "invalid": invalid, "scrutineers": ["张三"], "group": group}
        )
        out = paper.enter_paper_count(session, item.id, body, "mod").value
        session.commit()
        return out

    workers = {"price": {"satisfied": 2}, "process": {"satisfied": 1, "dissatisfied": 1}}
    with pytest.raises(ValidationFailed) as err:
        enter(workers, None)
    assert err.value.details["field"] == "group"
    session.rollback()
    with pytest.raises(ValidationFailed) as err:
        enter({"price": {"satisfied": 2}, "process": {"satisfied": 1}}, "workers")
    assert err.value.details["reason"] == "uneven_sheets"
    session.rollback()
    with pytest.raises(Conflict) as err:
        enter({"price": {"satisfied": 4}, "process": {"satisfied": 4}}, "workers")
    assert err.value.code == "too_many_paper_ballots" and err.value.details["paper_present"] == 3
    session.rollback()
    assert enter(workers, "workers", invalid=1).ballots == 2
    enter({"price": {"dissatisfied": 3}, "process": {"dissatisfied": 3}}, "managers")
    enter(
        {"price": {"dissatisfied": 2}, "process": {"satisfied": 2}}, "managers"
    )  # replaces the managers' only
    assert rounds.progress(session, item.id).ballots == 4
    cast(session, live.reps[3], item, {"price": "satisfied", "process": "satisfied"}, 1)
    result = close(session, item)
    assert result["groups"]["workers"]["ballots"] == 3  # 2 paper + 1 phone
    assert result["groups"]["managers"] == {"ballots": 2, "satisfaction": "2/4", "weight": "1/3"}
    assert result["channels"]["paper"]["ballots"] == 4 and result["channels"]["paper"]["invalid"] == 1
    assert result["channels"]["phone"] == {"ballots": 1}  # under three: no counts
    assert result["criteria"]["price"]["counts"]["satisfied"] == 3


def test_groups_cannot_change_while_a_vote_is_open_and_removing_them_clears_the_roster(
    session, meeting_factory
):
    live = meeting_factory(reps=3, group_of=["workers"] * 3, groups=GROUPS)
    rounds.open_voting(session, live.items[0].id, "mod")
    session.commit()
    with pytest.raises(Conflict) as err:
        roster.update_representative(
            session, live.reps[0].id, parse(RepresentativeUpdate, {"group": "managers"}), "mod"
        )
    assert (err.value.code, err.value.details["reason"]) == ("voting_open", "group_switch")
    session.rollback()
    draft = meeting_factory(reps=2, start=False, group_of=["workers", "managers"], groups=GROUPS)
    meetings.update_meeting(session, draft.id, parse(MeetingUpdate, {"groups": []}), "mod")
    session.commit()
    assert [rep.rater_group for rep in draft.reps] == [None, None]
    assert draft.meeting.rules.groups == ()


def test_a_plain_meeting_still_votes_as_before(session, meeting_factory):
    live = meeting_factory(reps=3)
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for n, rep in enumerate(live.reps):
        cast(session, rep, item, "satisfied" if n else "dissatisfied", n)
    result = close(session, item)
    assert result["satisfaction"] == "2/3" and result["passed"] is True
    assert "criteria" not in result and "groups" not in result and "average_score" not in result
