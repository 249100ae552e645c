"""The moderator's HTML pages, driven like a browser: forms with CSRF tokens, redirects, HTML, DB state."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.models import Item, Meeting, Representative
from evalmeet.services.meetings import conduct
from evalmeet.services.voting import round as rounds
from tests.conftest import csrf_token
from tests.static_names import static

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- helpers ----------------------------------------------------------------------------------


def submit(client: FlaskClient, url: str, data: dict[str, Any] | None = None) -> Any:
    """POST a form with the session's CSRF token (the one every form carries: ``csrf_token``)."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)})


def html(response: Any) -> str:
    return str(response.get_data(as_text=True))


def field_errors(page: str) -> list[str]:
    return re.findall(r'<span class="field-error"[^>]*>([^<]*)</span>', page)


def count(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def fresh(session: Session, model: Any, row_id: int) -> Any:
    session.expire_all()
    return session.get(model, row_id)


MEETING_FORM = {
    "title": "第四季度采购民主评价会",
    "scheduled_at": "2026-12-03T09:00",
    "location": "炼钢厂三楼会议室",
    "scale": "three_level",
    "pass_threshold": "2/3",
    "quorum": "2/3",
    "rehearsal": "off",
}

ITEM_FORM = {
    "title": "2号转炉耐火砖采购",
    "person_name": "王建国",
    "person_position": "采购员",
    "person_department": "供应处",
    "procurement_method": "single_source",
    "supplier_count": "1",
    "amount": "356,000.00",
    "benchmark_price": "4200",
    "unit_price": "4850.00",
    "description": "年度框架协议外的追加采购。\n供应商：某耐材公司。",
}


@pytest.fixture
def mod(login: Any) -> FlaskClient:
    """A browser logged in as a moderator."""
    return login("moderator")  # type: ignore[no-any-return]


@pytest.fixture
def viewer(login: Any) -> FlaskClient:
    """A browser logged in as a viewer (read-only account)."""
    return login("viewer")  # type: ignore[no-any-return]


@pytest.fixture
def draft(meeting_factory: Any) -> Any:
    """A draft meeting with three representatives and two items."""
    return meeting_factory(reps=3, items=2, start=False)


# --- the meetings list ------------------------------------------------------------------------


def test_empty_list_invites_a_first_meeting(mod: FlaskClient) -> None:
    response = mod.get("/meetings")
    page = html(response)
    assert response.status_code == 200
    assert "<h1>评价会</h1>" in page
    assert "还没有评价会。" in page
    assert 'href="/meetings/new"' in page


def test_root_is_the_meetings_list(mod: FlaskClient, draft: Any) -> None:
    response = mod.get("/")
    page = html(response)
    assert response.status_code == 200
    assert "<h1>评价会</h1>" in page
    assert f'<a class="strong" href="/meetings/{draft.id}">第一次采购评价会</a>' in page


def test_list_shows_status_rehearsal_and_counts(
    mod: FlaskClient, session: Session, meeting_factory: Any
) -> None:
    drafted = meeting_factory(
        reps=3, items=2, start=False, title="草稿会议", location="职工之家", scheduled_at="2026-12-03T09:00"
    )
    live = meeting_factory(reps=4, items=1, start=True, present=2, title="进行中的会议", rehearsal=True)
    closed = meeting_factory(reps=1, items=0, start=True, title="已结束的会议")
    conduct.finish_meeting(session, closed.id, "test")
    session.commit()

    page = html(mod.get("/meetings"))
    rows = {
        m.id: re.search(
            rf'<tr>\s*<td data-label="标题"><a class="strong" href="/meetings/{m.id}">.*?</tr>', page, re.S
        )
        for m in (drafted, live, closed)
    }
    assert all(rows.values())
    draft_row, live_row, closed_row = (rows[m.id].group(0) for m in (drafted, live, closed))  # type: ignore[union-attr]
    assert "草稿会议" in draft_row and "草稿" in draft_row and "演练" not in draft_row
    assert "2026-12-03 09:00" in draft_row and "职工之家" in draft_row
    assert re.search(r'data-label="评价项目" class="num">2<', draft_row)
    assert re.search(r'data-label="代表名单" class="num">3<', draft_row)
    assert "进行中" in live_row and "演练" in live_row
    assert re.search(r'data-label="代表名单" class="num">4<', live_row)
    assert "已结束" in closed_row
    assert f'href="/meetings/{drafted.id}/slips"' in draft_row
    # Newest first.
    assert page.index("已结束的会议") < page.index("进行中的会议") < page.index("草稿会议")


# --- creating and editing a meeting -----------------------------------------------------------


def test_create_meeting_through_the_form(mod: FlaskClient, session: Session) -> None:
    page = html(mod.get("/meetings/new"))
    assert "<h1>新建评价会</h1>" in page
    assert 'type="datetime-local"' in page and 'name="rehearsal"' in page
    form = {
        **MEETING_FORM,
        "scale": "pass_fail",
        "pass_threshold": "1/2",
        "quorum": " 3/4 ",
        "rehearsal": "on",
    }
    response = submit(mod, "/meetings/new", form)
    assert response.status_code == 302
    meeting_id = int(response.headers["Location"].rsplit("/", 1)[1])
    meeting = fresh(session, Meeting, meeting_id)
    assert meeting.title == "第四季度采购民主评价会"
    assert meeting.location == "炼钢厂三楼会议室"
    assert meeting.scheduled_at == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 China time
    assert (meeting.scale, meeting.pass_threshold, meeting.quorum) == ("pass_fail", "1/2", "3/4")
    assert meeting.rehearsal is True
    assert meeting.status == "draft"
    shown = mod.get(response.headers["Location"])
    assert "会议已创建" in html(shown)
    assert "两级：通过 / 不通过" in html(shown)


def test_unticked_rehearsal_box_means_not_a_rehearsal(mod: FlaskClient, session: Session) -> None:
    # A browser sends only the hidden "off" when the box is not ticked.
    response = submit(mod, "/meetings/new", MEETING_FORM)
    meeting_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert fresh(session, Meeting, meeting_id).rehearsal is False


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"title": ""}, "标题：必填"),
        ({"title": "   "}, "标题：必填"),
        ({"title": "x" * 201}, "标题：最多 200 个字"),
        ({"title": "y" * 100_000}, "标题：最多 200 个字"),
        ({"pass_threshold": "abc"}, "通过线：须为分数，如 2/3"),
        ({"pass_threshold": "0.67"}, "通过线：须为分数，如 2/3"),
        ({"quorum": "3/2"}, "法定人数：须大于 0 且不超过 1"),
        ({"quorum": "0"}, "法定人数：须大于 0 且不超过 1"),
        ({"scale": "five_stars"}, "评价方式：不是有效的选项"),
        ({"scheduled_at": "next tuesday"}, "时间：须为有效的日期和时间"),
        ({"location": "z" * 300}, "地点：最多 200 个字"),
        ({"rehearsal": "maybe"}, "演练：须为是或否"),
    ],
)
def test_bad_meeting_input_is_shown_on_the_form_and_nothing_is_saved(
    mod: FlaskClient, session: Session, changes: dict[str, str], message: str
) -> None:
    response = submit(mod, "/meetings/new", {**MEETING_FORM, **changes})
    page = html(response)
    assert response.status_code == 422
    assert "未保存。" in page
    assert message in field_errors(page)
    assert count(session, Meeting) == 0
    # What was typed is still in the form (escaped), except what the service refused to take.
    if "title" not in changes:
        assert 'value="第四季度采购民主评价会"' in page


def test_bad_input_message_in_english(mod: FlaskClient) -> None:
    mod.get("/meetings?lang=en")
    response = submit(mod, "/meetings/new", {**MEETING_FORM, "pass_threshold": "abc"})
    assert response.status_code == 422
    assert "Pass threshold: must be a fraction like &#34;2/3&#34;" in html(response)


def test_edit_meeting_form_is_prefilled_and_saves(mod: FlaskClient, session: Session, draft: Any) -> None:
    meetings_page = html(mod.get(f"/meetings/{draft.id}/edit"))
    assert 'value="第一次采购评价会"' in meetings_page
    response = submit(
        mod,
        f"/meetings/{draft.id}/edit",
        {**MEETING_FORM, "title": "改名后的会议", "quorum": "1/2", "rehearsal": "off"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/meetings/{draft.id}"
    meeting = fresh(session, Meeting, draft.id)
    assert (meeting.title, meeting.quorum, meeting.location) == ("改名后的会议", "1/2", "炼钢厂三楼会议室")
    page = html(mod.get(f"/meetings/{draft.id}/edit"))
    assert 'value="2026-12-03T09:00"' in page  # shown back in China time


def test_rules_are_locked_once_live(mod: FlaskClient, session: Session, meeting_factory: Any) -> None:
    live = meeting_factory(reps=2, items=1, start=True)
    page = html(mod.get(f"/meetings/{live.id}/edit"))
    assert "表决规则只能在会议开始前（草稿状态）修改。" in page
    assert re.search(r'<select id="f-scale" name="scale" disabled', page)
    # A browser does not send disabled fields: the title still changes.
    response = submit(mod, f"/meetings/{live.id}/edit", {"title": "新标题", "location": "礼堂"})
    assert response.status_code == 302
    assert fresh(session, Meeting, live.id).title == "新标题"
    # Forcing a rule change is refused with 409, nothing changes.
    response = submit(mod, f"/meetings/{live.id}/edit", {"title": "再改", "quorum": "1/2"})
    assert response.status_code == 409
    assert "<strong>未保存。</strong> 表决规则只能在会议开始前（草稿状态）修改。" in html(response)
    meeting = fresh(session, Meeting, live.id)
    assert (meeting.title, meeting.quorum) == ("新标题", "2/3")


def test_closed_meeting_cannot_be_edited(mod: FlaskClient, session: Session, meeting_factory: Any) -> None:
    closed = meeting_factory(reps=1, items=1, start=True)
    conduct.finish_meeting(session, closed.id, "test")
    session.commit()
    page = html(mod.get(f"/meetings/{closed.id}/edit"))
    assert "该会议已结束，不能再修改。" in page
    response = submit(mod, f"/meetings/{closed.id}/edit", {"title": "篡改"})
    assert response.status_code == 409
    assert fresh(session, Meeting, closed.id).title == "第一次采购评价会"


def test_unknown_meeting_is_a_404_page(mod: FlaskClient) -> None:
    for url in (
        "/meetings/9999",
        "/meetings/9999/edit",
        "/meetings/9999/slips",
        "/items/9999/edit",
        "/representatives/9999/edit",
    ):
        response = mod.get(url)
        assert response.status_code == 404, url
        assert "未找到" in html(response)
    assert submit(mod, "/meetings/9999/start").status_code == 404
    assert submit(mod, "/items/9999/remove").status_code == 404


# --- the meeting page -------------------------------------------------------------------------


def test_meeting_page_shows_details_items_roster_and_links(mod: FlaskClient, app: Flask, draft: Any) -> None:
    response = mod.get(f"/meetings/{draft.id}")
    page = html(response)
    assert response.status_code == 200
    assert "<h1>第一次采购评价会</h1>" in page
    assert "草稿" in page
    assert "三级：满意 / 基本满意 / 不满意" in page
    assert "应到 3 人，至少 2 人" in page
    # Items: responsible person, method, supplier count, amount, status, risk flags in Chinese.
    assert "采购项目 1" in page and "采购项目 2" in page
    assert "采购员1" in page and "供应处" in page
    assert "单一来源" in page
    assert "¥350,000.00" in page
    assert "待评价" in page
    assert "只有一家供应商" in page
    assert "单一来源采购，金额超过 200,000.00 元" in page
    assert "单价高于基准价（高出 20.0%）" in page
    # Roster.
    for rep in ("代表1", "代表2", "代表3"):
        assert rep in page
    assert "E0001" in page and "未签到" in page
    # Start button (POST with CSRF), links to slips, console and projector.
    assert re.search(
        rf'<form method="post" action="/meetings/{draft.id}/start" class="inline-form">\s*'
        r'<input type="hidden" name="csrf_token" value="[^"]+">',
        page,
    )
    assert f'href="/meetings/{draft.id}/slips"' in page
    with app.test_request_context():
        from flask import url_for

        meeting = draft.meeting
        assert f'href="{url_for("console.console", meeting_id=draft.id)}"' in page
        assert f'href="{url_for("projector.screen", token=meeting.display_token)}"' in page
    # Every form on the page carries the CSRF token.
    assert page.count("<form ") == page.count('name="csrf_token"')


def test_risk_flags_in_english(mod: FlaskClient, draft: Any) -> None:
    page = html(mod.get(f"/meetings/{draft.id}?lang=en"))
    assert "Only one supplier was considered" in page
    assert "Single-source purchase above 200,000.00 yuan" in page
    assert "只有一家供应商" not in page
    assert "Single source" in page and "Pending" in page


def test_start_and_finish(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = submit(mod, f"/meetings/{draft.id}/start")
    assert response.status_code == 302
    assert fresh(session, Meeting, draft.id).status == "live"
    page = html(mod.get(f"/meetings/{draft.id}"))
    assert "会议已开始。" in page and "进行中" in page
    assert f'action="/meetings/{draft.id}/finish"' in page
    assert f'action="/meetings/{draft.id}/start"' not in page

    again = submit(mod, f"/meetings/{draft.id}/start")
    assert again.status_code == 409
    assert "会议正在进行，无法执行此操作。" in html(again)

    response = submit(mod, f"/meetings/{draft.id}/finish")
    assert response.status_code == 302
    meeting = fresh(session, Meeting, draft.id)
    assert meeting.status == "closed" and meeting.finished_at is not None
    page = html(mod.get(f"/meetings/{draft.id}"))
    assert "已结束" in page
    assert "添加评价项目" not in page  # nothing to add to a finished meeting


def test_finish_refused_while_voting_is_open(
    mod: FlaskClient, session: Session, meeting_factory: Any
) -> None:
    live = meeting_factory(reps=3, items=1, start=True)
    rounds.open_voting(session, live.items[0].id, "test")
    session.commit()
    response = submit(mod, f"/meetings/{live.id}/finish")
    assert response.status_code == 409
    assert "表决仍在进行，请先结束表决。" in html(response)
    assert fresh(session, Meeting, live.id).status == "live"


def test_finish_a_draft_is_refused(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = submit(mod, f"/meetings/{draft.id}/finish")
    assert response.status_code == 409
    assert fresh(session, Meeting, draft.id).status == "draft"


def test_delete_a_draft(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = submit(mod, f"/meetings/{draft.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/meetings"
    assert count(session, Meeting) == 0
    assert count(session, Item) == 0


def test_post_without_csrf_changes_nothing(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = mod.post(f"/meetings/{draft.id}/start")
    assert response.status_code == 400
    response = mod.post(f"/meetings/{draft.id}/items", data={**ITEM_FORM, "csrf_token": "forged"})
    assert response.status_code == 400
    assert fresh(session, Meeting, draft.id).status == "draft"
    assert count(session, Item) == 2


# --- items ------------------------------------------------------------------------------------


def test_add_item_through_the_form(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = submit(mod, f"/meetings/{draft.id}/items", ITEM_FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/meetings/{draft.id}#items"
    session.expire_all()
    item = session.scalar(select(Item).where(Item.title == "2号转炉耐火砖采购"))
    assert item is not None
    assert item.position == 3
    assert item.responsible_person.name == "王建国"
    assert item.responsible_person.position == "采购员"
    assert item.responsible_person.department == "供应处"
    assert item.procurement_method == "single_source"
    assert item.supplier_count == 1
    assert item.amount == Decimal("356000.00")
    assert item.benchmark_price == Decimal("4200.00")
    assert item.unit_price == Decimal("4850.00")
    assert item.description.startswith("年度框架协议外")
    codes = [flag["code"] for flag in item.risk_flags]
    assert codes == ["single_supplier", "single_source_above_threshold", "above_benchmark"]
    page = html(mod.get(f"/meetings/{draft.id}"))
    assert "评价项目已添加。" in page and "¥356,000.00" in page


def test_tender_threshold_comes_from_config(
    mod: FlaskClient, app: Flask, session: Session, draft: Any
) -> None:
    app.config["RISK_TENDER_THRESHOLD"] = "500000"
    submit(mod, f"/meetings/{draft.id}/items", {**ITEM_FORM, "supplier_count": "3", "unit_price": ""})
    session.expire_all()
    item = session.scalar(select(Item).where(Item.title == "2号转炉耐火砖采购"))
    assert item is not None and item.risk_flags == []


def test_item_with_only_the_required_fields(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = submit(mod, f"/meetings/{draft.id}/items", {"title": "办公用品", "person_name": "赵强"})
    assert response.status_code == 302
    session.expire_all()
    item = session.scalar(select(Item).where(Item.title == "办公用品"))
    assert item is not None
    assert (item.procurement_method, item.supplier_count, item.amount) == (None, None, None)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"title": ""}, "标题：必填"),
        ({"person_name": ""}, "责任人：必填"),
        ({"amount": "-5"}, "金额（元）：须为不小于 0 的金额"),
        ({"amount": "12.345"}, "金额（元）：最多两位小数"),
        ({"amount": "abc"}, "金额（元）：须为不小于 0 的金额"),
        ({"benchmark_price": "NaN"}, "基准价（元）：须为不小于 0 的金额"),
        ({"supplier_count": "abc"}, "供应商数量：须为整数"),
        ({"supplier_count": "-1"}, "供应商数量：须在 0 至 10000 之间"),
        ({"procurement_method": "bribery"}, "采购方式：不是有效的选项"),
        ({"title": "t" * 5000}, "标题：最多 200 个字"),
        ({"description": "d" * 10_001}, "说明：最多 10000 个字"),
        ({"person_department": "部" * 101}, "责任人部门：最多 100 个字"),
    ],
)
def test_bad_item_input_is_shown_and_nothing_is_saved(
    mod: FlaskClient, session: Session, draft: Any, changes: dict[str, str], message: str
) -> None:
    response = submit(mod, f"/meetings/{draft.id}/items", {**ITEM_FORM, **changes})
    page = html(response)
    assert response.status_code == 422
    assert message in field_errors(page)
    assert re.search(r'<details class="card add-form" id="add-item" open>', page)
    assert count(session, Item) == 2
    if "title" not in changes:
        assert 'value="2号转炉耐火砖采购"' in page  # kept for correction


def test_edit_item(mod: FlaskClient, session: Session, draft: Any) -> None:
    item_id = draft.items[0].id
    page = html(mod.get(f"/items/{item_id}/edit"))
    assert "<h1>编辑评价项目</h1>" in page
    assert 'value="采购项目 1"' in page and 'value="350000.00"' in page
    assert '<option value="single_source" selected>' in page
    form = {
        **ITEM_FORM,
        "title": "改过的项目",
        "supplier_count": "4",
        "procurement_method": "tender",
        "unit_price": "",
        "benchmark_price": "",
    }
    response = submit(mod, f"/items/{item_id}/edit", form)
    assert response.status_code == 302
    item = fresh(session, Item, item_id)
    assert (item.title, item.supplier_count, item.procurement_method) == ("改过的项目", 4, "tender")
    assert item.unit_price is None
    assert item.risk_flags == []  # tendered, four suppliers, no prices
    assert item.responsible_person.name == "王建国"


def test_edit_item_refusal_keeps_the_input(mod: FlaskClient, session: Session, draft: Any) -> None:
    item_id = draft.items[0].id
    response = submit(mod, f"/items/{item_id}/edit", {**ITEM_FORM, "amount": "-5", "title": "新的标题"})
    assert response.status_code == 422
    assert "金额（元）：须为不小于 0 的金额" in field_errors(html(response))
    assert 'value="新的标题"' in html(response)
    assert fresh(session, Item, item_id).title == "采购项目 1"


def _decide(session: Session, item_id: int) -> None:
    rounds.open_voting(session, item_id, "test")
    rounds.close_voting(session, item_id, "test")
    session.commit()


def test_voted_item_cannot_be_edited_or_removed(
    mod: FlaskClient, session: Session, meeting_factory: Any
) -> None:
    live = meeting_factory(reps=3, items=2, start=True)
    item_id = live.items[0].id
    _decide(session, item_id)
    page = html(mod.get(f"/items/{item_id}/edit"))
    assert "该项目已表决或会议已结束，不能再修改。" in page
    assert '<fieldset class="form-grid" disabled>' in page
    response = submit(mod, f"/items/{item_id}/edit", ITEM_FORM)
    assert response.status_code == 409
    assert "该项目已表决，不能再修改。" in html(response)
    response = submit(mod, f"/items/{item_id}/remove")
    assert response.status_code == 409
    assert count(session, Item) == 2
    assert fresh(session, Item, item_id).title == "采购项目 1"
    # The meeting page offers neither edit nor remove for it.
    page = html(mod.get(f"/meetings/{live.id}"))
    assert f'href="/items/{item_id}/edit"' not in page
    assert f'action="/items/{item_id}/remove"' not in page
    assert "未通过" in page  # nobody voted: failed


def test_move_items_up_and_down(mod: FlaskClient, session: Session, meeting_factory: Any) -> None:
    m = meeting_factory(reps=1, items=3, start=False)
    first, second, third = (i.id for i in m.items)

    def order() -> list[int]:
        session.expire_all()
        return list(session.scalars(select(Item.id).where(Item.meeting_id == m.id).order_by(Item.position)))

    response = submit(mod, f"/items/{third}/move", {"direction": "up"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/meetings/{m.id}#item-{third}"
    assert order() == [first, third, second]
    submit(mod, f"/items/{first}/move", {"direction": "down"})
    assert order() == [third, first, second]
    submit(mod, f"/items/{third}/move", {"direction": "up"})  # already first: no change
    assert order() == [third, first, second]
    page = html(mod.get(f"/meetings/{m.id}"))
    assert page.index("采购项目 3") < page.index("采购项目 1") < page.index("采购项目 2")


def test_remove_item(mod: FlaskClient, session: Session, draft: Any) -> None:
    gone, kept = draft.items[0].id, draft.items[1].id
    response = submit(mod, f"/items/{gone}/remove")
    assert response.status_code == 302
    session.expire_all()
    assert list(session.scalars(select(Item.id))) == [kept]
    assert "评价项目已移除。" in html(mod.get(f"/meetings/{draft.id}"))


# --- roster -----------------------------------------------------------------------------------


def test_add_representative(mod: FlaskClient, session: Session, draft: Any) -> None:
    response = submit(
        mod,
        f"/meetings/{draft.id}/representatives",
        {"name": "刘芳", "employee_no": "GT02031", "department": "轧钢厂"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/meetings/{draft.id}#roster"
    session.expire_all()
    rep = session.scalar(select(Representative).where(Representative.employee_no == "GT02031"))
    assert rep is not None and (rep.name, rep.department, rep.meeting_id) == ("刘芳", "轧钢厂", draft.id)
    assert len(rep.join_token) >= 22
    assert "刘芳" in html(mod.get(f"/meetings/{draft.id}"))


@pytest.mark.parametrize(
    "form,status,message",
    [
        ({"name": "", "employee_no": "X1"}, 422, "姓名：必填"),
        ({"name": "张三", "employee_no": ""}, 422, "工号：必填"),
        ({"name": "张" * 101, "employee_no": "X1"}, 422, "姓名：最多 100 个字"),
        ({"name": "张三", "employee_no": "E0001"}, 409, "工号 E0001 已在代表名单中。"),
    ],
)
def test_bad_representative_input(
    mod: FlaskClient, session: Session, draft: Any, form: dict[str, str], status: int, message: str
) -> None:
    response = submit(mod, f"/meetings/{draft.id}/representatives", form)
    page = html(response)
    assert response.status_code == status
    assert message in page
    assert re.search(r'<details class="card add-form" id="add-representative" open>', page)
    assert count(session, Representative) == 3


def test_edit_representative(mod: FlaskClient, session: Session, draft: Any) -> None:
    rep_id = draft.reps[0].id
    page = html(mod.get(f"/representatives/{rep_id}/edit"))
    assert 'value="代表1"' in page and 'value="E0001"' in page
    response = submit(
        mod,
        f"/representatives/{rep_id}/edit",
        {"name": "代表一", "employee_no": "E0001", "department": "动力厂"},
    )
    assert response.status_code == 302
    rep = fresh(session, Representative, rep_id)
    assert (rep.name, rep.department) == ("代表一", "动力厂")
    response = submit(
        mod, f"/representatives/{rep_id}/edit", {"name": "代表一", "employee_no": "E0002", "department": ""}
    )
    assert response.status_code == 409
    assert "工号 E0002 已在代表名单中。" in html(response)
    assert fresh(session, Representative, rep_id).employee_no == "E0001"


def test_remove_representative_only_from_a_draft(
    mod: FlaskClient, session: Session, draft: Any, meeting_factory: Any
) -> None:
    response = submit(mod, f"/representatives/{draft.reps[0].id}/remove")
    assert response.status_code == 302
    assert count(session, Representative) == 2
    live = meeting_factory(reps=2, items=1, start=True)
    response = submit(mod, f"/representatives/{live.reps[0].id}/remove")
    assert response.status_code == 409
    assert count(session, Representative) == 4
    assert f'action="/representatives/{live.reps[0].id}/remove"' not in html(mod.get(f"/meetings/{live.id}"))


def test_revoke_and_reissue_a_join_link(mod: FlaskClient, session: Session, draft: Any) -> None:
    rep_id = draft.reps[1].id
    old_token = draft.reps[1].join_token
    response = submit(mod, f"/representatives/{rep_id}/revoke")
    assert response.status_code == 302
    rep = fresh(session, Representative, rep_id)
    assert rep.revoked is True
    page = html(mod.get(f"/meetings/{draft.id}"))
    assert "链接已作废" in page
    assert "应到 2 人" in page  # a revoked entry no longer counts towards the roster
    assert old_token not in html(mod.get(f"/meetings/{draft.id}/slips"))

    response = submit(mod, f"/representatives/{rep_id}/reissue")
    assert response.status_code == 302
    rep = fresh(session, Representative, rep_id)
    assert rep.revoked is False and rep.join_token != old_token
    slips = html(mod.get(f"/meetings/{draft.id}/slips"))
    assert rep.join_token in slips and old_token not in slips


# --- join slips -------------------------------------------------------------------------------


def test_join_slips_have_one_qr_code_and_link_per_representative(
    mod: FlaskClient, session: Session, meeting_factory: Any
) -> None:
    m = meeting_factory(reps=5, items=1, start=False)
    revoked = m.reps[4]
    submit(mod, f"/representatives/{revoked.id}/revoke")
    response = mod.get(f"/meetings/{m.id}/slips")
    page = html(response)
    assert response.status_code == 200
    assert "<h1>入场凭条</h1>" in page
    assert page.count('<article class="slip">') == 4
    images = re.findall(r'<img class="slip-qr" src="(data:image/svg\+xml[^"]+)"', page)
    assert len(images) == 4
    for rep, image in zip(m.reps[:4], images, strict=True):
        url = f"http://localhost/j/{rep.join_token}"
        assert f'<a href="{url}">{url}</a>' in page
        assert rep.name in page and rep.employee_no in page
        # The QR code encodes exactly this representative's link.
        assert image == str(escape(segno.make(url, error="m").svg_data_uri(scale=4)))
    assert revoked.join_token not in page
    assert page.count("第一次采购评价会") >= 4


def test_join_slips_use_the_public_url(mod: FlaskClient, app: Flask, draft: Any) -> None:
    app.config["PUBLIC_URL"] = "https://vote.example.com/"
    page = html(mod.get(f"/meetings/{draft.id}/slips"))
    for rep in draft.reps:
        assert f"https://vote.example.com/j/{rep.join_token}" in page
    assert "http://localhost/j/" not in page


def test_join_slips_link_a_print_stylesheet_and_script(mod: FlaskClient, app: Flask, draft: Any) -> None:
    page = html(mod.get(f"/meetings/{draft.id}/slips"))
    assert f'href="{static("css/app.css")}"' in page
    assert f'src="{static("js/moderator.js")}"' in page
    assert "<script>" not in page and "style=" not in page  # CSP: nothing inline
    css = app.test_client().get("/static/css/app.css")
    text = css.get_data(as_text=True)
    css.close()
    assert "@media print" in text and "size: A4" in text


# --- roles ------------------------------------------------------------------------------------


PAGES = [
    "/",
    "/meetings",
    "/meetings/new",
    "/meetings/{m}",
    "/meetings/{m}/edit",
    "/meetings/{m}/slips",
    "/items/{i}/edit",
    "/representatives/{r}/edit",
]
ACTIONS = [
    "/meetings/new",
    "/meetings/{m}/edit",
    "/meetings/{m}/start",
    "/meetings/{m}/finish",
    "/meetings/{m}/delete",
    "/meetings/{m}/items",
    "/items/{i}/edit",
    "/items/{i}/move",
    "/items/{i}/remove",
    "/meetings/{m}/representatives",
    "/representatives/{r}/edit",
    "/representatives/{r}/remove",
    "/representatives/{r}/revoke",
    "/representatives/{r}/reissue",
]


def _urls(urls: list[str], m: Any) -> list[str]:
    return [u.format(m=m.id, i=m.items[0].id, r=m.reps[0].id) for u in urls]


def test_viewer_is_refused_everywhere(viewer: FlaskClient, session: Session, draft: Any) -> None:
    for url in _urls(PAGES, draft):
        response = viewer.get(url)
        assert response.status_code == 403, url
        assert "此页面仅供主持人和管理员使用。" in html(response)
    token = csrf_token(viewer)
    for url in _urls(ACTIONS, draft):
        assert viewer.post(url, data={"csrf_token": token, "title": "x"}).status_code == 403, url
    assert fresh(session, Meeting, draft.id).status == "draft"
    assert count(session, Meeting) == 1


def test_anonymous_is_redirected_to_login(client: FlaskClient, draft: Any) -> None:
    for url in _urls(PAGES, draft):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=/"), url
    token = csrf_token(client)
    for url in _urls(ACTIONS, draft):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, url
        assert response.headers["Location"] == f"/login?next={url}"


# --- language ---------------------------------------------------------------------------------


def test_chinese_by_default_english_on_request(mod: FlaskClient, draft: Any) -> None:
    page = html(mod.get("/meetings"))
    assert '<html lang="zh-CN">' in page
    assert "<h1>评价会</h1>" in page and "民主评价会" in page and "厂务公开" in page
    assert 'href="/meetings?lang=en"' in page
    response = mod.get("/meetings?lang=en")
    page = html(response)
    assert "evalmeet_lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in page
    assert "<h1>Meetings</h1>" in page and "Public disclosure" in page and "Draft" in page
    assert 'href="/meetings?lang=zh"' in page
    assert "评价会</h1>" not in page
    # The cookie keeps English on every page.
    page = html(mod.get(f"/meetings/{draft.id}"))
    assert "Start the meeting" in page and "Roster" in page and "Not checked in" in page
    slips = html(mod.get(f"/meetings/{draft.id}/slips"))
    assert "Representative join slip" in slips
    page = html(mod.get("/meetings?lang=zh"))
    assert "<h1>评价会</h1>" in page


def test_language_switch_on_a_refused_form_points_at_a_page(mod: FlaskClient, draft: Any) -> None:
    response = submit(mod, f"/meetings/{draft.id}/items", {**ITEM_FORM, "title": ""})
    assert response.status_code == 422
    # The form was posted to .../items (POST only); the switch leads back to the meeting page.
    assert f'href="/meetings/{draft.id}?lang=en"' in html(response)


# --- escaping ---------------------------------------------------------------------------------


def test_markup_in_user_input_is_escaped_everywhere(mod: FlaskClient, session: Session) -> None:
    response = submit(mod, "/meetings/new", {**MEETING_FORM, "title": XSS, "location": XSS})
    meeting_id = int(response.headers["Location"].rsplit("/", 1)[1])
    submit(
        mod,
        f"/meetings/{meeting_id}/items",
        {
            **ITEM_FORM,
            "title": XSS,
            "person_name": XSS,
            "person_position": XSS,
            "person_department": XSS,
            "description": XSS,
        },
    )
    submit(
        mod, f"/meetings/{meeting_id}/representatives", {"name": XSS, "employee_no": XSS, "department": XSS}
    )
    session.expire_all()
    item_id = session.scalar(select(Item.id).where(Item.meeting_id == meeting_id))
    rep_id = session.scalar(select(Representative.id).where(Representative.meeting_id == meeting_id))
    assert item_id and rep_id
    pages = [
        "/meetings",
        f"/meetings/{meeting_id}",
        f"/meetings/{meeting_id}/edit",
        f"/meetings/{meeting_id}/slips",
        f"/items/{item_id}/edit",
        f"/representatives/{rep_id}/edit",
        f"/meetings/{meeting_id}?lang=en",
    ]
    for url in pages:
        page = html(mod.get(url))
        assert XSS not in page, url
        assert "<script" not in page.replace(
            f'<script src="{static("js/moderator.js")}" defer></script>', ""
        ), url
        assert XSS_ESCAPED in page, url
    # A refused form shows the typed value back, escaped too.
    response = submit(mod, f"/meetings/{meeting_id}/items", {**ITEM_FORM, "title": XSS, "amount": "-5"})
    assert response.status_code == 422
    assert XSS not in html(response) and XSS_ESCAPED in html(response)
    # And the stored text is exactly what was typed (escaping happens on output only).
    assert fresh(session, Meeting, meeting_id).title == XSS


def test_quotes_cannot_break_out_of_attributes(mod: FlaskClient, session: Session) -> None:
    payload = '" autofocus onfocus="alert(1)'
    response = submit(mod, "/meetings/new", {**MEETING_FORM, "title": payload})
    meeting_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = html(mod.get(f"/meetings/{meeting_id}/edit"))
    assert 'onfocus="alert(1)' not in page
    assert "&#34; autofocus onfocus=&#34;alert(1)" in page
