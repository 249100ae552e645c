"""State machines refuse with readable messages; risk flags fire exactly at their rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.domain.risk import risk_flags
from evalmeet.domain.states import (
    ACTION_STATUSES,
    check_action_move,
    check_item_can_close,
    check_item_can_open,
    check_question_move,
    next_meeting_status,
    require_meeting_status,
)


def test_meeting_moves_forward_only():
    assert next_meeting_status(1, "draft", "live") == "live"
    assert next_meeting_status(1, "live", "closed") == "closed"
    with pytest.raises(Conflict, match="meeting 1 is draft; it cannot become closed"):
        next_meeting_status(1, "draft", "closed")
    with pytest.raises(Conflict, match="already live") as err:
        next_meeting_status(1, "live", "live")
    assert err.value.code == "meeting_live"
    with pytest.raises(Conflict):
        next_meeting_status(1, "closed", "live")


def test_require_meeting_status_names_the_problem():
    with pytest.raises(Conflict, match="cannot open voting: meeting 4 is closed") as err:
        require_meeting_status(4, "closed", "live", doing="open voting")
    assert err.value.code == "meeting_closed"
    require_meeting_status(4, "live", "live", doing="open voting")


def test_item_open_and_close_rules():
    check_item_can_open(3, "pending")
    check_item_can_open(3, "failed", revote=True)
    check_item_can_close(3, "voting")


@pytest.mark.parametrize(
    ("check", "status", "match", "code"),
    [
        (check_item_can_open, "voting", "voting on item 3 is already open", "voting_open"),
        (check_item_can_open, "passed", "already closed", "voting_closed"),
        (check_item_can_close, "passed", "voting on item 3 is already closed", "voting_closed"),
        (check_item_can_close, "pending", "not open", "voting_not_open"),
    ],
)
def test_item_open_and_close_refusals(check, status, match, code):
    with pytest.raises(Conflict, match=match) as err:
        check(3, status)
    assert err.value.code == code


def test_action_transitions():
    check_action_move(1, "open", "in_progress")
    check_action_move(1, "in_progress", "done")
    check_action_move(1, "done", "verified")
    check_action_move(1, "done", "in_progress")  # verification rejected
    check_action_move(1, "open", "open")
    with pytest.raises(Conflict):
        check_action_move(1, "open", "verified")
    for target in ACTION_STATUSES:
        if target != "verified":
            with pytest.raises(Conflict, match="action 1 is verified"):
                check_action_move(1, "verified", target)
    with pytest.raises(ValidationFailed):
        check_action_move(1, "open", "closed")


def test_question_moderation_moves():
    check_question_move(1, "pending", "approved")
    check_question_move(1, "approved", "answered")
    with pytest.raises(Conflict):
        check_question_move(1, "pending", "answered")
    with pytest.raises(ValidationFailed):
        check_question_move(1, "pending", "deleted")


def flags(**kw):
    base = dict(
        procurement_method="tender",
        supplier_count=3,
        amount=Decimal("1000"),
        unit_price=None,
        benchmark_price=None,
        tender_threshold=Decimal("200000"),
    )
    base.update(kw)
    return [f.code for f in risk_flags(**base)]


def test_no_flags_for_a_clean_tender():
    assert flags() == []


def test_single_supplier():
    assert flags(supplier_count=1) == ["single_supplier"]
    assert flags(supplier_count=0) == ["single_supplier"]
    assert flags(supplier_count=2) == []


def test_threshold_is_strictly_above():
    assert flags(procurement_method="single_source", amount=Decimal("200000")) == []
    assert flags(procurement_method="single_source", amount=Decimal("200000.01")) == [
        "single_source_above_threshold"
    ]
    assert flags(procurement_method="inquiry", amount=Decimal("300000")) == ["not_tendered_above_threshold"]
    assert flags(procurement_method=None, amount=Decimal("300000")) == ["not_tendered_above_threshold"]
    assert flags(procurement_method="tender", amount=Decimal("9000000")) == []


def test_unit_price_above_benchmark():
    assert flags(unit_price=Decimal("100.00"), benchmark_price=Decimal("100.00")) == []
    out = risk_flags(
        procurement_method="tender",
        supplier_count=3,
        amount=None,
        unit_price=Decimal("125"),
        benchmark_price=Decimal("100"),
        tender_threshold=Decimal("200000"),
    )
    assert [f.code for f in out] == ["above_benchmark"]
    assert "25.0%" in out[0].message_zh and "单价高于基准价" in out[0].message_zh


def test_all_flags_together_in_stable_order():
    assert flags(
        procurement_method="single_source",
        supplier_count=1,
        amount=Decimal("500000"),
        unit_price=Decimal("2"),
        benchmark_price=Decimal("1"),
    ) == ["single_supplier", "single_source_above_threshold", "above_benchmark"]
