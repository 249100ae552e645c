"""Downloads over HTTP (minutes PDF/Excel, archive/actions CSV/Excel) and the import pages."""

from __future__ import annotations

import csv
import io
import re
import subprocess

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from evalmeet.extensions import db
from evalmeet.models import Item, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.accounts import audit
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import roster
from tests.services.test_exports import build_closed_meeting
from tests.services.test_imports import ITEM_HEADINGS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def closed_meeting(app):
    with app.app_context():
        closed = build_closed_meeting(db.session)
        return closed.meeting.id, audit.head(db.session)


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


# --- minutes ----------------------------------------------------------------------------------


def test_minutes_pdf_has_the_chinese_record_and_the_audit_head(app, api):
    meeting_id, head = closed_meeting(app)
    response = api.get(f"meetings/{meeting_id}/minutes.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    compact = re.sub(r"\s+", "", text)
    for expected in (
        "会议纪要",
        "第25次民主评价会",
        "冶金焦炭采购",
        "耐火砖采购",
        "王建国",
        "二号会议室",
        "2026-11-2009:00",
        "为什么只有一家供应商？",
        "该品种仅一家具备资质",
        "计票有误，重新表决",
        "重新招标",
        "党纪处分",
        "¥1,250,000.50",
        "张三、李四、王五",
        head,
    ):
        assert expected in compact, expected
    assert "通过" in text and "未通过" in text
    assert "这条不该出现在纪要里" not in compact
    assert re.search(r"1\s*/\s*\d", text)  # page numbers "1 / n"


def test_minutes_pdf_holds_no_database_connection_while_rendering(app, api, monkeypatch):
    """The PDF layout takes seconds; SQLite has ONE connection: nobody else may wait for it."""
    from evalmeet.services.files import exports

    meeting_id, _head = closed_meeting(app)
    real_render = exports.render_pdf
    seen: list[int] = []

    def render_and_look(html, stylesheet):
        seen.append(db.engine.pool.checkedout())
        return real_render(html, stylesheet)

    monkeypatch.setattr(exports, "render_pdf", render_and_look)
    assert api.get(f"meetings/{meeting_id}/minutes.pdf").status_code == 200
    assert seen == [0]


def test_minutes_pdf_in_english(app, api):
    meeting_id, _head = closed_meeting(app)
    text = pdf_text(api.get(f"meetings/{meeting_id}/minutes.pdf?lang=en").data)
    assert "Minutes of the democratic evaluation meeting" in text
    assert "Passed" in text and "Failed" in text and "冶金焦炭采购" in text


def test_minutes_xlsx_sheets_headers_and_values(app, viewer_api):
    meeting_id, head = closed_meeting(app)
    response = viewer_api.get(f"meetings/{meeting_id}/minutes.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["会议概况", "评价项目", "表决记录", "质询", "整改措施", "回避", "申诉"]
    overview = {row[0]: row[1] for row in book["会议概况"].iter_rows(min_row=2, values_only=True)}
    assert overview["会议名称"] == "第25次民主评价会"
    assert (overview["应到人数"], overview["实到人数"]) == (4, 3)
    assert overview["审计链头"] == head
    items = book["评价项目"]
    header = [c.value for c in items[1]]
    for name in (
        "项目名称",
        "责任人",
        "金额（元）",
        "满意（票）",
        "基本满意（票）",
        "不满意（票）",
        "满意率",
        "结果",
    ):
        assert name in header, name
    rows = [dict(zip(header, r, strict=True)) for r in items.iter_rows(min_row=2, values_only=True)]
    assert [(r["项目名称"], r["结果"], r["满意率"]) for r in rows] == [
        ("冶金焦炭采购", "通过", "3/3"),
        ("耐火砖采购", "未通过", "1/3"),
    ]
    assert rows[0]["金额（元）"] == 1250000.5 and rows[0]["采购方式"] == "单一来源"
    assert items.cell(row=2, column=header.index("金额（元）") + 1).number_format == "#,##0.00"
    actions = list(book["整改措施"].iter_rows(values_only=True))
    assert actions[1][3] == "重新招标" and actions[2][3] == "党纪处分"


def test_minutes_refused_for_live_unknown_and_anonymous(app, api, anon_api, meeting_factory, session):
    live = meeting_factory(reps=2, items=1)
    for ext in ("pdf", "xlsx"):
        response = api.get(f"meetings/{live.id}/minutes.{ext}")
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "meeting_live"
        missing = api.get(f"meetings/999999/minutes.{ext}")
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "meeting_not_found"
        anonymous = anon_api.get(f"meetings/{live.id}/minutes.{ext}")
        assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"


def test_minutes_for_a_logged_in_viewer_session(app, login):
    meeting_id, _head = closed_meeting(app)
    client = login("viewer")
    response = client.get(f"/api/v1/meetings/{meeting_id}/minutes.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX


# --- archive and actions ----------------------------------------------------------------------


def read_csv(response):
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def test_items_csv_and_xlsx(app, viewer_api):
    closed_meeting(app)
    rows = read_csv(viewer_api.get("exports/items.csv"))
    header = rows[0]
    assert header[:3] == ["评价会", "会议日期", "项目名称"]
    body = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert [(r["项目名称"], r["结果"], r["满意率"], r["投票数"]) for r in body] == [
        ("冶金焦炭采购", "通过", "3/3", "3"),
        ("耐火砖采购", "未通过", "1/3", "3"),
    ]
    assert body[0]["金额（元）"] == "1250000.50" and body[0]["会议日期"] == "2026-11-20"

    book = load_workbook(io.BytesIO(viewer_api.get("exports/items.xlsx").data))
    ws = book.active
    assert ws.title == "评价项目汇总"
    xheader = [c.value for c in ws[1]]
    first = dict(zip(xheader, next(ws.iter_rows(min_row=2, values_only=True)), strict=True))
    assert first["满意（票）"] == 2 and first["金额（元）"] == 1250000.5 and first["满意率（%）"] == 100


def test_exports_are_injection_safe_and_filterable(app, api, viewer_api):
    with app.app_context():
        build_closed_meeting(db.session, title='=HYPERLINK("http://evil","点我")')
    rows = read_csv(viewer_api.get("exports/items.csv?q=HYPERLINK"))
    assert len(rows) == 3 and rows[1][0] == '\'=HYPERLINK("http://evil","点我")'
    assert read_csv(viewer_api.get("exports/items.csv?q=不存在的项目")) == [rows[0]]
    assert len(read_csv(viewer_api.get("exports/items.csv?from=2026-11-21"))) == 1
    bad = viewer_api.get("exports/items.csv?from=yesterday")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"
    ws = load_workbook(io.BytesIO(viewer_api.get("exports/items.xlsx").data)).active
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")


BAD_EXPORT_DAYS = (("to=9999-12-31", "to"), ("from=0001-01-01", "from"), ("from=1969-12-31", "from"))


def test_export_dates_outside_the_archives_years_are_a_422_not_a_500(viewer_api):
    """9999-12-31 has no next day to end the range at (it was an OverflowError, a 500)."""
    for export in ("items", "actions"):
        for query, field in BAD_EXPORT_DAYS:
            bad = viewer_api.get(f"exports/{export}.csv?{query}")
            assert bad.status_code == 422, (export, query, bad.status_code)
            error = bad.get_json()["error"]
            assert error["code"] == "validation_error" and error["details"]["field"] == field
            assert error["details"]["reason"] == "out_of_range" and "2999" in error["message"]
        assert viewer_api.get(f"exports/{export}.csv?from=1970-01-01&to=2999-12-31").status_code == 200


def test_actions_csv_and_xlsx(app, viewer_api, anon_api):
    closed_meeting(app)
    rows = read_csv(viewer_api.get("exports/actions.csv"))
    header = rows[0]
    body = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert [(r["类别"], r["已逾期"], r["完成期限"], r["状态"]) for r in body] == [
        ("重新招标", "是", "2020-01-31", "未开始"),
        ("党纪处分", "否", "", "未开始"),
    ]
    ws = load_workbook(io.BytesIO(viewer_api.get("exports/actions.xlsx").data)).active
    assert ws.title == "整改措施" and ws.max_row == 3
    assert anon_api.get("exports/actions.csv").status_code == 401
    assert viewer_api.get("exports/actions.pdf").status_code == 404


# --- imports ----------------------------------------------------------------------------------


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def upload(client, meeting_id, kind, name, data, **form):
    page = client.get(f"/meetings/{meeting_id}/import/{kind}").get_data(as_text=True)
    fields = MultiDict({"csrf_token": csrf_from(page), **form})
    fields.add("file", FileStorage(io.BytesIO(data), filename=name))
    # Encoded here in memory: the test client would spool a big body to a temp file it never closes.
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/meetings/{meeting_id}/import/{kind}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def confirm(client, meeting_id, kind, preview_page):
    token = re.search(r'name="token" value="([^"]+)"', preview_page)
    assert token, preview_page
    return client.post(
        f"/meetings/{meeting_id}/import/{kind}/confirm",
        data={"csrf_token": csrf_from(preview_page), "token": token.group(1)},
    )


def roster_of(app, meeting_id):
    with app.app_context():
        return [
            (r.name, r.employee_no, r.department)
            for r in db.session.scalars(
                select(Representative)
                .where(Representative.meeting_id == meeting_id)
                .order_by(Representative.id)
            )
        ]


def draft(app, title="第27次民主评价会"):
    with app.app_context():
        meeting = meetings.create_meeting(db.session, parse(MeetingCreate, {"title": title}), "mod").value
        db.session.commit()
        return meeting.id


ROSTER_CSV = "姓名,工号,部门\n张三,E001,炼铁厂\n李四,E002,炼钢厂\n"


def test_roster_csv_preview_then_confirm(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    page = client.get(f"/meetings/{meeting_id}/import/roster")
    assert page.status_code == 200 and "导入代表名单" in page.get_data(as_text=True)
    preview = upload(client, meeting_id, "roster", "名单.csv", ROSTER_CSV.encode("gbk"))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "张三" in html and "炼钢厂" in html
    assert roster_of(app, meeting_id) == []  # a preview saves nothing
    done = confirm(client, meeting_id, "roster", html)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/meetings/{meeting_id}#roster")
    assert roster_of(app, meeting_id) == [("张三", "E001", "炼铁厂"), ("李四", "E002", "炼钢厂")]
    again = confirm(client, meeting_id, "roster", html)  # a second click: nothing twice
    assert again.status_code == 409 and "已失效" in again.get_data(as_text=True)
    assert len(roster_of(app, meeting_id)) == 2


def test_items_xlsx_import_with_chinese_methods_and_amounts(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    book = Workbook()
    ws = book.active
    ws.append(["金额（元）" if heading == "金额" else heading for heading in ITEM_HEADINGS])
    ws.append(["冶金焦炭采购", "王建国", "采购员", "供应处", "单一来源", 1, 1250000.5, 2100, 2350, "四季度"])
    ws.append(["耐火砖采购", "李明", "", "炼钢厂", "竞争性谈判", 3, "¥86,000.00", None, None, None])
    data = io.BytesIO()
    book.save(data)
    preview = upload(client, meeting_id, "items", "items.xlsx", data.getvalue())
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(client, meeting_id, "items", preview.get_data(as_text=True)).status_code == 302
    with app.app_context():
        items = db.session.scalars(
            select(Item).where(Item.meeting_id == meeting_id).order_by(Item.position)
        ).all()
        assert [(i.title, i.procurement_method, i.supplier_count, str(i.amount)) for i in items] == [
            ("冶金焦炭采购", "single_source", 1, "1250000.50"),
            ("耐火砖采购", "negotiation", 3, "86000.00"),
        ]
        assert items[0].responsible_person.position == "采购员"
        assert {f["code"] for f in items[0].risk_flags} >= {"single_supplier", "above_benchmark"}


def test_file_with_errors_shows_row_column_reason_and_saves_nothing(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    bad = "姓名,工号,部门\n张三,E001,炼铁厂\n,E002,炼钢厂\n王五,E001,\n赵六,,\n"
    response = upload(client, meeting_id, "roster", "bad.csv", bad.encode("utf-8-sig"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    issues = re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
        html.split('class="table import-issues"')[1].split("</table>")[0],
    )
    assert issues == [
        ("3", "姓名", "必填"),
        ("4", "工号", "工号 E001 与第 2 行重复"),
        ("5", "工号", "必填"),
    ]
    assert 'name="token"' not in html and "未保存任何数据" in html
    assert roster_of(app, meeting_id) == []


def test_bad_files_get_clear_4xx_errors(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    cases = [
        ("roster.txt", ROSTER_CSV.encode(), 415, "只能导入 .xlsx 或 .csv 文件"),
        ("roster.xlsx", ROSTER_CSV.encode(), 415, "只能导入 .xlsx 或 .csv 文件"),
        ("roster.csv", b"PK\x03\x04not really", 415, "只能导入 .xlsx 或 .csv 文件"),
        ("roster.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, 415, ".xlsx"),
        ("roster.csv", b"", 400, "文件是空的"),
        ("roster.csv", "姓名,工号\n".encode() + b"abc\xff,1\n", 422, "UTF-8"),
        ("roster.csv", ("姓名,工号\n" + "张三,1\n" * 1).encode() + b"x" * (3 * 1024 * 1024), 413, "2 MB"),
        ("roster.csv", "名字,编号\n张三,1\n".encode(), 422, "缺少必填列"),
        ("roster.csv", "姓名,工号\n\n".encode(), 422, "没有数据行"),
        ("roster.xlsx", b"PK\x03\x04" + b"\x00" * 100, 422, "无法读取"),
    ]
    for name, data, status, text in cases:
        response = upload(client, meeting_id, "roster", name, data)
        assert response.status_code == status, (name, response.status_code)
        assert text in response.get_data(as_text=True), (name, text)
    page = client.get(f"/meetings/{meeting_id}/import/roster").get_data(as_text=True)
    no_file = client.post(f"/meetings/{meeting_id}/import/roster", data={"csrf_token": csrf_from(page)})
    assert no_file.status_code == 400 and "请选择要上传的文件" in no_file.get_data(as_text=True)
    assert roster_of(app, meeting_id) == []


def test_import_refused_when_the_meeting_state_forbids_it(app, login, meeting_factory, session):
    client = login("moderator")
    live = meeting_factory(reps=1, items=1)
    response = upload(client, live.id, "items", "items.csv", "项目名称,责任人\n新项目,某人\n".encode())
    assert response.status_code == 409 and "草稿" in response.get_data(as_text=True)
    # the roster of a live meeting can still grow
    preview = upload(client, live.id, "roster", "r.csv", "姓名,工号\n迟到者,L001\n".encode())
    assert preview.status_code == 200
    assert confirm(client, live.id, "roster", preview.get_data(as_text=True)).status_code == 302
    assert ("迟到者", "L001", "") in roster_of(app, live.id)


def test_confirm_that_fails_at_save_time_saves_nothing(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    preview = upload(
        client, meeting_id, "roster", "r.csv", "name,employee_no\n甲,A1\n乙,A2\n丙,A3\n".encode()
    )
    assert preview.status_code == 200
    with app.app_context():  # someone adds A3 by hand between preview and confirm
        roster.add_representative(
            db.session,
            meeting_id,
            parse(RepresentativeCreate, {"name": "手工", "employee_no": "A3"}),
            "other",
        )
        db.session.commit()
    response = confirm(client, meeting_id, "roster", preview.get_data(as_text=True))
    assert response.status_code == 409
    assert "第 4 行" in response.get_data(as_text=True) and "未导入任何数据" in response.get_data(
        as_text=True
    )
    assert roster_of(app, meeting_id) == [("手工", "A3", "")]


def test_a_save_job_that_failed_after_its_commit_says_what_was_saved(app, login, monkeypatch):
    """The job raised once the rows were in (its answer could not be stored, say): the page
    says the rows were added, not "nothing was saved". The worker is played here: the save runs
    in the request with a job's id, then the job fails; the real worker killed at that point is
    tests/e2e/test_imports_live.py's."""
    from evalmeet.jobs import progress
    from evalmeet.jobs import wait as jobs_wait

    job_id = "0b8e5f0e-6f0c-4a53-8a59-6a1f3e2f9d41"

    def failing_after_commit(name, producer, kwargs, lang, **_options):
        progress.attach(None, job_id)
        try:
            producer(**kwargs)  # committed
        finally:
            progress.attach(None)
        raise jobs_wait.JobError.of(job_id, "the answer was lost", "job_failed")

    client = login("moderator")
    meeting_id = draft(app)
    preview = upload(client, meeting_id, "roster", "名单.csv", ROSTER_CSV.encode())
    other = draft(app, "另一个会")
    other_preview = upload(client, other, "roster", "名单.csv", ROSTER_CSV.replace("E00", "F00").encode())
    monkeypatch.setattr(jobs_wait, "page_job", failing_after_commit)
    done = confirm(client, meeting_id, "roster", preview.get_data(as_text=True))
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/meetings/{meeting_id}#roster")
    assert "已将 2 名代表加入名单。" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert len(roster_of(app, meeting_id)) == 2
    # a job that failed before anything was saved still says so

    def failing_before(name, producer, kwargs, lang, **_options):
        raise jobs_wait.JobError.of(job_id, "it broke", "job_failed")

    monkeypatch.setattr(jobs_wait, "page_job", failing_before)
    refused = confirm(client, other, "roster", other_preview.get_data(as_text=True))
    assert refused.status_code == 503 and "未保存任何内容" in refused.get_data(as_text=True)
    assert roster_of(app, other) == []


def test_items_import_confirm_after_the_meeting_started_saves_nothing(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    preview = upload(client, meeting_id, "items", "i.csv", "项目名称,责任人\n甲项目,某人\n".encode())
    assert preview.status_code == 200
    with app.app_context():
        from evalmeet.schemas.base import parse
        from evalmeet.schemas.roster import RepresentativeCreate
        from evalmeet.services.meetings import conduct, roster

        roster.add_representative(
            db.session, meeting_id, parse(RepresentativeCreate, {"name": "代表", "employee_no": "E1"}), "mod"
        )
        conduct.start_meeting(db.session, meeting_id, "mod")
        db.session.commit()
    response = confirm(client, meeting_id, "items", preview.get_data(as_text=True))
    assert response.status_code == 409
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Item).where(Item.meeting_id == meeting_id))
            == 0
        )


def test_import_pages_need_a_moderator_and_csrf(app, client, login):
    meeting_id = draft(app)
    anonymous = client.get(f"/meetings/{meeting_id}/import/roster")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    viewer = login("viewer")
    assert viewer.get(f"/meetings/{meeting_id}/import/roster").status_code == 403
    assert viewer.get(f"/meetings/{meeting_id}/import/other").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    mod = login("moderator")
    no_csrf = mod.post(
        f"/meetings/{meeting_id}/import/roster",
        data={"file": (io.BytesIO(ROSTER_CSV.encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert no_csrf.status_code == 400
    assert mod.get("/meetings/999999/import/roster").status_code == 404
    assert roster_of(app, meeting_id) == []


def test_templates_download_and_parse(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    rows = read_csv(client.get(f"/meetings/{meeting_id}/import/items/template.csv"))
    assert rows == [ITEM_HEADINGS]
    book = load_workbook(io.BytesIO(client.get(f"/meetings/{meeting_id}/import/roster/template.xlsx").data))
    assert [c.value for c in book.active[1]] == ["姓名", "工号", "部门", "投票方式", "组别"]
    english = read_csv(client.get(f"/meetings/{meeting_id}/import/roster/template.csv?lang=en"))
    assert english == [["name", "employee_no", "department", "ballot", "group"]]


def test_roster_export_then_import_round_trip(app, login):
    client = login("moderator")
    source_id, _head = closed_meeting(app)
    target_id = draft(app, "第28次民主评价会")
    for fmt in ("xlsx", "csv"):
        exported = client.get(f"/meetings/{source_id}/roster.{fmt}")
        assert exported.status_code == 200
        assert b"join" not in exported.data.lower()
        preview = upload(client, target_id, "roster", f"roster.{fmt}", exported.data)
        if fmt == "csv":  # the xlsx round already imported everyone: now every row is a duplicate
            assert preview.status_code == 422 and "已在本次会议的代表名单中" in preview.get_data(as_text=True)
            break
        assert preview.status_code == 200
        assert confirm(client, target_id, "roster", preview.get_data(as_text=True)).status_code == 302
    assert roster_of(app, target_id) == roster_of(app, source_id)
    assert len(roster_of(app, target_id)) == 4


def test_import_pages_in_english(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    page = client.get(f"/meetings/{meeting_id}/import/items?lang=en").get_data(as_text=True)
    assert "Import items" in page and "Upload and preview" in page and "导入" not in page
    body = "title,responsible_person.name,amount\n甲,,1.234\n".encode()
    response = upload(client, meeting_id, "items", "i.csv", body)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is required" in html and "has more than two decimals" in html and "Nothing has been saved" in html


def test_the_import_preview_warns_of_a_single_source_with_several_suppliers(app, login):
    client = login("moderator")
    meeting_id = draft(app)
    data = "标题,责任人,采购方式,供应商数量\n备件采购,刘洋,单一来源,3\n劳保用品,李梅,询价,3\n".encode()
    preview = upload(client, meeting_id, "items", "items.csv", data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    rows = re.findall(r'<tr class="([^"]*)">\s*<td class="num">(\d+)</td>.*?</tr>', html, re.S)
    assert rows == [("row-warning", "2"), ("", "3")]
    assert (
        '<span class="warning">单一来源采购，却填写了 3 家供应商：请核对采购方式或供应商数量。</span>' in html
    )
    assert "导入 2 行" in html  # a warning, not a refusal
    assert confirm(client, meeting_id, "items", html).status_code == 302
    client.get(f"/meetings/{meeting_id}/import/items?lang=en")  # the language cookie
    english = upload(client, meeting_id, "items", "items.csv", data)
    assert "Single-source purchase, yet 3 suppliers are stated" in english.get_data(as_text=True)
