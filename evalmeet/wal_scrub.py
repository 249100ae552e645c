"""The SQLite write-ahead log scrub after a vote closes, retried until it has really happened.

Why: the ``-wal`` file holds every page committed while voting was open, in commit order; the
first frame a participation row and a ballot receipt appear in pairs a representative with a
choice. ``PRAGMA wal_checkpoint(TRUNCATE)`` copies those pages into the database and cuts the
file to 0 bytes — but only when no other connection still reads an older snapshot. While a
reader holds one (``evalmeet backup``, a monitoring tool, a ``sqlite3`` shell inside a
transaction) the checkpoint answers ``busy`` and the file keeps every pre-close page, long
after the reader has gone, unless someone tries again.

What happens: the close's edge calls :func:`evalmeet.db.scrub_sqlite_wal` after its commit. That
tries once; if the answer is not a complete checkpoint with a truncated log, the engine's
scrubber keeps trying — after later commits on the engine, and on a timer with backoff — in ONE
background task per engine, until a ``TRUNCATE`` checkpoint completes. Once one has, no file
holds a pre-close page: the ``-wal`` is empty and the main file has the latest version of every
page, in which ``secure_delete=ON`` has zeroed the deleted pre-close ballots and freed pages.
Every attempt runs with ``busy_timeout`` 0 on its connection, so SQLite never sleeps in C (which
would stop every greenlet) waiting for the reader. Logs say WARNING while pending (then a reminder
every minute), INFO when done; frame counts only, never a ballot.

Not Flask-bound: the app hands each scrubber its ``spawn``/``sleep`` (Socket.IO's background
task and sleep, greenlets under gevent); without them a failed attempt stays pending until the
next :meth:`WalScrubber.scrub` or :meth:`WalScrubber.retry_now`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

Spawn = Callable[[Callable[[], None]], Any]
Sleep = Callable[[float], Any]

FIRST_RETRY_S = 0.25  # then doubling up to MAX_RETRY_S
MAX_RETRY_S = 2.0  # a reader that has let go is noticed within this, even with no writes
MIN_GAP_S = 0.2  # a burst of commits asks for one attempt, not one each
TICK_S = 0.05  # how often the waiting task looks for a nudge from a commit
REMIND_S = 60.0


@dataclass(frozen=True)
class Checkpoint:
    """The row ``PRAGMA wal_checkpoint`` answers."""

    busy: int  # 1: a reader or writer stopped it from completing
    log: int  # frames in the log afterwards (0 once truncated; -1: not in WAL mode)
    checkpointed: int  # frames copied into the database

    @property
    def clean(self) -> bool:
        """No frame left in the log: it was fully copied and truncated (or there is no WAL)."""
        return self.busy == 0 and self.log <= 0


def checkpoint_truncate(engine: Engine) -> Checkpoint:
    """One ``wal_checkpoint(TRUNCATE)`` on a pooled connection, with ``busy_timeout`` 0 meanwhile."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            (previous,) = cursor.execute("PRAGMA busy_timeout").fetchone()
            cursor.execute("PRAGMA busy_timeout=0")
            try:
                row = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                cursor.execute(f"PRAGMA busy_timeout={int(previous)}")
        finally:
            cursor.close()
    return Checkpoint(int(row[0]), int(row[1]), int(row[2]))


class WalScrubber:
    """One engine's scrub state: how many closes asked for a scrub, how many one has followed."""

    def __init__(self, engine: Engine) -> None:
        self._engine_ref = weakref.ref(engine)
        self.sqlite = engine.dialect.name == "sqlite"
        self.spawn: Spawn | None = None
        self.sleep: Sleep = time.sleep
        self._requested = 0  # scrubs asked for (each after a commit that closed a vote)
        self._scrubbed = 0  # the most recent request a complete checkpoint followed
        self._task_running = False
        self._nudged = False
        self._stopped = False
        self._last_attempt = float("-inf")
        self._last_result: Checkpoint | None = None
        self.attempts = 0  # since the scrub became pending (for the log)
        if self.sqlite:
            event.listen(engine, "commit", self._on_commit)
            event.listen(engine, "engine_disposed", self._on_dispose)

    @property
    def pending(self) -> bool:
        """Whether a close has not yet been followed by a complete, truncating checkpoint."""
        return self._scrubbed < self._requested

    @property
    def retrying(self) -> bool:
        """Whether the background task is running."""
        return self._task_running

    def configure(self, spawn: Spawn | None, sleep: Sleep | None) -> None:
        """How to run the background task and how it sleeps (cooperatively, under gevent)."""
        self.spawn = spawn
        self.sleep = sleep or time.sleep
        self._stopped = False

    def scrub(self) -> bool:
        """A vote's close was committed: scrub now; True when the files are clean.

        When another process's reader is in the way, the retries go on in the background.
        """
        if not self.sqlite:
            return True
        self._requested += 1
        if self._attempt():
            return True
        if self.attempts == 1:
            last = self._last_result
            log.warning(
                "SQLite write-ahead log not scrubbed after a vote closed: another connection holds "
                "a read transaction (checkpoint busy=%s, %s of %s frames copied); retrying until it "
                "ends, the -wal keeps the vote's pages meanwhile",
                *((last.busy, last.checkpointed, last.log) if last else ("?", "?", "?")),
            )
        self._start_task()
        return False

    def retry_now(self) -> bool:
        """One attempt now if a scrub is pending (also what the background task does)."""
        return not self.pending or self._attempt()

    # --- internals -----------------------------------------------------------------------------

    def _attempt(self) -> bool:
        engine = self._engine_ref()
        if engine is None:
            return False
        target = self._requested  # read before waiting for the connection: never overclaims
        self._last_attempt = time.monotonic()
        self._last_result = None
        self.attempts += 1
        try:
            result = checkpoint_truncate(engine)
        except (sqlite3.Error, SQLAlchemyError) as exc:
            log.warning("SQLite write-ahead log scrub attempt failed: %s", type(exc).__name__)
            return False
        if not result.clean:
            self._last_result = result
            return False
        if self.attempts > 1:
            log.info("SQLite write-ahead log scrubbed (checkpointed, truncated), %d attempts", self.attempts)
        self._scrubbed = max(self._scrubbed, target)
        if not self.pending:
            self.attempts = 0
        return not self.pending

    def _start_task(self) -> None:
        if self._task_running or self.spawn is None or self._stopped:
            return
        self._task_running = True
        try:
            self.spawn(self._retry_loop)
        except Exception:
            self._task_running = False
            raise

    def _retry_loop(self) -> None:
        delay = FIRST_RETRY_S
        since = time.monotonic()
        reminded = since
        try:
            while self.pending and not self._stopped:
                due = self._last_attempt + delay
                while not self._stopped:
                    now = time.monotonic()
                    if now >= due or (self._nudged and now >= self._last_attempt + MIN_GAP_S):
                        break
                    self.sleep(TICK_S)
                self._nudged = False
                if self._stopped or self.retry_now():
                    break
                delay = min(delay * 2, MAX_RETRY_S)
                if time.monotonic() - reminded >= REMIND_S:
                    reminded = time.monotonic()
                    log.warning(
                        "SQLite write-ahead log still not scrubbed after %.0f s: a reader keeps it open",
                        reminded - since,
                    )
        finally:
            self._task_running = False

    def _on_commit(self, _conn: Any) -> None:
        # A later write: a good moment to try again (the reader may have gone meanwhile).
        if self.pending:
            self._nudged = True

    def _on_dispose(self, _engine: Any) -> None:
        self._stopped = True


_scrubbers: weakref.WeakKeyDictionary[Engine, WalScrubber] = weakref.WeakKeyDictionary()


def scrubber_for(engine: Engine, *, spawn: Spawn | None = None, sleep: Sleep | None = None) -> WalScrubber:
    """The engine's one scrubber (created on first use); ``spawn``/``sleep`` configure it."""
    scrubber = _scrubbers.get(engine)
    if scrubber is None:
        scrubber = _scrubbers[engine] = WalScrubber(engine)
    if spawn is not None or sleep is not None:
        scrubber.configure(spawn, sleep)
    return scrubber
