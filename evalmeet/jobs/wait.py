"""The server's side of a job: enqueue, wait without blocking the event loop, answer with the file.

``download(name, producer, kwargs)`` is what a download view returns. With workers (``evalmeet
serve`` started them: ``JOBS_IN_WORKERS``) the producer runs in a worker process and this request
greenlet polls the queue with cooperative sleeps, so phones keep voting meanwhile; an API client
gets the file as before (contract: "Downloads stay downloads"). A browser that navigated to the
download and would wait more than a moment is sent to the job's progress page instead
(``/jobs/<id>``), which downloads the file when it is ready. Without workers (the test client,
the command line, ``EVALMEET_JOBS_WORKERS=0``) the producer runs right here.

``page_job(name, producer, kwargs, ..., then=...)`` is the same for a browser page whose work
(an import's check or save) makes no download: it answers the producer's bytes when the job is
done within ``JOBS_BROWSER_PATIENCE_S``, else the progress page, which goes on to ``then`` (the
page that shows the outcome, :func:`job_bytes`) once the job is done.

A job that raised answers 503 ``job_failed``; one whose worker died under it 503 ``worker_lost``;
one nobody took or finished in ``JOBS_TIMEOUT_S`` 503 ``job_timeout``: never a hang.
"""

from __future__ import annotations

import io
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, current_app, redirect, request, send_file, url_for
from huey import Huey
from huey.exceptions import TaskException

from evalmeet.domain.errors import DomainError
from evalmeet.jobs.queue import (
    FILES,
    drop_file,
    file_pieces,
    folder,
    produce_task,
    queue_for,
    read_file,
    started,
    sweep,
)

# A browser waits this long for its file before it is shown the progress page instead.
BROWSER_PATIENCE_S = 1.5


@dataclass(frozen=True)
class Produced:
    """A file a producer made: its bytes (or chunks), type and download name."""

    mimetype: str
    name: str
    data: bytes | None = None
    parts: Callable[[], Iterator[bytes]] | None = None

    def chunks(self) -> Iterator[bytes]:
        if self.data is not None:
            yield self.data
        elif self.parts is not None:
            yield from self.parts()

    def response(self) -> Response:
        body = self.data if self.data is not None else b"".join(self.chunks())
        return _send_bytes(body, self.mimetype, self.name)


def _send_bytes(body: bytes, mimetype: str, name: str) -> Response:
    """A file in memory as a private download."""
    return _attachment(send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name))


class JobError(DomainError):
    status = 503
    code = "job_failed"
    job_id = ""  # the job it is about, where one was enqueued (not sent to clients)

    @classmethod
    def of(cls, job_id: str, message: str, code: str) -> JobError:
        err = cls(message, code)
        err.job_id = job_id
        return err


def _attachment(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def refusal(data: dict[str, Any]) -> DomainError:
    err = DomainError(str(data["message"]), str(data["code"]), **dict(data.get("details") or {}))
    err.status = int(data["status"])
    return err


def _alive(info: dict[str, Any]) -> bool:
    if info.get("host") != socket.gethostname():
        return True  # another machine's worker (the cluster): its own supervisor watches it
    try:
        os.kill(int(info["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _retrying(call: Callable[[], Any]) -> Any:
    """A queue call, retried cooperatively while SQLite's lock is taken (a worker writing)."""
    for attempt in range(40):
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.01 * (attempt + 1))
    return call()


def poll(queue: Huey, job_id: str, *, preserve: bool) -> dict[str, Any] | None:
    """The job's outcome if it has one (raises :class:`JobError` for a failed or lost job)."""
    try:
        value: dict[str, Any] | None = _retrying(lambda: queue.result(job_id, preserve=preserve))
    except TaskException as exc:
        current_app.logger.error("job %s failed: %s", job_id, exc.metadata.get("error", exc))
        raise JobError.of(job_id, f"job {job_id} failed", "job_failed") from None
    if value is not None:
        return value
    info = _retrying(lambda: started(queue, job_id))
    if info is not None and not _alive(info):
        # the result may have landed just before the worker went: look once more
        value = _retrying(lambda: queue.result(job_id, preserve=preserve))
        if value is None:
            raise JobError.of(job_id, f"the worker running job {job_id} stopped", "worker_lost")
    return value


def enqueue(name: str, kwargs: dict[str, Any], lang: str) -> str:
    queue = queue_for(current_app.config)
    sweep(current_app.config)
    task = produce_task(queue)
    result = _retrying(lambda: task(name, kwargs, lang))
    return str(result.id)


def wait(job_id: str, patience: float | None = None) -> dict[str, Any] | None:
    """Poll until the job has an outcome (None when ``patience`` ran out first)."""
    queue = queue_for(current_app.config)
    timeout = float(current_app.config.get("JOBS_TIMEOUT_S", 300))
    start = time.monotonic()
    delay = 0.02
    while True:
        outcome = poll(queue, job_id, preserve=True)
        if outcome is not None:
            return outcome
        waited = time.monotonic() - start
        if patience is not None and waited >= patience:
            return None
        if waited >= timeout:
            raise JobError.of(job_id, f"job {job_id} did not finish in {timeout:.0f} s", "job_timeout")
        time.sleep(delay)  # cooperative: `evalmeet serve` monkey-patched time.sleep
        delay = min(delay * 1.5, 0.25)


def file_response(job_id: str, outcome: dict[str, Any], *, keep: bool) -> Response:
    """The finished job's answer: its file, or its refusal raised."""
    if "refused" in outcome:
        raise refusal(outcome["refused"])
    if "redis_file" in outcome:  # made by a worker of the cluster: the file is in Redis, in pieces
        queue = queue_for(current_app.config)
        if not file_pieces(queue, job_id):
            raise JobError.of(job_id, f"the file of job {job_id} is gone", "job_failed")
        sent = _attachment(
            send_file(
                io.BufferedReader(_Pieces(read_file(queue, job_id))),
                mimetype=str(outcome["mimetype"]),
                as_attachment=True,
                download_name=str(outcome["name"]),
                conditional=False,
            )
        )
        sent.content_length = int(outcome["size"])
        if not keep:
            sent.call_on_close(lambda: _forget(queue, job_id, None))
        return sent
    path = folder(current_app.config) / FILES / Path(str(outcome["file"])).name
    if not path.is_file():
        raise JobError.of(job_id, f"the file of job {job_id} is gone", "job_failed")
    response = _attachment(
        send_file(
            path,
            mimetype=str(outcome["mimetype"]),
            as_attachment=True,
            download_name=str(outcome["name"]),
            conditional=False,
        )
    )
    if not keep:
        queue = queue_for(current_app.config)
        response.call_on_close(lambda: _forget(queue, job_id, path))
    return response


def _forget(queue: Huey, job_id: str, path: Path | None) -> None:
    try:
        if path is not None:
            path.unlink(missing_ok=True)
        else:
            drop_file(queue, job_id)
        queue.result(job_id, preserve=False)
    except Exception:  # noqa: BLE001 - tidying only
        pass


class _Pieces(io.RawIOBase):
    """A cluster's file read from Redis piece by piece, as a file for ``send_file``: the server
    holds one piece at a time while it sends."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._piece = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._piece:
            try:
                self._piece = memoryview(next(self._pieces))
            except StopIteration:
                return 0
            except LookupError:
                raise OSError("the file went while it was being sent") from None
        count = min(len(buffer), len(self._piece))
        buffer[:count] = self._piece[:count]
        self._piece = self._piece[count:]
        return count


def _browser_navigation() -> bool:
    return request.headers.get("Sec-Fetch-Dest") == "document" and request.method == "GET"


def job_bytes(job_id: str, outcome: dict[str, Any], *, keep: bool) -> bytes:
    """What a finished job made, as bytes (its refusal raised); ``keep=False`` forgets it."""
    if "refused" in outcome:
        raise refusal(outcome["refused"])
    queue = queue_for(current_app.config)
    if "redis_file" in outcome:
        try:
            if not file_pieces(queue, job_id):
                raise LookupError(job_id)
            data = b"".join(read_file(queue, job_id))  # an import's page: a small JSON answer
        except LookupError:
            raise JobError.of(job_id, f"the file of job {job_id} is gone", "job_failed") from None
        path = None
    else:
        path = folder(current_app.config) / FILES / Path(str(outcome["file"])).name
        try:
            data = path.read_bytes()
        except OSError:
            raise JobError.of(job_id, f"the file of job {job_id} is gone", "job_failed") from None
    if not keep:
        _forget(queue, job_id, path)
    return data


def page_job(
    name: str,
    producer: Callable[..., Produced],
    kwargs: dict[str, Any],
    lang: str,
    *,
    then: Callable[[str], str],
    purpose: str,
    keep: bool = False,
    waiting: Callable[[str], None] | None = None,
    inline: bool = False,
) -> bytes | Any:
    """A browser page's job (see the module's docstring): the producer's bytes, or a redirect to
    the progress page (``purpose`` names what it says), which goes on to ``then(job_id)``;
    ``waiting(job_id)`` is called then. ``inline``: the work is small, run it right here."""
    from evalmeet.extensions import db
    from evalmeet.web import jobs as job_pages

    db.session.close()  # no transaction (SQLite's lock, a snapshot) held while it works or waits
    if inline or not current_app.config.get("JOBS_IN_WORKERS"):
        return b"".join(producer(**kwargs).chunks())
    job_id = enqueue(name, kwargs, lang)
    patience = float(current_app.config.get("JOBS_BROWSER_PATIENCE_S", BROWSER_PATIENCE_S))
    outcome = wait(job_id, patience=patience)
    if outcome is None:
        job_pages.remember(job_id, then=then(job_id), purpose=purpose)
        if waiting is not None:
            waiting(job_id)
        return redirect(url_for("jobs.progress_page", job_id=job_id, lang=lang))
    return job_bytes(job_id, outcome, keep=keep)


def download(name: str, producer: Callable[..., Produced], kwargs: dict[str, Any], lang: str) -> Any:
    """What a download view returns (see the module's docstring)."""
    if not current_app.config.get("JOBS_IN_WORKERS"):
        return producer(**kwargs).response()
    from evalmeet.extensions import db

    # Nothing of this request's transaction may stay open while it waits (on SQLite it would
    # hold the write lock the worker, and the phones, need).
    db.session.close()
    job_id = enqueue(name, kwargs, lang)
    if _browser_navigation():
        patience = float(current_app.config.get("JOBS_BROWSER_PATIENCE_S", BROWSER_PATIENCE_S))
        outcome = wait(job_id, patience=patience)
        if outcome is None:
            from evalmeet.web import jobs as job_pages

            job_pages.remember(job_id)
            return redirect(url_for("jobs.progress_page", job_id=job_id, lang=lang))
    else:
        outcome = wait(job_id)
    assert outcome is not None
    return file_response(job_id, outcome, keep=False)
