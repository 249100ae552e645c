"""Issue 13's moderator-side fixes: failed items without a follow-up action are flagged, the
single-source warning, signable minutes, and the small things (the menu, the favicon, the date
field, one word for the slip)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.pofile import read_po
from openpyxl import load_workbook

from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate
from evalmeet.schemas.items import ItemCreate
from evalmeet.services.followup import actions
from evalmeet.services.followup import tracking as followup
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import items as agenda
from tests.conftest import both_databases, csrf_token, make_account
from tests.services.test_followup import vote_all
from tests.static_names import static
from tests.web.test_exports import closed_meeting, pdf_text

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "evalmeet" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def failed_and_passed(session, meeting_factory, **fields):
    """A live meeting whose first item failed and second passed (no actions yet)."""
    live = meeting_factory(reps=3, items=3, **fields)
    for item in live.items[:2]:
        conduct.present_item(session, item.id, "mod")
        session.commit()
    vote_all(session, live, live.items[0].id, ["dissatisfied"] * 3)
    vote_all(session, live, live.items[1].id, ["satisfied"] * 3)
    return live


def add_action(session, item_id):
    actions.add_action(
        session, item_id, parse(ActionCreate, {"kind": "rectification", "description": "整改"}), "m"
    )
    session.commit()


# --- failed items without a follow-up action ------------------------------------------------------


@both_databases
def test_failed_items_without_actions_are_found_in_scope(session, meeting_factory):
    live = failed_and_passed(session, meeting_factory)
    rehearsal = failed_and_passed(session, meeting_factory, title="演练", rehearsal=True)
    found = followup.failed_without_actions(session)
    assert [(row.item.id, row.meeting.id) for row in found] == [(live.items[0].id, live.id)]
    assert found[0].person.name == "采购员1"
    # A meeting's own list holds its rehearsal's item too (its page flags it); the dashboard does not.
    assert [row.item.id for row in followup.failed_without_actions(session, rehearsal.id)] == [
        rehearsal.items[0].id
    ]
    add_action(session, live.items[0].id)
    assert followup.failed_without_actions(session) == []
    assert followup.failed_without_actions(session, live.id) == []


def test_the_meeting_page_flags_a_failed_item_until_an_action_is_recorded(
    app, session, meeting_factory, login
):
    live = failed_and_passed(session, meeting_factory)
    failed, passed = live.items[0].id, live.items[1].id
    browser = login("moderator")
    page = browser.get(f"/meetings/{live.id}").get_data(as_text=True)
    flags = re.findall(
        r'<a class="badge badge-needs-action" data-needs-action="(\d+)" href="([^"]+)">([^<]+)</a>', page
    )
    assert [(int(i), href) for i, href, _text in flags] == [(failed, f"/items/{failed}/actions/new")]
    assert "未通过但尚无整改措施" in flags[0][2]
    assert "未通过但尚无整改措施的项目：1 项" in page
    assert f'data-needs-action="{passed}"' not in page

    form = {
        "csrf_token": csrf_token(browser),
        "kind": "rectification",
        "description": "限期整改",
        "due_date": "",
    }
    assert browser.post(f"/items/{failed}/actions/new", data=form).status_code == 302
    page = browser.get(f"/meetings/{live.id}").get_data(as_text=True)
    assert "data-needs-action" not in page and "未通过但尚无整改措施" not in page

    english = browser.get(f"/meetings/{live.id}?lang=en").get_data(as_text=True)
    assert "Failed, but no follow-up action yet" not in english


def test_the_actions_page_lists_failed_items_without_actions(app, session, meeting_factory, login):
    live = failed_and_passed(session, meeting_factory)
    failed = live.items[0].id
    browser = login("moderator")
    page = browser.get("/actions").get_data(as_text=True)
    section = re.search(r'<section class="card needs-action".*?</section>', page, re.S).group(0)
    assert "未通过但尚无整改措施" in section and "采购项目 1" in section and "采购员1" in section
    assert f'href="/items/{failed}/actions/new"' in section
    assert re.findall(r'<tr data-needs-action="(\d+)"', section) == [str(failed)]
    english = browser.get("/actions?lang=en").get_data(as_text=True)
    assert "Failed, but no follow-up action yet" in english

    viewer = app.test_client()
    make_account(app, "reader", "viewer", "correct horse")
    viewer.post(
        "/login", data={"csrf_token": csrf_token(viewer), "username": "reader", "password": "correct horse"}
    )
    seen = viewer.get("/actions").get_data(as_text=True)
    assert 'data-needs-action="' in seen and "/actions/new" not in seen  # reads it, cannot record

    add_action(session, failed)
    assert "needs-action" not in browser.get("/actions").get_data(as_text=True)


# --- single source, several suppliers -------------------------------------------------------------


def test_single_source_with_several_suppliers_is_a_warning_on_the_page_and_the_form(
    app, session, meeting_factory, login
):
    draft = meeting_factory(reps=1, items=0, start=False)
    body = {
        "title": "备件采购",
        "responsible_person": {"name": "刘洋"},
        "procurement_method": "single_source",
        "supplier_count": 3,
    }
    item = agenda.add_item(session, draft.id, parse(ItemCreate, body), "m").value
    clean = agenda.add_item(
        session, draft.id, parse(ItemCreate, {**body, "title": "劳保", "supplier_count": 1}), "m"
    ).value
    session.commit()
    assert [f["code"] for f in item.risk_flags] == []  # not a risk flag: the room's flags stay as they were
    browser = login("moderator")
    page = browser.get(f"/meetings/{draft.id}").get_data(as_text=True)
    warnings = re.findall(r'<p class="notice notice-warning entry-warning"[^>]*>([^<]+)</p>', page)
    assert warnings == ["⚠ 单一来源采购，却填写了 3 家供应商：请核对采购方式或供应商数量。"]
    form = browser.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert "单一来源采购，却填写了 3 家供应商" in form
    assert "entry-warning" not in browser.get(f"/items/{clean.id}/edit").get_data(as_text=True)
    english = browser.get(f"/items/{item.id}/edit?lang=en").get_data(as_text=True)
    assert "Single-source purchase, yet 3 suppliers are stated" in english


# --- the minutes, signed --------------------------------------------------------------------------


def test_the_minutes_have_signature_lines_in_the_pdf_and_the_workbook(app, api):
    meeting_id, _head = closed_meeting(app)
    text = re.sub(r"\s+", "", pdf_text(api.get(f"meetings/{meeting_id}/minutes.pdf").data))
    block = text[text.index("以下签字人确认本会议纪要内容属实") :]
    assert re.search("签字人签字日期主持人记录人监票人监票人", block), block[:200]
    assert block.index("监票人") < block.index("审计")  # the signatures come before the footer
    english = pdf_text(api.get(f"meetings/{meeting_id}/minutes.pdf?lang=en").data)
    assert all(word in english for word in ("Signatures", "Moderator", "Recorder", "Scrutineer"))

    book = load_workbook(io.BytesIO(api.get(f"meetings/{meeting_id}/minutes.xlsx?lang=zh").data))
    rows = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert rows[-5:] == [
        ("签字", "以下签字人确认本会议纪要内容属实。"),
        ("主持人", "签字：____________________    日期：________"),
        ("记录人", "签字：____________________    日期：________"),
        ("监票人", "签字：____________________    日期：________"),
        ("监票人", "签字：____________________    日期：________"),
    ]


# --- the small things -----------------------------------------------------------------------------


def test_every_moderator_page_has_the_people_archive_in_the_menu_and_the_favicon(
    app, session, meeting_factory, login
):
    live = failed_and_passed(session, meeting_factory)
    browser = login("moderator")
    pages = [
        "/meetings",
        "/meetings/new",
        f"/meetings/{live.id}",
        f"/meetings/{live.id}/edit",
        f"/meetings/{live.id}/slips",
        f"/meetings/{live.id}/import/roster",
        f"/items/{live.items[2].id}/edit",
        f"/items/{live.items[0].id}/actions/new",
        f"/meetings/{live.id}/report-back",
        "/actions",
        "/archive",
        "/archive/people",
        "/dashboard",
    ]
    for path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S).group(0)
        assert re.search(r'<a href="/archive/people"[^>]*>责任人</a>', nav), path
        assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page, path
    people = browser.get("/archive/people").get_data(as_text=True)
    assert re.search(r'<a href="/archive/people" aria-current="page">责任人</a>', people)
    meetings = browser.get("/meetings").get_data(as_text=True)
    assert re.search(r'<a href="/meetings" aria-current="page">评价会</a>', meetings)

    with app.test_client().get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype.startswith("image/")
        assert icon.data[:4] == b"\0\0\1\0"  # an ICO file
    with app.test_client().get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_the_date_field_of_a_new_action_is_styled_like_the_others():
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    rule = re.search(r"([^{}]*)\{[^{}]*min-height: var\(--tap\);[^{}]*border: 1px solid #aab4c1", css)
    selectors = {s.strip() for s in rule.group(1).split(",")}
    assert {"input[type=text]", "input[type=date]", "select", "textarea"} <= selectors


def test_the_new_action_form_uses_a_date_input_inside_a_field(app, session, meeting_factory, login):
    live = failed_and_passed(session, meeting_factory)
    page = login("moderator").get(f"/items/{live.items[0].id}/actions/new").get_data(as_text=True)
    assert re.search(
        r'<label class="field">\s*<span class="field-label">完成期限</span>\s*'
        r'<input type="date" name="due_date"',
        page,
    )


def test_one_word_for_the_slip_in_chinese():
    """入场凭条 everywhere the English says slip, and 入场链接 for the join link."""
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    slips = [m for m in catalog if m.id and isinstance(m.id, str) and re.search(r"\bslips?\b", m.id)]
    assert len(slips) > 8
    wrong = [(m.id, m.string) for m in slips if "凭条" in m.string and "入场凭条" not in m.string]
    wrong += [(m.id, m.string) for m in catalog if m.string and re.search("纸条|参会链接", str(m.string))]
    assert not wrong
    unnamed = [(m.id, m.string) for m in slips if "凭条" not in m.string and "二维码" not in m.string]
    assert not unnamed


def test_the_phone_error_pages_name_the_slip_as_the_slips_do(client):
    page = client.get("/j/no-such-join-link-0000").get_data(as_text=True)
    assert "入场凭条" in page and "纸条" not in page and "入场链接无效" in page
    phone = client.get("/phone").get_data(as_text=True)
    assert "入场凭条" in phone and "纸条" not in phone
