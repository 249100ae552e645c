"""The record of a meeting with a custom scale and a rating sheet, through the real server
(``evalmeet serve``) on SQLite and PostgreSQL: the meeting is made and closed over the API with
phones rating two criteria over Socket.IO, then its minutes are downloaded as PDF (read back with
``pdftotext``) and as a workbook.

A custom scale once closed fine over the API and then failed in the minutes and on the public
page, which looked its choices up by the scale's name ("custom" is no preset).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from openpyxl import load_workbook

from tests.e2e.test_live_meeting import Screen, new_key
from tests.e2e.test_minutes_live import pdf_text
from tests.factories import BUYER, item_body
from tests.over_api import created
from tests.server import LiveServer

pytestmark = pytest.mark.server

STARS: dict[str, Any] = {
    "choices": [
        {"key": "good", "label": "好评", "satisfied": True, "score": "90"},
        {"key": "fair", "label": "中评", "satisfied": True, "score": "70"},
        {"key": "poor", "label": "差评", "satisfied": False, "score": "10"},
    ]
}
CRITERIA = [{"key": "price", "label": "价格合理"}, {"key": "process", "label": "程序合规"}]
SHEETS = [
    {"price": "good", "process": "good"},
    {"price": "good", "process": "poor"},
    {"price": "fair", "process": "poor"},
    {"price": "poor", "process": "poor"},
]


def closed_custom_meeting(srv: LiveServer, **more: Any) -> tuple[int, int]:
    """A finished meeting on the STARS scale with two criteria, one item voted by four phones:
    (meeting id, item id)."""
    meeting = created(
        srv,
        "meetings",
        {
            "title": "2026年四季度采购事项测评",
            "scale": STARS,
            "criteria": CRITERIA,
            "pass_threshold": "1/2",
            "quorum": "1/2",
            **more,
        },
    )
    mid = meeting["id"]
    roster = [
        created(srv, f"meetings/{mid}/representatives", {"name": f"代表{n}", "employee_no": f"E{n}"})
        for n in range(len(SHEETS))
    ]
    item = created(srv, f"meetings/{mid}/items", item_body("结晶器铜板采购", BUYER))
    assert srv.api("POST", f"meetings/{mid}/start").status_code == 200
    phones = [Screen(srv.url, {"token": r["join_token"]}) for r in roster]
    try:
        opened = srv.api("POST", f"items/{item['id']}/voting/open")
        assert opened.status_code == 200, opened.text
        for phone, sheet in zip(phones, SHEETS, strict=True):
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


def test_a_custom_scale_meeting_has_minutes_through_the_real_server(server: LiveServer) -> None:
    srv = server
    mid, item_id = closed_custom_meeting(srv)
    result = srv.api("GET", f"items/{item_id}/result").json()
    # price: good, good, fair, poor -> 3 of 4; process: 1 of 4; 4 of 8 over both
    assert result["criteria"]["price"]["satisfaction"] == "3/4"
    assert result["criteria"]["process"]["satisfaction"] == "1/4"
    assert result["satisfaction"] == "4/8" and result["passed"] is True

    pdf = srv.api("GET", f"meetings/{mid}/minutes.pdf")
    assert pdf.status_code == 200, pdf.text[:500]
    text = pdf_text(pdf.content)
    assert "会议纪要" in text and "2026年四季度采购事项测评" in text
    for label in ("好评", "中评", "差评"):  # the custom choices, as the moderator wrote them
        assert label in text

    workbook = srv.api("GET", f"meetings/{mid}/minutes.xlsx")
    assert workbook.status_code == 200, workbook.text[:500]
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert any("好评" in c for c in cells) and any("差评" in c for c in cells)

    assert srv.api("POST", f"meetings/{mid}/publish").status_code == 200
    public = requests.get(f"{srv.url}/public/meetings/{mid}", timeout=30)
    assert public.status_code == 200 and "好评" in public.text
    assert "Traceback" not in srv.log()
