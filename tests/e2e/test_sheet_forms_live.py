"""The meeting form's rating-sheet editor and the roster's rater groups, through the real server
(``evalmeet serve``) on SQLite and PostgreSQL, as a browser without JavaScript posts them (the
form's CSRF token, its fixed blank rows): a preset scale with criteria, weighted groups and the
every-criterion rule; a custom scale; refusals by code in Chinese (and English); a representative
added with a group; the roster exported with its 组别 column and imported by group label.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import requests
from openpyxl import load_workbook

from tests.helpers_login import form_login
from tests.server import LiveServer

pytestmark = pytest.mark.server


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def post_form(
    browser: requests.Session, srv: LiveServer, page: str, action: str, fields: Any
) -> requests.Response:
    """Post like a browser: the page's CSRF token and ``fields`` (a list of pairs: repeated
    names are the editor's rows)."""
    token = csrf_of(browser.get(f"{srv.url}{page}", timeout=30).text)
    return browser.post(
        f"{srv.url}{action}", data=[*fields, ("csrf_token", token)], allow_redirects=False, timeout=30
    )


def rows(**columns: list[str]) -> list[tuple[str, str]]:
    """Repeated inputs, row by row, as a form with a table of inputs sends them."""
    return [(name, value) for name, values in columns.items() for value in values]


BASICS = [("title", "2026年度中层管理人员民主测评"), ("pass_threshold", "2/3"), ("quorum", "2/3")]
CRITERIA = rows(criterion_key=["", "", "", ""], criterion_label=["德", "能", "", ""])
GROUPS = rows(
    group_key=["workers", "", "leaders", ""],
    group_label=["职工代表", "中层干部", "班子成员", ""],
    group_weight=["2/5", "2/5", "1/5", ""],
)
# the custom scale's blank rows are sent too (a "satisfied" select always says something)
BLANK_CHOICES = rows(
    choice_key=[""] * 7, choice_label=[""] * 7, choice_satisfied=["yes"] * 7, choice_score=[""] * 7
)


def test_the_meeting_form_sets_up_criteria_groups_and_scales_through_the_real_server(
    server: LiveServer,
) -> None:
    srv = server
    browser = form_login(srv)
    form = browser.get(f"{srv.url}/meetings/new", timeout=30)
    assert form.status_code == 200
    for text in (
        "优秀 / 称职 / 基本称职 / 不称职",
        "自定义等级",
        "评价指标",
        "评议组",
        "每项评价指标均达到通过线",
    ):
        assert text in form.text, text
    assert form.text.count('name="criterion_label"') >= 5  # blank rows work without the script

    made = post_form(
        browser,
        srv,
        "/meetings/new",
        "/meetings/new",
        [
            *BASICS,
            ("scale", "four_grade"),
            ("pass_rule", "every_criterion"),
            *BLANK_CHOICES,
            *CRITERIA,
            *GROUPS,
        ],
    )
    assert made.status_code == 302, made.text[:2000]
    mid = int(re.search(r"/meetings/(\d+)", made.headers["Location"]).group(1))
    meeting = srv.api("GET", f"meetings/{mid}").json()
    assert meeting["scale"] == "four_grade" and meeting["pass_rule"] == "every_criterion"
    assert meeting["criteria"] == [{"key": "c1", "label": "德"}, {"key": "c2", "label": "能"}]
    assert meeting["groups"] == [
        {"key": "workers", "label": "职工代表", "weight": "2/5"},
        {"key": "g2", "label": "中层干部", "weight": "2/5"},
        {"key": "leaders", "label": "班子成员", "weight": "1/5"},
    ]
    edit = browser.get(f"{srv.url}/meetings/{mid}/edit", timeout=30).text
    assert 'value="德"' in edit and 'value="1/5"' in edit and 'value="leaders"' in edit

    # weights that do not add up to 1: refused by code, in Chinese, the typed rows kept
    bad_groups = rows(group_key=["a", "b"], group_label=["甲", "乙"], group_weight=["1/2", "1/3"])
    refused = post_form(
        browser, srv, "/meetings/new", "/meetings/new", [*BASICS, ("scale", "four_grade"), *bad_groups]
    )
    assert refused.status_code == 422
    assert (
        "权重之和必须为 1" in refused.text and 'value="乙"' in refused.text and 'value="1/3"' in refused.text
    )
    english = post_form(
        browser,
        srv,
        "/meetings/new",
        "/meetings/new?lang=en",
        [*BASICS, ("scale", "four_grade"), *bad_groups],
    )
    assert english.status_code == 422 and "must have weights that add up to 1" in english.text

    # a custom scale: a bad key is refused, then the fixed one is stored with its scores
    custom = rows(
        choice_key=["Good!", "bad"],
        choice_label=["好", "差"],
        choice_satisfied=["yes", "no"],
        choice_score=["5", "1"],
    )
    wrong = post_form(  # ?lang=en set the language cookie: back to Chinese
        browser, srv, "/meetings/new", "/meetings/new?lang=zh", [*BASICS, ("scale", "custom"), *custom]
    )
    assert wrong.status_code == 422 and "小写字母、数字和下划线" in wrong.text
    custom[0] = ("choice_key", "good")
    saved = post_form(browser, srv, "/meetings/new", "/meetings/new", [*BASICS, ("scale", "custom"), *custom])
    assert saved.status_code == 302, saved.text[:2000]
    custom_id = int(re.search(r"/meetings/(\d+)", saved.headers["Location"]).group(1))
    assert srv.api("GET", f"meetings/{custom_id}").json()["scale"] == {
        "choices": [
            {"key": "good", "label": "好", "satisfied": True, "score": "5"},
            {"key": "bad", "label": "差", "satisfied": False, "score": "1"},
        ]
    }

    # the roster: a representative needs a group, chosen by label in the form
    page = f"/meetings/{mid}"
    roster_page = browser.get(f"{srv.url}{page}", timeout=30).text
    assert 'name="group"' in roster_page and "中层干部" in roster_page
    person = [("name", "郝建军"), ("employee_no", "CG10231"), ("department", "炼铁厂"), ("ballot", "phone")]
    no_group = post_form(browser, srv, page, f"/meetings/{mid}/representatives", person)
    assert no_group.status_code == 422 and "评议组别" in no_group.text
    added = post_form(browser, srv, page, f"/meetings/{mid}/representatives", [*person, ("group", "g2")])
    assert added.status_code == 302
    reps = srv.api("GET", f"meetings/{mid}/representatives").json()["representatives"]
    assert [(r["name"], r["group"]) for r in reps] == [("郝建军", "g2")]

    # export: the 组别 column holds the group's label; import reads labels (and keys) back
    exported = browser.get(f"{srv.url}/meetings/{mid}/roster.xlsx", timeout=30)
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert [c.value for c in sheet[1]][-1] == "组别" and [c.value for c in sheet[2]][-1] == "中层干部"
    upload = "姓名,工号,部门,组别\r\n屈晓燕,CG10457,炼钢厂,职工代表\r\n申志刚,CG10588,轧钢厂,leaders\r\n"
    bad_upload = upload + "李秀英,CG10612,焦化厂,车间主任\r\n"
    importer = f"/meetings/{mid}/import/roster"
    token = csrf_of(browser.get(f"{srv.url}{importer}", timeout=30).text)
    preview = browser.post(
        f"{srv.url}{importer}",
        data={"csrf_token": token},
        files={"file": ("roster.csv", bad_upload.encode("utf-8"), "text/csv")},
        timeout=30,
    )
    assert preview.status_code == 422 and "车间主任" in preview.text
    preview = browser.post(
        f"{srv.url}{importer}",
        data={"csrf_token": token},
        files={"file": ("roster.csv", upload.encode("utf-8"), "text/csv")},
        timeout=30,
    )
    assert preview.status_code == 200, preview.text[:2000]
    pending = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    confirmed = browser.post(
        f"{srv.url}{importer}/confirm",
        data={"csrf_token": csrf_of(preview.text), "token": pending},
        allow_redirects=False,
        timeout=30,
    )
    assert confirmed.status_code == 302, confirmed.text[:2000]
    reps = srv.api("GET", f"meetings/{mid}/representatives").json()["representatives"]
    assert sorted((r["name"], r["group"]) for r in reps) == [
        ("屈晓燕", "workers"),
        ("申志刚", "leaders"),
        ("郝建军", "g2"),
    ]
    assert "Traceback" not in srv.log()
