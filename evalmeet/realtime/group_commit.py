"""Group commit: the ballots that arrive together are written in ONE transaction, then all acked.

Why: on SQLite every commit waits for an fsync (``synchronous=FULL``: a ballot acked to a phone
must survive a power cut), and under gevent that wait stops the whole process. One commit per
ballot makes the disk, not the CPU, the limit when a hall votes at once (docs/performance.md).
Committing the ballots that arrived meanwhile together costs one fsync for all of them.

How (leader and followers, no extra greenlet): the first caller becomes the leader. It yields
once so that the events already read from the sockets can queue up behind it, then takes up to
``max_batch`` requests (its own first), hands them to the batch service in ONE call
(``voting.cast_ballots``: a fixed number of statements per batch, each request answered or
refused on its own, a refusal writes nothing), commits once, and hands every caller its outcome.
Callers that arrive while a leader is busy wait; when the leader is done the first of them leads
the next batch. A caller alone (tests, a quiet hall) is a batch of one.

What stays true: nobody is answered before the commit that holds their ballot; a failed
statement or commit fails every ballot of the batch (none is acked, the phones resend with the
same key). Written for gevent (cooperative greenlets, one thread), the server's only mode.
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
from evalmeet.services.voting import ballots as voting

R = TypeVar("R")
T = TypeVar("T")
# The batch service: one outcome (a value or the exception to raise) per request, in order.
BatchWork = Callable[[Session, list[R]], list[T | Exception]]


class _Entry(Generic[R, T]):
    """One caller's request, and then its outcome."""

    def __init__(self, request: R) -> None:
        self.request = request
        self.wake: Any = socketio.server.eio.create_event()
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit(Generic[R, T]):
    """Runs ``work(session, requests)`` for concurrent callers in shared transactions (see the
    module doc)."""

    def __init__(self, work: BatchWork[R, T], max_batch: int = 200) -> None:
        self.work = work
        self.max_batch = max_batch
        self._waiting: deque[_Entry[R, T]] = deque()
        self._busy = False

    def run(self, request: R) -> T:
        """Do ``request`` in a shared transaction; return its outcome once that is committed.

        A refusal the batch service returns for this request is raised to its caller alone; an
        exception the service or the commit raises comes back to every caller of the batch.
        ``VOTE_GROUP_COMMIT = False`` makes every call a batch of one with its own commit.
        """
        if not current_app.config.get("VOTE_GROUP_COMMIT", True):
            (outcome,) = self.work(db.session, [request])
            failpoints.hit("vote_before_commit")
            db.session.commit()
            failpoints.hit("vote_after_commit")
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        entry: _Entry[R, T] = _Entry(request)
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

    def _commit(self, batch: list[_Entry[R, T]]) -> None:
        session = db.session
        try:
            outcomes = self.work(session, [entry.request for entry in batch])
            for entry, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    entry.error = outcome
                else:
                    entry.value = outcome
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


ballots: GroupCommit[voting.CastRequest, voting.CastOutcome] = GroupCommit(voting.cast_ballots)
