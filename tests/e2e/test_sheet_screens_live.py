"""The live screens' data for a rating sheet with rater groups, through the real server
(``evalmeet serve``) on SQLite and PostgreSQL: the snapshot names the sheet's criteria, choices
and groups; while the vote is open the console data gives each group's ballots so far (counts
only: no name, no choice); after the close the projector's first paint shows each criterion's
and each group's figures as percentages of the exact fractions."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.test_live_meeting import Screen
from tests.factories import BUYER, item_body
from tests.helpers_login import form_login
from tests.over_api import started_meeting

pytestmark = pytest.mark.server

CRITERIA = [{"key": "de", "label": "德"}, {"key": "neng", "label": "能"}]
GROUPS = [
    {"key": "workers", "label": "职工代表", "weight": "1/2"},
    {"key": "managers", "label": "中层干部", "weight": "1/2"},
]


def test_group_ballots_on_the_console_and_sheet_figures_on_the_projector(server):
    srv = server
    people = [
        {"name": f"{label}{n}", "employee_no": f"{key[0]}{n}", "group": key}
        for key, label in (("workers", "职工"), ("managers", "干部"))
        for n in range(1, 4)
    ]
    meeting, roster, (item,) = started_meeting(
        srv,
        {"title": "2026年度民主测评", "scale": "four_grade", "criteria": CRITERIA, "groups": GROUPS},
        people,
        [item_body("赵六（财务总监）", BUYER)],
    )
    browser = form_login(srv)
    data_url = f"{srv.url}/meetings/{meeting['id']}/console/data"
    phones = [Screen(srv.url, {"token": r["join_token"]}) for r in roster]
    try:
        assert srv.api("POST", f"items/{item['id']}/present").status_code == 200
        assert srv.api("POST", f"items/{item['id']}/voting/open").status_code == 200
        assert phones[0].wait(lambda: bool((phones[0].last("state") or {}).get("voting")))
        shown = phones[0].last("state")["meeting"]
        assert shown["criteria"] == CRITERIA and shown["groups"] == GROUPS
        assert [c["key"] for c in shown["choices"]] == [
            "excellent",
            "competent",
            "basically_competent",
            "incompetent",
        ]
        before = browser.get(data_url, headers={"Accept": "application/json"}, timeout=10).json()
        assert before["group_ballots"] == [
            {"key": "workers", "label": "职工代表", "ballots": 0},
            {"key": "managers", "label": "中层干部", "ballots": 0},
        ]
        sheets = [
            {"de": "excellent", "neng": "excellent"},  # workers
            {"de": "competent", "neng": "incompetent"},
            {"de": "incompetent", "neng": "incompetent"},
            {"de": "excellent", "neng": "competent"},  # managers
            {"de": "basically_competent", "neng": "incompetent"},
        ]
        for phone, sheet in zip(phones[:3] + phones[3:5], sheets, strict=True):
            ack = phone.call("cast_vote", {"item_id": item["id"], "choices": sheet, "key": uuid.uuid4().hex})
            assert ack["ok"] is True, ack
        during = browser.get(data_url, headers={"Accept": "application/json"}, timeout=10)
        assert during.status_code == 200, during.text
        assert during.json()["group_ballots"] == [
            {"key": "workers", "label": "职工代表", "ballots": 3},
            {"key": "managers", "label": "中层干部", "ballots": 2},
        ]
        closed = srv.api("POST", f"items/{item['id']}/voting/close")
        assert closed.status_code == 200, closed.text
    finally:
        for phone in phones:
            phone.close()
    after = browser.get(data_url, headers={"Accept": "application/json"}, timeout=10).json()
    assert after["group_ballots"] is None  # nothing to count once the vote has closed
    result = closed.json()
    assert result["groups"]["workers"]["satisfaction"] == "3/6"
    assert result["groups"]["managers"]["satisfaction"] == "3/4"

    screen = browser.get(f"{srv.url}/screen/{after['meeting']['display_token']}", timeout=10).text
    cells = re.findall(r'<td class="sf-num sf-rate">([^<]+)</td>', screen)
    assert cells == ["83.3%", "41.7%", "50.0%", "75.0%"]  # 德, 能; then 职工代表, 中层干部
    assert '<th class="sf-name">中层干部</th>' in screen
    assert re.findall(r'<td class="sf-num sf-weight">([^<]+)</td>', screen) == ["50.0%", "50.0%"]
    assert '<p class="sf-average">' in screen
