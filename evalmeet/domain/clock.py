"""The app's one clock: every "now", "today", "overdue" and timestamp comes from here.

Meetings happen in China, so the calendar is China Standard Time (UTC+8, no daylight saving)
whatever zone the server runs in: due dates, "today" and the times on pages and in the minutes
are China days and China wall-clock times. Instants are stored and compared as aware UTC.

The clock is injectable: a module-level current clock that :func:`set_clock` replaces and
:func:`pinned` replaces for a ``with`` block. Three kinds:

- :class:`SystemClock`, the machine's clock (the default);
- :class:`FixedClock`, frozen at one instant;
- :class:`OffsetClock`, which starts at a given instant and then advances with
  ``time.monotonic``, so durations (ordering of timestamps, "a few seconds later") stay real.

Tests pin an offset clock for every test (``tests/conftest.py``); ``EVALMEET_NOW`` (testing and
demos only) makes ``create_app`` install one in a server process, so a test and the real server
it starts agree on "today". Pure Python: no Flask, no database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Protocol

CHINA = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    """Anything that says what instant it is."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The machine's current time, in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A frozen clock: always the same instant."""

    def __init__(self, instant: datetime) -> None:
        self.instant = _aware_utc(instant)

    def now(self) -> datetime:
        """The instant it was frozen at."""
        return self.instant

    def __repr__(self) -> str:
        return f"FixedClock({self.instant.isoformat()})"


class OffsetClock:
    """A running clock that starts at ``start`` and advances as ``monotonic`` does.

    ``time.monotonic`` rather than the wall clock: it never jumps, and whether a tool such as
    libfaketime shifts it, freezes it or leaves it alone, only its differences are used.
    """

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.start = _aware_utc(start)
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> datetime:
        """``start`` plus the time that has passed since the clock was made."""
        return self.start + timedelta(seconds=self._monotonic() - self._origin)

    def __repr__(self) -> str:
        return f"OffsetClock(start={self.start.isoformat()})"


_current: Clock = SystemClock()


def get_clock() -> Clock:
    """The clock in use."""
    return _current


def set_clock(clock: Clock) -> Clock:
    """Use ``clock`` from now on (for the whole process); returns the one it replaces."""
    global _current
    previous, _current = _current, clock
    return previous


@contextmanager
def pinned(instant: datetime | str, frozen: bool = False) -> Iterator[Clock]:
    """Within the block the clock reads ``instant`` (running on from it unless ``frozen``)."""
    moment = parse_instant(instant) if isinstance(instant, str) else instant
    clock: Clock = FixedClock(moment) if frozen else OffsetClock(moment)
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


# --- reading the clock ------------------------------------------------------------------------


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _current.now().astimezone(UTC)


def epoch_seconds() -> float:
    """The machine's clock as seconds since the epoch: only to compare with what a library counts
    in it (the ``limits`` windows' reset times), never for a date, a deadline or a timestamp."""
    return time.time()


def today() -> date:
    """Today's date in China: what due dates and "overdue" are counted against."""
    return now().astimezone(CHINA).date()


def china_today(moment: datetime | None = None) -> date:
    """The China date of ``moment`` (default: now). Kept for callers of the first version."""
    return today() if moment is None else to_china(moment).date()


# --- converting and formatting ------------------------------------------------------------------


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{value.isoformat()} has no time zone; an instant needs one")
    return value.astimezone(UTC)


def to_china(value: datetime) -> datetime:
    """An aware instant as China wall-clock time (naive values are taken as UTC, as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA)


def china_date(value: datetime | None) -> date | None:
    """The China calendar date of an instant (None stays None)."""
    return None if value is None else to_china(value).date()


def china_midnight_utc(day: date) -> datetime:
    """The UTC instant at which China's ``day`` begins (16:00 UTC the day before)."""
    return datetime.combine(day, clock_time(0, 0), tzinfo=CHINA).astimezone(UTC)


def china_time(value: datetime | None) -> str:
    """``2026-12-01 09:00`` in China time, or an empty string."""
    return "" if value is None else to_china(value).strftime("%Y-%m-%d %H:%M")


def datetime_local_value(value: datetime | None) -> str:
    """The value of an ``<input type="datetime-local">`` showing ``value`` in China time."""
    return "" if value is None else to_china(value).strftime("%Y-%m-%dT%H:%M")


def china_wall_clock(value: datetime) -> datetime:
    """A naive China wall-clock time (for Excel, which has no time zones)."""
    return to_china(value).replace(tzinfo=None)


def from_china_input(value: datetime) -> datetime:
    """A parsed input as an aware UTC instant: without a zone it is China time (UTC+8)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant (``2031-05-14T10:30:00+08:00``, ``…Z``) as aware UTC.

    Without a zone it is China time, as everywhere else the app reads a time. ValueError on
    anything else.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"not an ISO 8601 instant like 2031-05-14T10:30:00+08:00: {text!r}") from None
    return from_china_input(parsed)
