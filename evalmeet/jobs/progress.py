"""``report(done, total)``: how far the running job is, for its progress page.

A producer calls it as it goes; it is a no-op when the work runs in the request itself (tests,
the command line, ``JOBS_WORKERS=0``). Reports are throttled to a few a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_sink: Callable[[int, int], None] | None = None
_last = 0.0


def attach(sink: Callable[[int, int], None] | None) -> None:
    """The worker's: where reports go for the job it runs (None: nowhere)."""
    global _sink, _last
    _sink, _last = sink, 0.0


def report(done: int, total: int) -> None:
    global _last
    if _sink is None:
        return
    now = time.monotonic()
    if done < total and now - _last < 0.25:
        return
    _last = now
    _sink(done, total)
