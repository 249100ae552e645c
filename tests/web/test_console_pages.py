"""The projector screen and the moderator console: access, what they show, escaping, and the
API endpoints the console added (next item, clear the screen, open/close questions)."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest

from evalmeet.extensions import socketio
from evalmeet.realtime import broadcast
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.meetings import conduct, questions
from evalmeet.services.meetings.live_state import build_state
from evalmeet.services.meetings.meeting import get_meeting
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import ApiClient, make_account
from tests.factories import asked, ballot, moderation
from tests.static_names import static

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def html_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def json_block(page: str, block_id: str) -> Any:
    """The data of a ``<script type="application/json" id=...>`` block of the page."""
    match = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S)
    assert match, f"no JSON block {block_id}"
    return json.loads(match.group(1))


def stage_of(page: str) -> str:
    """The projector's server-rendered stage as it shows: without the JSON blocks (which carry
    every label), and without the empty rows its lists keep in <template>s for the script."""
    match = re.search(r'<section class="pj-stage".*?</section>', page, re.S)
    assert match
    return re.sub(r"<template>.*?</template>", "", match.group(0), flags=re.S)


def get_fresh(app: Any, client: Any, url: str) -> Any:
    """GET in an app context of its own: the ``session`` fixture keeps one app context open for
    the whole test, and requests reuse it, so Flask-Babel's per-context cache would otherwise keep
    the first request's language."""
    with app.app_context():
        return client.get(url)


def csrf_from_console(client: Any, meeting_id: int) -> str:
    page = html_of(client.get(f"/meetings/{meeting_id}/console"))
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match, "the console renders no csrf-token meta"
    return match.group(1)


def voting_open_on_first(session: Any, meeting_factory: Any, items: int = 1) -> Any:
    """A started meeting of three with voting open on the first of its ``items`` items."""
    live = meeting_factory(reps=3, items=items)
    rounds.open_voting(session, live.items[0].id, "t")
    session.commit()
    return live


def refuse(api: ApiClient, path: str, code: str) -> None:
    """POSTing to ``path`` is refused with 409 and the error ``code``."""
    r = api.post(path)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == code


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    broadcast.throttle.reset()


# --- the console: who may open it --------------------------------------------------------------


def test_console_sends_anonymous_to_login(client, meeting_factory):
    live = meeting_factory()
    r = client.get(f"/meetings/{live.id}/console")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]
    assert f"/meetings/{live.id}/console" in unescape(r.headers["Location"]).replace("%2F", "/")


def test_console_forbids_viewers(login, meeting_factory):
    live = meeting_factory()
    client = login("viewer")
    assert client.get(f"/meetings/{live.id}/console").status_code == 403
    assert client.get(f"/meetings/{live.id}/console/data").status_code == 403


def test_console_of_unknown_meeting_is_404_page(login):
    client = login("moderator")
    r = client.get("/meetings/9999/console", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "text/html" in r.headers["Content-Type"]


def test_console_shows_running_order_roster_and_links(login, meeting_factory):
    live = meeting_factory(reps=3, items=2, present=2)
    client = login("moderator")
    r = client.get(f"/meetings/{live.id}/console")
    assert r.status_code == 200
    page = html_of(r)
    assert "采购项目 1" in page and "采购项目 2" in page
    for rep in live.reps:
        assert rep.name in page
    assert page.count('class="cs-rep present"') == 2
    assert page.count('class="cs-rep absent"') == 1
    assert f'href="/screen/{live.meeting.display_token}"' in page
    assert f'href="/meetings/{live.id}/slips"' in page
    assert '<meta name="csrf-token"' in page
    # Chinese by default: the controls and the attendance line.
    assert "开始投票" in page and "结束投票" in page and "下一项" in page
    assert "已到" in page and "应到" in page
    data = json_block(page, "cs-initial")
    assert [i["title"] for i in data["items"]] == ["采购项目 1", "采购项目 2"]
    assert data["state"]["attendance"]["present"] == 2
    # join links are credentials: the console never needs them
    for rep in live.reps:
        assert rep.join_token not in page


def test_console_page_has_no_inline_script(login, meeting_factory):
    live = meeting_factory()
    page = html_of(login("moderator").get(f"/meetings/{live.id}/console"))
    for tag in re.findall(r"<script[^>]*>", page):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert " style=" not in page


def test_console_data_follows_the_meeting(login, session, meeting_factory):
    live = meeting_factory(reps=3, items=2)
    client = login("moderator")
    conduct.present_item(session, live.items[1].id, "t")
    questions.ask_question(session, live.reps[0], asked(live.items[1].id, "为什么只有一家？"))
    session.commit()
    data = client.get(f"/meetings/{live.id}/console/data").get_json()
    assert data["state"]["item"]["id"] == live.items[1].id
    assert data["state"]["phase"] == "questions"
    assert [q["text"] for q in data["questions"]["questions"]] == ["为什么只有一家？"]
    assert data["questions"]["questions"][0]["status"] == "pending"
    assert all("join_token" not in rep for rep in data["roster"])
    assert [i["status"] for i in data["items"]] == ["pending", "pending"]


def test_console_in_english(app, login, meeting_factory):
    live = meeting_factory()
    page = html_of(get_fresh(app, login("moderator"), f"/meetings/{live.id}/console?lang=en"))
    assert "Open voting" in page and "Running order" in page
    assert "开始投票" not in page


# --- the projector -----------------------------------------------------------------------------


def test_projector_needs_no_login_and_shows_attendance(client, meeting_factory):
    live = meeting_factory(reps=9, items=1, present=7)
    r = client.get(f"/screen/{live.meeting.display_token}")
    assert r.status_code == 200
    page = html_of(r)
    assert live.meeting.title in page
    assert re.search(r'data-att="present">7<', page)
    assert re.search(r'data-att="roster">9<', page)
    assert re.search(r'data-att="needed">6<', page)
    assert "已达到法定人数" in page
    assert "入场凭条上的二维码" in page
    state = json_block(page, "pj-initial")["state"]
    assert state["attendance"] == {"present": 7, "roster": 9, "needed": 6, "quorum_met": True}
    # the join links are personal: none of them is on the public screen
    for rep in live.reps:
        assert rep.join_token not in page


def test_projector_says_when_quorum_is_not_met(client, meeting_factory):
    live = meeting_factory(reps=9, present=5)
    page = html_of(client.get(f"/screen/{live.meeting.display_token}"))
    assert 'class="pj-badge bad" data-att="quorum">未达到法定人数<' in page
    assert 'class="pj-badge big bad">未达到法定人数<' in stage_of(page)
    assert "已达到法定人数" not in stage_of(page)


@pytest.mark.parametrize("token", ["not-a-real-display-token-xyz", "short", "a" * 200])
def test_projector_unknown_token_is_404_page(client, meeting_factory, token):
    meeting_factory()
    r = client.get(f"/screen/{token}", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "text/html" in r.headers["Content-Type"]
    assert "Traceback" not in html_of(r)


def test_projector_shows_item_facts_risk_flags_and_only_approved_questions(client, session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = live.items[0]
    conduct.present_item(session, item.id, "t")
    questions_asked = [
        questions.ask_question(session, rep, asked(item.id, f"问题{n}")).value
        for n, rep in enumerate(live.reps)
    ]
    session.commit()
    questions.moderate_question(session, questions_asked[0].id, moderation("approved"), "t")
    questions.moderate_question(session, questions_asked[1].id, moderation("hidden"), "t")
    questions.moderate_question(
        session, questions_asked[2].id, moderation("approved", answer="已补充三家比价"), "t"
    )
    session.commit()
    stage = stage_of(html_of(client.get(f"/screen/{live.meeting.display_token}")))
    assert "采购项目 1" in stage and "采购员1" in stage
    assert "350,000.00 元" in stage and "单一来源" in stage
    assert "风险提示" in stage and "只有一家供应商" in stage and "单一来源采购，金额超过" in stage
    assert "问题0" in stage and "问题2" in stage and "已补充三家比价" in stage
    assert "问题1" not in stage  # hidden
    assert "质询进行中" in stage


def test_projector_shows_only_progress_while_voting(client, session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = live.items[0]
    rounds.open_voting(session, item.id, "t")
    session.commit()
    for n, rep in enumerate(live.reps[:2]):
        voting.cast_ballot(session, rep, ballot(item.id, "dissatisfied", f"key-{n}-abcdefghijklmnopq"))
        session.commit()
    page = html_of(client.get(f"/screen/{live.meeting.display_token}"))
    stage = stage_of(page)
    assert "已投票 2 / 3" in stage
    assert 'width="666"' in stage  # the progress bar: 2 of 3
    assert "pj-chart" not in stage and "不满意" not in stage
    initial = json_block(page, "pj-initial")
    assert initial["progress"] == {"item_id": item.id, "ballots": 2, "present": 3}
    assert initial["state"]["result"] is None
    assert "counts" not in json.dumps(initial)


def test_projector_shows_counts_rate_and_verdict_after_close(client, session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = live.items[0]
    rounds.open_voting(session, item.id, "t")
    session.commit()
    for n, (rep, choice) in enumerate(
        zip(live.reps, ["satisfied", "basically_satisfied", "dissatisfied"], strict=True)
    ):
        voting.cast_ballot(session, rep, ballot(item.id, choice, f"key-{n}-abcdefghijklmnopq"))
    rounds.close_voting(session, item.id, "t")
    session.commit()
    stage = stage_of(html_of(client.get(f"/screen/{live.meeting.display_token}")))
    assert "pj-verdict passed" in stage and ">通过<" in stage
    assert "PASSED" not in stage and "FAILED" not in stage  # no English under the Chinese verdict
    assert "满意率 2/3 = 66.7%" in stage
    assert "通过标准 ≥ 2/3" in stage
    rows = re.findall(
        r'<span class="pj-row-lbl">(.*?)</span>.*?<span class="pj-row-n">(\d+)</span>', stage, re.S
    )
    assert rows == [("满意", "1"), ("基本满意", "1"), ("不满意", "1")]


def test_projector_failed_item_in_english(app, client, session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    item = live.items[0]
    rounds.open_voting(session, item.id, "t")
    session.commit()
    for n, rep in enumerate(live.reps):
        voting.cast_ballot(session, rep, ballot(item.id, "dissatisfied", f"key-{n}-abcdefghijklmnopq"))
    rounds.close_voting(session, item.id, "t")
    session.commit()
    stage = stage_of(html_of(get_fresh(app, client, f"/screen/{live.meeting.display_token}?lang=en")))
    assert "pj-verdict failed" in stage and "FAILED" in stage
    assert "Satisfaction rate 0/3 = 0.0%" in stage


@pytest.mark.parametrize(("present", "warned"), [(1, True), (2, True), (3, False)])
def test_projector_warns_about_tiny_electorates(client, session, meeting_factory, present, warned):
    live = meeting_factory(reps=3, items=1, present=present, quorum="1/3")
    conduct.present_item(session, live.items[0].id, "t")
    session.commit()
    stage = stage_of(html_of(client.get(f"/screen/{live.meeting.display_token}")))
    assert ("投票人数很少，结果可能暴露个人选择" in stage) is warned


def test_projector_page_is_safe_to_frame_nowhere_and_has_no_inline_script(client, meeting_factory):
    live = meeting_factory()
    r = client.get(f"/screen/{live.meeting.display_token}")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for tag in re.findall(r"<script[^>]*>", html_of(r)):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html_of(r)


def test_screens_load_socketio_then_the_shared_helpers_then_their_own_script(client, login, meeting_factory):
    live = meeting_factory()
    pages = {
        "projector.js": html_of(client.get(f"/screen/{live.meeting.display_token}")),
        "console.js": html_of(login("moderator").get(f"/meetings/{live.id}/console")),
    }
    for script, page in pages.items():
        assert re.findall(r'<script src="([^"]+)"', page) == [
            static("vendor/socket.io.min.js"),
            static("js/live.js"),
            static("js/countdown.js"),  # the meeting's timer, on every live screen
            static(f"js/{script}"),
        ]


# --- escaping ------------------------------------------------------------------------------------


def test_titles_names_and_questions_are_escaped(client, login, session, meeting_factory):
    live = meeting_factory(reps=2, items=1, title=XSS)
    item = live.items[0]
    item.title = XSS
    live.reps[0].name = XSS
    session.commit()
    conduct.present_item(session, item.id, "t")
    q = questions.ask_question(session, live.reps[1], asked(item.id, XSS + "</script>")).value
    session.commit()
    questions.moderate_question(session, q.id, moderation("approved", answer=XSS), "t")
    session.commit()
    pages = [
        html_of(client.get(f"/screen/{live.meeting.display_token}")),
        html_of(login("moderator").get(f"/meetings/{live.id}/console")),
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
        # the JSON blocks cannot be closed early by a "</script>" in the data
        for block in re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', page, re.S):
            assert "<" not in block
            json.loads(block)


# --- translations --------------------------------------------------------------------------------


# --- the API endpoints the console uses ------------------------------------------------------------


def test_next_presents_the_next_pending_item_and_broadcasts(app, api, session, meeting_factory):
    live = meeting_factory(reps=3, items=3)
    screen = socketio.test_client(app, namespace=NAMESPACE, auth={"display": live.meeting.display_token})
    assert screen.is_connected(NAMESPACE)
    screen.get_received(NAMESPACE)
    r = api.post(f"meetings/{live.id}/next")
    assert r.status_code == 200
    assert r.get_json()["current_item_id"] == live.items[0].id
    states = [e["args"][0] for e in screen.get_received(NAMESPACE) if e["name"] == "state"]
    assert states and states[-1]["item"]["id"] == live.items[0].id
    assert states[-1]["phase"] == "questions"
    assert api.post(f"meetings/{live.id}/next").get_json()["current_item_id"] == live.items[1].id
    screen.disconnect(NAMESPACE)


def test_next_skips_decided_items_and_wraps_round(api, session, meeting_factory):
    live = meeting_factory(reps=3, items=3)
    first, second, third = live.items
    rounds.open_voting(session, second.id, "t")
    session.commit()
    rounds.close_voting(session, second.id, "t")
    conduct.present_item(session, third.id, "t")
    session.commit()
    # after the last item, the first one still waiting
    assert api.post(f"meetings/{live.id}/next").get_json()["current_item_id"] == first.id
    # from the first, the decided second is skipped
    assert api.post(f"meetings/{live.id}/next").get_json()["current_item_id"] == third.id


def test_next_refuses_when_nothing_is_left(api, session, meeting_factory):
    live = voting_open_on_first(session, meeting_factory)
    refuse(api, f"meetings/{live.id}/next", "no_pending_item")
    rounds.close_voting(session, live.items[0].id, "t")
    session.commit()
    refuse(api, f"meetings/{live.id}/next", "no_pending_item")


def test_next_refuses_while_another_item_is_being_voted_on(api, session, meeting_factory):
    live = voting_open_on_first(session, meeting_factory, items=2)
    conduct_state = api.get(f"meetings/{live.id}").get_json()
    assert conduct_state["phase"] == "voting"
    # the second item is pending; moving to it would leave the open vote behind
    refuse(api, f"meetings/{live.id}/next", "voting_open")
    assert api.get(f"meetings/{live.id}").get_json()["current_item_id"] == live.items[0].id


def test_next_and_clear_need_a_live_meeting(api, meeting_factory):
    draft = meeting_factory(start=False, items=2)
    for path in ("next", "clear", "questions/open", "questions/close"):
        r = api.post(f"meetings/{draft.id}/{path}")
        assert r.status_code == 409, path
        assert r.get_json()["error"]["code"] == "meeting_draft", path


def test_console_endpoints_404_on_unknown_meeting(api):
    for path in ("next", "clear", "questions/open", "questions/close"):
        r = api.post(f"meetings/4242/{path}")
        assert r.status_code == 404, path
        assert r.get_json()["error"]["code"] == "meeting_not_found"


def test_console_endpoints_need_a_moderator(app, anon_api, viewer_api, meeting_factory):
    live = meeting_factory(items=1)
    for path in ("next", "clear", "questions/open", "questions/close"):
        with app.app_context():  # a context per request (see get_fresh): no caller is remembered
            assert anon_api.post(f"meetings/{live.id}/{path}").status_code == 401, path
        with app.app_context():
            r = viewer_api.post(f"meetings/{live.id}/{path}")
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden", path


def test_clear_takes_the_item_off_the_screen(api, session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    conduct.present_item(session, live.items[0].id, "t")
    session.commit()
    r = api.post(f"meetings/{live.id}/clear")
    assert r.status_code == 200
    body = r.get_json()
    assert body["current_item_id"] is None and body["phase"] == "idle"


def test_clear_is_refused_while_voting(api, session, meeting_factory):
    live = voting_open_on_first(session, meeting_factory)
    refuse(api, f"meetings/{live.id}/clear", "voting_open")
    assert api.get(f"meetings/{live.id}").get_json()["current_item_id"] == live.items[0].id


def test_questions_open_and_close(app, api, session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    refuse(api, f"meetings/{live.id}/questions/open", "no_current_item")
    conduct.present_item(session, live.items[0].id, "t")
    session.commit()

    def floor_open() -> bool:
        session.expire_all()
        return bool(build_state(session, get_meeting(session, live.id)).item.questions_open)

    assert floor_open()
    assert api.post(f"meetings/{live.id}/questions/close").status_code == 200
    assert not floor_open()
    # a phone can no longer ask
    with pytest.raises(Exception) as refused:
        questions.ask_question(session, live.reps[0], asked(live.items[0].id, "还能问吗？"))
    assert getattr(refused.value, "code", None) == "questions_closed"
    session.rollback()
    assert api.post(f"meetings/{live.id}/questions/open").status_code == 200
    assert floor_open()


def test_questions_cannot_open_during_voting(api, session, meeting_factory):
    live = voting_open_on_first(session, meeting_factory)
    refuse(api, f"meetings/{live.id}/questions/open", "voting_open")
    assert api.post(f"meetings/{live.id}/questions/close").status_code == 200


def test_console_session_calls_need_the_csrf_token(app, login, meeting_factory):
    live = meeting_factory(reps=3, items=2)
    client = login("moderator")
    with app.app_context():  # a context per request (see get_fresh): no cached CSRF token
        bare = client.post(f"/api/v1/meetings/{live.id}/next")
    assert bare.status_code == 400 and bare.get_json()["error"]["code"] == "csrf_failed"
    with app.app_context():
        token = csrf_from_console(client, live.id)
    with app.app_context():
        ok = client.post(f"/api/v1/meetings/{live.id}/next", headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["current_item_id"] == live.items[0].id


def test_quorum_refusal_carries_the_numbers_the_console_shows(app, meeting_factory):
    live = meeting_factory(reps=9, items=1, present=5)
    api = ApiClient(app.test_client(), make_account(app, "mod2", "moderator"))
    r = api.post(f"items/{live.items[0].id}/voting/open")
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "quorum_not_met"
    assert error["details"] == {"present": 5, "roster": 9, "needed": 6}
