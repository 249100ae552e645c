"""Failpoints: named places where a test can make the server die on purpose (SIGKILL).

Set ``EVALMEET_FAILPOINTS=vote_before_commit`` (comma-separated names, optionally ``name:N`` to
fire on the N-th pass) in the server's environment, and the process kills itself the moment it
reaches that point — exactly like a power cut. Unset (always, in production) this costs one
dictionary lookup. Used by the durability tests in tests/e2e/test_crash.py.
"""

from __future__ import annotations

import os
import signal
import threading

_lock = threading.Lock()
_passes: dict[str, int] = {}


def _armed() -> dict[str, int]:
    spec = os.environ.get("EVALMEET_FAILPOINTS", "")
    armed: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, nth = part.partition(":")
        armed[name] = int(nth) if nth.isdigit() else 1
    return armed


_ARMED = _armed()


def hit(name: str) -> None:
    """Die here with SIGKILL when ``name`` is armed (on its N-th pass)."""
    if not _ARMED or name not in _ARMED:
        return
    with _lock:
        _passes[name] = _passes.get(name, 0) + 1
        if _passes[name] < _ARMED[name]:
            return
    os.kill(os.getpid(), signal.SIGKILL)


def pause(name: str, seconds: float = 4.0) -> None:
    """Sleep here when ``name`` is armed (every pass): a window for a test to kill the process
    in the middle of its work (tests/e2e/test_jobs_live.py)."""
    if _ARMED and name in _ARMED:
        import time
        from pathlib import Path

        mark = os.environ.get("EVALMEET_FAILPOINT_MARK")
        if mark:  # tells the test the pause has begun
            Path(mark).write_text(str(os.getpid()))
        time.sleep(seconds)
