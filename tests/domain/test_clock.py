"""Due dates are China days: 16:30 UTC on the 1st is already the 2nd in Beijing."""

from datetime import UTC, date, datetime

from evalmeet.domain.clock import china_today


def test_china_today_crosses_midnight_before_utc():
    assert china_today(datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert china_today(datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == date(2026, 12, 2)
