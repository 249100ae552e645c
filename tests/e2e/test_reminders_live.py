"""Reminders through the real processes: ``evalmeet remind`` as a subprocess on the pinned
clock, and ``evalmeet serve`` sending at startup when it starts after 08:00 China time, without
the loop stalling while a mail server hangs. A real SMTP server and HTTP receiver take them."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest

from evalmeet.domain import clock
from tests.receivers import smtp_server, webhook_receiver
from tests.server import live_server

pytestmark = pytest.mark.server


def _due_actions(srv):
    """A live meeting with an overdue action (with an owner's e-mail) and one due in 2 days."""
    meeting = srv.api("POST", "meetings", {"title": "提醒测试会"}).json()
    rep = srv.api(
        "POST",
        f"meetings/{meeting['id']}/representatives",
        {"name": "代表甲", "employee_no": "E0001", "department": "炼钢厂"},
    )
    assert rep.status_code == 201, rep.text
    item = srv.api(
        "POST",
        f"meetings/{meeting['id']}/items",
        {"title": "焦炭采购", "responsible_person": {"name": "王建国"}, "procurement_method": "tender"},
    ).json()
    assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200
    today = clock.today()
    made = []
    for days, email in ((-1, "li@example.com"), (2, "")):
        answer = srv.api(
            "POST",
            f"items/{item['id']}/actions",
            {
                "kind": "rectification",
                "description": "限期整改",
                "owner": "李明",
                "owner_email": email,
                "due_date": (today + timedelta(days=days)).isoformat(),
            },
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["owner_email"] == email
        made.append(answer.json()["id"])
    return made


def _wait_for(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_the_remind_command_sends_once_a_china_day(tmp_path):
    with smtp_server() as (smtp, box), webhook_receiver() as (hook_url, hook):
        env = {
            "EVALMEET_SMTP_URL": smtp,
            "EVALMEET_WEBHOOK_URL": hook_url,
            "EVALMEET_MAIL_FROM": "pj@example.com",
        }
        with live_server(tmp_path, env) as srv:
            overdue, soon = _due_actions(srv)
            out = srv.cli("remind")
            lines = out.strip().splitlines()
            assert len(lines) == 2, out
            assert f"reminded action {overdue} " in lines[0] and "mail to li@example.com, webhook" in lines[0]
            assert f"reminded action {soon} " in lines[1] and lines[1].endswith(": webhook")
            assert [to for _from, to in box.envelopes] == [["li@example.com"]]
            assert box.envelopes[0][0] == "pj@example.com"
            assert len(hook.posts) == 2 and "逾期天数：1" in hook.contents[0]
            assert f"{srv.url}/actions/{overdue}" in hook.contents[0]  # EVALMEET_PUBLIC_URL
            assert srv.cli("remind") == ""  # the same China day: nothing
            assert len(box.messages) == 1 and len(hook.posts) == 2
            # a China day later (the clock pinned one day on), both are reminded again
            tomorrow = (clock.now() + timedelta(days=1)).isoformat()
            srv.env["EVALMEET_NOW"] = tomorrow
            assert len(srv.cli("remind").strip().splitlines()) == 2
            assert len(box.messages) == 2 and len(hook.posts) == 4


def test_serve_sends_at_startup_after_eight_and_keeps_serving_while_mail_hangs(tmp_path):
    hanging = socket.socket()  # accepts connections into its backlog and never says a word
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    try:
        with webhook_receiver() as (hook_url, hook):
            env = {
                "EVALMEET_SMTP_URL": f"smtp://127.0.0.1:{hanging.getsockname()[1]}",
                "EVALMEET_WEBHOOK_URL": hook_url,
                "EVALMEET_REMIND_TIMEOUT_SECONDS": "4",
            }
            with live_server(tmp_path, env) as srv:
                overdue, _soon = _due_actions(srv)  # made after the first start's run: not sent
                assert hook.posts == []
                srv.restart()  # 10:30 China time: the startup run catches up on today's 08:00
                began = time.monotonic()
                # while the mail to the overdue action's owner hangs, the server answers at once
                for _ in range(5):
                    tick = time.monotonic()
                    assert srv.api("GET", "stats").status_code == 200
                    assert time.monotonic() - tick < 1.5
                assert _wait_for(lambda: len(hook.posts) == 2), srv.log()
                assert time.monotonic() - began >= 3.5  # the mail's timeout came first
                assert _wait_for(lambda: f"reminded action {overdue} " in srv.log()), srv.log()
                assert f"reminder of action {overdue} by mail failed (retried next run)" in srv.log()
                assert srv.running
    finally:
        hanging.close()
