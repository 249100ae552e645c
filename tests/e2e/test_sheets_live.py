"""Rating sheets and weighted rater groups through the real server (``evalmeet serve``), on SQLite
and PostgreSQL: the meeting and its roster over the API, phones rating every criterion over
Socket.IO, one group's paper sheets counted apart, and the frozen result's exact figures; after
the close no ballot row in the database names a group."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.test_live_meeting import Screen, new_key
from tests.factories import BUYER, GRADES, item_body
from tests.over_api import created

pytestmark = pytest.mark.server

CRITERIA = [{"key": "de", "label": "德"}, {"key": "neng", "label": "能"}]
GROUPS = [
    {"key": "workers", "label": "职工代表", "weight": "3/5"},
    {"key": "managers", "label": "中层干部", "weight": "2/5"},
]


def code(response) -> str:
    return response.json()["error"]["code"]


def test_a_rating_sheet_with_weighted_groups_through_the_real_server(server):
    srv = server
    meeting = created(
        srv,
        "meetings",
        {
            "title": "2026年度中层管理人员民主测评",
            "scale": GRADES,
            "criteria": CRITERIA,
            "groups": GROUPS,
            "pass_rule": "every_criterion",
            "pass_threshold": "1/2",
            "quorum": "1/2",
        },
    )
    assert meeting["scale"] == GRADES and meeting["criteria"] == CRITERIA and meeting["groups"] == GROUPS
    assert meeting["pass_rule"] == "every_criterion"
    bad = srv.api("POST", "meetings", {"title": "x", "groups": [{"key": "a", "label": "A", "weight": "1/2"}]})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["reason"] == "weights_not_one"

    mid = meeting["id"]
    no_group = srv.api("POST", f"meetings/{mid}/representatives", {"name": "无组", "employee_no": "X0"})
    assert no_group.status_code == 422 and no_group.json()["error"]["details"]["field"] == "group"
    people = [("workers", n) for n in range(4)] + [("managers", n) for n in range(3)]
    roster = [
        created(
            srv,
            f"meetings/{mid}/representatives",
            {"name": f"{g}{n}", "employee_no": f"{g[0]}{n}", "group": g},
        )
        for g, n in people
    ]
    assert [r["group"] for r in roster] == [g for g, _n in people]
    item = created(srv, f"meetings/{mid}/items", item_body("张三（炼钢厂副厂长）", BUYER))
    assert srv.api("POST", f"meetings/{mid}/start").status_code == 200
    # the last worker votes on paper
    assert (
        srv.api(
            "PATCH", f"representatives/{roster[3]['id']}", {"ballot": "paper", "present": True}
        ).status_code
        == 200
    )

    phones = [Screen(srv.url, {"token": r["join_token"]}) for r in roster[:3] + roster[4:6]]
    late = None
    try:
        too_small = srv.api("POST", f"items/{item['id']}/voting/open")  # managers: 2 present
        assert too_small.status_code == 409 and code(too_small) == "group_too_small", too_small.text
        assert too_small.json()["error"]["details"]["group"] == "managers"
        assert "中层干部" in too_small.json()["error"]["message"]
        late = Screen(srv.url, {"token": roster[6]["join_token"]})
        opened = srv.api("POST", f"items/{item['id']}/voting/open")
        assert opened.status_code == 200, opened.text
        voting = phones[0].wait(lambda: (phones[0].last("state") or {}).get("voting"))
        assert voting
        state_voting = phones[0].last("state")["voting"]
        assert state_voting["criteria"] == CRITERIA
        assert [c["label"] for c in state_voting["scale"]] == ["优秀", "称职", "基本称职", "不称职"]

        one_verdict = phones[0].call(
            "cast_vote", {"item_id": item["id"], "choice": "excellent", "key": new_key()}
        )
        assert one_verdict["ok"] is False and one_verdict["error"]["code"] == "invalid_choice"
        sheets = [
            {"de": "excellent", "neng": "competent"},  # workers
            {"de": "excellent", "neng": "excellent"},
            {"de": "competent", "neng": "incompetent"},
            {"de": "incompetent", "neng": "incompetent"},  # managers
            {"de": "competent", "neng": "incompetent"},
            {"de": "basically_competent", "neng": "incompetent"},
        ]
        receipts = []
        for screen, sheet in zip([*phones, late], sheets, strict=True):
            key = new_key()
            ack = screen.call("cast_vote", {"item_id": item["id"], "choices": sheet, "key": key})
            assert ack["ok"] is True, ack
            again = screen.call("cast_vote", {"item_id": item["id"], "choices": sheet, "key": key})
            assert again["receipt"] == ack["receipt"]
            receipts.append(ack["receipt"])
        paper = srv.api(
            "PUT",
            f"items/{item['id']}/paper_count",
            {
                "counts": {"de": {"competent": 1}, "neng": {"competent": 1}},
                "scrutineers": ["监票人甲"],
                "group": "workers",
            },
        )
        assert paper.status_code == 200, paper.text
        assert paper.json()["group"] == "workers" and paper.json()["ballots"] == 1
        wrong_group = srv.api(
            "PUT",
            f"items/{item['id']}/paper_count",
            {
                "counts": {"de": {"competent": 1}, "neng": {"competent": 1}},
                "scrutineers": [],
                "group": "managers",
            },
        )
        assert wrong_group.status_code == 409 and code(wrong_group) == "too_many_paper_ballots"

        closed = srv.api("POST", f"items/{item['id']}/voting/close")
        assert closed.status_code == 200, closed.text
    finally:
        for screen in [*phones, *([late] if late else [])]:
            screen.close()
    result = srv.api("GET", f"items/{item['id']}/result").json()
    assert result == closed.json()
    assert result["ballots"] == 7
    # workers: 4 sheets, 7 of 8 ratings satisfied; managers: 3 sheets, 2 of 6
    assert result["groups"]["workers"] == {"ballots": 4, "satisfaction": "7/8", "weight": "3/5"}
    assert result["groups"]["managers"] == {"ballots": 3, "satisfaction": "2/6", "weight": "2/5"}
    assert Fraction(result["satisfaction"]) == Fraction(3, 5) * Fraction(7, 8) + Fraction(2, 5) * Fraction(
        1, 3
    )
    assert Fraction(result["criteria"]["de"]["satisfaction"]) == Fraction(3, 5) + Fraction(2, 5) * Fraction(
        2, 3
    )
    neng = Fraction(3, 5) * Fraction(3, 4) + 0
    assert Fraction(result["criteria"]["neng"]["satisfaction"]) == neng
    assert result["passed"] is False  # every criterion must reach 1/2: 能 is at 9/20
    workers_avg = Fraction(100 + 80 + 100 + 100 + 80 + 0 + 80 + 80, 8)
    managers_avg = Fraction(0 + 0 + 80 + 0 + 60 + 0, 6)
    assert Fraction(result["average_score"]) == Fraction(3, 5) * workers_avg + Fraction(2, 5) * managers_avg
    assert srv.api("GET", f"items/{item['id']}/receipts").json()["receipts"] == sorted(receipts)

    engine = create_engine(srv.db_url)
    try:
        with engine.connect() as conn:
            grouped = conn.execute(
                text("SELECT count(*) FROM ballots WHERE rater_group IS NOT NULL")
            ).scalar()
            rows = conn.execute(
                text("SELECT count(*) FROM ballots WHERE item_id = :i"), {"i": item["id"]}
            ).scalar()
    finally:
        engine.dispose()
    assert (grouped, rows) == (0, 6)
