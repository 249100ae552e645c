"""The one clock: China days whatever the server's zone, injectable, and the suite's pin.

16:00 UTC is midnight in Beijing: 15:59 UTC on the 1st is still the 1st, 16:00 is the 2nd. The
instants below are the ones the suite must also survive under ``faketime`` (README).
"""

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from evalmeet.domain import clock
from evalmeet.domain.clock import CHINA, FixedClock, OffsetClock, SystemClock, china_today
from tests.conftest import PINNED_AT


def at(*parts: int) -> datetime:
    """A UTC instant."""
    return datetime(*parts, tzinfo=UTC)


def test_china_is_utc_plus_8_all_year():
    assert CHINA.utcoffset(None) == timedelta(hours=8)
    assert at(2031, 1, 15, 4).astimezone(CHINA).hour == at(2031, 7, 15, 4).astimezone(CHINA).hour == 12


def test_china_today_crosses_midnight_before_utc():
    assert china_today(at(2026, 12, 1, 15, 59)) == date(2026, 12, 1)
    assert china_today(at(2026, 12, 1, 16, 0)) == date(2026, 12, 2)


@pytest.mark.parametrize(
    ("instant", "china_day"),
    [
        (at(2027, 12, 31, 15, 45), date(2027, 12, 31)),  # 23:45 in China: still the old year
        (at(2027, 12, 31, 15, 59, 59), date(2027, 12, 31)),
        (at(2027, 12, 31, 16, 0), date(2028, 1, 1)),  # China's new year, 8 hours before UTC's
        (at(2028, 2, 28, 16, 0), date(2028, 2, 29)),  # the leap day begins in China
        (at(2028, 2, 29, 15, 59, 59), date(2028, 2, 29)),
        (at(2028, 2, 29, 16, 30), date(2028, 3, 1)),  # 00:30 on 1 March in China
        (at(2027, 2, 28, 16, 0), date(2027, 3, 1)),  # no leap day in 2027
    ],
)
def test_today_is_the_china_day_of_the_clock(instant, china_day):
    with clock.pinned(instant, frozen=True):
        assert clock.today() == china_day
        assert clock.china_today() == china_day


def test_china_midnight_utc_is_16_00_utc_the_day_before():
    assert clock.china_midnight_utc(date(2028, 2, 29)) == at(2028, 2, 28, 16)
    assert clock.china_midnight_utc(date(2028, 3, 1)) == at(2028, 2, 29, 16)
    assert clock.china_midnight_utc(date(2028, 1, 1)) == at(2027, 12, 31, 16)
    assert clock.china_midnight_utc(date(2028, 3, 1)).tzinfo == UTC


def test_formatting_in_china_time():
    late = at(2031, 5, 14, 16, 20)  # 00:20 on the 15th in China
    assert clock.to_china(late) == datetime(2031, 5, 15, 0, 20, tzinfo=CHINA)
    assert clock.china_date(late) == date(2031, 5, 15)
    assert clock.china_time(late) == "2031-05-15 00:20"
    assert clock.datetime_local_value(late) == "2031-05-15T00:20"
    assert clock.china_wall_clock(late) == datetime(2031, 5, 15, 0, 20)
    assert clock.china_time(None) == "" and clock.datetime_local_value(None) == ""
    assert clock.china_date(None) is None
    # A naive value is a stored UTC time (SQLite keeps them naive).
    assert clock.china_time(datetime(2031, 5, 14, 16, 20)) == "2031-05-15 00:20"


def test_inputs_without_a_zone_are_china_time():
    assert clock.from_china_input(datetime(2026, 12, 3, 9, 0)) == at(2026, 12, 3, 1, 0)
    assert clock.from_china_input(at(2026, 12, 3, 9, 0)) == at(2026, 12, 3, 9, 0)
    assert clock.parse_instant("2031-05-14T10:30:00+08:00") == at(2031, 5, 14, 2, 30)
    assert clock.parse_instant("2031-05-14T02:30:00Z") == at(2031, 5, 14, 2, 30)
    assert clock.parse_instant(" 2031-05-14 10:30 ") == at(2031, 5, 14, 2, 30)
    for junk in ("tomorrow", "", "2031-13-01T00:00Z"):
        with pytest.raises(ValueError, match="ISO 8601"):
            clock.parse_instant(junk)


def test_a_fixed_clock_is_frozen_and_wants_an_aware_instant():
    frozen = FixedClock(datetime(2031, 5, 14, 10, 30, tzinfo=CHINA))
    first = frozen.now()
    time.sleep(0.01)
    assert frozen.now() == first == at(2031, 5, 14, 2, 30) and first.tzinfo == UTC
    with pytest.raises(ValueError, match="time zone"):
        FixedClock(datetime(2031, 5, 14, 10, 30))


def test_an_offset_clock_starts_at_its_instant_and_runs_with_monotonic():
    ticks = iter([100.0, 100.0, 103.5, 3700.0])
    running = OffsetClock(at(2028, 2, 29, 15, 59), monotonic=lambda: next(ticks))
    assert running.now() == at(2028, 2, 29, 15, 59)
    assert running.now() == at(2028, 2, 29, 15, 59, 3, 500000)
    assert running.now() == at(2028, 2, 29, 16, 59)  # an hour on: 1 March in China
    real = OffsetClock(at(2031, 5, 14, 2, 30))
    a = real.now()
    time.sleep(0.02)
    b = real.now()
    # Differences of time.monotonic only: they hold whether faketime shifts it or not.
    assert timedelta(0) <= b - a < timedelta(seconds=5) and a >= at(2031, 5, 14, 2, 30)


def test_the_system_clock_is_the_machines_clock():
    # The one place a test reads the machine's clock: to check that SystemClock is it.
    machine = time.clock_gettime(time.CLOCK_REALTIME)
    now = SystemClock().now()
    assert now.tzinfo == UTC
    assert abs(now.timestamp() - machine) < 5


def test_pinned_replaces_the_clock_for_a_block_and_restores_it():
    outer = clock.get_clock()
    with clock.pinned("2028-02-29T16:30:00Z", frozen=True) as pinned:
        assert clock.get_clock() is pinned and clock.now() == at(2028, 2, 29, 16, 30)
        with clock.pinned(at(2027, 12, 31, 15, 45)):
            assert clock.today() == date(2027, 12, 31)
        assert clock.today() == date(2028, 3, 1)
    assert clock.get_clock() is outer
    with pytest.raises(RuntimeError), clock.pinned(at(2030, 1, 1), frozen=True):
        raise RuntimeError("a failing test")
    assert clock.get_clock() is outer


def test_set_clock_returns_the_clock_it_replaces():
    mine = FixedClock(at(2030, 6, 1, 4))
    previous = clock.set_clock(mine)
    try:
        assert clock.get_clock() is mine and clock.now() == at(2030, 6, 1, 4)
    finally:
        assert clock.set_clock(previous) is mine


def test_every_test_starts_at_the_suites_pinned_instant(pinned_clock):
    assert isinstance(pinned_clock, OffsetClock) and clock.get_clock() is pinned_clock
    assert pinned_clock.start == PINNED_AT
    assert timedelta(0) <= clock.now() - PINNED_AT < timedelta(minutes=1)
    assert clock.today() == date(2031, 5, 14)
    assert clock.now().tzinfo == UTC
