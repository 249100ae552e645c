"""``evalmeet serve``'s workers: started from the main greenlet, restarted when one dies.

Each worker is ``evalmeet worker`` in its own process (``gevent.subprocess``: a fork+exec from
the main greenlet, never a bare fork of the monkey-patched server), at a lower CPU priority
(``nice`` 10) so that on a small machine the live meeting comes first. A worker that exits is
started again after a pause that grows while it keeps failing; a job it was running answers
``worker_lost`` (jobs/wait.py). Stopping the server stops its workers, and a worker whose
server went away (killed) stops by itself.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

log = logging.getLogger("evalmeet.jobs")
PARENT_ENV = "EVALMEET_WORKER_PARENT"
# A worker that exits is started again after FIRST_PAUSE_S, doubled at each exit up to
# MAX_PAUSE_S while it keeps failing; one that lived HEALTHY_S starts the count again.
FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 30.0
HEALTHY_S = 60.0


class Supervisor:
    def __init__(self, count: int, instance_path: str) -> None:
        self.count = count
        self.instance_path = instance_path
        self.stopping = False
        self.procs: dict[int, Any] = {}
        self.greenlets: list[Any] = []

    def _command(self) -> list[str]:
        return [sys.executable, "-c", "import sys; from evalmeet.cli import main; sys.exit(main(['worker']))"]

    def _spawn(self, slot: int) -> Any:
        from gevent import subprocess

        env = dict(os.environ, EVALMEET_INSTANCE_PATH=self.instance_path, **{PARENT_ENV: str(os.getpid())})
        return subprocess.Popen(self._command(), env=env, stdin=subprocess.DEVNULL)

    def _started(self, slot: int) -> Any:
        proc = self._spawn(slot)
        self.procs[slot] = proc
        log.info("job worker %d started (pid %d)", slot, proc.pid)
        return proc

    def start(self) -> None:
        """Called from the main greenlet, before serving: the first spawns happen here; a slot's
        greenlet watches its worker and starts the next one."""
        import gevent

        for slot in range(self.count):
            self.greenlets.append(gevent.spawn(self._keep, slot, self._started(slot)))

    def _keep(self, slot: int, proc: Any) -> None:
        """Start the slot's worker again each time it exits, after a pause that doubles (to
        ``MAX_PAUSE_S``) while it keeps dying young and starts again from ``FIRST_PAUSE_S`` once
        one has lived ``HEALTHY_S``."""
        import time

        import gevent

        pause = FIRST_PAUSE_S
        while True:
            began = time.monotonic()
            code = proc.wait()
            if self.stopping:
                return
            if time.monotonic() - began >= HEALTHY_S:
                pause = FIRST_PAUSE_S
            log.warning(
                "job worker %d (pid %d) exited with %s; starting it again in %.1f s",
                slot,
                proc.pid,
                code,
                pause,
            )
            gevent.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_S)
            if self.stopping:
                return
            proc = self._started(slot)

    def stop(self, timeout: float = 10.0) -> None:
        import gevent

        self.stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=deadline)
            except Exception:  # noqa: BLE001 - gevent's TimeoutExpired
                proc.kill()
        gevent.killall(self.greenlets, block=False)


def watch_parent() -> None:
    """In a worker started by a server: exit when that server is gone (it was killed)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return
    import threading
    import time

    def watch() -> None:
        while True:
            if os.getppid() != int(parent):
                os._exit(0)
            time.sleep(1.0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
