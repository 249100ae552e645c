"""Reminders of due and overdue actions, sent to a real local SMTP server and a real HTTP
receiver: who gets one, what it says, once a China day per channel, a failed channel retried
by the next run (and shown on /actions), and serve's daily loop at 08:00 China time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from evalmeet import reminding
from evalmeet.domain import clock
from evalmeet.extensions import db
from evalmeet.models import ReminderSend
from evalmeet.services.followup import reminders
from evalmeet.services.meetings import conduct
from tests.conftest import both_databases
from tests.factories import action_on, build_meeting
from tests.receivers import smtp_server, webhook_receiver
from tests.server import free_port


@pytest.fixture
def due(session):
    """Actions of a live meeting due at various distances from today, and some that never count."""
    today = clock.today()
    live = build_meeting(session, reps=3, items=2)
    rehearsal = build_meeting(session, reps=3, items=1, rehearsal=True, title="演练会")
    draft = build_meeting(session, reps=3, items=1, start=False, title="草稿会")
    item = live.items[0]

    def on(it, days, email="", status=None, **more):
        action = action_on(
            session,
            it.id,
            f"整改 {days}",
            kind="rectification",
            owner="李明",
            owner_email=email,
            due_date=(today + timedelta(days=days)).isoformat(),
            **more,
        )
        if status:
            action.status = status
        return action.id

    ids = {
        "overdue": on(item, -2, "li@example.com"),
        "today": on(item, 0, "wang@example.com"),
        "in3": on(live.items[1], 3, "zhao@example.com", status="in_progress"),
        "in4": on(item, 4, "late@example.com"),
        "done": on(item, -1, "done@example.com", status="done"),
        "no_email": on(item, 1),
        "rehearsal": on(rehearsal.items[0], 0, "r@example.com"),
        "draft": on(draft.items[0], 0, "d@example.com"),
    }
    session.commit()
    return ids


def settings(smtp=None, webhook=None, **more):
    return reminding.Settings(smtp_url=smtp, webhook_url=webhook, base_url="https://pj.example.com", **more)


@both_databases
def test_due_and_overdue_owners_get_one_mail_and_the_group_one_message_a_day(app, due):
    with smtp_server() as (smtp, box), webhook_receiver() as (hook_url, hook):
        lines = []
        report = reminding.run(app, settings(smtp, hook_url), out=lines.append)
        assert report.failed == []
        reminded = {int(line.split()[2]) for line in lines}
        assert reminded == {due["overdue"], due["today"], due["in3"], due["no_email"]}
        assert len(lines) == 4  # one line per action, whatever its channels
        assert sorted(rcpt for _from, (rcpt,) in box.envelopes) == [
            "li@example.com",
            "wang@example.com",
            "zhao@example.com",
        ]
        assert {sender for sender, _to in box.envelopes} == {"evalmeet@localhost"}
        mail = next(m for m in box.messages if m["To"] == "li@example.com")
        assert "整改逾期提醒" in mail["Subject"] and "已逾期 2 天" in mail["Subject"]
        body = mail.get_content()
        overdue_day = (clock.today() - timedelta(days=2)).isoformat()
        for words in (
            "事项：采购项目 1",
            "负责人：李明",
            f"完成期限：{overdue_day}",
            "逾期天数：2",
            f"查看：https://pj.example.com/actions/{due['overdue']}",
        ):
            assert words in body, body
        assert len(hook.posts) == 4
        assert all(post["msgtype"] == "text" and set(post) == {"msgtype", "text"} for post in hook.posts)
        assert any("今天到期" in text for text in hook.contents)
        # the same China day again: nothing at all
        again = []
        assert reminding.run(app, settings(smtp, hook_url), out=again.append).lines == []
        assert again == [] and len(box.messages) == 3 and len(hook.posts) == 4


@both_databases
def test_a_failing_channel_is_recorded_shown_and_retried_alone(app, due, login):
    port = free_port()  # nobody listens there yet: the mail server is down
    with webhook_receiver() as (hook_url, hook):
        hook.status, hook.body = 500, b"busy"
        first = reminding.run(
            app, settings(f"smtp://127.0.0.1:{port}", hook_url, timeout=2.0), out=lambda _l: None
        )
        assert first.lines == [] and len(first.failed) == 7  # 3 mails + 4 webhook posts
        page = login("viewer").get("/actions").get_data(as_text=True)
        assert "提醒发送失败" in page and "webhook answered HTTP 500" in page
        assert f'data-reminder-failed="{due["overdue"]}" data-channel="mail"' in page

        hook.status, hook.body = 200, b'{"errcode": 0}'
        with smtp_server(port) as (smtp, box):
            lines = []
            second = reminding.run(app, settings(smtp, hook_url), out=lines.append)
            assert second.failed == [] and len(lines) == 4
            assert len(box.messages) == 3 and len(hook.posts) == 4
            assert "mail to li@example.com, webhook" in next(
                line for line in lines if f"action {due['overdue']} " in line
            )
            # once through, each channel is done for the day
            assert reminding.run(app, settings(smtp, hook_url), out=lines.append).lines == []
        assert "提醒发送失败" not in login("moderator", "mod2").get("/actions").get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(ReminderSend).where(ReminderSend.action_id == due["overdue"])).all()
        assert {(r.channel, r.status, r.attempts) for r in rows} == {
            ("mail", "sent", 2),
            ("webhook", "sent", 2),
        }


@both_databases
def test_a_robot_refusal_counts_as_a_failure(app, due):
    with webhook_receiver() as (hook_url, hook):
        hook.body = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
        report = reminding.run(app, settings(webhook=hook_url), out=lambda _l: None)
        assert report.lines == [] and "errcode 93000" in report.failed[0]


@both_databases
def test_only_one_run_claims_a_reminder(session, due):
    today = clock.today()
    assert reminders.claim(session, due["today"], "mail", today)
    session.commit()
    assert not reminders.claim(session, due["today"], "mail", today)  # another run, same day
    assert reminders.claim(session, due["today"], "webhook", today)  # each channel its own
    assert reminders.claim(session, due["today"], "mail", today + timedelta(days=1))
    session.commit()
    # a claim left by a run that died is taken again once stale
    later = clock.now() + reminders.STALE_CLAIM + timedelta(seconds=1)
    assert reminders.claim(session, due["today"], "mail", today, now=later)


def test_finished_and_far_actions_are_not_due(session, due):
    conduct.finish_meeting(session, build_meeting(session).meeting.id, "test")
    found = {d.action.id for d in reminders.due_actions(session, clock.today(), 3)}
    assert found == {due["overdue"], due["today"], due["in3"], due["no_email"]}
    assert {d.action.id for d in reminders.due_actions(session, clock.today(), 0)} == {
        due["overdue"],
        due["today"],
    }


def test_the_daily_loop_waits_for_eight_and_catches_up(monkeypatch, app):
    runs = []

    def fake_run(_app, _settings, out):
        runs.append(clock.now())
        return reminding.Report(failed=["x"] if len(runs) == 2 else [])

    monkeypatch.setattr(reminding, "run", fake_run)
    start = datetime(2031, 5, 14, 7, 0, tzinfo=clock.CHINA)
    fake = clock.FixedClock(start)
    sleeps = []

    class Stop(Exception):
        pass

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) > 2000:
            raise Stop
        fake.instant += timedelta(seconds=seconds)

    with clock.pinned(start, frozen=True):
        clock.set_clock(fake)
        with pytest.raises(Stop):
            reminding.daily(app, reminding.Settings(webhook_url="http://x", retry_seconds=60), sleep=sleep)
    china = [clock.to_china(at) for at in runs]
    assert china[0] == datetime(2031, 5, 14, 8, 0, tzinfo=clock.CHINA)  # not before 08:00
    assert china[1] == datetime(2031, 5, 15, 8, 0, tzinfo=clock.CHINA)  # next day
    assert china[2] == datetime(2031, 5, 15, 8, 1, tzinfo=clock.CHINA)  # a failed run retried
    assert china[3] == datetime(2031, 5, 16, 8, 0, tzinfo=clock.CHINA)
    assert max(sleeps) <= reminding.MAX_WAKE


def test_started_after_eight_it_runs_at_once(monkeypatch, app):
    runs = []
    monkeypatch.setattr(reminding, "run", lambda *_a, **_k: runs.append(clock.now()) or reminding.Report())

    def sleep(_seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # PINNED_AT is 10:30 China time
        reminding.daily(app, reminding.Settings(smtp_url="smtp://127.0.0.1:1"), sleep=sleep)
    assert len(runs) == 1


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "robot://hook"])
def test_the_webhook_is_only_ever_http(url):
    """A webhook URL that is not http(s) is a failed send, never a file read or another scheme."""
    with pytest.raises(reminding.SendFailed, match="http"):
        reminding.post_webhook(reminding.Settings(webhook_url=url), "提醒")
