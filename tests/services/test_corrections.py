"""Corrections after close (更正): texts of a finished meeting, each with a reason, kept as a
revision history and in the audit chain; never results, ballots or attendance."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.models import AuditEntry, Item, Meeting, Question, Representative, ResponsiblePerson
from evalmeet.schemas.appeals import CorrectionCreate
from evalmeet.schemas.base import parse
from evalmeet.services.accounts import audit
from evalmeet.services.meetings import conduct, corrections, questions
from tests.conftest import both_databases
from tests.factories import asked, moderation

pytestmark = both_databases


def fix(session, meeting_id, target, field, value, target_id=None, reason="录入笔误"):
    body = {"target": target, "field": field, "value": value, "reason": reason}
    if target_id is not None:
        body["target_id"] = target_id
    return corrections.correct(session, meeting_id, parse(CorrectionCreate, body), "admin").value


@pytest.fixture
def finished(session, meeting_factory):
    made = meeting_factory(reps=3, items=2, title="第一次采购评价会议")
    conduct.present_item(session, made.items[0].id, "mod")
    conduct.set_questions_open(session, made.id, True, "mod")
    question = questions.ask_question(session, made.reps[0], asked(made.items[0].id, "为何单一来源？")).value
    questions.moderate_question(session, question.id, moderation("approved", "仅一家具备资质"), "mod")
    conduct.finish_meeting(session, made.id, "mod")
    session.commit()
    made.question_id = question.id
    return made


def test_each_text_can_be_corrected_and_the_history_keeps_the_old_wording(session, finished):
    item = finished.items[0]
    fix(session, finished.id, "meeting", "title", "第一次采购评价会")
    fix(session, finished.id, "meeting", "location", "职工之家")
    fix(session, finished.id, "item", "title", "冶金焦炭采购", item.id)
    fix(session, finished.id, "item", "description", "四季度\n焦炭", item.id)
    fix(session, finished.id, "question", "answer", "仅一家具备生产资质", finished.question_id)
    fix(session, finished.id, "representative", "name", "张三", finished.reps[0].id)
    fix(session, finished.id, "responsible_person", "name", "王建国", item.responsible_person_id)
    session.commit()
    assert session.get(Meeting, finished.id).title == "第一次采购评价会"
    assert session.get(Item, item.id).description == "四季度\n焦炭"
    assert session.get(Question, finished.question_id).answer == "仅一家具备生产资质"
    assert session.get(Representative, finished.reps[0].id).name == "张三"
    assert session.get(ResponsiblePerson, item.responsible_person_id).name == "王建国"
    history = corrections.corrections_of(session, finished.id)
    assert [(c.target, c.field, c.old_value, c.new_value) for c in history][:3] == [
        ("meeting", "title", "第一次采购评价会议", "第一次采购评价会"),
        ("meeting", "location", "", "职工之家"),
        ("item", "title", "采购项目 1", "冶金焦炭采购"),
    ]
    assert all(c.reason == "录入笔误" and c.author == "admin" for c in history)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.event == "meeting.corrected")).all()
    assert len(entries) == 7
    first = json.loads(entries[0].payload)
    assert (first["old"], first["new"], first["reason"]) == (
        "第一次采购评价会议",
        "第一次采购评价会",
        "录入笔误",
    )
    assert audit.verify(session).ok


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("meeting", "status"),
        ("meeting", "pass_threshold"),
        ("item", "status"),
        ("item", "amount"),
        ("result", "counts"),
        ("ballot", "choice"),
        ("representative", "present"),
        ("question", "status"),
    ],
)
def test_results_ballots_and_attendance_are_refused(session, finished, target, field):
    with pytest.raises(Conflict) as err:
        fix(session, finished.id, target, field, "1", 1)
    assert err.value.code == "not_correctable"


def test_only_finished_meetings_and_only_their_own_rows(session, finished, meeting_factory):
    live = meeting_factory(reps=1, items=1)
    with pytest.raises(Conflict) as err:
        fix(session, live.id, "meeting", "title", "新名称")
    assert (err.value.code, err.value.details["reason"]) == ("meeting_live", "correct")
    with pytest.raises(NotFound) as missing:
        fix(session, finished.id, "item", "title", "别的会议的项目", live.items[0].id)
    assert missing.value.code == "correction_target_not_found"
    with pytest.raises(NotFound):
        fix(session, finished.id, "item", "title", "没有编号")


def test_bad_new_texts_are_refused_by_field(session, finished):
    item = finished.items[0]
    for value, reason in (("", "required"), ("两\n行", "not_single_line"), ("长" * 201, "too_long")):
        with pytest.raises(ValidationFailed) as err:
            fix(session, finished.id, "item", "title", value, item.id)
        assert (err.value.field, err.value.details["reason"]) == ("value", reason)
    with pytest.raises(ValidationFailed) as err:
        fix(session, finished.id, "item", "title", item.title, item.id)
    assert err.value.details["reason"] == "unchanged"
    with pytest.raises(ValidationFailed) as err:
        fix(session, finished.id, "item", "title", "新名称", item.id, reason=" ")
    assert err.value.field == "reason"
    other = finished.items[1].responsible_person
    with pytest.raises(Conflict) as err:
        fix(session, finished.id, "responsible_person", "name", other.name, item.responsible_person_id)
    assert err.value.code == "person_exists"


def test_the_form_offers_every_correctable_text(session, finished):
    keys = [o.key for o in corrections.options(session, finished.id)]
    item = finished.items[0]
    assert keys[:2] == [f"meeting:{finished.id}:title", f"meeting:{finished.id}:location"]
    assert f"item:{item.id}:description" in keys
    assert f"question:{finished.question_id}:answer" in keys
    assert f"responsible_person:{item.responsible_person_id}:name" in keys
    assert f"representative:{finished.reps[2].id}:name" in keys
