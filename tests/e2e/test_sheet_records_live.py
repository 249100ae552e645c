"""The record of a meeting with a custom scale, a rating sheet and rater groups, through the real
server (``evalmeet serve``) on SQLite and PostgreSQL: the meeting is made and closed over the API
with phones rating two criteria over Socket.IO, then its minutes are downloaded as PDF (read back
with ``pdftotext``) and as a workbook, and its archive page, public page and the archive export
are read: each shows every criterion's satisfaction, every group's weight, ballots and
satisfaction, and the average score, as the frozen result has them.

A custom scale once closed fine over the API and then failed in the minutes and on the public
page, which looked its choices up by the scale's name ("custom" is no preset).
"""

from __future__ import annotations

import io
import re
from fractions import Fraction
from typing import Any

import pytest
import requests
from openpyxl import load_workbook

from tests.e2e.test_live_meeting import Screen, new_key
from tests.e2e.test_minutes_live import pdf_text
from tests.factories import BUYER, item_body
from tests.helpers_login import form_login
from tests.over_api import created
from tests.server import LiveServer, live_server

pytestmark = pytest.mark.server

STARS: dict[str, Any] = {
    "choices": [
        {"key": "good", "label": "好评", "satisfied": True, "score": "90"},
        {"key": "fair", "label": "中评", "satisfied": True, "score": "70"},
        {"key": "poor", "label": "差评", "satisfied": False, "score": "10"},
    ]
}
CRITERIA = [{"key": "price", "label": "价格合理"}, {"key": "process", "label": "程序合规"}]
GROUPS = [
    {"key": "workers", "label": "职工代表", "weight": "3/5"},
    {"key": "managers", "label": "中层干部", "weight": "2/5"},
]
# (group, sheet): workers rate price 3/3 and process 1/3; managers price 1/3, process 0/3
SHEETS = [
    ("workers", {"price": "good", "process": "good"}),
    ("workers", {"price": "good", "process": "poor"}),
    ("workers", {"price": "fair", "process": "poor"}),
    ("managers", {"price": "poor", "process": "poor"}),
    ("managers", {"price": "poor", "process": "poor"}),
    ("managers", {"price": "fair", "process": "poor"}),
]


def closed_custom_meeting(srv: LiveServer, **more: Any) -> tuple[int, int]:
    """A finished meeting on the STARS scale with two criteria and two rater groups, one item
    voted by six phones: (meeting id, item id)."""
    meeting = created(
        srv,
        "meetings",
        {
            "title": "2026年四季度采购事项测评",
            "scale": STARS,
            "criteria": CRITERIA,
            "groups": GROUPS,
            "pass_threshold": "1/2",
            "quorum": "1/2",
            **more,
        },
    )
    mid = meeting["id"]
    roster = [
        created(
            srv,
            f"meetings/{mid}/representatives",
            {"name": f"代表{n}", "employee_no": f"E{n}", "group": group},
        )
        for n, (group, _sheet) in enumerate(SHEETS)
    ]
    item = created(srv, f"meetings/{mid}/items", item_body("结晶器铜板采购", BUYER))
    assert srv.api("POST", f"meetings/{mid}/start").status_code == 200
    phones = [Screen(srv.url, {"token": r["join_token"]}) for r in roster]
    try:
        opened = srv.api("POST", f"items/{item['id']}/voting/open")
        assert opened.status_code == 200, opened.text
        for phone, (_group, sheet) in zip(phones, SHEETS, strict=True):
            phone.wait(lambda p=phone: (p.last("state") or {}).get("voting"))
            ack = phone.call("cast_vote", {"item_id": item["id"], "choices": sheet, "key": new_key()})
            assert ack["ok"] is True, ack
        closed = srv.api("POST", f"items/{item['id']}/voting/close")
        assert closed.status_code == 200, closed.text
    finally:
        for phone in phones:
            phone.close()
    finished = srv.api("POST", f"meetings/{mid}/finish")
    assert finished.status_code == 200, finished.text
    return mid, item["id"]


def test_a_custom_scale_meeting_with_groups_has_its_record_through_the_real_server(
    server: LiveServer,
) -> None:
    srv = server
    mid, item_id = closed_custom_meeting(srv)
    result = srv.api("GET", f"items/{item_id}/result").json()
    price, process = (Fraction(result["criteria"][k]["satisfaction"]) for k in ("price", "process"))
    assert price == Fraction(3, 5) + Fraction(2, 5) * Fraction(1, 3)  # 11/15: 73.3%
    assert process == Fraction(3, 5) * Fraction(1, 3)  # 1/5: 20.0%
    assert result["groups"]["workers"] == {"ballots": 3, "satisfaction": "4/6", "weight": "3/5"}
    assert result["groups"]["managers"] == {"ballots": 3, "satisfaction": "1/6", "weight": "2/5"}
    assert Fraction(result["satisfaction"]) == Fraction(7, 15) and result["passed"] is False
    workers = Fraction(90 + 90 + 90 + 10 + 70 + 10, 6)
    managers = Fraction(10 + 10 + 10 + 10 + 70 + 10, 6)
    average = Fraction(3, 5) * workers + Fraction(2, 5) * managers  # 36 + 8
    assert Fraction(result["average_score"]) == average
    figures = [
        "价格合理",
        "程序合规",
        "73.3%",
        "20.0%",
        "职工代表",
        "中层干部",
        "4/6",
        "1/6",
        "3/5",
        "2/5",
        "44.00",
    ]

    pdf = srv.api("GET", f"meetings/{mid}/minutes.pdf")
    assert pdf.status_code == 200, pdf.text[:500]
    text = pdf_text(pdf.content)
    assert "会议纪要" in text and "2026年四季度采购事项测评" in text
    for label in ("好评", "中评", "差评"):  # the custom choices, as the moderator wrote them
        assert label in text
    for figure in figures:
        assert figure in text, figure
    assert "每项评价指标均达到通过线" not in text and "总满意率达到通过线" in text

    workbook = srv.api("GET", f"meetings/{mid}/minutes.xlsx")
    assert workbook.status_code == 200, workbook.text[:500]
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    sheets = {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    cells = [str(c) for rows in sheets.values() for row in rows for c in row if c is not None]
    assert any("好评" in c for c in cells) and any("差评" in c for c in cells)
    criteria_rows = next(
        rows for title, rows in sheets.items() if any("价格合理" in map(str, r) for r in rows)
    )
    price_row = next(r for r in criteria_rows if "价格合理" in r)
    assert Fraction(next(c for c in price_row if isinstance(c, str) and "/" in c)) == price
    group_rows = next(rows for title, rows in sheets.items() if any("中层干部" in map(str, r) for r in rows))
    assert any(r[3:7] == ["中层干部", "2/5", 3, "1/6"] for r in group_rows), group_rows
    assert any(c == result["average_score"] for c in cells)

    browser = form_login(srv)
    archive = browser.get(f"{srv.url}/archive/meetings/{mid}", timeout=30)
    assert archive.status_code == 200
    for figure in figures:
        assert figure in archive.text, figure
    export = srv.api("GET", "exports/items.csv")
    assert export.status_code == 200
    line = next(ln for ln in export.content.decode("utf-8-sig").splitlines() if "结晶器铜板采购" in ln)
    # 11/15 as the result has it (the criterion's exact fraction, not reduced further here)
    assert f"价格合理 {result['criteria']['price']['satisfaction']}（73.3%）" in line
    assert "中层干部：权重 2/5，3 票，满意率 1/6" in line and result["average_score"] in line

    assert srv.api("POST", f"meetings/{mid}/publish").status_code == 200
    public = requests.get(f"{srv.url}/public/meetings/{mid}", timeout=30)
    assert public.status_code == 200 and "好评" in public.text
    for figure in figures:
        assert figure in public.text, figure
    assert "Traceback" not in srv.log()


def test_the_demo_yearly_evaluation_has_its_record_through_the_real_server(tmp_path) -> None:
    with live_server(tmp_path) as srv:
        out = srv.cli("demo")
        yearly_id = int(re.search(r"yearly evaluation meeting (\d+)", out).group(1))
        meeting = srv.api("GET", f"meetings/{yearly_id}").json()
        assert meeting["title"] == "2026年度中层管理人员民主测评" and meeting["status"] == "closed"
        assert meeting["scale"] == "four_grade" and [c["label"] for c in meeting["criteria"]] == list(
            "德能勤绩廉"
        )
        assert [(g["label"], g["weight"]) for g in meeting["groups"]] == [
            ("职工代表", "2/5"),
            ("中层干部", "2/5"),
            ("班子成员", "1/5"),
        ]
        results = [srv.api("GET", f"items/{item['id']}/result").json() for item in meeting["items"]]
        assert [r["passed"] for r in results] == [True, True, False, False]
        assert all(min(g["ballots"] for g in r["groups"].values()) >= 3 for r in results)
        text = pdf_text(srv.api("GET", f"meetings/{yearly_id}/minutes.pdf").content)
        for word in ("优秀", "基本称职", "廉", "班子成员", "1/5", "平均分", "每项评价指标均达到通过线"):
            assert word in text, word
        assert "Traceback" not in srv.log()
