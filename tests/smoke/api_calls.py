"""Visits of the API rules that change something: each on a fresh meeting, with a valid body.

They are made as the console makes them: the logged-in browser's cookie, JSON, and the CSRF
token of the page (``X-CSRFToken``), by the moderator (the admin in English).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.smoke.live import LiveClient
from tests.smoke.suite import Smoke
from tests.smoke.world import day

Visit = Callable[[Smoke, str], None]
ITEM = {
    "title": "烧结机台车篦条紧急采购",
    "procurement_method": "negotiation",
    "supplier_count": 2,
    "amount": "152000.00",
    "unit_price": "420.00",
    "benchmark_price": "380.00",
    "responsible_person": {"name": "刘卫东", "position": "副处长", "department": "设备处"},
    "description": "设备抢修，竞争性谈判两家。",
}


def created(s: Smoke, lang: str, path: str, body: dict[str, Any]) -> Any:
    """What the moderator's POST of ``body`` to the API ``path`` made (it must answer 201)."""
    return s.moderator(lang).api("POST", path, body, expect=201).json()


def create_meeting(s: Smoke, lang: str) -> None:
    made = created(
        s,
        lang,
        "/api/v1/meetings",
        {
            "title": "第31次物资采购民主评价会",
            "scheduled_at": f"{day(30)}T09:00",
            "location": "职工之家",
            "scale": "pass_fail",
            "pass_threshold": "1/2",
            "quorum": "2/3",
        },
    )
    assert made["status"] == "draft"


def update_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.draft()
    answer = (
        s.moderator(lang)
        .api("PATCH", f"/api/v1/meetings/{made.id}", {"location": "行政楼报告厅", "quorum": "1/2"})
        .json()
    )
    assert (answer["location"], answer["quorum"]) == ("行政楼报告厅", "1/2")


def delete_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.draft()
    s.moderator(lang).api("DELETE", f"/api/v1/meetings/{made.id}", expect=204)


def start_meeting(s: Smoke, lang: str) -> None:
    empty = s.factory.draft(reps=0)
    refused = s.moderator(lang).api("POST", f"/api/v1/meetings/{empty.id}/start", expect=409)
    assert refused.json()["error"]["code"] == "empty_roster"
    made = s.factory.draft()
    assert s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/start").json()["status"] == "live"


def finish_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    assert s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/finish").json()["status"] == "closed"


def publish_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.closed()
    assert s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/publish").json()["published"] is True


def clear_stage(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    s.factory.call("POST", f"items/{made.items[0]}/present")
    assert s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/clear").json()["phase"] == "idle"


def present_next(s: Smoke, lang: str) -> None:
    made = s.factory.live(items=2)
    s.factory.call("POST", f"items/{made.items[0]}/present")
    answer = s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/next").json()
    assert answer["current_item_id"] == made.items[1]


def open_questions(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    s.factory.call("POST", f"items/{made.items[0]}/present")
    s.factory.call("POST", f"meetings/{made.id}/questions/close")
    s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/questions/open")


def close_questions(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    s.factory.call("POST", f"items/{made.items[0]}/present")
    s.moderator(lang).api("POST", f"/api/v1/meetings/{made.id}/questions/close")


def start_timer(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    timer = (
        s.moderator(lang)
        .api("POST", f"/api/v1/meetings/{made.id}/timer", {"seconds": 180, "label": "质询时间"})
        .json()
    )
    assert (timer["seconds"], timer["label"]) == (180, "质询时间") and timer["ends_at"]


def stop_timer(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    s.factory.call("POST", f"meetings/{made.id}/timer", {"seconds": 60})
    s.moderator(lang).api("DELETE", f"/api/v1/meetings/{made.id}/timer", expect=204)


def add_item(s: Smoke, lang: str) -> None:
    made = s.factory.draft(items=0)
    flags = created(s, lang, f"/api/v1/meetings/{made.id}/items", ITEM)["risk_flags"]
    assert flags, "a dear negotiated purchase carries risk flags"
    person = s.factory.call("GET", f"meetings/{made.id}")["items"][0]["responsible_person"]
    again = created(
        s,
        lang,
        f"/api/v1/meetings/{made.id}/items",
        {"title": "备件", "responsible_person": {"id": person["id"]}},
    )
    assert again["responsible_person"] == person


def reorder_items(s: Smoke, lang: str) -> None:
    made = s.factory.draft(items=2)
    order = made.items[::-1]
    answer = s.moderator(lang).api("PUT", f"/api/v1/meetings/{made.id}/items/order", {"order": order}).json()
    assert [i["id"] for i in answer["items"]] == order


def add_representative(s: Smoke, lang: str) -> None:
    made = s.factory.draft(reps=0)
    rep = created(
        s,
        lang,
        f"/api/v1/meetings/{made.id}/representatives",
        {"name": "赵春燕", "employee_no": "CG31043", "department": "烧结厂"},
    )
    with s.visitor("anonymous", lang) as browser:
        browser.get(rep["join_url"].removeprefix(s.server.url), expect=302)


def update_representative(s: Smoke, lang: str) -> None:
    made = s.factory.live(present=False)
    rep = made.reps[0]["id"]
    answer = (
        s.moderator(lang)
        .api("PATCH", f"/api/v1/representatives/{rep}", {"present": True, "department": "运输部"})
        .json()
    )
    assert (answer["present"], answer["department"]) == (True, "运输部")


def update_item(s: Smoke, lang: str) -> None:
    made = s.factory.draft()
    answer = s.moderator(lang).api("PATCH", f"/api/v1/items/{made.items[0]}", {"unit_price": "110.00"}).json()
    assert answer["unit_price"] == "110.00"


def present_item(s: Smoke, lang: str) -> None:
    made = s.factory.live(items=2)
    answer = s.moderator(lang).api("POST", f"/api/v1/items/{made.items[1]}/present").json()
    assert (answer["current_item_id"], answer["phase"]) == (made.items[1], "questions")


def open_voting(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    s.factory.call("POST", f"items/{made.items[0]}/present")
    assert (
        s.moderator(lang).api("POST", f"/api/v1/items/{made.items[0]}/voting/open").json()["status"]
        == "voting"
    )


def close_voting(s: Smoke, lang: str) -> None:
    made = s.factory.live(reps=3)
    item = made.items[0]
    s.factory.call("POST", f"items/{item}/voting/open")
    s.factory.ballots(made, item, ["satisfied", "basically_satisfied", "dissatisfied"])
    result = s.moderator(lang).api("POST", f"/api/v1/items/{item}/voting/close").json()
    assert (result["ballots"], result["satisfaction"], result["passed"]) == (3, "2/3", True)


def paper_count(s: Smoke, lang: str) -> None:
    made = s.factory.live(reps=4)
    item = made.items[0]
    for rep in made.reps[2:]:
        s.factory.call("PATCH", f"representatives/{rep['id']}", {"ballot": "paper"})
    s.factory.call("POST", f"items/{item}/voting/open")
    moderator = s.moderator(lang)
    body = {"counts": {"satisfied": 2}, "invalid": 1, "scrutineers": ["张监票"]}
    refused = moderator.api("PUT", f"/api/v1/items/{item}/paper_count", body, expect=409).json()
    assert refused["error"]["code"] == "too_many_paper_ballots" and refused["error"]["message"]
    answer = moderator.api("PUT", f"/api/v1/items/{item}/paper_count", {**body, "invalid": 0}).json()
    assert (answer["ballots"], answer["paper_present"]) == (2, 2)
    s.factory.ballots(made, item, ["dissatisfied", "satisfied"])
    result = s.factory.call("POST", f"items/{item}/voting/close")
    assert result["channels"]["paper"]["ballots"] == 2 and result["ballots"] == 4


def revote(s: Smoke, lang: str) -> None:
    made = s.factory.decided()
    item = made.items[0]
    answer = (
        s.moderator(lang)
        .api("POST", f"/api/v1/items/{item}/revote", {"reason": "表决器故障，重新表决。"})
        .json()
    )
    assert (answer["status"], answer["vote_round"]) == ("voting", 2)


def add_action(s: Smoke, lang: str) -> None:
    item = s.factory.decided().items[0] if lang == "zh" else s.world.failed_item
    action = created(
        s,
        lang,
        f"/api/v1/items/{item}/actions",
        {
            "kind": "reassignment",
            "description": "调离采购岗位。",
            "owner": "人力资源处",
            "due_date": day(300),
        },
    )
    assert action["status"] == "open"


def update_action(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item, "retender")
    answer = (
        s.moderator(lang)
        .api("PATCH", f"/api/v1/actions/{action}", {"status": "in_progress", "note": "招标公告已发布。"})
        .json()
    )
    assert answer["status"] == "in_progress"


def file_appeal(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item, "warning")
    answer = s.moderator(lang).api(
        "POST", f"/api/v1/actions/{action}/appeals", {"statement": "不服警告处分。"}, expect=201
    )
    assert answer.json()["status"] == "pending"


def decide_appeal(s: Smoke, lang: str) -> None:
    action = s.factory.action(s.world.failed_item, "party_discipline")
    appeal = s.factory.call("POST", f"actions/{action}/appeals", {"statement": "请求复核。"}, 201)
    body = {"decision": "upheld", "reason": "事实清楚，处理得当。"}
    answer = s.moderator(lang).api("PATCH", f"/api/v1/appeals/{appeal['id']}", body)
    assert answer.json()["status"] == "upheld"


def correct_meeting(s: Smoke, lang: str) -> None:
    made = s.factory.closed()
    body = {"target": "meeting", "field": "location", "value": "职工之家三楼", "reason": "地点记错"}
    answer = s.browser("admin", lang).api("POST", f"/api/v1/meetings/{made.id}/corrections", body, expect=201)
    assert answer.json()["new_value"] == "职工之家三楼"


def moderate_question(s: Smoke, lang: str) -> None:
    made = s.factory.live()
    s.factory.call("POST", f"items/{made.items[0]}/present")
    phone = LiveClient(s.server.url, {"token": made.reps[0]["join_token"]})
    try:
        question = phone.ask(made.items[0], "报价单能否公开？")
    finally:
        phone.close()
    browser = s.moderator(lang)
    assert (
        browser.api("PATCH", f"/api/v1/questions/{question}", {"status": "approved"}).json()["status"]
        == "approved"
    )
    browser.api("PATCH", f"/api/v1/questions/{question}", {"answer": "会后在厂务公开栏公示。"})


def record_recusal(s: Smoke, lang: str) -> None:
    made = s.factory.live(reps=2)
    answer = created(
        s,
        lang,
        f"/api/v1/items/{made.items[0]}/recusals",
        {"representative_id": made.reps[1]["id"], "reason": "本人亲属在投标单位任职。"},
    )
    assert (answer["representative_id"], answer["reason"]) == (made.reps[1]["id"], "本人亲属在投标单位任职。")


API_CALLS: dict[tuple[str, str], Visit] = {
    ("/api/v1/meetings", "POST"): create_meeting,
    ("/api/v1/meetings/<int:meeting_id>", "PATCH"): update_meeting,
    ("/api/v1/meetings/<int:meeting_id>", "DELETE"): delete_meeting,
    ("/api/v1/meetings/<int:meeting_id>/start", "POST"): start_meeting,
    ("/api/v1/meetings/<int:meeting_id>/finish", "POST"): finish_meeting,
    ("/api/v1/meetings/<int:meeting_id>/publish", "POST"): publish_meeting,
    ("/api/v1/meetings/<int:meeting_id>/clear", "POST"): clear_stage,
    ("/api/v1/meetings/<int:meeting_id>/next", "POST"): present_next,
    ("/api/v1/meetings/<int:meeting_id>/questions/open", "POST"): open_questions,
    ("/api/v1/meetings/<int:meeting_id>/questions/close", "POST"): close_questions,
    ("/api/v1/meetings/<int:meeting_id>/timer", "POST"): start_timer,
    ("/api/v1/meetings/<int:meeting_id>/timer", "DELETE"): stop_timer,
    ("/api/v1/meetings/<int:meeting_id>/items", "POST"): add_item,
    ("/api/v1/meetings/<int:meeting_id>/items/order", "PUT"): reorder_items,
    ("/api/v1/meetings/<int:meeting_id>/representatives", "POST"): add_representative,
    ("/api/v1/representatives/<int:rep_id>", "PATCH"): update_representative,
    ("/api/v1/items/<int:item_id>", "PATCH"): update_item,
    ("/api/v1/items/<int:item_id>/present", "POST"): present_item,
    ("/api/v1/items/<int:item_id>/voting/open", "POST"): open_voting,
    ("/api/v1/items/<int:item_id>/voting/close", "POST"): close_voting,
    ("/api/v1/items/<int:item_id>/revote", "POST"): revote,
    ("/api/v1/items/<int:item_id>/paper_count", "PUT"): paper_count,
    ("/api/v1/items/<int:item_id>/actions", "POST"): add_action,
    ("/api/v1/actions/<int:action_id>", "PATCH"): update_action,
    ("/api/v1/questions/<int:question_id>", "PATCH"): moderate_question,
    ("/api/v1/items/<int:item_id>/recusals", "POST"): record_recusal,
    ("/api/v1/actions/<int:action_id>/appeals", "POST"): file_appeal,
    ("/api/v1/appeals/<int:appeal_id>", "PATCH"): decide_appeal,
    ("/api/v1/meetings/<int:meeting_id>/corrections", "POST"): correct_meeting,
}
