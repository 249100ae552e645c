"""The meeting's calendar: deadlines are days in China time (UTC+8), whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def china_today(now: datetime | None = None) -> date:
    """Today's date in China, used for due dates and "overdue"."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(CHINA).date()
