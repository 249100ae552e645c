"""Roster and item imports: reading files, per-row validation, staging, all-or-nothing confirm."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, DomainError
from evalmeet.models import AuditEntry, Item, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.events import MeetingChanged
from evalmeet.services.files import imports, staging
from evalmeet.services.files.spreadsheets import Column, FileRefused, Table, read_table, to_csv, to_xlsx
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import roster
from tests.conftest import both_databases

# The items template's headings (the column order the tests write and expect).
ITEM_HEADINGS = "项目名称 责任人 职务 责任人部门 采购方式 供应商数量 金额 基准价 单价 说明".split()


def xlsx(*rows):
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def draft(session, title="导入测试会"):
    meeting = meetings.create_meeting(session, parse(MeetingCreate, {"title": title}), "mod").value
    session.commit()
    return meeting.id


def roster_rows(session, meeting_id):
    return [
        (r.name, r.employee_no, r.department)
        for r in session.scalars(
            select(Representative).where(Representative.meeting_id == meeting_id).order_by(Representative.id)
        )
    ]


def stage_and_confirm(session, folder, meeting_id, kind, name, data):
    preview = imports.stage(session, folder, meeting_id, kind, name, data, "mod")
    assert preview.ok, [(i.row, i.column, i.message) for i in preview.issues]
    pending = staging.claim_pending(folder, preview.token, meeting_id, kind, "mod")
    outcome = imports.confirm(session, pending, "mod")
    assert outcome.events == (MeetingChanged(meeting_id),)  # one snapshot for the whole import
    session.commit()
    staging.finish_pending(pending)
    return outcome.value


@pytest.fixture
def pending_dir(tmp_path):
    """Where staged imports wait (the instance folder's ``imports/`` in the app)."""
    return tmp_path / "pending"


ROSTER = "姓名,工号,部门\n张三,E001,炼铁厂\n李四,E002,炼钢厂\n"


# --- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        ROSTER.encode("utf-8"),
        ROSTER.encode("utf-8-sig"),
        ROSTER.encode("gbk"),
        ROSTER.encode("gb18030"),
        ROSTER.replace("\n", "\r\n").encode("gbk"),
        ROSTER.replace(",", "\t").encode("utf-16"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "gbk-crlf", "utf16-tabs"],
)
def test_csv_encodings_read_the_same(data):
    assert read_table("名单.csv", data) == [
        (1, ["姓名", "工号", "部门"]),
        (2, ["张三", "E001", "炼铁厂"]),
        (3, ["李四", "E002", "炼钢厂"]),
    ]


def test_xlsx_cells_come_back_as_typed_text():
    rows = read_table(
        "r.XLSX", xlsx(["工号", "金额", "数量"], [1001, 1250000.5, 3.0], [None, Decimal("7.25"), True])
    )
    assert rows == [(1, ["工号", "金额", "数量"]), (2, ["1001", "1250000.5", "3"]), (3, ["", "7.25", "TRUE"])]


def test_csv_quoted_multiline_cells_keep_their_row_numbers():
    rows = read_table("r.csv", '姓名,工号\n"张\n三",E1\n李四,E2\n'.encode())
    assert rows == [(1, ["姓名", "工号"]), (2, ["张\n三", "E1"]), (3, ["李四", "E2"])]


def refused(name, data):
    with pytest.raises(FileRefused) as err:
        read_table(name, data)
    return err.value.code, err.value.status


def test_files_that_cannot_be_read_are_refused_with_4xx():
    assert refused("r.csv", b"") == ("file_empty", 400)
    assert refused("r.csv", b"a" * (2 * 1024 * 1024 + 1)) == ("file_too_large", 413)
    assert refused("r.txt", ROSTER.encode()) == ("unsupported_file_type", 415)
    assert refused("r", ROSTER.encode()) == ("unsupported_file_type", 415)
    assert refused("r.xlsx", ROSTER.encode()) == ("unsupported_file_type", 415)
    assert refused("r.csv", xlsx(["姓名"])) == ("unsupported_file_type", 415)
    assert refused("r.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100) == ("unsupported_file_type", 415)
    assert refused("r.csv", b"\xd0\xcf\x11\xe0" + b"\0" * 100) == ("unsupported_file_type", 415)
    assert refused("r.csv", "姓名\n".encode() + b"\x80\xff\n") == ("file_encoding", 422)
    assert refused("r.csv", b"a,b\n\x00\x01,c\n") == ("unsupported_file_type", 415)
    assert refused("r.xlsx", b"PK\x03\x04garbage") == ("file_unreadable", 422)
    assert refused("r.csv", b'a,b\n"unterminated,x') == ("file_unreadable", 422)


def test_zip_that_is_not_a_workbook_or_is_a_bomb_is_refused():
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("hello.txt", "hi")
    assert refused("r.xlsx", plain.getvalue()) == ("unsupported_file_type", 415)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/workbook.xml", "<x/>")
        z.writestr("xl/big.xml", b"\0" * (60 * 1024 * 1024))
    assert len(bomb.getvalue()) < 2 * 1024 * 1024
    assert refused("r.xlsx", bomb.getvalue()) == ("file_too_large", 413)


# --- preview ----------------------------------------------------------------------------------


def test_headers_in_english_full_width_and_with_units_are_understood(session):
    meeting_id = draft(session)
    header = (
        "Title,Responsible Person,ＰＯＳＩＴＩＯＮ,责任人部门,采购方式,供应商数量,金额（元）,备注,Extra\n"
    )
    data = header.encode()
    data += '焦炭,王建国,采购员,供应处,Tender,2,"¥1,200.50",说明,x\n'.encode()
    preview = imports.parse(session, meeting_id, "items", "i.csv", data)
    assert preview.ok and preview.ignored == ["Extra"]
    assert (
        preview.headers["amount"] == "金额（元）" and preview.headers["person_position"] == "ＰＯＳＩＴＩＯＮ"
    )
    row = preview.rows[0]
    assert row.data == {
        "responsible_person": {"name": "王建国", "position": "采购员", "department": "供应处"},
        "title": "焦炭",
        "procurement_method": "tender",
        "supplier_count": "2",
        "amount": "1,200.50",
        "description": "说明",
    }


def test_every_bad_cell_is_reported_with_row_column_and_reason(session):
    meeting_id = draft(session)
    data = (
        "项目名称,责任人,采购方式,供应商数量,金额,单价\n"
        "好项目,王建国,询价,2,100,1.5\n"
        ",,拍卖,两家,-5,1.234\n"
        "\n"
        "另一个," + "长" * 101 + ",,,,\n"
    ).encode()
    preview = imports.parse(session, meeting_id, "items", "i.csv", data)
    assert not preview.ok
    found = [(i.row, i.column, i.code, i.message) for i in preview.issues]
    assert found == [
        (3, "责任人", "required", "responsible_person.name is required"),
        (3, "项目名称", "required", "title is required"),
        (3, "采购方式", "unknown_method", found[2][3]),
        (3, "供应商数量", "not_whole_number", "supplier_count must be a whole number"),
        (3, "金额", "not_amount", "amount must be a non-negative amount"),
        (3, "单价", "too_many_decimals", "unit_price has more than two decimals"),
        (5, "责任人", "too_long", "responsible_person.name is longer than 100 characters"),
    ]
    assert "单一来源" in found[2][3]
    assert [r.row for r in preview.rows] == [2, 3, 5]  # the blank line is skipped, numbers stay the file's


def test_duplicate_employee_numbers_in_file_and_on_roster(session):
    meeting_id = draft(session)
    roster.add_representative(
        session, meeting_id, parse(RepresentativeCreate, {"name": "老代表", "employee_no": "E009"}), "mod"
    )
    session.commit()
    data = "name,employee_no\n甲,E001\n乙,E009\n丙,E001\n丁,E002\n".encode()
    preview = imports.parse(session, meeting_id, "roster", "r.csv", data)
    assert [(i.row, i.column, i.code, i.params) for i in preview.issues] == [
        (3, "employee_no", "already_on_roster", {"value": "E009"}),
        (4, "employee_no", "duplicate_in_file", {"value": "E001", "other_row": 2}),
    ]


def test_repeated_items_are_warnings_not_errors(session):
    meeting_id = draft(session)
    agenda.add_item(
        session,
        meeting_id,
        parse(ItemCreate, {"title": "焦炭", "responsible_person": {"name": "王建国"}}),
        "mod",
    )
    session.commit()
    data = "项目名称,责任人\n焦炭,王建国\n砖,李明\n砖,李明\n".encode()
    preview = imports.parse(session, meeting_id, "items", "i.csv", data)
    assert preview.ok
    assert [(r.row, [w.code for w in r.warnings]) for r in preview.rows] == [
        (2, ["item_exists"]),
        (3, []),
        (4, ["item_repeated"]),
    ]


def test_file_level_problems(session, meeting_factory):
    meeting_id = draft(session)

    def code(kind, data, name="r.csv"):
        with pytest.raises(DomainError) as err:
            imports.parse(session, meeting_id, kind, name, data)
        return err.value.code, err.value.status

    assert code("roster", "名字,编号\n甲,1\n".encode()) == ("missing_columns", 422)
    assert code("roster", "姓名,工号,name\n甲,1,乙\n".encode()) == ("duplicate_columns", 422)
    assert code("roster", "姓名,工号\n,\n".encode()) == ("no_rows", 422)
    assert code("roster", b"\n\n,,\n") == ("no_header", 422)
    assert code("roster", ("姓名,工号\n" + "".join(f"甲,{n}\n" for n in range(5101))).encode()) == (
        "too_many_rows",
        413,
    )
    assert code("other", ROSTER.encode()) == ("invalid_kind", 404)
    live = meeting_factory(reps=1, items=1)
    with pytest.raises(Conflict) as err:
        imports.parse(session, live.id, "items", "i.csv", "项目名称,责任人\n甲,乙\n".encode())
    assert err.value.code == "meeting_live"
    assert imports.parse(session, live.id, "roster", "r.csv", ROSTER.encode()).ok


def test_capacity_of_the_meeting_is_checked(session, monkeypatch):
    meeting_id = draft(session)
    monkeypatch.setattr(roster, "MAX_ROSTER", 1)
    with pytest.raises(FileRefused) as err:
        imports.parse(session, meeting_id, "roster", "r.csv", ROSTER.encode())
    assert (err.value.code, err.value.details) == (
        "roster_full",
        {"reason": "import_capacity", "room": 1, "rows": 2},
    )


# --- staging and confirming -------------------------------------------------------------------


@both_databases
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_good_csv_round_trips_into_the_roster(session, pending_dir, encoding):
    meeting_id = draft(session)
    assert (
        stage_and_confirm(session, pending_dir, meeting_id, "roster", "r.csv", ROSTER.encode(encoding)) == 2
    )
    assert roster_rows(session, meeting_id) == [("张三", "E001", "炼铁厂"), ("李四", "E002", "炼钢厂")]
    entry = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry.event == "roster.imported" and '"rows":2' in entry.payload
    assert list(pending_dir.iterdir()) == []  # the staged file is gone once confirmed


@both_databases
def test_good_xlsx_round_trips_into_items(session, pending_dir):
    meeting_id = draft(session)
    data = xlsx(
        ITEM_HEADINGS,
        ["冶金焦炭采购", "王建国", "采购员", "供应处", "单一来源", 1, 1250000.5, 2100, 2350, "四季度"],
        ["耐火砖", "李明", None, "炼钢厂", "tender", None, None, None, None, None],
    )
    assert stage_and_confirm(session, pending_dir, meeting_id, "items", "items.xlsx", data) == 2
    items = session.scalars(select(Item).where(Item.meeting_id == meeting_id).order_by(Item.position)).all()
    coke, bricks = items
    assert (coke.title, coke.procurement_method, coke.supplier_count) == ("冶金焦炭采购", "single_source", 1)
    assert (coke.amount, coke.benchmark_price, coke.unit_price) == (
        Decimal("1250000.50"),
        Decimal("2100.00"),
        Decimal("2350.00"),
    )
    assert coke.responsible_person.position == "采购员" and coke.description == "四季度"
    assert {f["code"] for f in coke.risk_flags} == {
        "single_supplier",
        "single_source_above_threshold",
        "above_benchmark",
    }
    assert (bricks.procurement_method, bricks.amount, bricks.responsible_person.department) == (
        "tender",
        None,
        "炼钢厂",
    )
    assert [i.position for i in items] == [1, 2]


def test_a_file_with_errors_is_never_staged(session, pending_dir):
    meeting_id = draft(session)
    preview = imports.stage(
        session, pending_dir, meeting_id, "roster", "r.csv", "姓名,工号\n甲,\n".encode(), "mod"
    )
    assert not preview.ok and preview.token is None
    assert not pending_dir.exists() or list(pending_dir.iterdir()) == []
    with pytest.raises(Conflict) as err:
        staging.claim_pending(pending_dir, "x" * 32, meeting_id, "roster", "mod")
    assert err.value.code == "import_expired"


def test_a_preview_expires_two_hours_after_staging_by_the_apps_clock(session, pending_dir):
    meeting_id = draft(session)
    staged_at = datetime(2031, 5, 14, 2, 30, tzinfo=UTC)
    with clock.pinned(staged_at, frozen=True):
        old = imports.stage(session, pending_dir, meeting_id, "roster", "r.csv", ROSTER.encode(), "mod")
    # Another upload just inside the two hours keeps it; the file system's times play no part.
    with clock.pinned(staged_at + staging.PENDING_TTL, frozen=True):
        imports.stage(session, pending_dir, meeting_id, "roster", "r.csv", ROSTER.encode(), "mod")
    assert (pending_dir / f"{old.token}.json").exists()
    with clock.pinned(staged_at + staging.PENDING_TTL + timedelta(seconds=1), frozen=True):
        fresh = imports.stage(session, pending_dir, meeting_id, "roster", "r.csv", ROSTER.encode(), "mod")
        with pytest.raises(Conflict) as err:
            staging.claim_pending(pending_dir, old.token, meeting_id, "roster", "mod")
        assert err.value.code == "import_expired"
        assert staging.claim_pending(pending_dir, fresh.token, meeting_id, "roster", "mod").rows
    assert sorted(p.suffix for p in pending_dir.iterdir()) == [".claimed", ".json"]


@both_databases
def test_failure_at_confirm_rolls_back_every_row(session, pending_dir):
    meeting_id = draft(session)
    data = "姓名,工号\n甲,A1\n乙,A2\n丙,A3\n".encode()
    preview = imports.stage(session, pending_dir, meeting_id, "roster", "r.csv", data, "mod")
    roster.add_representative(
        session, meeting_id, parse(RepresentativeCreate, {"name": "手工", "employee_no": "A3"}), "other"
    )
    session.commit()
    pending = staging.claim_pending(pending_dir, preview.token, meeting_id, "roster", "mod")
    with pytest.raises(imports.ImportRowFailed) as err:
        imports.confirm(session, pending, "mod")
    session.rollback()
    assert (err.value.row, err.value.code, err.value.status) == (4, "duplicate_employee_no", 409)
    assert roster_rows(session, meeting_id) == [("手工", "A3", "")]
    events = session.scalars(select(AuditEntry.event).where(AuditEntry.meeting_id == meeting_id)).all()
    assert "roster.imported" not in events and events.count("representative.added") == 1


def test_a_staged_import_is_claimed_once_and_only_by_its_owner(session, pending_dir):
    meeting_id = draft(session)
    other_id = draft(session, "别的会")
    preview = imports.stage(session, pending_dir, meeting_id, "roster", "r.csv", ROSTER.encode(), "mod")
    for args in (
        (other_id, "roster", "mod"),
        (meeting_id, "items", "mod"),
        (meeting_id, "roster", "someone"),
    ):
        with pytest.raises(Conflict):
            staging.claim_pending(pending_dir, preview.token, *args)
    for bad in ("../../etc/passwd", None, 42, "a" * 31):
        with pytest.raises(Conflict):
            staging.claim_pending(pending_dir, bad, meeting_id, "roster", "mod")
    pending = staging.claim_pending(pending_dir, preview.token, meeting_id, "roster", "mod")
    with pytest.raises(Conflict):
        staging.claim_pending(pending_dir, preview.token, meeting_id, "roster", "mod")
    staging.release_pending(pending)
    again = staging.claim_pending(pending_dir, preview.token, meeting_id, "roster", "mod")
    assert [n for n, _data in again.rows] == [2, 3]
    assert session.scalar(select(func.count()).select_from(Representative)) == 0


def test_items_confirm_is_refused_once_the_meeting_has_started(session, pending_dir):
    from evalmeet.schemas.base import parse
    from evalmeet.schemas.roster import RepresentativeCreate
    from evalmeet.services.meetings import conduct, roster

    meeting_id = draft(session)
    preview = imports.stage(
        session, pending_dir, meeting_id, "items", "i.csv", "项目名称,责任人\n甲,乙\n".encode(), "mod"
    )
    roster.add_representative(
        session, meeting_id, parse(RepresentativeCreate, {"name": "代表", "employee_no": "E1"}), "mod"
    )
    conduct.start_meeting(session, meeting_id, "mod")
    session.commit()
    pending = staging.claim_pending(pending_dir, preview.token, meeting_id, "items", "mod")
    with pytest.raises(Conflict) as err:
        imports.confirm(session, pending, "mod")
    assert err.value.code == "meeting_live"


# --- exporting a roster in the import format --------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_roster_export_imports_into_the_next_meeting(session, pending_dir, fmt):
    source = draft(session, "上次的会")
    for n, name in enumerate(["张三", "=李四", "王五"], start=1):
        roster.add_representative(
            session,
            source,
            parse(RepresentativeCreate, {"name": name, "employee_no": f"00{n}", "department": "炼铁厂"}),
            "m",
        )
    session.commit()
    table = imports.roster_table(session, source)
    data = to_csv(table) if fmt == "csv" else to_xlsx([table])
    target = draft(session, "下次的会")
    stage_and_confirm(session, pending_dir, target, "roster", f"roster.{fmt}", data)
    # CSV protects "=李四" with a quote against formula injection; the import takes it off again.
    assert roster_rows(session, target) == roster_rows(session, source)
    assert roster_rows(session, target)[0][1] == "001"  # leading zeros survive both formats


def test_a_workbook_is_dated_by_the_apps_clock():
    with clock.pinned(datetime(2028, 2, 29, 16, 30, tzinfo=UTC), frozen=True):
        data = to_xlsx([Table("Items", [Column("Title")], [["焦炭"]])])
    assert load_workbook(io.BytesIO(data)).properties.created == datetime(2028, 2, 29, 16, 30)


# --- the form's own label, and figures that do not fit together (issue 13) ----------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_items_title_column_may_be_headed_as_the_form_labels_it(session, pending_dir, fmt):
    meeting_id = draft(session)
    rows = [["标题", "责任人", "采购方式", "供应商数量"], ["备件采购", "刘洋", "单一来源", "1"]]
    data = xlsx(*rows) if fmt == "xlsx" else "\n".join(",".join(r) for r in rows).encode("gbk")
    preview = imports.parse(session, meeting_id, "items", f"i.{fmt}", data)
    assert preview.ok and preview.headers["title"] == "标题"
    assert stage_and_confirm(session, pending_dir, meeting_id, "items", f"i.{fmt}", data) == 1
    item = session.scalars(select(Item).where(Item.meeting_id == meeting_id)).one()
    assert (item.title, item.responsible_person.name) == ("备件采购", "刘洋")


def test_title_and_project_name_together_are_one_field_twice(session):
    meeting_id = draft(session)
    with pytest.raises(FileRefused) as refused:
        imports.parse(session, meeting_id, "items", "i.csv", "项目名称,标题,责任人\n甲,乙,丙\n".encode())
    assert refused.value.code == "duplicate_columns"


def test_single_source_with_several_suppliers_is_a_warning_that_still_imports(session, pending_dir):
    meeting_id = draft(session)
    data = (
        "项目名称,责任人,采购方式,供应商数量\n"
        "备件,刘洋,单一来源,3\n"  # the warning
        "焦炭,王建国,单一来源,1\n"  # one supplier: as a single source should be
        "砖,李明,招标,3\n"  # several suppliers of a tender
        "钢板,赵强,单一来源,\n"  # no count: nothing to compare
        "煤,孙丽,单一来源,两家\n"  # a bad cell is the row's error, not also a warning
    ).encode()
    preview = imports.parse(session, meeting_id, "items", "i.csv", data)
    assert [(r.row, [(w.code, w.column, w.params) for w in r.warnings]) for r in preview.rows] == [
        (2, [("single_source_several_suppliers", "供应商数量", {"count": 3})]),
        (3, []),
        (4, []),
        (5, []),
        (6, []),
    ]
    assert [i.row for i in preview.issues] == [6]
    good = b"\n".join(data.splitlines()[:5]) + b"\n"
    assert stage_and_confirm(session, pending_dir, meeting_id, "items", "i.csv", good) == 4
