"""The Huey queue of an installation, and the one task its workers run."""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

FILES = "files"
# Finished files stay this long for their progress page's download, then go.
KEEP_SECONDS = 3600
# SQLite's own lock wait happens inside C and stops the server's event loop: keep it short;
# the server retries cooperatively (jobs/wait.py).
SQLITE_TIMEOUT_S = 0.05


def folder(config: dict[str, Any]) -> Path:
    """``<instance>/jobs``: the SQLite queue and the finished files (owner only)."""
    path = Path(config["INSTANCE_PATH"]) / "jobs"
    (path / FILES).mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def queue_for(config: dict[str, Any], *, worker: bool = False) -> Huey:
    """The installation's queue: Redis when ``JOBS_REDIS_URL`` (or a Redis message queue) is set,
    else SQLite in the instance folder (a worker may wait for SQLite's lock: not a server)."""
    redis_url = config.get("JOBS_REDIS_URL") or config.get("MESSAGE_QUEUE") or ""
    if redis_url.startswith(("redis://", "rediss://", "unix://")):
        channel = config.get("MESSAGE_QUEUE_CHANNEL", "evalmeet")
        return _redis_queue(f"{channel}-jobs", redis_url)
    return _sqlite_queue(str(folder(config) / "queue.sqlite3"), 5.0 if worker else SQLITE_TIMEOUT_S)


@functools.lru_cache(maxsize=4)
def _sqlite_queue(filename: str, timeout: float) -> Huey:
    queue = SqliteHuey("evalmeet-jobs", filename=filename, timeout=timeout)
    _register(queue)
    return queue


@functools.lru_cache(maxsize=4)
def _redis_queue(name: str, url: str) -> Huey:
    queue = RedisHuey(name, url=url)
    _register(queue)
    return queue


def _started_key(job_id: str) -> str:
    return f"started:{job_id}"


def _progress_key(job_id: str) -> str:
    return f"progress:{job_id}"


_PRODUCE: dict[int, Any] = {}


def produce_task(queue: Huey) -> Any:
    """The queue's ``produce`` task: call it to enqueue a job (answers Huey's result handle)."""
    return _PRODUCE[id(queue)]


def _register(queue: Huey) -> None:
    @queue.task(name="produce", context=True)
    def produce(name: str, kwargs: dict[str, Any], lang: str, task: Any = None) -> dict[str, Any]:
        from evalmeet.jobs import worker

        assert task is not None
        queue.put(_started_key(task.id), {"pid": os.getpid(), "host": socket.gethostname()})
        return worker.produce(queue, task.id, name, kwargs, lang)

    _PRODUCE[id(queue)] = produce


def started(queue: Huey, job_id: str) -> dict[str, Any] | None:
    """Who runs the job (``pid``, ``host``), once a worker has taken it."""
    value: dict[str, Any] | None = queue.get(_started_key(job_id), peek=True)
    return value


def progress(queue: Huey, job_id: str) -> tuple[int, int] | None:
    """``(done, total)`` as the job last reported it."""
    value = queue.get(_progress_key(job_id), peek=True)
    return None if value is None else (int(value[0]), int(value[1]))


def report(queue: Huey, job_id: str, done: int, total: int) -> None:
    queue.put(_progress_key(job_id), (done, total))


# A cluster's file goes through Redis in pieces of about this size (jobs/worker.py, jobs/wait.py).
PIECE_BYTES = 1 << 20


def _file_key(queue: Huey, job_id: str) -> str:
    return f"{queue.storage.name}:file:{job_id}"


def put_file(queue: Huey, job_id: str, chunks: Iterable[bytes]) -> int:
    """Keep a cluster's file in Redis as a list of pieces (about :data:`PIECE_BYTES` each), so the
    worker making it holds one piece at a time, however big the export; it expires with the
    finished files (:data:`KEEP_SECONDS`). Returns its size."""
    conn = queue.storage.conn
    key = _file_key(queue, job_id)
    conn.delete(key)
    size = 0
    piece = bytearray()
    for chunk in chunks:
        piece += chunk
        if len(piece) >= PIECE_BYTES:
            conn.rpush(key, bytes(piece))
            conn.expire(key, KEEP_SECONDS)
            size += len(piece)
            piece.clear()
    if piece or not size:  # an empty file is one empty piece: "there, and empty"
        conn.rpush(key, bytes(piece))
        size += len(piece)
    conn.expire(key, KEEP_SECONDS)
    return size


def file_pieces(queue: Huey, job_id: str) -> int:
    """How many pieces of the cluster's file of ``job_id`` Redis holds (0: none, or gone)."""
    return int(queue.storage.conn.llen(_file_key(queue, job_id)))


def read_file(queue: Huey, job_id: str) -> Iterator[bytes]:
    """The pieces of a cluster's file, one at a time (raises ``LookupError`` if it went meanwhile)."""
    conn = queue.storage.conn
    key = _file_key(queue, job_id)
    for index in range(file_pieces(queue, job_id)):
        piece = conn.lindex(key, index)
        if piece is None:
            raise LookupError(key)
        yield bytes(piece)


def drop_file(queue: Huey, job_id: str) -> None:
    queue.storage.conn.delete(_file_key(queue, job_id))


def sweep(config: dict[str, Any]) -> None:
    """Delete finished files older than ``KEEP_SECONDS``, by the disk's own time: "now" is the
    modification time of a file touched here (the app's clock may be pinned in a test or demo,
    and a file's age is the filesystem's business)."""
    files = folder(config) / FILES
    marker = files.parent / ".now"
    marker.touch()
    cutoff = marker.stat().st_mtime - KEEP_SECONDS
    for path in files.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
