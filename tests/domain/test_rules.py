"""Tally, pass rule and quorum: exact fractions, every boundary."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalmeet.domain.errors import ValidationFailed
from evalmeet.domain.rules import (
    choices_for,
    format_fraction,
    parse_fraction,
    quorum_met,
    quorum_needed,
    tally,
)

TWO_THIRDS = Fraction(2, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2/3", Fraction(2, 3)),
        ("1/2", Fraction(1, 2)),
        ("1", Fraction(1)),
        (" 3/4 ", Fraction(3, 4)),
        ("4/6", Fraction(2, 3)),
        ("1/1", Fraction(1)),
    ],
)
def test_parse_fraction_accepts(text, expected):
    assert parse_fraction(text) == expected


@pytest.mark.parametrize(
    "bad", ["0.67", "abc", "", "0/3", "4/3", "2/0", "-1/2", "1/2/3", None, 0.5, 2, "1" * 40, "½"]
)
def test_parse_fraction_refuses(bad):
    with pytest.raises(ValidationFailed):
        parse_fraction(bad)


def test_format_fraction_always_has_a_denominator():
    assert format_fraction(Fraction(1)) == "1/1"
    assert format_fraction(Fraction(4, 6)) == "2/3"


def test_exactly_at_threshold_passes():
    t = tally("three_level", {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}, TWO_THIRDS)
    assert t.satisfaction == TWO_THIRDS
    assert t.passed


def test_one_below_threshold_fails():
    # 199/300 is one ballot short of 2/3 (200/300)
    t = tally("three_level", {"satisfied": 199, "dissatisfied": 101}, TWO_THIRDS)
    assert t.satisfaction < TWO_THIRDS
    assert not t.passed
    assert tally("three_level", {"satisfied": 200, "dissatisfied": 100}, TWO_THIRDS).passed


def test_float_rounding_would_get_this_wrong_but_we_do_not():
    # 0.6666666666666666 >= 2/3 is False in floats for some counts; exact arithmetic decides.
    t = tally("pass_fail", {"pass": 2, "fail": 1}, TWO_THIRDS)
    assert t.passed
    assert t.satisfaction_text == "2/3"


def test_zero_ballots_fails():
    t = tally("three_level", {}, TWO_THIRDS)
    assert t.ballots == 0
    assert t.satisfaction is None
    assert not t.passed
    assert t.counts == {"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 0}


def test_pass_fail_scale_counts_only_pass():
    t = tally("pass_fail", {"pass": 3, "fail": 3}, Fraction(1, 2))
    assert t.favourable == 3 and t.passed
    assert not tally("pass_fail", {"pass": 2, "fail": 3}, Fraction(1, 2)).passed


def test_unknown_choice_and_scale_are_refused():
    with pytest.raises(ValidationFailed):
        tally("three_level", {"pass": 1}, TWO_THIRDS)
    with pytest.raises(ValidationFailed):
        choices_for("five_star")


@given(
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(1, 12).flatmap(lambda d: st.tuples(st.integers(1, d), st.just(d))),
)
def test_pass_rule_matches_cross_multiplication(s, b, d, frac):
    threshold = Fraction(*frac)
    t = tally("three_level", {"satisfied": s, "basically_satisfied": b, "dissatisfied": d}, threshold)
    total = s + b + d
    expected = total > 0 and (s + b) * threshold.denominator >= threshold.numerator * total
    assert t.passed == expected
    assert t.ballots == total


@pytest.mark.parametrize(
    ("roster", "quorum", "needed"),
    [
        (9, TWO_THIRDS, 6),
        (10, TWO_THIRDS, 7),
        (1, TWO_THIRDS, 1),
        (3, TWO_THIRDS, 2),
        (0, TWO_THIRDS, 0),
        (7, Fraction(1, 2), 4),
        (8, Fraction(1, 2), 4),
        (5, Fraction(1), 5),
    ],
)
def test_quorum_rounds_up(roster, quorum, needed):
    assert quorum_needed(roster, quorum) == needed
    assert quorum_met(needed, roster, quorum) == (roster > 0)
    if needed:
        assert not quorum_met(needed - 1, roster, quorum)


@given(st.integers(1, 5000), st.integers(1, 20).flatmap(lambda d: st.tuples(st.integers(1, d), st.just(d))))
def test_quorum_needed_is_smallest_sufficient(roster, frac):
    q = Fraction(*frac)
    n = quorum_needed(roster, q)
    assert Fraction(n, roster) >= q
    assert n == 0 or Fraction(n - 1, roster) < q
