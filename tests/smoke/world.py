"""The smoke suite's database: a realistic history made through the real interfaces.

:func:`build_world` runs once per test session (on the server the package fixture started,
after ``evalmeet demo`` loaded last quarter's closed meeting and next week's draft). Over
HTTP, the forms and the live channel it adds:

- **hist**: a finished, published meeting: questions asked from phones, approved, answered and
  hidden; secret ballots from nine phones; an item re-voted with a recorded reason; a failed item
  with follow-up actions of three kinds, progress notes and an uploaded evidence file;
- **live**: a meeting in progress: its first item voted on, a question approved, the second
  item's voting open with some ballots in, two items still pending;
- **rehearsal**: a finished rehearsal with a vote and an action;
- the demo's **past** (closed, published) and **draft** meetings.

:class:`Factory` makes the fresh meetings that the visits which change something act on (one
per visit and language, so no visit depends on another), with the moderator's API token: the
visit itself then goes through the pages and forms under test.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import requests

from tests.conftest import PINNED_AT
from tests.server import LiveServer
from tests.smoke.browser import CONNECTION, Browser
from tests.smoke.live import LiveClient

# Dates count from the day the suite's clock is pinned to (the server's clock too), never from
# the wall clock.
TODAY = PINNED_AT.date()


def day(offset: int) -> str:
    """``YYYY-MM-DD``, ``offset`` days from the pinned today."""
    return (TODAY + timedelta(days=offset)).isoformat()


DUE_LATE = day(-45)  # overdue
DUE_LATER = day(400)
SCHEDULED = f"{day(-20)}T09:00"
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@dataclass
class Made:
    """A meeting the factory (or the world) made: its id, roster entries and item ids."""

    id: int
    reps: list[dict[str, Any]]
    items: list[int]
    display_token: str = ""


@dataclass
class World:
    """Ids of everything the visits read (see the module docstring)."""

    past: Made
    draft: Made
    hist: Made
    live: Made
    rehearsal: Made
    hist_actions: list[int] = field(default_factory=list)
    attachment: tuple[int, int] = (0, 0)  # (action id, attachment id)
    past_actions: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    phone_rep: dict[str, Any] = field(
        default_factory=dict
    )  # the live meeting's representative "on the phone"
    receipts: list[str] = field(default_factory=list)  # two of the finished meeting's receipts
    appeals: list[int] = field(default_factory=list)  # the finished meeting's decided appeal

    @property
    def failed_item(self) -> int:
        """The finished meeting's failed item: visits add their follow-up actions to it."""
        return self.hist.items[1]


class Factory:
    """Fresh meetings in a chosen state, made over the API as an integrator would."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.numbers = itertools.count(1)
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {server.token}", "Connection": CONNECTION})

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        """One API call with the moderator's token; ``path`` may omit ``/api/v1``."""
        url = self.server.url + (path if path.startswith("/") else "/api/v1/" + path)
        response = self.http.request(method, url, json=json, timeout=60)
        self.http.close()  # one connection per request (browser.CONNECTION)
        assert response.status_code == expect, (
            f"{method} {path} {json} -> {response.status_code}: {response.text}"
        )
        return response.json() if response.content else None

    def draft(self, reps: int = 1, items: int = 1, *, rehearsal: bool = False, title: str = "") -> Made:
        """A draft meeting with a roster and pending items."""
        n = next(self.numbers)
        body: dict[str, Any] = {
            "title": title or f"测试评价会 {n} 号",
            "location": "职工之家二楼",
            "scheduled_at": SCHEDULED,
        }
        if rehearsal:
            body["rehearsal"] = True
        meeting = self.call("POST", "meetings", body, 201)
        roster = [
            self.call(
                "POST",
                f"meetings/{meeting['id']}/representatives",
                {"name": f"代表{n}-{i}", "employee_no": f"S{n:03d}{i:02d}", "department": "炼钢厂"},
                201,
            )
            for i in range(reps)
        ]
        item_ids = [
            self.call(
                "POST",
                f"meetings/{meeting['id']}/items",
                {
                    "title": f"采购项目 {n}-{i}：转炉耐火材料",
                    "procurement_method": "single_source",
                    "supplier_count": 1,
                    "amount": "480000.00",
                    "benchmark_price": "100.00",
                    "unit_price": "126.00",
                    "responsible_person": {
                        "name": f"采购员{n}{i}",
                        "position": "采购员",
                        "department": "供应处",
                    },
                },
                201,
            )["id"]
            for i in range(items)
        ]
        return Made(meeting["id"], roster, item_ids)

    def live(self, reps: int = 1, items: int = 1, *, present: bool = True, rehearsal: bool = False) -> Made:
        """A started meeting; ``present`` marks the whole roster present by hand."""
        made = self.draft(reps, items, rehearsal=rehearsal)
        self.call("POST", f"meetings/{made.id}/start")
        if present:
            for rep in made.reps:
                self.call("PATCH", f"representatives/{rep['id']}", {"present": True})
        return made

    def vote(self, made: Made, item_id: int, choices: list[str], vote_round: int | None = None) -> None:
        """Open voting on an item, phones cast ``choices``, close it."""
        self.call("POST", f"items/{item_id}/voting/open")
        self.ballots(made, item_id, choices, vote_round)
        self.call("POST", f"items/{item_id}/voting/close")

    def ballots(self, made: Made, item_id: int, choices: list[str], vote_round: int | None = None) -> None:
        """Phones of the roster (in order) cast ``choices`` on an item whose voting is open."""
        for rep, choice in zip(made.reps, choices, strict=False):
            phone = LiveClient(self.server.url, {"token": rep["join_token"]})
            try:
                phone.vote(item_id, choice, vote_round)
            finally:
                phone.close()

    def decided(self) -> Made:
        """A live meeting whose item was voted on (and failed)."""
        made = self.live()
        self.vote(made, made.items[0], ["dissatisfied"])
        return made

    def closed(self) -> Made:
        """A finished (not yet published) meeting with its item voted on."""
        made = self.decided()
        self.call("POST", f"meetings/{made.id}/finish")
        return made

    def action(self, item_id: int, kind: str = "rectification") -> int:
        """A follow-up action on a decided item."""
        body = {
            "kind": kind,
            "description": "限期完成整改并提交书面报告。",
            "owner": "供应处",
            "due_date": DUE_LATER,
        }
        return int(self.call("POST", f"items/{item_id}/actions", body, 201)["id"])

    def display_token(self, meeting_id: int) -> str:
        """The projector link's token, from the console's data (what the console links to)."""
        return str(self.call("GET", f"/meetings/{meeting_id}/console/data")["meeting"]["display_token"])


# --- the history ------------------------------------------------------------------------------


def demo_ids(output: str) -> tuple[int, int]:
    """(draft id, past id) from what ``evalmeet demo`` prints."""
    match = re.search(r"loaded meeting (\d+) \(draft.*?published meeting (\d+)", output)
    assert match, f"unexpected `evalmeet demo` output: {output!r}"
    return int(match.group(1)), int(match.group(2))


def _made(factory: Factory, meeting_id: int) -> Made:
    meeting = factory.call("GET", f"meetings/{meeting_id}")
    reps = factory.call("GET", f"meetings/{meeting_id}/representatives")["representatives"]
    return Made(meeting_id, reps, [i["id"] for i in meeting["items"]])


def _hist(factory: Factory, mod: Browser) -> tuple[Made, list[int], tuple[int, int]]:
    """The finished, published meeting with a re-vote, questions, actions, notes and evidence."""
    made = factory.draft(reps=9, items=3, title="第27次物资采购民主评价会（备件专项）")
    made.display_token = factory.display_token(made.id)
    mod.submit(f"/meetings/{made.id}", f"/meetings/{made.id}/start")
    phones = [LiveClient(factory.server.url, {"token": rep["join_token"]}) for rep in made.reps]  # check-in
    try:
        first, failed, third = made.items
        factory.call("POST", f"items/{first}/present")
        asked = phones[0].ask(first, "这批备件为什么只找了一家供应商？")
        hidden = phones[1].ask(first, "和本项目无关的问题")
        factory.call("PATCH", f"questions/{asked}", {"status": "approved"})
        factory.call("PATCH", f"questions/{asked}", {"answer": "原厂配套件，下批改为公开招标。"})
        factory.call("PATCH", f"questions/{hidden}", {"status": "hidden"})
        factory.call("POST", f"items/{first}/voting/open")
        for phone, choice in zip(phones, ["dissatisfied"] * 5 + ["satisfied"] * 4, strict=True):
            phone.vote(first, choice)
        factory.call("POST", f"items/{first}/voting/close")
        factory.call(
            "POST", f"items/{first}/revote", {"reason": "第一轮有代表误触选项，经主持人确认重新表决。"}
        )
        for phone, choice in zip(
            phones, ["satisfied"] * 6 + ["basically_satisfied"] * 2 + ["dissatisfied"], strict=True
        ):
            phone.vote(first, choice, 2)
        factory.call("POST", f"items/{first}/voting/close")
        factory.call("POST", f"meetings/{made.id}/next")
        factory.call("POST", f"items/{failed}/voting/open")
        for phone, choice in zip(phones, ["dissatisfied"] * 6 + ["basically_satisfied"] * 3, strict=True):
            phone.vote(failed, choice)
        factory.call("POST", f"items/{failed}/voting/close")
        factory.call("POST", f"items/{third}/present")
        factory.call("POST", f"items/{third}/voting/open")
        for phone in phones[:8]:
            phone.vote(third, "satisfied")
        factory.call("POST", f"items/{third}/voting/close")
    finally:
        for phone in phones:
            phone.close()
    # Follow-up: one action through the form, two through the API; notes, moves, evidence.
    new = mod.submit(
        f"/items/{failed}/actions/new",
        f"/items/{failed}/actions/new",
        {
            "kind": "rectification",
            "description": "补充市场询价记录，与供应商重新议价，差价部分追回。",
            "owner": "设备处",
            "due_date": DUE_LATE,
        },
    )
    rectification = int(new.url.rsplit("/", 1)[-1].split("?")[0])
    retender = factory.action(failed, "retender")
    warning = factory.action(failed, "warning")
    mod.submit(
        f"/actions/{rectification}",
        f"/actions/{rectification}/progress",
        {"status": "in_progress", "note": "已完成两家供应商的补充询价。"},
    )
    factory.call("PATCH", f"actions/{retender}", {"status": "in_progress", "note": "招标文件已挂网。"})
    factory.call("PATCH", f"actions/{retender}", {"status": "done", "note": "已开标，三家投标。"})
    mod.submit(
        f"/actions/{rectification}",
        f"/actions/{rectification}/attachments",
        files={"file": ("询价记录.pdf", MINIMAL_PDF, "application/pdf")},
    )
    page = mod.get(f"/actions/{rectification}").text
    attachment = re.search(rf"/actions/{rectification}/attachments/(\d+)\"", page)
    assert attachment, "the evidence file is not listed on the action's page"
    mod.submit(f"/meetings/{made.id}", f"/meetings/{made.id}/finish")
    mod.submit(f"/meetings/{made.id}", f"/meetings/{made.id}/publish")
    appeal = factory.call(
        "POST", f"actions/{warning}/appeals", {"statement": "警告处分过重，请求复核。"}, 201
    )
    factory.call("PATCH", f"appeals/{appeal['id']}", {"decision": "modified", "reason": "改为诫勉谈话。"})
    return made, [rectification, retender, warning], (rectification, int(attachment.group(1)))


def _live(factory: Factory, phone_browser: Browser) -> Made:
    """The meeting in progress: item 1 decided, item 2 voting, items 3 and 4 pending."""
    made = factory.draft(reps=12, items=4, title="第28次物资采购民主评价会（四季度）")
    factory.call("POST", f"meetings/{made.id}/start")
    made.display_token = factory.display_token(made.id)
    phone_browser.get(f"/j/{made.reps[0]['join_token']}", expect=302)  # the phone of the "phone" role
    phones = [LiveClient(factory.server.url, {"token": rep["join_token"]}) for rep in made.reps[1:9]]
    try:
        first, second = made.items[:2]
        factory.call("POST", f"items/{first}/present")
        approved = phones[0].ask(first, "单价比基准价高出两成多，怎么解释？")
        factory.call("PATCH", f"questions/{approved}", {"status": "approved"})
        factory.call("POST", f"items/{first}/voting/open")
        for phone in phones:
            phone.vote(first, "satisfied")
        factory.call("POST", f"items/{first}/voting/close")
        factory.call("POST", f"items/{second}/present")
        phones[1].ask(second, "为什么没有公开招标？")  # left pending
        factory.call("POST", f"items/{second}/voting/open")
        for phone, choice in zip(
            phones[:5], ["dissatisfied", "satisfied", "basically_satisfied"] * 2, strict=False
        ):
            phone.vote(second, choice)
    finally:
        for phone in phones:
            phone.close()
    return made


def _rehearsal(factory: Factory, mod: Browser) -> Made:
    """A finished rehearsal (made through the new-meeting form, rehearsal ticked)."""
    page = mod.submit(
        "/meetings/new",
        "/meetings/new",
        {
            "title": "评价会彩排（培训用）",
            "scheduled_at": SCHEDULED,
            "location": "培训中心",
            "scale": "pass_fail",
            "pass_threshold": "1/2",
            "quorum": "1/2",
        },
        tick=[("rehearsal", "on")],
    )
    meeting_id = int(page.url.split("?")[0].rsplit("/", 1)[-1])
    for i in range(3):
        factory.call(
            "POST",
            f"meetings/{meeting_id}/representatives",
            {"name": f"彩排代表{i}", "employee_no": f"R{i:03d}", "department": "培训中心"},
            201,
        )
    factory.call(
        "POST",
        f"meetings/{meeting_id}/items",
        {
            "title": "彩排项目：办公用品采购",
            "responsible_person": {"name": "彩排采购员", "department": "综合处"},
            "procurement_method": "inquiry",
            "supplier_count": 3,
            "amount": "12000.00",
        },
        201,
    )
    made = _made(factory, meeting_id)
    factory.call("POST", f"meetings/{meeting_id}/start")
    made.display_token = factory.display_token(meeting_id)
    for rep in made.reps:
        factory.call("PATCH", f"representatives/{rep['id']}", {"present": True})  # checked in by hand
    factory.vote(made, made.items[0], ["fail", "fail", "pass"])
    factory.action(made.items[0], "other")
    factory.call("POST", f"meetings/{meeting_id}/finish")
    return made


def build_world(factory: Factory, demo_output: str, mod: Browser, phone: Browser) -> World:
    """Everything the visits read (see the module docstring)."""
    draft_id, past_id = demo_ids(demo_output)
    past, draft = _made(factory, past_id), _made(factory, draft_id)
    past.display_token = factory.display_token(past_id)
    draft.display_token = factory.display_token(draft_id)
    hist, hist_actions, attachment = _hist(factory, mod)
    live = _live(factory, phone)
    rehearsal = _rehearsal(factory, mod)
    past_actions = [
        a["id"] for item in past.items for a in factory.call("GET", f"items/{item}/actions")["actions"]
    ]
    people = {
        factory.call("GET", f"items/{item}")["responsible_person"]["id"] for item in past.items + hist.items
    }
    return World(
        past=past,
        draft=draft,
        hist=hist,
        live=live,
        rehearsal=rehearsal,
        hist_actions=hist_actions,
        attachment=attachment,
        past_actions=past_actions,
        person_ids=sorted(people),
        phone_rep=live.reps[0],
        receipts=factory.call("GET", f"items/{hist.items[0]}/receipts")["receipts"][:2],
        appeals=[a["id"] for a in factory.call("GET", f"actions/{hist_actions[2]}/appeals")["appeals"]],
    )
