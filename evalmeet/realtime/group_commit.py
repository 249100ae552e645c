"""Group commit: the ballots that arrive together are written in ONE transaction, then all acked.

Why: on SQLite every commit waits for an fsync (``synchronous=FULL``: a ballot acked to a phone
must survive a power cut), and under gevent that wait stops the whole process. One commit per
ballot makes the disk, not the CPU, the limit when a hall votes at once (docs/performance.md).
Committing the ballots that arrived meanwhile together costs one fsync for all of them.

How (leader and followers, no extra greenlet): the first caller becomes the leader. It yields
once so that the events already read from the sockets can queue up behind it, then takes up to
``max_batch`` of them (its own first), runs each one's work in a SAVEPOINT of one session (a
refused ballot rolls back alone), commits once, and hands every caller its outcome. Callers that
arrive while a leader is busy wait; when the leader is done the first of them leads the next
batch. A caller alone (tests, a quiet hall) is a batch of one, exactly as before.

What stays true: nobody is answered before the commit that holds their ballot; a failed commit
fails every ballot of the batch (none is acked, the phones resend with the same key); the work of
each ballot is the same service call as before. Written for gevent (cooperative greenlets, one
thread), the server's only mode.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from evalmeet import failpoints
from evalmeet.extensions import db, socketio

T = TypeVar("T")


class _Entry(Generic[T]):
    """One caller's work, and then its outcome."""

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.wake: Any = socketio.server.eio.create_event()
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """Runs ``work(session)`` for concurrent callers in shared transactions (see the module doc)."""

    def __init__(self, max_batch: int = 200) -> None:
        self.max_batch = max_batch
        self._waiting: deque[_Entry[Any]] = deque()
        self._busy = False

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a savepoint of a shared transaction; return once that is committed.

        Exceptions ``work`` raises come back to its caller alone (its savepoint is rolled back);
        a failed commit comes back to every caller of the batch.
        """
        if not current_app.config.get("VOTE_GROUP_COMMIT", True):
            value = work(db.session)
            failpoints.hit("vote_before_commit")
            db.session.commit()
            failpoints.hit("vote_after_commit")
            return value
        entry: _Entry[T] = _Entry(work)
        self._waiting.append(entry)
        if self._busy:
            try:
                entry.wake.wait()
            except BaseException:  # killed while waiting (shutdown): leave the line cleanly
                if not entry.done:
                    with contextlib.suppress(ValueError):
                        self._waiting.remove(entry)
                    if entry.wake.is_set():  # we had just been asked to lead: pass it on
                        self._hand_on()
                raise
            if entry.done:
                return entry.outcome()
            # Not done: the previous leader woke us to lead; our entry is first in line.
        self._busy = True
        try:
            socketio.sleep(0)  # let the ballots already read from the sockets join this batch
            batch = [self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))]
            self._commit(batch)
        finally:
            self._hand_on()
        return entry.outcome()

    def _hand_on(self) -> None:
        """The first caller in line leads next; with nobody waiting, the next caller will."""
        if self._waiting:
            self._waiting[0].wake.set()
        else:
            self._busy = False

    def _commit(self, batch: list[_Entry[Any]]) -> None:
        session = db.session
        try:
            for entry in batch:
                try:
                    with session.begin_nested():
                        entry.value = entry.work(session)
                except Exception as exc:  # noqa: BLE001 - handed to its caller, who answers it
                    entry.error = exc
            failpoints.hit("vote_before_commit")
            session.commit()
            failpoints.hit("vote_after_commit")  # committed, not yet acknowledged
        except BaseException as exc:
            session.rollback()
            for entry in batch:
                if entry.error is None:
                    entry.value, entry.error = None, exc
            raise
        finally:
            for entry in batch:
                entry.done = True
                entry.wake.set()

    def reset(self) -> None:
        """Forget queued callers (tests; nothing is queued between events)."""
        self._waiting.clear()
        self._busy = False


ballots = GroupCommit()
