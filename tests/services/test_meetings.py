"""Preparing and running meetings: roster, items, state machine, questions, accounts, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from evalmeet.domain.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from evalmeet.models import AuditEntry, Item, ResponsiblePerson
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.schemas.base import parse
from evalmeet.schemas.items import ItemCreate, ItemUpdate, ReorderBody
from evalmeet.schemas.meetings import MeetingUpdate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.accounts import audit
from evalmeet.services.accounts import users as accounts
from evalmeet.services.meetings import conduct, questions, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import asked, moderation

pytestmark = both_databases


def test_items_are_appended_edited_reordered_and_removed(session, meeting_factory):
    live = meeting_factory(reps=2, items=3, start=False)
    ids = [i.id for i in live.items]
    assert [i.position for i in live.items] == [1, 2, 3]
    agenda.reorder_items(session, live.id, parse(ReorderBody, {"order": [ids[2], ids[0], ids[1]]}), "mod")
    session.commit()
    ordered = [i.id for i in meetings.meeting_with_items(session, live.id).items]
    assert ordered == [ids[2], ids[0], ids[1]]
    agenda.move_item(session, ids[1], -1, "mod")
    session.commit()
    session.expire_all()
    assert [i.id for i in meetings.meeting_with_items(session, live.id).items] == [ids[2], ids[1], ids[0]]
    with pytest.raises(ValidationFailed):
        agenda.reorder_items(session, live.id, parse(ReorderBody, {"order": ids[:2]}), "mod")
    item = agenda.update_item(
        session,
        ids[0],
        parse(ItemUpdate, {"procurement_method": "tender", "supplier_count": 5, "unit_price": "90"}),
        "mod",
    ).value
    assert [f["code"] for f in item.risk_flags] == []
    agenda.remove_item(session, ids[0], "mod")
    session.commit()
    assert session.get(Item, ids[0]) is None


def test_voted_items_cannot_be_edited_or_removed(session, meeting_factory):
    live = meeting_factory(reps=3)
    rounds.open_voting(session, live.items[0].id, "mod")
    session.commit()
    with pytest.raises(Conflict):
        agenda.update_item(session, live.items[0].id, parse(ItemUpdate, {"title": "x"}), "mod")
    with pytest.raises(Conflict):
        agenda.remove_item(session, live.items[0].id, "mod")


def test_responsible_person_registry_matches_name_and_department(session, meeting_factory):
    live = meeting_factory(reps=1, items=0, start=False)

    def add(title: str, department: str) -> Item:
        person = {"name": "张伟", "department": department}
        return agenda.add_item(
            session, live.id, parse(ItemCreate, {"title": title, "responsible_person": person}), "m"
        ).value

    a, b, c = add("a", "供应处"), add("b", "供应处"), add("c", "设备处")
    assert a.responsible_person_id == b.responsible_person_id != c.responsible_person_id
    assert session.scalar(select(func.count()).select_from(ResponsiblePerson)) == 2


def test_roster_rules(session, meeting_factory):
    live = meeting_factory(reps=2, start=False)
    with pytest.raises(Conflict) as err:
        roster.add_representative(
            session, live.id, parse(RepresentativeCreate, {"name": "x", "employee_no": "E0001"}), "m"
        )
    assert err.value.code == "duplicate_employee_no"
    session.rollback()
    assert meetings.roster_size(session, live.id) == 2
    roster.remove_representative(session, live.reps[1].id, "m")
    session.commit()
    assert meetings.roster_size(session, live.id) == 1
    old = live.reps[0].join_token
    rep = roster.reissue_join_token(session, live.reps[0].id, "m").value
    assert rep.join_token != old and len(rep.join_token) >= 22
    with pytest.raises(NotFound):
        conduct.representative_by_token(session, old)


def test_check_in_only_when_live_and_counts_once(session, meeting_factory):
    live = meeting_factory(reps=2, start=False)
    rep = live.reps[0]
    assert conduct.check_in(session, rep, "link").value is False and not rep.present
    conduct.start_meeting(session, live.id, "m")
    assert conduct.check_in(session, rep, "link").value is True
    assert conduct.check_in(session, rep, "socket").value is False
    assert rep.checked_in_by == "link"
    assert meetings.present_count(session, live.id) == 1


def test_a_meeting_without_representatives_does_not_start(session, meeting_factory):
    """An empty roster is refused by code (the contract's 409 ``empty_roster``); with
    representatives but no items it starts (items may still be added while live)."""
    empty = meeting_factory(reps=0, items=1, start=False)
    with pytest.raises(Conflict) as err:
        conduct.start_meeting(session, empty.id, "m")
    assert err.value.code == "empty_roster" and err.value.status == 409
    session.rollback()
    assert empty.meeting.status == "draft"
    no_items = meeting_factory(reps=1, items=0, start=False)
    assert conduct.start_meeting(session, no_items.id, "m").value.status == "live"


def test_meeting_rules_frozen_once_live(session, meeting_factory):
    live = meeting_factory(reps=2)
    with pytest.raises(Conflict) as err:
        meetings.update_meeting(session, live.id, parse(MeetingUpdate, {"quorum": "1/2"}), "m")
    assert "change the voting rules" in err.value.message
    session.rollback()
    meetings.update_meeting(session, live.id, parse(MeetingUpdate, {"location": "礼堂"}), "m")
    assert live.meeting.location == "礼堂"


def test_questions_flow(session, meeting_factory):
    live = meeting_factory(reps=3, items=2)
    item = live.items[0]
    with pytest.raises(Conflict) as err:
        questions.ask_question(session, live.reps[0], asked(item.id, "为什么只有一家供应商？"))
    assert err.value.code == "questions_closed"
    conduct.present_item(session, item.id, "m")
    q = questions.ask_question(session, live.reps[0], asked(item.id, "为什么只有一家供应商？")).value
    session.commit()
    assert q.status == "pending"
    assert questions.questions_for(session, item.id, public_only=True) == []
    questions.moderate_question(session, q.id, moderation("approved"), "m")
    questions.moderate_question(session, q.id, moderation(None, answer="该备件为原厂专供"), "m")
    session.commit()
    assert q.status == "answered" and q.answer == "该备件为原厂专供"
    assert [x.id for x in questions.questions_for(session, item.id, public_only=True)] == [q.id]
    with pytest.raises(Conflict):
        questions.ask_question(session, live.reps[0], asked(live.items[1].id, "别的项目？"))
    with pytest.raises(ValidationFailed):
        questions.ask_question(session, live.reps[0], asked(item.id, "  "))
    with pytest.raises(ValidationFailed):
        questions.ask_question(session, live.reps[0], asked(item.id, "长" * 501))
    conduct.set_present(session, live.reps[1].id, False, "m")
    with pytest.raises(NotAllowed) as err:
        questions.ask_question(session, live.reps[1], asked(item.id, "我不在场"))
    assert err.value.code == "not_present"


def test_accounts_and_tokens(session):
    def new_account(username, password, role):
        return parse(AccountCreate, {"username": username, "password": password, "role": role})

    account = accounts.create_user(session, new_account("alice", "long enough pw", "moderator")).value
    assert account.password_hash.startswith("$argon2id$")
    assert accounts.authenticate(session, "alice", "long enough pw") is account
    assert accounts.authenticate(session, "alice", "wrong password") is None
    assert accounts.authenticate(session, "nobody", "long enough pw") is None
    with pytest.raises(Conflict):
        accounts.create_user(session, new_account("alice", "another pw 123", "viewer"))
    with pytest.raises(ValidationFailed) as short:
        accounts.create_user(session, new_account("bob", "short", "viewer"))
    assert short.value.details == {"field": "password", "reason": "too_short", "min": 8}
    with pytest.raises(ValidationFailed) as role:
        accounts.create_user(session, new_account("bob", "long enough pw", "superuser"))
    assert (role.value.details["field"], role.value.details["reason"]) == ("role", "not_one_of")
    token = accounts.create_token(session, "alice").value
    assert accounts.account_for_token(session, token) is account
    assert accounts.account_for_token(session, token + "x") is None
    assert token not in {t.token_hash for t in account.tokens}
    assert accounts.ensure_admin(session).value is not None
    assert accounts.ensure_admin(session).value is None


def test_audit_chain_verifies_and_detects_tampering(session, meeting_factory):
    meeting_factory(reps=2)
    report = audit.verify(session)
    assert report.ok and report.entries > 3
    assert report.head == audit.head(session)
    victim = session.scalars(select(AuditEntry).order_by(AuditEntry.id).offset(2).limit(1)).one()
    session.execute(update(AuditEntry).where(AuditEntry.id == victim.id).values(payload='{"forged":true}'))
    session.commit()
    session.expire_all()
    broken = audit.verify(session)
    assert not broken.ok and broken.first_bad_id == victim.id


def test_audit_chain_catches_a_forged_head(session, meeting_factory):
    meeting_factory(reps=2)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    honest_head = audit.head(session)
    # Rewrite the newest entry and give it a self-consistent-looking hash of the forger's choosing.
    session.execute(
        update(AuditEntry).where(AuditEntry.id == last.id).values(actor="forger", entry_hash="f" * 64)
    )
    session.commit()
    session.expire_all()
    report = audit.verify(session)
    assert not report.ok and report.first_bad_id == last.id
    assert audit.head(session) != honest_head


def test_the_snapshot_leaves_out_me_and_alerts_where_they_do_not_apply(session, meeting_factory):
    from evalmeet.services.meetings.live_state import build_state

    draft = meeting_factory(reps=3, start=False)
    live = meeting_factory(reps=3)
    staff = build_state(session, live.meeting).json_dict()
    phone = build_state(session, live.meeting, live.reps[0]).json_dict()
    assert "alerts" in staff and "me" not in staff
    assert phone["me"] == {
        "id": live.reps[0].id,
        "name": live.reps[0].name,
        "present": True,
        "ballot": "phone",
    }
    assert "alerts" not in phone
    assert not {"me", "alerts"} & set(build_state(session, draft.meeting).json_dict())
    every = {"meeting", "item", "phase", "voting", "attendance", "result", "timer", "now"}
    assert set(staff) == every | {"alerts"}
    shared = build_state(session, live.meeting).for_phones(0).json_dict()
    assert set(shared) == every
