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

    def _keep(self, slot: int) -> None:
        import gevent

        pause = 0.5
        while not self.stopping:
            proc = self._spawn(slot)
            self.procs[slot] = proc
            log.info("job worker %d started (pid %d)", slot, proc.pid)
            code = proc.wait()
            if self.stopping:
                return
            log.warning("job worker %d (pid %d) exited with %s; starting it again", slot, proc.pid, code)
            gevent.sleep(pause)
            pause = min(pause * 2, 30.0)

    def start(self) -> None:
        """Called from the main greenlet, before serving."""
        import gevent

        for slot in range(self.count):
            # the first spawn happens here, in the main greenlet; restarts in the slot's greenlet
            proc = self._spawn(slot)
            self.procs[slot] = proc
            log.info("job worker %d started (pid %d)", slot, proc.pid)
            self.greenlets.append(gevent.spawn(self._watch_then_keep, slot, proc))

    def _watch_then_keep(self, slot: int, proc: Any) -> None:
        import gevent

        code = proc.wait()
        if self.stopping:
            return
        log.warning("job worker %d (pid %d) exited with %s; starting it again", slot, proc.pid, code)
        gevent.sleep(0.5)
        self._keep(slot)

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
