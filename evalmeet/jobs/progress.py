"""``report(done, total)``: how far the running job is, for its progress page.

A producer calls it as it goes; it is a no-op when the work runs in the request itself (tests,
the command line, ``JOBS_WORKERS=0``). Reports are throttled to a few a second.

``current_job()`` is the id of the job the worker runs (None in a request): a producer that
commits records it, so a server whose worker died right after the commit can still tell
(an import's save: ``services/files/import_save.saved_by_job``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

_sink: Callable[[int, int], None] | None = None
_job: str | None = None
_last = 0.0


def attach(sink: Callable[[int, int], None] | None, job_id: str | None = None) -> None:
    """The worker's: where reports go for the job it runs, and its id (None: nowhere, none)."""
    global _sink, _job, _last
    _sink, _job, _last = sink, job_id, 0.0


def current_job() -> str | None:
    """The id of the job being run, in a worker; None when the work runs in the request."""
    return _job


def report(done: int, total: int) -> None:
    global _last
    if _sink is None:
        return
    now = time.monotonic()
    if done < total and now - _last < 0.25:
        return
    _last = now
    _sink(done, total)
