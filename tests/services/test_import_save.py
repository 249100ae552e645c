"""Saving an import in bulk (import_save): the same rows, persons, flags and audit entries as adding
each row through the roster and agenda use cases, the same refusals, in one write transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from evalmeet.models import AuditEntry, Item, Representative, ResponsiblePerson
from evalmeet.schemas.base import parse
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.accounts import audit
from evalmeet.services.files import import_save, imports, staging
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import roster
from tests.conftest import both_databases
from tests.services.test_imports import draft

ITEMS = (
    "项目名称,责任人,职务,责任人部门,采购方式,供应商数量,金额\n"
    "焦炭,王建国,,供应处,单一来源,1,1250000\n"
    "耐火砖,李明,采购员,炼钢厂,公开招标,5,90000\n"
    "备件,王建国,副处长,供应处,询价,3,300000\n"
    "轴承,老张,科长,设备部,,,\n"
)


def staged(session, folder, meeting_id, kind, data):
    preview = imports.stage(session, folder, meeting_id, kind, "f.csv", data.encode(), "mod")
    assert preview.ok, [(i.row, i.code) for i in preview.issues]
    return staging.claim_pending(folder, preview.token, meeting_id, kind, "mod")


def item_rows(session, meeting_id):
    return [
        (
            i.position,
            i.title,
            i.procurement_method,
            i.supplier_count,
            i.amount,
            i.kind,
            i.risk_flags,
            i.responsible_person.name,
            i.responsible_person.department,
        )
        for i in session.scalars(select(Item).where(Item.meeting_id == meeting_id).order_by(Item.position))
    ]


@both_databases
def test_bulk_items_are_what_adding_them_one_by_one_makes(session, tmp_path):
    existing = ResponsiblePerson(name="老张", department="设备部", position="")
    session.add(existing)
    session.commit()
    bulk, one_by_one = draft(session, "批量"), draft(session, "逐条")
    plan = import_save.plan(session, staged(session, tmp_path, bulk, "items", ITEMS))
    session.rollback()
    outcome = import_save.apply(session, plan, "mod")
    session.commit()
    positions = dict(session.execute(select(ResponsiblePerson.name, ResponsiblePerson.position)).all())
    # then the same file one row at a time, into another meeting
    for _number, data in staged(session, tmp_path, one_by_one, "items", ITEMS).rows:
        agenda.add_item(session, one_by_one, parse(ItemCreate, data), "mod")
    session.commit()
    expected = item_rows(session, one_by_one)
    assert outcome.value == 4
    assert item_rows(session, bulk) == expected
    assert expected[0][6]  # a single source of 1.25 million: flagged
    # no second 王建国 or 老张: the registry entries were found, their positions kept up to date
    assert session.scalar(select(ResponsiblePerson.id).where(ResponsiblePerson.name == "老张")) == existing.id
    assert (
        dict(session.execute(select(ResponsiblePerson.name, ResponsiblePerson.position)).all()) == positions
    )
    assert positions == {"王建国": "副处长", "李明": "采购员", "老张": "科长"}
    events = session.scalars(
        select(AuditEntry.event).where(AuditEntry.meeting_id == bulk).order_by(AuditEntry.id)
    ).all()
    assert events == ["meeting.created"] + ["item.added"] * 4 + ["items.imported"]
    assert audit.verify(session).ok


@both_databases
def test_bulk_roster_and_its_audit_chain(session, tmp_path):
    meeting_id = draft(session)
    rows = "姓名,工号,部门,投票方式\n" + "".join(
        f"代表{n},E{n},炼钢厂,{'纸质' if n % 7 == 0 else ''}\n" for n in range(300)
    )
    outcome = imports.confirm(session, staged(session, tmp_path, meeting_id, "roster", rows), "mod")
    session.commit()
    reps = session.scalars(
        select(Representative).where(Representative.meeting_id == meeting_id).order_by(Representative.id)
    ).all()
    assert outcome.value == 300 and [r.employee_no for r in reps] == [f"E{n}" for n in range(300)]
    assert {r.ballot for r in reps[:7]} == {"paper", "phone"} and reps[0].ballot == "paper"
    assert len({r.join_token for r in reps}) == 300 and not any(r.present or r.revoked for r in reps)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.meeting_id == meeting_id).order_by(AuditEntry.id)
    ).all()[1:]  # after meeting.created
    assert [e.event for e in entries[:2]] == ["representative.added"] * 2
    assert f'"representative_id":{reps[0].id}' in entries[0].payload
    assert entries[-1].event == "roster.imported" and '"rows":300' in entries[-1].payload
    assert audit.verify(session).ok


@both_databases
def test_an_import_saved_by_a_job_is_found_by_that_job_only(session, tmp_path):
    """What a server asks when the worker died after its commit: the job's rows, or None."""
    meeting_id, other = draft(session, "甲"), draft(session, "乙")
    rows = "姓名,工号\n" + "".join(f"代表{n},E{n}\n" for n in range(12))
    job = "5d1c7c52-8a0e-4a43-9a47-3b1d0f3c2a10"
    assert import_save.saved_by_job(session, meeting_id, "roster", job) is None  # nothing yet
    plan = import_save.plan(session, staged(session, tmp_path, meeting_id, "roster", rows))
    session.rollback()
    import_save.apply(session, plan, "mod", job)
    session.commit()
    assert import_save.saved_by_job(session, meeting_id, "roster", job) == 12
    assert import_save.saved_by_job(session, meeting_id, "roster", job.replace("5d", "6d", 1)) is None
    assert import_save.saved_by_job(session, meeting_id, "items", job) is None
    assert import_save.saved_by_job(session, other, "roster", job) is None
    assert audit.verify(session).ok


def test_room_taken_meanwhile_refuses_the_row_that_does_not_fit(session, tmp_path, monkeypatch):
    meeting_id = draft(session)
    pending = staged(session, tmp_path, meeting_id, "roster", "姓名,工号\n甲,A1\n乙,A2\n丙,A3\n")
    plan = import_save.plan(session, pending)
    session.rollback()
    roster.add_representative(
        session, meeting_id, parse(RepresentativeCreate, {"name": "手工", "employee_no": "B1"}), "other"
    )
    session.commit()
    monkeypatch.setattr(roster, "MAX_ROSTER", 3)
    with pytest.raises(import_save.ImportRowFailed) as err:
        import_save.apply(session, plan, "mod")
    session.rollback()
    assert (err.value.row, err.value.code) == (4, "roster_full")  # the file's third data row
    count = session.scalars(select(Representative.id).where(Representative.meeting_id == meeting_id)).all()
    assert len(count) == 1


def test_an_employee_number_twice_in_a_staged_file_is_refused_at_its_row(session, tmp_path):
    meeting_id = draft(session)
    pending = staging.Pending(
        tmp_path / "x.json.claimed",
        "t" * 32,
        meeting_id,
        "roster",
        "f.csv",
        [(2, {"name": "甲", "employee_no": "A1"}), (3, {"name": "乙", "employee_no": "A1"})],
    )
    with pytest.raises(import_save.ImportRowFailed) as err:
        import_save.plan(session, pending)
    assert (err.value.row, err.value.code) == (3, "duplicate_employee_no")
