"""The real server runs on the suite's pinned clock: its "today" and its timestamps are the test's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from evalmeet.domain import clock
from tests.conftest import PINNED_AT
from tests.server import live_server

pytestmark = pytest.mark.server


def test_the_server_counts_overdue_by_the_tests_china_day(tmp_path):
    today = clock.today()  # 2031-05-14 in China: neither the real date nor a UTC-shifted one
    with live_server(tmp_path) as srv:
        meeting = srv.api("POST", "meetings", {"title": "时钟测试会"}).json()
        item = srv.api(
            "POST",
            f"meetings/{meeting['id']}/items",
            {"title": "焦炭采购", "responsible_person": {"name": "王建国"}, "procurement_method": "tender"},
        ).json()

        def action_due(day):
            made = srv.api(
                "POST",
                f"items/{item['id']}/actions",
                {"kind": "rectification", "description": "整改", "due_date": day.isoformat()},
            )
            assert made.status_code == 201, made.text
            return made.json()

        due_today, due_yesterday = action_due(today), action_due(today - timedelta(days=1))

    assert due_today["overdue"] is False and due_yesterday["overdue"] is True
    created = datetime.fromisoformat(due_today["created_at"])
    assert timedelta(0) <= created - PINNED_AT < timedelta(minutes=10), created
