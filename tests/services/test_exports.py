"""Minutes data and workbooks, archive and action exports, CSV safety: built from real meetings."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.models import Item, Meeting, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.files import ExportQuery
from evalmeet.schemas.followup import ActionUpdate
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.schemas.voting import RevoteBody
from evalmeet.services.accounts import audit
from evalmeet.services.files import exports, minutes
from evalmeet.services.files.spreadsheets import Column, Table, csv_safe, to_csv, to_xlsx
from evalmeet.services.followup import actions
from evalmeet.services.meetings import conduct, questions, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import BUYER, action_on, asked, ballot, item_body, moderation

COKE = item_body("冶金焦炭采购", BUYER, prices=("1250000.50", "2100.00", "2350.00"), description="四季度焦炭")
BRICKS = item_body("耐火砖采购", ("李明", "科长", "炼钢厂"), "tender", 3, amount="86000.00")


@dataclass
class Closed:
    """A finished meeting: coke passed on a re-vote, bricks failed with two actions."""

    meeting: Meeting
    reps: list[Representative]
    coke: Item
    bricks: Item


def _vote(session: Session, item: Item, reps: list[Representative], choices: list[str], tag: str) -> None:
    for n, (rep, choice) in enumerate(zip(reps, choices, strict=True)):
        voting.cast_ballot(session, rep, ballot(item.id, choice, f"key-{tag}-{item.id}-{n:04d}-abcdef"))
        session.commit()
    rounds.close_voting(session, item.id, "mod")
    session.commit()


def build_closed_meeting(session: Session, title: str = "第25次民主评价会", **fields: object) -> Closed:
    """Four on the roster, three present; questions, a re-vote, actions; then finished."""
    meeting = meetings.create_meeting(
        session,
        parse(
            MeetingCreate,
            {"title": title, "location": "二号会议室", "scheduled_at": "2026-11-20T09:00", **fields},
        ),
        "mod",
    ).value
    reps = [
        roster.add_representative(
            session,
            meeting.id,
            parse(RepresentativeCreate, {"name": name, "employee_no": f"E{n:04d}", "department": "炼铁厂"}),
            "mod",
        ).value
        for n, name in enumerate(["张三", "李四", "王五", "赵六"], start=1)
    ]
    coke = agenda.add_item(session, meeting.id, parse(ItemCreate, COKE), "mod").value
    bricks = agenda.add_item(session, meeting.id, parse(ItemCreate, BRICKS), "mod").value
    conduct.start_meeting(session, meeting.id, "mod")
    for rep in reps[:3]:
        conduct.check_in(session, rep, "link")
    session.commit()

    conduct.present_item(session, coke.id, "mod")
    shown = questions.ask_question(session, reps[0], asked(coke.id, "为什么只有一家供应商？")).value
    hidden = questions.ask_question(session, reps[1], asked(coke.id, "这条不该出现在纪要里")).value
    session.commit()
    questions.moderate_question(
        session, shown.id, moderation("approved", answer="该品种仅一家具备资质"), "mod"
    )
    questions.moderate_question(session, hidden.id, moderation("hidden"), "mod")
    session.commit()

    rounds.open_voting(session, coke.id, "mod")
    session.commit()
    _vote(session, coke, reps[:3], ["satisfied", "dissatisfied", "dissatisfied"], "r1")
    rounds.revote(session, coke.id, RevoteBody(reason="计票有误，重新表决"), "mod")
    session.commit()
    _vote(session, coke, reps[:3], ["satisfied", "satisfied", "basically_satisfied"], "r2")

    conduct.present_item(session, bricks.id, "mod")
    rounds.open_voting(session, bricks.id, "mod")
    session.commit()
    _vote(session, bricks, reps[:3], ["dissatisfied", "dissatisfied", "basically_satisfied"], "b1")
    action_on(session, bricks.id, "重新公开招标", "retender", owner="供应处", due_date="2020-01-31")
    action_on(session, bricks.id, "给予党内警告", "party_discipline")
    conduct.finish_meeting(session, meeting.id, "mod")
    session.commit()
    return Closed(meeting, reps, coke, bricks)


# --- minutes data -----------------------------------------------------------------------------


@both_databases
def test_minutes_hold_results_rounds_questions_actions_and_audit_head(session):
    closed = build_closed_meeting(session)
    record = minutes.build_minutes(session, closed.meeting.id, today=date(2026, 12, 1))

    assert (record.roster, record.present) == (4, 3)
    assert record.present_names == ["张三", "李四", "王五"]
    assert record.choices == ("satisfied", "basically_satisfied", "dissatisfied")
    assert [e.item.title for e in record.items] == ["冶金焦炭采购", "耐火砖采购"]
    coke, bricks = record.items
    assert (coke.person_name, coke.person_position, coke.person_department) == ("王建国", "采购员", "供应处")
    assert [q.text for q in coke.questions] == ["为什么只有一家供应商？"]
    assert coke.questions[0].answer == "该品种仅一家具备资质"
    assert [r.number for r in coke.rounds] == [1, 2]
    first, second = coke.rounds
    assert first.counts == [("satisfied", 1), ("basically_satisfied", 0), ("dissatisfied", 2)]
    assert (first.satisfaction, first.passed, first.superseded_reason) == ("1/3", False, "计票有误，重新表决")
    assert (second.satisfaction, second.passed, second.superseded_reason) == ("3/3", True, None)
    assert second.percent == Decimal("100.0") and first.percent == Decimal("33.3")
    assert coke.result is second
    assert bricks.result is not None and bricks.result.satisfaction == "1/3" and not bricks.result.passed
    assert [(a.kind, a.owner, a.overdue) for a in bricks.actions] == [
        ("retender", "供应处", True),
        ("party_discipline", "", False),
    ]
    assert (record.passed, record.failed) == (1, 1)
    assert record.audit_head == audit.head(session) and len(record.audit_head) == 64
    assert {f["code"] for f in coke.risk_flags} >= {"single_supplier", "single_source_above_threshold"}


def test_minutes_of_a_live_or_draft_meeting_are_refused(session, meeting_factory):
    live = meeting_factory(reps=2, items=1)
    with pytest.raises(Conflict) as err:
        minutes.build_minutes(session, live.id)
    assert err.value.code == "meeting_live" and err.value.status == 409
    draft = meeting_factory(reps=1, items=1, start=False)
    with pytest.raises(Conflict) as err:
        minutes.build_minutes(session, draft.id)
    assert err.value.code == "meeting_draft"


def test_percent_rounds_half_up_for_display_only():
    assert minutes.percent(2, 3) == Decimal("66.7")
    assert minutes.percent(1, 8) == Decimal("12.5")
    assert minutes.percent(1, 16) == Decimal("6.3")
    assert minutes.percent(0, 0) is None


# --- the minutes workbook ---------------------------------------------------------------------


def _sheet_rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_minutes_workbook_has_typed_cells_counts_and_rounds(session):
    closed = build_closed_meeting(session)
    record = minutes.build_minutes(session, closed.meeting.id, today=date(2026, 12, 1))
    book = load_workbook(io.BytesIO(exports.minutes_xlsx(record)))
    assert book.sheetnames == [
        "Overview",
        "Items",
        "Voting rounds",
        "Questions",
        "Follow-up actions",
        "Recusals",
        "Appeals",
    ]

    overview = dict((r[0], r[1]) for r in _sheet_rows(book["Overview"])[1:])
    assert overview["Meeting title"] == "第25次民主评价会"
    assert overview["Date and time (China time)"] == "2026-11-20 09:00"
    assert (overview["Roster size"], overview["Attended"]) == (4, 3)
    assert overview["Representatives present"] == "张三、李四、王五"
    assert overview["Audit chain head"] == record.audit_head

    items = book["Items"]
    header = [c.value for c in items[1]]
    assert all(c.font.bold for c in items[1])
    assert header[:8] == [
        "No.",
        "Item title",
        "Responsible person",
        "Position",
        "Department",
        "Procurement method",
        "Number of suppliers",
        "Amount (yuan)",
    ]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in _sheet_rows(items)[1:]}
    coke = rows["冶金焦炭采购"]
    assert coke["Amount (yuan)"] == 1250000.5 and isinstance(coke["Amount (yuan)"], float | int)
    amount_cell = items.cell(row=2, column=header.index("Amount (yuan)") + 1)
    assert amount_cell.data_type == "n" and amount_cell.number_format == "#,##0.00"
    assert (
        coke["Satisfied (ballots)"],
        coke["Basically satisfied (ballots)"],
        coke["Dissatisfied (ballots)"],
    ) == (
        2,
        1,
        0,
    )
    assert (coke["Ballots"], coke["Satisfaction"], coke["Result"], coke["Rounds"]) == (3, "3/3", "Passed", 2)
    assert coke["Re-vote reasons"] == "计票有误，重新表决"
    assert coke["Procurement method"] == "Single source"
    assert rows["耐火砖采购"]["Result"] == "Failed" and rows["耐火砖采购"]["Satisfaction (%)"] == 33.3
    assert items.column_dimensions["B"].width >= 14  # Chinese titles count double

    rounds = _sheet_rows(book["Voting rounds"])
    assert [(r[1], r[2], r[-3]) for r in rounds[1:]] == [
        ("冶金焦炭采购", 1, "Failed"),
        ("冶金焦炭采购", 2, "Passed"),
        ("耐火砖采购", 1, "Failed"),
    ]
    assert rounds[1][-1] == "计票有误，重新表决"

    qs = _sheet_rows(book["Questions"])
    assert qs[1:] == [[1, "冶金焦炭采购", 1, "为什么只有一家供应商？", "该品种仅一家具备资质"]]

    acts = _sheet_rows(book["Follow-up actions"])
    assert acts[1][:4] == [2, "耐火砖采购", "李明", "Re-tender"]
    assert acts[1][6].date() == date(2020, 1, 31) and acts[1][8] == "Yes"


def test_workbook_never_holds_anything_linking_people_to_choices(session):
    closed = build_closed_meeting(session)
    record = minutes.build_minutes(session, closed.meeting.id)
    book = load_workbook(io.BytesIO(exports.minutes_xlsx(record)))
    receipts = set(rounds.receipts(session, closed.coke.id)) | set(rounds.receipts(session, closed.bricks.id))
    text = " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
    assert receipts and not any(r in text for r in receipts)
    assert "这条不该出现在纪要里" not in text
    assert all(rep.join_token not in text for rep in closed.reps)


# --- CSV and xlsx safety ----------------------------------------------------------------------


def test_csv_is_utf8_bom_rfc4180_and_formula_safe():
    table = Table(
        "t",
        [Column("Name"), Column("Amount", "money"), Column("Count", "int")],
        [
            ['=HYPERLINK("http://x")', Decimal("1234.50"), 3],
            ["+1", None, 0],
            ["-2 元", Decimal("0.00"), 1],
            ["@SUM(A1)", Decimal("5.00"), 2],
            ['含"引号",逗号\n换行', Decimal("9.99"), 4],
            ["\tTAB", Decimal("1.00"), 5],
        ],
    )
    data = to_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Name", "Amount", "Count"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "1234.50", "3"]
    assert rows[2] == ["'+1", "", "0"]
    assert rows[3][0] == "'-2 元" and rows[4][0] == "'@SUM(A1)"
    assert rows[5] == ['含"引号",逗号\n换行', "9.99", "4"]
    assert rows[6][0] == "'\tTAB"
    assert csv_safe("普通") == "普通"


def test_xlsx_text_is_never_a_formula_and_control_characters_are_dropped():
    table = Table(
        "t", [Column("Name"), Column("Amount", "money")], [["=1+1", Decimal("2.50")], ["a\x0bb", None]]
    )
    ws = load_workbook(io.BytesIO(to_xlsx([table]))).active
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["A3"].value == "ab"
    assert ws["B2"].value == 2.5 and ws["B2"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A2"


# --- archive and actions exports --------------------------------------------------------------


@both_databases
def test_archive_export_lists_decided_items_of_closed_real_meetings_only(session, meeting_factory):
    build_closed_meeting(session)
    rehearsal = build_closed_meeting(session, title="演练会", rehearsal=True)
    live = meeting_factory(reps=2, items=1, title="进行中的会")
    table = exports.archive_items_table(session, ExportQuery())
    header = [c.header for c in table.columns]
    rows = [dict(zip(header, r, strict=True)) for r in table.rows]
    assert [(r["Meeting"], r["Item title"]) for r in rows] == [
        ("第25次民主评价会", "冶金焦炭采购"),
        ("第25次民主评价会", "耐火砖采购"),
    ]
    coke = rows[0]
    assert coke["Meeting date"] == date(2026, 11, 20)
    assert coke["Amount (yuan)"] == Decimal("1250000.50")
    assert (coke["Satisfied (ballots)"], coke["Pass (ballots)"], coke["Ballots"]) == (2, None, 3)
    assert (coke["Satisfaction"], coke["Satisfaction (%)"], coke["Result"]) == (
        "3/3",
        Decimal("100.0"),
        "Passed",
    )
    assert rows[1]["Result"] == "Failed" and rows[1]["Department"] == "炼钢厂"
    assert rehearsal.meeting.id and live.id  # present in the database, absent from the export


def test_archive_export_filters_by_text_and_china_dates(session):
    build_closed_meeting(session)
    build_closed_meeting(session, title="第26次民主评价会", scheduled_at="2026-12-01T00:30")

    def titles(**args):
        table = exports.archive_items_table(session, parse(ExportQuery, args))
        return sorted({(r[0], r[2]) for r in table.rows})

    assert titles(q="耐火砖") == [("第25次民主评价会", "耐火砖采购"), ("第26次民主评价会", "耐火砖采购")]
    assert titles(q="王建国") == [("第25次民主评价会", "冶金焦炭采购"), ("第26次民主评价会", "冶金焦炭采购")]
    # 00:30 on 1 December in China is still 30 November in UTC: the China date decides.
    assert {m for m, _ in titles(**{"from": "2026-12-01"})} == {"第26次民主评价会"}
    assert {m for m, _ in titles(to="2026-11-30")} == {"第25次民主评价会"}
    assert titles(q="100%_") == []
    with pytest.raises(Exception) as err:
        parse(ExportQuery, {"from": "2026-13-01"})
    assert getattr(err.value, "status", None) == 422
    with pytest.raises(ValidationFailed) as backwards:
        parse(ExportQuery, {"from": "2026-12-02", "to": "2026-12-01"})
    assert backwards.value.details == {"field": "from", "reason": "after_end"}
    one_day = parse(ExportQuery, {"from": "2026-12-01", "to": "2026-12-01"})
    assert (one_day.date_from, one_day.date_to) == (date(2026, 12, 1), date(2026, 12, 1))


def test_actions_export_marks_overdue_and_skips_rehearsals(session):
    closed = build_closed_meeting(session)
    build_closed_meeting(session, title="演练会", rehearsal=True)
    table = exports.actions_table(session, ExportQuery(), today=date(2026, 12, 1))
    header = [c.header for c in table.columns]
    rows = [dict(zip(header, r, strict=True)) for r in table.rows]
    assert [(r["Meeting"], r["Kind"], r["Overdue"]) for r in rows] == [
        ("第25次民主评价会", "Re-tender", "Yes"),
        ("第25次民主评价会", "Party discipline", "No"),
    ]
    assert rows[0]["Due date"] == date(2020, 1, 31) and rows[0]["Responsible person"] == "李明"
    assert rows[0]["Status"] == "Not started"
    actions.update_action(
        session,
        actions.actions_for_item(session, closed.bricks.id)[0].id,
        parse(ActionUpdate, {"status": "done"}),
        "m",
    )
    session.commit()
    table = exports.actions_table(session, ExportQuery(), today=date(2026, 12, 1))
    assert table.rows[0][header.index("Overdue")] == "No" and table.rows[0][header.index("Status")] == "Done"
