"""Follow-up actions: status moves with notes, edits kept in the history, overdue and its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.models import Action, ActionNote, AuditEntry
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate, ActionUpdate
from evalmeet.services.followup import actions

TODAY = date(2026, 11, 25)


@pytest.fixture
def action(session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    made = actions.add_action(
        session,
        live.items[0].id,
        parse(
            ActionCreate,
            {"kind": "rectification", "description": "补充询价", "owner": "供应处", "due_date": "2026-12-31"},
        ),
        "mod",
    ).value
    session.commit()
    return made


def history(session, action_id):
    return list(
        session.scalars(select(ActionNote).where(ActionNote.action_id == action_id).order_by(ActionNote.id))
    )


def test_new_action_is_open_with_a_created_entry(session, action):
    assert action.status == "open"
    notes = history(session, action.id)
    assert [(n.status_from, n.status_to, n.author) for n in notes] == [(None, "open", "mod")]


def test_status_moves_forward_with_notes_and_audit(session, action):
    actions.update_action(
        session, action.id, parse(ActionUpdate, {"status": "in_progress", "note": "已发询价函"}), "alice"
    )
    actions.update_action(
        session, action.id, parse(ActionUpdate, {"status": "done", "note": "三家比价完成"}), "bob"
    )
    actions.update_action(
        session, action.id, parse(ActionUpdate, {"status": "verified", "note": "审计处验收"}), "carol"
    )
    session.commit()
    notes = history(session, action.id)[1:]
    assert [(n.status_from, n.status_to, n.note, n.author) for n in notes] == [
        ("open", "in_progress", "已发询价函", "alice"),
        ("in_progress", "done", "三家比价完成", "bob"),
        ("done", "verified", "审计处验收", "carol"),
    ]
    assert session.get(Action, action.id).status == "verified"
    events = session.scalars(select(AuditEntry.event).where(AuditEntry.event == "action.updated")).all()
    assert len(events) == 3


def test_refused_moves_change_nothing(session, action):
    with pytest.raises(Conflict) as err:
        actions.update_action(session, action.id, parse(ActionUpdate, {"status": "verified"}), "mod")
    assert err.value.code == "invalid_transition"
    session.rollback()
    actions.update_action(session, action.id, parse(ActionUpdate, {"status": "done"}), "mod")
    actions.update_action(session, action.id, parse(ActionUpdate, {"status": "verified"}), "mod")
    session.commit()
    for target in ("open", "in_progress", "done"):
        with pytest.raises(Conflict):
            actions.update_action(
                session, action.id, parse(ActionUpdate, {"status": target, "note": "reopen"}), "mod"
            )
        session.rollback()
    assert session.get(Action, action.id).status == "verified"
    assert len(history(session, action.id)) == 3
    with pytest.raises(ValidationFailed):
        actions.update_action(session, action.id, parse(ActionUpdate, {"status": "finished"}), "mod")
    session.rollback()
    with pytest.raises(NotFound):
        actions.update_action(session, 999_999, parse(ActionUpdate, {"status": "done"}), "mod")


def test_a_note_alone_is_recorded_without_a_status_change(session, action):
    actions.update_action(session, action.id, parse(ActionUpdate, {"note": "已约谈供应商"}), "mod")
    session.commit()
    last = history(session, action.id)[-1]
    assert (last.status_from, last.status_to, last.note) == (None, None, "已约谈供应商")


def test_edits_keep_old_and_new_values_in_the_history(session, action):
    actions.update_action(
        session,
        action.id,
        parse(
            ActionUpdate,
            {"owner": "财务处", "due_date": "2027-01-15", "description": "重新招标", "note": "分管领导调整"},
        ),
        "mod",
    )
    session.commit()
    fresh = session.get(Action, action.id)
    assert (fresh.owner, fresh.due_date, fresh.description) == ("财务处", date(2027, 1, 15), "重新招标")
    note = history(session, action.id)[-1].note
    assert note.splitlines()[0] == "分管领导调整"
    assert "负责人：供应处 → 财务处" in note
    assert "完成期限：2026-12-31 → 2027-01-15" in note
    assert "原为：补充询价" in note and "现为：重新招标" in note


def test_unchanged_fields_are_not_reported_and_a_no_op_writes_nothing(session, action):
    before = len(history(session, action.id))
    actions.update_action(
        session,
        action.id,
        parse(ActionUpdate, {"owner": "供应处", "due_date": "2026-12-31", "status": "open"}),
        "mod",
    )
    session.commit()
    assert len(history(session, action.id)) == before
    actions.update_action(session, action.id, parse(ActionUpdate, {"owner": "供应处", "due_date": ""}), "mod")
    session.commit()
    note = history(session, action.id)[-1].note
    assert note == "完成期限：2026-12-31 → —"


def test_invalid_edits_are_refused(session, action):
    for body in ({"due_date": "31/12/2026"}, {"description": ""}, {"owner": "x" * 101}):
        with pytest.raises(ValidationFailed):
            actions.update_action(session, action.id, parse(ActionUpdate, body), "mod")
        session.rollback()
    assert session.get(Action, action.id).owner == "供应处"


@pytest.mark.parametrize(
    ("due", "status", "overdue", "days"),
    [
        (TODAY, "open", False, 0),  # due today: still time
        (TODAY - timedelta(days=1), "open", True, 1),  # yesterday: overdue
        (TODAY - timedelta(days=10), "in_progress", True, 10),
        (TODAY - timedelta(days=10), "done", False, 0),  # finished work is never overdue
        (TODAY - timedelta(days=10), "verified", False, 0),
        (TODAY + timedelta(days=1), "open", False, 0),
        (None, "open", False, 0),
    ],
)
def test_overdue_boundary(due, status, overdue, days):
    action = Action(kind="rectification", description="d", due_date=due, status=status)
    assert actions.is_overdue(action, TODAY) is overdue
    assert actions.days_overdue(action, TODAY) == days


@pytest.mark.parametrize(
    ("instant", "days"),
    [
        (datetime(2028, 2, 29, 15, 59, 59, tzinfo=UTC), 0),  # 23:59:59 on the leap day in China
        (datetime(2028, 2, 29, 16, 0, tzinfo=UTC), 1),  # 00:00 on 1 March in China
        (datetime(2028, 2, 29, 16, 30, tzinfo=UTC), 1),
        (datetime(2028, 3, 1, 15, 59, tzinfo=UTC), 1),
        (datetime(2028, 3, 1, 16, 0, tzinfo=UTC), 2),
    ],
)
def test_overdue_turns_at_midnight_in_china_on_the_apps_clock(instant, days):
    due_on_leap_day = Action(kind="rectification", description="d", due_date=date(2028, 2, 29), status="open")
    with clock.pinned(instant, frozen=True):
        assert actions.days_overdue(due_on_leap_day) == days
        assert actions.is_overdue(due_on_leap_day) is (days > 0)


def test_a_new_action_and_its_first_note_carry_the_clocks_time(session, meeting_factory):
    live = meeting_factory(reps=1, items=1)
    instant = datetime(2027, 12, 31, 15, 45, tzinfo=UTC)
    with clock.pinned(instant, frozen=True):
        made = actions.add_action(
            session, live.items[0].id, parse(ActionCreate, {"kind": "other", "description": "d"}), "mod"
        ).value
        session.commit()
    assert made.created_at == made.updated_at == instant
    assert [n.created_at for n in history(session, made.id)] == [instant]


def test_allowed_moves_follow_the_workflow():
    assert actions.allowed_moves("open") == ["in_progress", "done"]
    assert actions.allowed_moves("in_progress") == ["open", "done"]
    assert actions.allowed_moves("done") == ["open", "in_progress", "verified"]
    assert actions.allowed_moves("verified") == []
