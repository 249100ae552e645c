"""The meeting page links every after-the-meeting task, and publishing works from it."""

from __future__ import annotations

import re

from evalmeet.extensions import db
from evalmeet.models import Meeting
from evalmeet.services.meetings import conduct
from evalmeet.services.voting import round as rounds
from tests.conftest import csrf_token


def closed_meeting(session, meeting_factory, rehearsal=False):
    live = meeting_factory(reps=3, rehearsal=rehearsal)
    rounds.open_voting(session, live.items[0].id, "mod")
    rounds.close_voting(session, live.items[0].id, "mod")
    conduct.finish_meeting(session, live.id, "mod")
    session.commit()
    return live


def test_closed_meeting_links_minutes_archive_publish_and_actions(app, login, session, meeting_factory):
    live = closed_meeting(session, meeting_factory)
    client = login("moderator")
    page = client.get(f"/meetings/{live.id}").get_data(as_text=True)
    for href in [
        f"/api/v1/meetings/{live.id}/minutes.pdf",
        f"/api/v1/meetings/{live.id}/minutes.xlsx",
        f"/archive/meetings/{live.id}",
        f"/meetings/{live.id}/publish",
        f"/items/{live.items[0].id}/actions/new",
        f"/meetings/{live.id}/roster.xlsx",
    ]:
        assert href in page, href
    assert f"/meetings/{live.id}/report-back" not in page  # only for upcoming meetings
    response = client.post(f"/meetings/{live.id}/publish", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Meeting, live.id).published is True
    assert "已发布到厂务公开" in client.get(f"/meetings/{live.id}").get_data(as_text=True)
    assert live.meeting.title in client.get("/public").get_data(as_text=True)


def test_publish_without_csrf_is_refused(app, login, session, meeting_factory):
    live = closed_meeting(session, meeting_factory)
    client = login("moderator")
    assert client.post(f"/meetings/{live.id}/publish").status_code == 400
    with app.app_context():
        assert db.session.get(Meeting, live.id).published is False


def test_draft_links_imports_and_report_back(login, meeting_factory):
    live = meeting_factory(reps=1, start=False)
    page = login("moderator").get(f"/meetings/{live.id}").get_data(as_text=True)
    assert f"/meetings/{live.id}/import/items" in page and f"/meetings/{live.id}/import/roster" in page
    assert f"/meetings/{live.id}/report-back" in page


def test_rehearsal_offers_wipe_not_publish(login, session, meeting_factory):
    live = closed_meeting(session, meeting_factory, rehearsal=True)
    page = login("moderator").get(f"/meetings/{live.id}").get_data(as_text=True)
    assert f"/meetings/{live.id}/wipe" in page
    assert not re.search(rf'action="/meetings/{live.id}/publish"', page)
