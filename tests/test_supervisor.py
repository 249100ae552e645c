"""The job workers' supervisor (jobs/supervisor.py) on real processes, under gevent's hub.

A worker that exits is started again after a pause that doubles while it keeps failing, and
stopping the supervisor stops its workers and starts no more. The worker here is a Python
process that exits at once (or sleeps); the real worker is tests/e2e/test_jobs_live.py's.
"""

from __future__ import annotations

import logging
import re
import sys
import time

import gevent
import pytest

from evalmeet.jobs import supervisor


class Short(supervisor.Supervisor):
    """Workers that run ``code`` instead of ``evalmeet worker``."""

    def __init__(self, code: str) -> None:
        super().__init__(1, "/nonexistent")
        self.code = code

    def _command(self) -> list[str]:
        return [sys.executable, "-c", self.code]


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(supervisor, "FIRST_PAUSE_S", 0.2)
    monkeypatch.setattr(supervisor, "MAX_PAUSE_S", 0.8)
    monkeypatch.setattr(supervisor, "HEALTHY_S", 60.0)


def test_a_failing_worker_is_started_again_ever_later(quick, caplog):
    caplog.set_level(logging.INFO, logger="evalmeet.jobs")
    keeper = Short("import sys; sys.exit(3)")
    keeper.start()
    try:
        gevent.sleep(3.0)
    finally:
        keeper.stop()
    messages = [r.getMessage() for r in caplog.records]
    starts = [m for m in messages if "started (pid" in m]
    exited = re.compile(r"exited with 3; starting it again in (.+) s")
    pauses = [found[1] for m in messages if (found := exited.search(m))]
    # 0.2, 0.4, 0.8, 0.8 ...: about 5 starts in 3 s (30 with a fixed 0.1 s pause)
    assert 3 <= len(starts) <= 7, messages
    assert len(pauses) >= 3 and pauses == ["0.2", "0.4", "0.8", "0.8", "0.8", "0.8", "0.8"][: len(pauses)]


def test_stop_ends_the_workers_and_starts_no_more(quick, caplog):
    caplog.set_level(logging.INFO, logger="evalmeet.jobs")
    keeper = Short("import time; time.sleep(60)")
    keeper.start()
    gevent.sleep(0.3)
    (proc,) = keeper.procs.values()
    assert proc.poll() is None
    began = time.monotonic()
    keeper.stop()
    assert proc.poll() is not None and time.monotonic() - began < 5
    gevent.sleep(0.5)
    assert [r for r in caplog.records if "started (pid" in r.getMessage()] == [caplog.records[0]]
    assert not [r for r in caplog.records if "exited" in r.getMessage()]
