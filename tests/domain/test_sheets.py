"""Scales as data, rating sheets and weighted rater groups: the exact figures of a round."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalmeet.domain.errors import ValidationFailed
from evalmeet.domain.sheets import PRESETS, Criterion, Group, Rules, Tally, evaluate
from evalmeet.schemas.base import parse
from evalmeet.schemas.meetings import MeetingCreate

TWO_THIRDS = Fraction(2, 3)
THREE = PRESETS["three_level"]
SHEET = (Criterion("price", "价格合理"), Criterion("process", "程序合规"))


def tally(*sheets: dict[str, str] | str) -> Tally:
    out = Tally()
    for sheet in sheets:
        out.add({"": sheet} if isinstance(sheet, str) else sheet)
    return out


def test_one_verdict_keeps_the_unreduced_fraction_people_count():
    result = evaluate(
        Rules(THREE), {"": tally("satisfied", "basically_satisfied", "dissatisfied", "satisfied")}, TWO_THIRDS
    )
    assert result.satisfaction_text == "3/4"
    assert result.counts == {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 1}
    assert result.passed and result.criteria is None and result.groups is None
    assert result.average_score is None  # no scores on this scale


def test_scores_give_an_exact_average():
    rules = Rules(PRESETS["four_grade"])
    result = evaluate(rules, {"": tally("excellent", "excellent", "competent", "incompetent")}, TWO_THIRDS)
    assert result.satisfaction_text == "3/4"
    assert Fraction(result.average_score) == Fraction(280, 4)
    third = evaluate(rules, {"": tally("excellent", "competent", "competent")}, TWO_THIRDS)
    assert Fraction(third.average_score) == Fraction(260, 3)  # 86.666…: never a float


def test_a_rating_sheet_counts_every_rating_and_each_criterion():
    sheets = tally(
        {"price": "satisfied", "process": "satisfied"},
        {"price": "satisfied", "process": "dissatisfied"},
        {"price": "dissatisfied", "process": "dissatisfied"},
    )
    overall = evaluate(Rules(THREE, SHEET), {"": sheets}, Fraction(1, 2))
    assert overall.ballots == 3
    assert overall.satisfaction_text == "3/6"
    assert overall.criteria == {
        "price": {
            "counts": {"satisfied": 2, "basically_satisfied": 0, "dissatisfied": 1},
            "satisfaction": "2/3",
        },
        "process": {
            "counts": {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 2},
            "satisfaction": "1/3",
        },
    }
    assert overall.counts == {"satisfied": 3, "basically_satisfied": 0, "dissatisfied": 3}
    assert overall.passed  # 3/6 ≥ 1/2
    every = evaluate(Rules(THREE, SHEET, pass_rule="every_criterion"), {"": sheets}, Fraction(1, 2))
    assert not every.passed  # process: 1/3 < 1/2
    assert every.satisfaction_text == "3/6"


def test_groups_weigh_their_satisfaction_exactly():
    groups = (Group("workers", "职工代表", Fraction(1, 2)), Group("managers", "中层干部", Fraction(1, 2)))
    tallies = {
        "workers": tally("satisfied", "satisfied", "satisfied"),
        "managers": tally("satisfied", "dissatisfied", "dissatisfied", "dissatisfied"),
    }
    result = evaluate(Rules(THREE, groups=groups), tallies, TWO_THIRDS)
    # 1/2 · 3/3 + 1/2 · 1/4 = 5/8, where counting heads would give 4/7
    assert Fraction(*map(int, result.satisfaction_text.split("/"))) == Fraction(5, 8)
    assert result.ballots == 7 and not result.passed
    assert result.groups == {
        "workers": {"ballots": 3, "satisfaction": "3/3", "weight": "1/2"},
        "managers": {"ballots": 4, "satisfaction": "1/4", "weight": "1/2"},
    }


def test_a_group_without_ballots_leaves_the_others_weights_scaled_to_one():
    groups = (Group("a", "A", Fraction(1, 3)), Group("b", "B", Fraction(2, 3)))
    result = evaluate(
        Rules(THREE, groups=groups), {"a": tally("satisfied", "satisfied", "dissatisfied")}, TWO_THIRDS
    )
    assert Fraction(result.satisfaction_text) == Fraction(2, 3)
    assert result.passed
    assert result.groups["b"] == {"ballots": 0, "satisfaction": "0/0", "weight": "2/3"}


def test_groups_and_criteria_and_scores_weigh_each_criterion_and_the_average():
    groups = (Group("a", "A", Fraction(3, 4)), Group("b", "B", Fraction(1, 4)))
    rules = Rules(PRESETS["four_grade"], SHEET, groups, pass_rule="every_criterion")
    tallies = {
        "a": tally(*[{"price": "excellent", "process": "incompetent"}] * 3),
        "b": tally(*[{"price": "competent", "process": "competent"}] * 3),
    }
    result = evaluate(rules, tallies, Fraction(1, 2))
    assert Fraction(result.criteria["price"]["satisfaction"]) == 1
    assert Fraction(result.criteria["process"]["satisfaction"]) == Fraction(1, 4)
    assert Fraction(result.satisfaction_text) == Fraction(3, 4) * Fraction(1, 2) + Fraction(1, 4)
    # a: (100 + 0) / 2 = 50, b: 80 → 3/4 · 50 + 1/4 · 80 = 57.5
    assert Fraction(result.average_score) == Fraction(115, 2)
    assert not result.passed  # process 1/4 < 1/2


def test_no_ballots_decides_nothing():
    result = evaluate(Rules(THREE, SHEET), {}, TWO_THIRDS)
    assert result.ballots == 0 and not result.passed
    assert result.satisfaction_text == "0/0"


@given(st.lists(st.sampled_from(THREE.keys), min_size=1, max_size=30), st.integers(1, 5))
def test_equal_groups_of_equal_size_agree_with_counting_heads(choices, groups_n):
    """Weights only matter where groups differ: n identical groups give the plain satisfaction."""
    groups = tuple(Group(f"g{i}", f"G{i}", Fraction(1, groups_n)) for i in range(groups_n))
    weighted = evaluate(Rules(THREE, groups=groups), {g.key: tally(*choices) for g in groups}, TWO_THIRDS)
    plain = evaluate(Rules(THREE), {"": tally(*choices)}, TWO_THIRDS)
    assert Fraction(weighted.satisfaction_text) == Fraction(plain.satisfaction_text)
    assert weighted.passed == plain.passed


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"scale": {"choices": [{"key": "a", "label": "A", "satisfied": True}]}}, "scale", "out_of_range"),
        (
            {"scale": {"choices": [{"key": "Bad Key", "label": "A", "satisfied": True}] * 2}},
            "scale",
            "not_key",
        ),
        (
            {"scale": {"choices": [{"key": "a", "label": "A", "satisfied": True}] * 2}},
            "scale",
            "duplicate_key",
        ),
        (
            {
                "scale": {
                    "choices": [
                        {"key": "a", "label": "A", "satisfied": False},
                        {"key": "b", "label": "B", "satisfied": False},
                    ]
                }
            },
            "scale",
            "no_satisfied_choice",
        ),
        (
            {
                "scale": {
                    "choices": [
                        {"key": "a", "label": "A", "satisfied": True, "score": 0.5},
                        {"key": "b", "label": "B", "satisfied": False},
                    ]
                }
            },
            "scale",
            "not_score",
        ),
        ({"scale": "five_star"}, "scale", "not_one_of"),
        ({"criteria": [{"key": f"c{i}", "label": "x"} for i in range(11)]}, "criteria", "out_of_range"),
        (
            {
                "groups": [
                    {"key": "a", "label": "A", "weight": "1/2"},
                    {"key": "b", "label": "B", "weight": "1/3"},
                ]
            },
            "groups",
            "weights_not_one",
        ),
        (
            {
                "groups": [
                    {"key": "a", "label": "A", "weight": "0.5"},
                    {"key": "b", "label": "B", "weight": "1/2"},
                ]
            },
            "groups",
            "not_fraction",
        ),
        ({"pass_rule": "majority"}, "pass_rule", "not_one_of"),
    ],
)
def test_bad_rules_are_refused_by_field_and_reason(fields, field, reason):
    with pytest.raises(ValidationFailed) as err:
        parse(MeetingCreate, {"title": "测评", **fields})
    assert (err.value.details["field"], err.value.details["reason"]) == (field, reason)
