"""Visits of the rules that take a form post: each on a fresh meeting, through the page's form.

Every function posts one rule's form in one language as the moderator (the admin in English),
with valid data, from the page a person would use, and then checks that the change happened
(the page it lands on, or the API). The fresh meetings come from the :class:`Factory`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import openpyxl
import requests

from tests.smoke.browser import Browser, find_form
from tests.smoke.suite import Smoke
from tests.smoke.world import MINIMAL_PDF, PNG_1PX, day

Visit = Callable[[Smoke, str], None]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def landed(response: requests.Response) -> str:
    """The path a followed redirect ended on."""
    return urlsplit(response.url).path


def meeting_status(s: Smoke, meeting_id: int) -> dict:
    return dict(s.factory.call("GET", f"meetings/{meeting_id}"))


# --- logging in and out -----------------------------------------------------------------------


def login(s: Smoke, lang: str) -> None:
    """Each account logs in with the form and lands on its home, or where ``next`` says."""
    for role, page, home in (
        ("admin", "/login", "/meetings"),
        ("moderator", "/login", "/meetings"),
        ("viewer", "/login?next=/dashboard", "/dashboard"),
    ):
        with s.visitor(role, lang, signed_in=False) as browser:
            username, password = s.accounts[role]
            assert (
                landed(browser.submit(page, "/login", {"username": username, "password": password})) == home
            )


def logout(s: Smoke, lang: str) -> None:
    """Log out from the header's form; the same cookie is no longer logged in."""
    with s.visitor("moderator", lang) as browser:
        assert landed(browser.submit("/meetings", "/logout")) == "/login"
        browser.get("/meetings", expect=302)


# --- meetings ---------------------------------------------------------------------------------


def new_meeting(s: Smoke, lang: str) -> None:
    page = s.moderator(lang).submit(
        "/meetings/new",
        "/meetings/new",
        {
            "title": "第29次物资采购民主评价会",
            "scheduled_at": f"{day(21)}T09:00",
            "location": "公司职工之家三楼会议室",
            "scale": "three_level",
            "pass_threshold": "2/3",
            "quorum": "3/4",
        },
    )
    assert re.fullmatch(r"/meetings/\d+", landed(page)), page.url


def edit_meeting(s: Smoke, lang: str) -> None:
    for made in (s.factory.draft(), s.factory.live()):
        s.moderator(lang).submit(
            f"/meetings/{made.id}/edit",
            f"/meetings/{made.id}/edit",
            {"title": "第30次物资采购民主评价会（改期）", "location": "行政楼一楼报告厅"},
        )
        assert meeting_status(s, made.id)["location"] == "行政楼一楼报告厅"


def _meeting_button(s: Smoke, lang: str, meeting_id: int, what: str) -> requests.Response:
    return s.moderator(lang).submit(f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/{what}")


def start_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.draft()
    _meeting_button(s, lang, made.id, "start")
    assert meeting_status(s, made.id)["status"] == "live"


def finish_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    _meeting_button(s, lang, made.id, "finish")
    assert meeting_status(s, made.id)["status"] == "closed"


def publish_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.closed()
    _meeting_button(s, lang, made.id, "publish")
    assert meeting_status(s, made.id)["published"] is True
    s.browser("anonymous", lang).get(f"/public/meetings/{made.id}")


def delete_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.draft()
    assert landed(_meeting_button(s, lang, made.id, "delete")) == "/meetings"
    s.moderator(lang).get(f"/meetings/{made.id}", expect=404)


# --- items ------------------------------------------------------------------------------------

ITEM_FORM = {
    "title": "二号转炉用镁碳砖采购",
    "person_name": "李志鹏",
    "person_position": "耐火材料采购员",
    "person_department": "供应处",
    "procurement_method": "single_source",
    "supplier_count": "1",
    "amount": "1860000.00",
    "benchmark_price": "6900.00",
    "unit_price": "7800.00",
    "description": "以“技术参数唯一”为由单一来源采购，未公开招标。",
}


def add_item(s: Smoke, lang: str) -> None:
    made = s.factory.draft(items=1)
    s.moderator(lang).submit(f"/meetings/{made.id}", f"/meetings/{made.id}/items", ITEM_FORM)
    items = meeting_status(s, made.id)["items"]
    assert len(items) == 2
    # The picker: a person on record chosen by id (the typed fields left empty) is that person.
    person = items[0]["responsible_person"]["id"]
    chosen = {"title": "备用耐火泥采购", "person_id": str(person), "person_name": "", "person_department": ""}
    s.moderator(lang).submit(f"/meetings/{made.id}", f"/meetings/{made.id}/items", chosen)
    assert meeting_status(s, made.id)["items"][2]["responsible_person"]["id"] == person


def edit_item(s: Smoke, lang: str) -> None:
    made = s.factory.draft()
    item = made.items[0]
    s.moderator(lang).submit(
        f"/items/{item}/edit", f"/items/{item}/edit", {**ITEM_FORM, "title": "镁碳砖采购（修改）"}
    )
    assert s.factory.call("GET", f"items/{item}")["title"] == "镁碳砖采购（修改）"


def move_item(s: Smoke, lang: str) -> None:
    made = s.factory.draft(items=2)
    first = made.items[0]
    s.moderator(lang).submit(f"/meetings/{made.id}", f"/items/{first}/move", match={"direction": "down"})
    assert [i["id"] for i in meeting_status(s, made.id)["items"]][1] == first


def remove_item(s: Smoke, lang: str) -> None:
    made = s.factory.draft(items=2)
    s.moderator(lang).submit(f"/meetings/{made.id}", f"/items/{made.items[1]}/remove")
    assert [i["id"] for i in meeting_status(s, made.id)["items"]] == made.items[:1]


# --- roster -----------------------------------------------------------------------------------


def add_representative(s: Smoke, lang: str) -> None:
    made = s.factory.draft(reps=1)
    s.moderator(lang).submit(
        f"/meetings/{made.id}",
        f"/meetings/{made.id}/representatives",
        {"name": "郝建军", "employee_no": "CG20231", "department": "炼铁厂"},
    )
    assert meeting_status(s, made.id)["attendance"]["roster"] == 2


def edit_representative(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    rep = made.reps[0]["id"]
    s.moderator(lang).submit(
        f"/representatives/{rep}/edit",
        f"/representatives/{rep}/edit",
        {"name": "屈晓燕", "employee_no": "CG20457", "department": "炼钢厂"},
    )


def remove_representative(s: Smoke, lang: str) -> None:
    made = s.factory.draft(reps=2)
    s.moderator(lang).submit(f"/meetings/{made.id}", f"/representatives/{made.reps[1]['id']}/remove")
    assert meeting_status(s, made.id)["attendance"]["roster"] == 1


def old_link_refused_after(s: Smoke, lang: str, action: str) -> None:
    """The moderator's ``action`` (revoke, reissue) on a representative: the old join link is a 404."""
    made = s.factory.live()
    rep = made.reps[0]
    s.moderator(lang).submit(f"/meetings/{made.id}", f"/representatives/{rep['id']}/{action}")
    with s.visitor("anonymous", lang) as browser:
        browser.get(f"/j/{rep['join_token']}", expect=404)


def revoke_representative(s: Smoke, lang: str) -> None:
    old_link_refused_after(s, lang, "revoke")


def reissue_representative(s: Smoke, lang: str) -> None:
    old_link_refused_after(s, lang, "reissue")


# --- imports ----------------------------------------------------------------------------------

ROWS = {
    "roster": [["职工代表甲", "IM{n}01", "炼铁厂"], ["职工代表乙", "IM{n}02", "焦化厂"]],
    "items": [
        [
            "焦炭采购（{n}）",
            "王建国",
            "燃料采购员",
            "供应处",
            "公开招标",
            "4",
            "82800000.00",
            "2250.00",
            "2300.00",
            "公开招标，两家中标。",
        ]
    ],
}


def import_file(browser: Browser, meeting_id: int, kind: str, fmt: str, n: int) -> tuple[str, bytes, str]:
    """A file a person makes from the downloaded template: its header row, then their rows."""
    template = browser.get(f"/meetings/{meeting_id}/import/{kind}/template.{fmt}")
    rows = [[cell.format(n=n) for cell in row] for row in ROWS[kind]]
    if fmt == "csv":
        header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return f"导入{kind}.csv", out.getvalue().encode("utf-8-sig"), "text/csv"
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return f"导入{kind}.xlsx", data.getvalue(), XLSX


def _preview(s: Smoke, lang: str, meeting_id: int, kind: str, fmt: str, n: int) -> requests.Response:
    browser = s.moderator(lang)
    upload = import_file(browser, meeting_id, kind, fmt, n)
    page = f"/meetings/{meeting_id}/import/{kind}"
    return browser.submit(page, page, files={"file": upload}, expect=200, follow=False)


def import_preview(s: Smoke, lang: str) -> None:
    made = s.factory.draft(reps=0, items=0)
    for n, (kind, fmt) in enumerate((k, f) for k in ("roster", "items") for f in ("xlsx", "csv")):
        preview = _preview(s, lang, made.id, kind, fmt, n)
        find_form(preview.text, f"/meetings/{made.id}/import/{kind}/confirm")
    assert meeting_status(s, made.id)["items"] == []  # a preview saves nothing


def import_confirm(s: Smoke, lang: str) -> None:
    made = s.factory.draft(reps=0, items=0)
    for n, (kind, fmt) in enumerate((k, f) for k in ("roster", "items") for f in ("xlsx", "csv")):
        preview = _preview(s, lang, made.id, kind, fmt, n)
        form = find_form(preview.text, f"/meetings/{made.id}/import/{kind}/confirm")
        s.moderator(lang).send_form(form, page=f"/meetings/{made.id}/import/{kind}")
    meeting = meeting_status(s, made.id)
    assert (meeting["attendance"]["roster"], len(meeting["items"])) == (4, 2)


# --- follow-up --------------------------------------------------------------------------------

EVIDENCE = {
    "zh": ("整改报告.pdf", MINIMAL_PDF, "application/pdf"),
    "en": ("现场照片.png", PNG_1PX, "image/png"),
}


def _upload(s: Smoke, lang: str, action: int) -> int:
    browser = s.moderator(lang)
    browser.submit(f"/actions/{action}", f"/actions/{action}/attachments", files={"file": EVIDENCE[lang]})
    found = re.findall(rf"/actions/{action}/attachments/(\d+)\"", browser.get(f"/actions/{action}").text)
    assert found, "the uploaded evidence is not listed"
    return int(found[-1])


def upload_attachment(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item)
    attachment = _upload(s, lang, action)
    download = s.moderator(lang).get(f"/actions/{action}/attachments/{attachment}")
    assert download.content == EVIDENCE[lang][1]


def delete_attachment(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item)
    attachment = _upload(s, lang, action)
    s.moderator(lang).submit(f"/actions/{action}", f"/actions/{action}/attachments/{attachment}/delete")
    s.moderator(lang).get(f"/actions/{action}/attachments/{attachment}", expect=404)


def edit_action(s: Smoke, lang: str) -> None:
    item = s.world.failed_item
    action = s.factory.action(item)
    s.moderator(lang).submit(
        f"/actions/{action}",
        f"/actions/{action}/edit",
        {
            "owner": "设备处",
            "due_date": day(200),
            "description": "补充市场询价记录，重新议价。",
            "note": "负责人调整",
        },
    )
    saved = [a for a in s.factory.call("GET", f"items/{item}/actions")["actions"] if a["id"] == action]
    assert (saved[0]["owner"], saved[0]["due_date"]) == ("设备处", day(200)), saved


def record_progress(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item)
    s.moderator(lang).submit(
        f"/actions/{action}",
        f"/actions/{action}/progress",
        {"status": "in_progress", "note": "已与供应商重新议价，差价正在追回。"},
    )
    s.moderator(lang).submit(
        f"/actions/{action}", f"/actions/{action}/progress", {"note": "追回差价 3.2 万元。"}
    )


def new_action(s: Smoke, lang: str) -> None:
    item = s.factory.decided().items[0] if lang == "zh" else s.world.failed_item
    done = s.moderator(lang).submit(
        f"/items/{item}/actions/new",
        f"/items/{item}/actions/new",
        {
            "kind": "party_discipline",
            "description": "责任人违反采购管理规定，移交纪委处理。",
            "owner": "纪委",
            "due_date": day(90),
        },
    )
    assert re.fullmatch(r"/actions/\d+", landed(done)), done.url


def file_appeal(s: Smoke, lang: str) -> None:
    """The sanctioned person's appeal, recorded on the action's page, within the deadline."""
    action = s.factory.action(s.world.failed_item, "administrative_discipline")
    s.moderator(lang).submit(
        f"/actions/{action}", f"/actions/{action}/appeals", {"statement": "处分依据的事实有出入，请求复核。"}
    )
    (appeal,) = s.factory.call("GET", f"actions/{action}/appeals")["appeals"]
    assert appeal["status"] == "pending", appeal


def decide_appeal(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item, "reassignment")
    appeal = s.factory.call("POST", f"actions/{action}/appeals", {"statement": "调岗不当。"}, 201)
    s.moderator(lang).submit(
        f"/actions/{action}",
        f"/appeals/{appeal['id']}/decision",
        {"decision": "overturned", "reason": "经复核，调岗依据不足。"},
    )
    assert s.factory.call("GET", f"appeals/{appeal['id']}")["status"] == "overturned"


def correct_meeting(s: Smoke, lang: str) -> None:
    """An admin corrects a finished meeting's item title from the meeting's page."""
    made = s.factory.closed()
    item = made.items[0]
    s.browser("admin", lang).submit(
        f"/meetings/{made.id}",
        f"/meetings/{made.id}/corrections",
        {"what": f"item:{item}:title", "value": "转炉耐火材料采购（更正）", "reason": "名称笔误"},
    )
    assert meeting_status(s, made.id)["items"][0]["title"] == "转炉耐火材料采购（更正）"


def report_back(s: Smoke, lang: str) -> None:
    made = s.factory.draft(items=1)
    action = s.world.hist_actions[0]
    s.moderator(lang).submit(
        f"/meetings/{made.id}/report-back",
        f"/meetings/{made.id}/report-back",
        {"title": "备件专项整改落实情况回头看"},
        tick=[("action_id", str(action))],
    )
    assert [i["kind"] for i in meeting_status(s, made.id)["items"]] == ["procurement", "report_back"]


def wipe(s: Smoke, lang: str) -> None:
    made = s.factory.live(rehearsal=True)
    s.factory.vote(made, made.items[0], ["dissatisfied"] * 3)
    s.factory.action(made.items[0])
    s.factory.call("POST", f"meetings/{made.id}/finish")
    s.moderator(lang).submit(
        f"/meetings/{made.id}/wipe", f"/meetings/{made.id}/wipe", tick=[("confirm", "wipe")]
    )
    s.moderator(lang).get(f"/meetings/{made.id}", expect=404)


FORMS: dict[tuple[str, str], Visit] = {
    ("/login", "POST"): login,
    ("/logout", "POST"): logout,
    ("/meetings/new", "POST"): new_meeting,
    ("/meetings/<int:meeting_id>/edit", "POST"): edit_meeting,
    ("/meetings/<int:meeting_id>/start", "POST"): start_meeting,
    ("/meetings/<int:meeting_id>/finish", "POST"): finish_meeting,
    ("/meetings/<int:meeting_id>/publish", "POST"): publish_meeting,
    ("/meetings/<int:meeting_id>/delete", "POST"): delete_meeting,
    ("/meetings/<int:meeting_id>/items", "POST"): add_item,
    ("/items/<int:item_id>/edit", "POST"): edit_item,
    ("/items/<int:item_id>/move", "POST"): move_item,
    ("/items/<int:item_id>/remove", "POST"): remove_item,
    ("/meetings/<int:meeting_id>/representatives", "POST"): add_representative,
    ("/representatives/<int:rep_id>/edit", "POST"): edit_representative,
    ("/representatives/<int:rep_id>/remove", "POST"): remove_representative,
    ("/representatives/<int:rep_id>/revoke", "POST"): revoke_representative,
    ("/representatives/<int:rep_id>/reissue", "POST"): reissue_representative,
    ("/meetings/<int:meeting_id>/import/<any(roster, items):kind>", "POST"): import_preview,
    ("/meetings/<int:meeting_id>/import/<any(roster, items):kind>/confirm", "POST"): import_confirm,
    ("/actions/<int:action_id>/attachments", "POST"): upload_attachment,
    ("/actions/<int:action_id>/attachments/<int:attachment_id>/delete", "POST"): delete_attachment,
    ("/actions/<int:action_id>/edit", "POST"): edit_action,
    ("/actions/<int:action_id>/progress", "POST"): record_progress,
    ("/items/<int:item_id>/actions/new", "POST"): new_action,
    ("/meetings/<int:meeting_id>/report-back", "POST"): report_back,
    ("/actions/<int:action_id>/appeals", "POST"): file_appeal,
    ("/appeals/<int:appeal_id>/decision", "POST"): decide_appeal,
    ("/meetings/<int:meeting_id>/corrections", "POST"): correct_meeting,
    ("/meetings/<int:meeting_id>/wipe", "POST"): wipe,
}
