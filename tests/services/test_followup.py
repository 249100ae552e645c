"""Dashboard, evidence files, report-back end to end, and wiping a rehearsal (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.extensions import db
from evalmeet.models import (
    Action,
    ActionAttachment,
    ActionNote,
    Base,
    Meeting,
    ReportBackLink,
    ResponsiblePerson,
)
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import (
    MAX_FILENAME,
    ActionFilters,
    ActionUpdate,
    EvidenceUpload,
    ReportBackCreate,
    clean_filename,
)
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.query import parse_query
from evalmeet.services.events import FilesRemoved, MeetingChanged
from evalmeet.services.followup import actions, evidence
from evalmeet.services.followup import tracking as followup
from evalmeet.services.meetings import conduct, questions
from evalmeet.services.meetings import items as agenda
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import action_on, asked, ballot
from tests.statements import statements_run

pytestmark = both_databases

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


# --- builders (also used by the web tests) ----------------------------------------------------


def vote_all(session, live, item_id, choices):
    """Open, cast one ballot per choice (reps in order) and close; returns the result."""
    rounds.open_voting(session, item_id, "mod")
    session.commit()
    for n, (rep, choice) in enumerate(zip(live.reps, choices, strict=False)):
        voting.cast_ballot(session, rep, ballot(item_id, choice, f"key-{item_id}-{n}-0123456789abcdef"))
        session.commit()
    result = rounds.close_voting(session, item_id, "mod").value
    session.commit()
    return result


def closed_meeting_with_actions(session, meeting_factory, title="第24次民主评价会"):
    """A finished meeting whose item failed, with four actions: open, in progress, done, verified."""
    live = meeting_factory(reps=3, items=1, title=title)
    item = live.items[0]
    vote_all(session, live, item.id, ["dissatisfied", "dissatisfied", "satisfied"])
    made = {}
    today = clock.today()  # the pinned clock's China day (tests/conftest.py)
    for status, kind, owner, due in [
        ("open", "rectification", "供应处", today - timedelta(days=3)),
        ("in_progress", "retender", "供应处", today + timedelta(days=5)),
        ("done", "party_discipline", "纪委", None),
        ("verified", "warning", "供应处", today - timedelta(days=30)),
    ]:
        action = action_on(
            session, item.id, f"{kind} 措施", kind, owner=owner, due_date=due.isoformat() if due else None
        )
        path = {
            "open": [],
            "in_progress": ["in_progress"],
            "done": ["done"],
            "verified": ["done", "verified"],
        }
        for step in path[status]:
            actions.update_action(session, action.id, parse(ActionUpdate, {"status": step}), "mod")
        made[status] = action
    conduct.finish_meeting(session, live.id, "mod")
    session.commit()
    return live, made


def table_counts(session):
    """Rows in every table but the audit log and accounts."""
    skip = {"audit_log", "accounts", "api_tokens", "alembic_version"}
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name not in skip
    }


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_lists_live_and_closed_real_meetings_overdue_first(session, meeting_factory):
    _past, made = closed_meeting_with_actions(session, meeting_factory)
    live = meeting_factory(reps=3, items=1, title="进行中的会")
    long_ago = (clock.today() - timedelta(days=55)).isoformat()
    late = action_on(session, live.items[0].id, "逾期很久", owner="设备处", due_date=long_ago)
    draft = meeting_factory(reps=1, items=1, start=False, title="草稿")
    action_on(session, draft.items[0].id, "草稿的")
    rehearsal = meeting_factory(reps=1, items=1, title="演练", rehearsal=True)
    action_on(session, rehearsal.items[0].id, "演练的", due_date="2020-01-01")
    session.commit()

    view = followup.dashboard(session, ActionFilters())
    ids = [row.action.id for row in view.rows]
    assert ids[:2] == [late.id, made["open"].id]  # overdue first, most overdue first
    assert set(ids) == {late.id, *(a.id for a in made.values())}  # no draft, no rehearsal
    assert view.overdue == 2 and view.matching == 5
    assert view.by_status == {"open": 2, "in_progress": 1, "done": 1, "verified": 1}
    assert [row.days_overdue for row in view.rows[:2]] == [55, 3]
    assert view.rows[-1].action.status == "verified"

    only = followup.dashboard(session, filters_of({"overdue": "1"}))
    assert [r.action.id for r in only.rows] == [late.id, made["open"].id]
    by_status = followup.dashboard(session, filters_of({"status": "done"}))
    assert [r.action.id for r in by_status.rows] == [made["done"].id]
    by_kind = followup.dashboard(session, filters_of({"kind": "retender"}))
    assert [r.action.id for r in by_kind.rows] == [made["in_progress"].id]
    by_owner = followup.dashboard(session, filters_of({"owner": "纪"}))
    assert [r.action.id for r in by_owner.rows] == [made["done"].id]
    assert view.owners == sorted({"供应处", "纪委", "设备处"})


def filters_of(args):
    """The register's filters read from a query string (junk is dropped, never refused)."""
    return parse_query(ActionFilters, args)[0]


def test_dashboard_filters_ignore_junk_and_escape_like(session, meeting_factory):
    closed_meeting_with_actions(session, meeting_factory)
    filters = filters_of({"status": "bogus", "kind": "<x>", "page": "-3", "owner": "%"})
    assert (filters.status, filters.kind, filters.page) == (None, None, 1)
    view = followup.dashboard(session, filters)
    assert view.rows == [] and view.matching == 0  # "%" is a literal, not a wildcard
    assert filters_of({"page": "9" * 30}).page == 1


# --- evidence ---------------------------------------------------------------------------------


@pytest.fixture
def uploads(tmp_path) -> Path:
    return tmp_path / "uploads"


def save(session, action_id, data, name, uploads, **kw):
    fields = parse(EvidenceUpload, {"filename": name})
    return evidence.save_attachment(session, action_id, fields, io.BytesIO(data), uploads, "mod", **kw).value


def office_file(kind: str) -> bytes:
    if kind == "xlsx":
        book = openpyxl.Workbook()
        book.active["A1"] = "整改台账"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.BytesIO()
    # Fixed member dates: the bytes (and so the test ids) must not depend on when they are made,
    # or pytest-xdist's workers collect different tests.
    with zipfile.ZipFile(out, "w") as archive:
        for member, text in (("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")):
            archive.writestr(zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


def test_good_files_are_stored_under_random_names_with_their_hash(session, meeting_factory, uploads):
    _live, made = closed_meeting_with_actions(session, meeting_factory)
    aid = made["open"].id
    files = [
        (PDF, "整改报告.pdf", "application/pdf"),
        (PNG, "现场照片.PNG", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "photo.jpeg", "image/jpeg"),
        (
            office_file("xlsx"),
            "台账.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            office_file("docx"),
            "说明.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("供应商,报价\n甲,100\n".encode(), "比价.csv", "text/csv; charset=utf-8"),
        ("整改说明：已完成".encode("gb18030"), "说明.txt", "text/plain; charset=gb18030"),
    ]
    for data, name, content_type in files:
        att = save(session, aid, data, name, uploads)
        session.commit()
        assert att.filename == name
        assert att.content_type == content_type
        assert att.size == len(data) and att.sha256 == hashlib.sha256(data).hexdigest()
        assert len(att.stored_name) == 48 and name not in att.stored_name
        assert (uploads / att.stored_name).read_bytes() == data
    assert sorted(p.name for p in uploads.iterdir()) == sorted(
        a.stored_name for a in evidence.attachments_of(session, aid)
    )
    notes = [n.note for n in session.scalars(select(ActionNote).where(ActionNote.action_id == aid))]
    assert any(n.startswith("上传证据：整改报告.pdf") and hashlib.sha256(PDF).hexdigest() in n for n in notes)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe"),
        (b"<html><script>alert(1)</script></html>", "photo.png"),  # HTML renamed .png
        (b"<html><body>hi</body></html>", "report.pdf"),
        (PNG, "image.pdf"),  # a real PNG under a PDF name
        (b"PK\x03\x04not really a zip", "book.xlsx"),
        (office_file("docx"), "book.xlsx"),  # a Word file named .xlsx
        (b"MZ\x90\x00\x03\x00\x00\x00\xff\xfe", "notes.txt"),  # binary "text"
        (PDF, "../../etc/passwd"),  # no accepted extension
        (PDF, "report.pdf.html"),
        (PDF, "noextension"),
    ],
    ids=lambda value: value if isinstance(value, str) else f"{len(value)}B",
)
def test_wrong_files_are_refused_and_leave_nothing(session, meeting_factory, uploads, data, name):
    _live, made = closed_meeting_with_actions(session, meeting_factory)
    with pytest.raises(evidence.UnsupportedFile) as err:
        save(session, made["open"].id, data, name, uploads)
    assert err.value.status == 415
    session.rollback()
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert session.scalar(select(func.count()).select_from(ActionAttachment)) == 0


def test_path_traversal_names_are_cleaned(session, meeting_factory, uploads):
    _live, made = closed_meeting_with_actions(session, meeting_factory)
    att = save(session, made["open"].id, PDF, "../../etc/passwd.pdf", uploads)
    assert att.filename == "passwd.pdf"
    assert (uploads / att.stored_name).is_file()
    assert not (uploads.parent.parent / "etc").exists()
    assert clean_filename("..\\..\\windows\\system32\\evil.pdf") == "evil.pdf"
    assert clean_filename("\u202egpj.exe.pdf") == "gpj.exe.pdf"  # no bidi override
    assert clean_filename("a\x00b\nc.pdf") == "abc.pdf"
    assert clean_filename('<img src=x onerror="1">.pdf') == "_img src=x onerror=_1__.pdf"
    assert clean_filename("...hidden.pdf") == "hidden.pdf"
    long = clean_filename("长" * 300 + ".pdf")
    assert len(long) == MAX_FILENAME and long.endswith(".pdf")


def test_oversized_and_empty_files_are_refused(session, meeting_factory, uploads):
    _live, made = closed_meeting_with_actions(session, meeting_factory)
    with pytest.raises(evidence.FileTooLarge) as err:
        save(session, made["open"].id, PDF + b"x" * 2000, "big.pdf", uploads, max_bytes=1024)
    assert err.value.status == 413
    session.rollback()
    with pytest.raises(ValidationFailed):
        save(session, made["open"].id, b"", "empty.pdf", uploads)
    session.rollback()
    assert list(uploads.iterdir()) == []
    att = save(session, made["open"].id, PDF, "fits.pdf", uploads, max_bytes=len(PDF))
    assert att.size == len(PDF)


def test_deleting_evidence(session, meeting_factory, uploads):
    _live, made = closed_meeting_with_actions(session, meeting_factory)
    att = save(session, made["done"].id, PDF, "a.pdf", uploads)
    kept = save(session, made["verified"].id, PDF, "b.pdf", uploads)
    session.commit()
    deleted = evidence.delete_attachment(session, made["done"].id, att.id, "mod")
    assert deleted.events == (FilesRemoved((att.stored_name,)),)  # the file goes after the commit
    stored = att.stored_name
    assert (uploads / stored).exists()
    session.commit()
    assert evidence.remove_stored_files(uploads, [stored, "../../etc/passwd"]) == 1
    assert not (uploads / stored).exists()
    assert session.get(ActionAttachment, att.id) is None
    with pytest.raises(Conflict) as err:
        evidence.delete_attachment(session, made["verified"].id, kept.id, "mod")
    assert err.value.code == "action_verified"
    session.rollback()
    with pytest.raises(Exception) as missing:  # another action's attachment id is not found
        evidence.get_attachment(session, made["open"].id, kept.id)
    assert missing.value.status == 404


# --- report-back ------------------------------------------------------------------------------


def chosen_body(action_ids, title=""):
    """The report-back form's fields as the use case takes them."""
    return parse(ReportBackCreate, {"action_id": action_ids, "title": title})


def test_report_back_candidates_page_in_their_order_and_search(session, meeting_factory):
    """A draft's report-back list is keyset-paged in the candidates' order, forward and back, and
    searchable; the count is the search's (a ten-year archive holds thousands)."""
    _past, made = closed_meeting_with_actions(session, meeting_factory, title="第24次民主评价会")
    _later, more = closed_meeting_with_actions(session, meeting_factory, title="第25次民主评价会")
    new = meeting_factory(reps=3, items=1, start=False, title="第26次民主评价会")
    everyone = [row.action.id for row in followup.report_back_candidates(session, new.id)]
    assert len(everyone) == 6 and everyone[:3] == [made[k].id for k in ("open", "in_progress", "done")]
    assert everyone[3:] == [more[k].id for k in ("open", "in_progress", "done")]

    seen, cursor, pages = [], None, []
    while True:
        page = followup.report_back_page(session, new.id, limit=4 if not pages else 2, cursor=cursor)
        pages.append(page)
        seen += [row.action.id for row in page.rows]
        if page.next is None:
            break
        cursor = page.next
    assert seen == everyone and [len(p.rows) for p in pages] == [4, 2]
    back = followup.report_back_page(session, new.id, limit=2, cursor=pages[-1].prev)
    assert [row.action.id for row in back.rows] == everyone[2:4]
    assert followup.count_report_back(session, new.id) == 6

    found = followup.report_back_page(session, new.id, text="第25次", limit=None, cursor=None)
    assert [row.action.id for row in found.rows] == everyone[3:]
    assert followup.count_report_back(session, new.id, "第25次") == 3
    assert followup.report_back_page(session, new.id, text="100%_", limit=None, cursor=None).rows == []


def test_report_back_end_to_end(session, meeting_factory):
    past, made = closed_meeting_with_actions(session, meeting_factory, title="第24次民主评价会")
    rehearsal = meeting_factory(reps=1, items=1, title="演练", rehearsal=True)
    action_on(session, rehearsal.items[0].id, "演练")
    conduct.finish_meeting(session, rehearsal.id, "mod")
    session.commit()

    new = meeting_factory(reps=3, items=1, start=False, title="第25次民主评价会", scale="pass_fail")
    offered = [row.action.id for row in followup.report_back_candidates(session, new.id, clock.today())]
    assert offered == [made["open"].id, made["in_progress"].id, made["done"].id]  # not verified, no rehearsal

    chosen = [made["open"].id, made["done"].id]
    item = followup.create_report_back(session, new.id, chosen_body([str(i) for i in chosen]), "mod").value
    session.commit()
    assert item.kind == "report_back" and item.title == "整改落实情况回头看（2 项）"
    assert item.responsible_person.name == followup.REPORT_BACK_PERSON  # two different owners
    assert "第24次民主评价会" in item.description and "rectification 措施" in item.description
    # the record names kinds and statuses in Chinese, the words of the action pages
    assert "【整改】" in item.description and "状态：待办" in item.description
    assert "【党纪处分】" in item.description and "状态：已完成" in item.description
    links = session.scalars(select(ReportBackLink.action_id).where(ReportBackLink.item_id == item.id)).all()
    assert sorted(links) == sorted(chosen)
    assert [a.id for a in followup.linked_actions(session, item.id)] == sorted(chosen)
    # Already on this meeting: no longer offered, and refused if sent again.
    assert [r.action.id for r in followup.report_back_candidates(session, new.id)] == [made["in_progress"].id]
    with pytest.raises(Conflict):
        followup.create_report_back(session, new.id, chosen_body([made["open"].id]), "mod")
    session.rollback()

    conduct.start_meeting(session, new.id, "mod")
    for rep in new.reps:
        conduct.check_in(session, rep, "link")
    session.commit()
    result = vote_all(session, new, item.id, ["pass", "pass", "fail"])
    assert result.passed is True

    for action_id in chosen:
        last = session.scalars(
            select(ActionNote).where(ActionNote.action_id == action_id).order_by(ActionNote.id.desc())
        ).first()
        assert last.note == "回头看表决（第25次民主评价会）：通过 2/3"
        assert last.author == "mod" and last.created_at is not None
    untouched = session.scalars(
        select(ActionNote.note).where(ActionNote.action_id == made["in_progress"].id)
    ).all()
    assert not any("回头看" in n for n in untouched)

    detail = followup.action_detail(session, made["open"].id)
    assert [(rb.item.id, rb.result.passed) for rb in detail.report_backs] == [(item.id, True)]
    assert detail.days_overdue == 3 and past.id == detail.meeting.id


def test_report_back_with_one_owner_names_that_owner(session, meeting_factory):
    _past, made = closed_meeting_with_actions(session, meeting_factory)
    new = meeting_factory(reps=2, items=0, start=False, title="新会")
    made_item = followup.create_report_back(
        session, new.id, chosen_body([made["open"].id, made["in_progress"].id], title="回头看：供应处"), "mod"
    )
    assert made_item.events == (MeetingChanged(new.id),)  # the meeting's screens show the new item
    item = made_item.value
    assert item.responsible_person.name == "供应处" and item.title == "回头看：供应处"


def test_report_back_refusals(session, meeting_factory):
    past, made = closed_meeting_with_actions(session, meeting_factory)
    new = meeting_factory(reps=2, items=0, start=False, title="新会")
    for ids, code in [
        ([], "nothing_selected"),
        (["abc"], "validation_error"),
        ([made["verified"].id], "not_reportable"),
        ([999_999], "not_reportable"),
    ]:
        with pytest.raises((Conflict, ValidationFailed)) as err:
            followup.create_report_back(session, new.id, chosen_body(ids), "mod")
        assert err.value.code == code
        session.rollback()
    with pytest.raises(Conflict):  # the closed meeting itself cannot take a report-back item
        followup.create_report_back(session, past.id, chosen_body([made["open"].id]), "mod")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ReportBackLink)) == 0


def test_close_writes_the_notes_in_a_constant_number_of_statements(session, meeting_factory):
    live_small, _ = closed_meeting_with_actions(session, meeting_factory, title="A")
    many = []
    for n in range(3):
        _l, made = closed_meeting_with_actions(session, meeting_factory, title=f"B{n}")
        many += [made["open"].id, made["in_progress"].id, made["done"].id]

    def statements_to_close(action_ids):
        new = meeting_factory(reps=2, items=0, title=f"回头看 {len(action_ids)}", scale="pass_fail")
        item = followup.create_report_back(session, new.id, chosen_body(action_ids), "mod").value
        rounds.open_voting(session, item.id, "mod")
        session.commit()
        for n, rep in enumerate(new.reps):
            voting.cast_ballot(session, rep, ballot(item.id, "pass", f"count-{item.id}-{n}-0123456789abcdef"))
        session.commit()
        with statements_run(db.engine) as seen:
            rounds.close_voting(session, item.id, "mod")
            session.commit()
        notes = session.scalar(
            select(func.count()).select_from(ActionNote).where(ActionNote.note.like("回头看表决%"))
        )
        return len(seen), notes

    small, notes_small = statements_to_close(many[:1])
    large, notes_large = statements_to_close(many[1:])
    assert small == large
    assert notes_large - notes_small == len(many) - 1


def test_rehearsal_report_back_writes_nothing_into_real_actions(session, meeting_factory):
    _past, made = closed_meeting_with_actions(session, meeting_factory)
    rehearsal = meeting_factory(reps=2, items=0, title="演练会", rehearsal=True, scale="pass_fail")
    item = followup.create_report_back(session, rehearsal.id, chosen_body([made["open"].id]), "mod").value
    session.commit()
    vote_all(session, rehearsal, item.id, ["pass", "pass"])
    notes = session.scalars(select(ActionNote.note).where(ActionNote.action_id == made["open"].id)).all()
    assert not any("回头看" in n for n in notes)


# --- rehearsal wipe ---------------------------------------------------------------------------


def full_rehearsal(session, meeting_factory, uploads, real_action_id):
    """A rehearsal with every kind of row: votes, a question, actions, evidence, a report-back."""
    rehearsal = meeting_factory(reps=3, items=2, title="演练", rehearsal=True)
    rep = rehearsal.reps[0]
    conduct.present_item(session, rehearsal.items[0].id, "mod")
    questions.ask_question(session, rep, asked(rehearsal.items[0].id, "为什么只有一家供应商？"))
    session.commit()
    vote_all(session, rehearsal, rehearsal.items[0].id, ["dissatisfied"] * 3)
    action = action_on(session, rehearsal.items[0].id, "演练整改", "rectification")
    actions.update_action(
        session, action.id, parse(ActionUpdate, {"status": "in_progress", "note": "进展"}), "mod"
    )
    save(session, action.id, PDF, "演练.pdf", uploads)
    rb = followup.create_report_back(session, rehearsal.id, chosen_body([real_action_id]), "mod").value
    session.commit()
    vote_all(session, rehearsal, rb.id, ["satisfied"] * 3)
    return rehearsal


def test_wipe_removes_every_row_and_file_of_a_rehearsal(session, meeting_factory, uploads):
    _real, made = closed_meeting_with_actions(session, meeting_factory, title="真实的会")
    real_file = save(session, made["open"].id, PDF, "真实.pdf", uploads).stored_name
    session.commit()
    baseline = table_counts(session)
    rehearsal = full_rehearsal(session, meeting_factory, uploads, made["open"].id)
    during = table_counts(session)
    for table in (
        "items",
        "representatives",
        "ballots",
        "participations",
        "item_results",
        "questions",
        "actions",
        "action_notes",
        "action_attachments",
        "report_back_links",
        "responsible_persons",
    ):
        assert during[table] > baseline[table], table
    assert len(list(uploads.iterdir())) == 2

    (removed,) = followup.wipe_meeting(session, rehearsal.id, "mod").events
    assert isinstance(removed, FilesRemoved)
    stored = removed.names
    session.commit()
    assert evidence.remove_stored_files(uploads, stored) == 1
    assert table_counts(session) == baseline
    assert session.get(Meeting, rehearsal.id) is None
    assert [p.name for p in uploads.iterdir()] == [real_file]
    assert session.get(Action, made["open"].id).status == "open"  # the real action is untouched


def test_wipe_removes_people_who_only_appeared_in_the_rehearsal(session, meeting_factory, uploads):
    rehearsal = meeting_factory(reps=1, items=0, title="演练", rehearsal=True)
    agenda.add_item(
        session,
        rehearsal.id,
        parse(ItemCreate, {"title": "假项目", "responsible_person": {"name": "测试员"}}),
        "mod",
    )
    real = meeting_factory(reps=1, items=1, title="真会")  # 采购员1
    agenda.add_item(
        session,
        rehearsal.id,
        parse(
            ItemCreate, {"title": "共用", "responsible_person": {"name": "采购员1", "department": "供应处"}}
        ),
        "mod",
    )
    session.commit()
    followup.wipe_meeting(session, rehearsal.id, "mod")
    session.commit()
    names = set(session.scalars(select(ResponsiblePerson.name)))
    assert "测试员" not in names and "采购员1" in names
    assert real.items[0].responsible_person.name == "采购员1"


def test_real_meetings_cannot_be_wiped(session, meeting_factory):
    live = meeting_factory(reps=1, items=1, title="正式会")
    closed, _made = closed_meeting_with_actions(session, meeting_factory)
    for meeting_id in (live.id, closed.id):
        with pytest.raises(Conflict) as err:
            followup.wipe_meeting(session, meeting_id, "mod")
        assert err.value.status == 409 and err.value.code == "not_rehearsal"
        session.rollback()
        assert session.get(Meeting, meeting_id) is not None
    draft = meeting_factory(reps=1, items=1, start=False, title="草稿")
    followup.wipe_meeting(session, draft.id, "mod")
    session.commit()
    assert session.get(Meeting, draft.id) is None


def test_wipe_summary_counts(session, meeting_factory, uploads):
    _real, made = closed_meeting_with_actions(session, meeting_factory)
    rehearsal = full_rehearsal(session, meeting_factory, uploads, made["open"].id)
    summary = followup.wipe_summary(session, rehearsal.id)
    assert (summary.items, summary.representatives, summary.actions, summary.attachments) == (3, 3, 1, 1)
