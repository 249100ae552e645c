"""Corrections after close on the pages: the finished meeting's page and the archive show the
revision history; admins correct through the form (and only they); refusals are messages."""

from __future__ import annotations

import pytest

from evalmeet.extensions import db
from evalmeet.models import Item
from evalmeet.services.meetings import conduct
from tests.conftest import csrf_token


@pytest.fixture
def finished(session, meeting_factory):
    made = meeting_factory(reps=2, items=1, title="第三次评价会议")
    conduct.finish_meeting(session, made.id, "mod")
    session.commit()
    return made


def text(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def post(client, meeting_id, what, value, reason="笔误"):
    data = {"what": what, "value": value, "reason": reason, "csrf_token": csrf_token(client)}
    return client.post(f"/meetings/{meeting_id}/corrections", data=data)


def test_an_admin_corrects_a_text_and_every_page_shows_the_history(app, login, finished):
    client = login("admin")
    item = finished.items[0]
    page = text(client.get(f"/meetings/{finished.id}"))
    assert "会后更正记录" in page and "更正文字（管理员）" in page and 'name="what"' in page
    form = text(client.get(f"/meetings/{finished.id}/corrections?what=item:{item.id}:title"))
    assert ">采购项目 1</textarea>" in form  # preloaded with what it says now
    saved = post(client, finished.id, f"item:{item.id}:title", "冶金焦炭采购")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#revisions")
    with app.app_context():
        assert db.session.get(Item, item.id).title == "冶金焦炭采购"
    for path in (
        f"/meetings/{finished.id}",
        f"/archive/meetings/{finished.id}",
        f"/meetings/{finished.id}/corrections",
    ):
        html = text(client.get(path))
        assert 'class="revision-old">采购项目 1<' in html and 'class="revision-new">冶金焦炭采购<' in html
        assert "理由： 笔误" in html
    english = text(client.get(f"/archive/meetings/{finished.id}?lang=en"))
    assert "Corrections after the meeting" in english and "Item title" in english


def test_refusals_are_messages_on_the_form(login, finished):
    client = login("admin")
    item = finished.items[0]
    assert "不得更改" in text(post(client, finished.id, f"item:{item.id}:status", "passed"), 409)
    assert "与现有内容相同" in text(post(client, finished.id, f"item:{item.id}:title", "采购项目 1"), 422)
    assert "原因" in text(post(client, finished.id, f"item:{item.id}:title", "新名称", reason=""), 422)
    assert "更正内容" in text(post(client, finished.id, "nonsense", "x"), 422)
    assert text(post(client, 999, "meeting:999:title", "x"), 404)


def test_moderators_and_viewers_read_the_history_but_cannot_correct(app, login, finished):
    client = login("moderator")
    page = text(client.get(f"/meetings/{finished.id}"))
    assert "会后更正记录" in page and 'name="what"' not in page
    assert "管理员" in text(post(client, finished.id, f"meeting:{finished.id}:title", "改名"), 403)
    viewer = login("viewer", "viewer-2")
    assert "会后更正记录" in text(viewer.get(f"/meetings/{finished.id}/corrections"))


def test_live_meetings_have_no_correction_form(login, meeting_factory):
    client = login("admin")
    live = meeting_factory(reps=1, items=1)
    assert "会后更正记录" not in text(client.get(f"/meetings/{live.id}"))
    refused = post(client, live.id, f"meeting:{live.id}:title", "新名称")
    assert "更正仅适用于已结束的会议" in text(refused, 409)
