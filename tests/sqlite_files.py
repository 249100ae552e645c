"""Test helpers that look at a SQLite database the way an attacker with the files would.

- :class:`PinnedReader`: ANOTHER process inside ``BEGIN; SELECT ...`` holding its snapshot (what
  ``evalmeet backup``, a monitoring tool or a ``sqlite3`` shell does) until told to let go.
- :class:`WriteLock`: another process holding the write lock (``BEGIN IMMEDIATE``), as a
  maintenance job or ``sqlite3 db 'BEGIN IMMEDIATE; ...'`` would.
- :func:`wal_frames`: the page images of a ``-wal`` file, in the order they were committed.
- :func:`pair_by_first_frame`: the published attack — pair participation ids with receipts by
  the first WAL frame each appears in.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

WAL_HEADER = 32
FRAME_HEADER = 24

_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute(sys.argv[2])
conn.execute("SELECT count(*) FROM ballots").fetchone()
print("holding", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
print("released", flush=True)
"""


class PinnedReader:
    """A separate process holding a read transaction on ``path`` (use as a context manager)."""

    begin = "BEGIN"

    def __init__(self, path: str | Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(path), self.begin],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        assert line == "holding", f"the reader did not start: {line!r}"

    def release(self) -> None:
        """End the read transaction and the process."""
        if self.proc.poll() is not None:
            return
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "released"
        self.proc.wait(10)

    def __enter__(self) -> PinnedReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class WriteLock(PinnedReader):
    """A separate process holding SQLite's write lock on ``path`` until released."""

    begin = "BEGIN IMMEDIATE"


def wal_frames(path: str | Path) -> list[bytes]:
    """The page images in ``path`` (a ``-wal`` file), oldest first; [] when missing or empty."""
    try:
        blob = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    if len(blob) < WAL_HEADER:
        return []
    page_size = struct.unpack(">I", blob[8:12])[0]
    frames = []
    offset = WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(blob):
        frames.append(blob[offset + FRAME_HEADER : offset + FRAME_HEADER + page_size])
        offset += FRAME_HEADER + page_size
    return frames


def first_frame(frames: list[bytes], token: str) -> int | None:
    """Index of the first frame holding ``token``, or None."""
    needle = token.encode()
    return next((n for n, frame in enumerate(frames) if needle in frame), None)


def pair_by_first_frame(
    frames: list[bytes], participation_ids: list[str], receipts: list[str]
) -> dict[str, str]:
    """participation id → receipt, paired by the order of first appearance in the log.

    Only tokens found in the log take part; with the whole vote in it, this is every pair."""
    parts = sorted((f, p) for p in participation_ids if (f := first_frame(frames, p)) is not None)
    recs = sorted((f, r) for r in receipts if (f := first_frame(frames, r)) is not None)
    return {p: r for (_f1, p), (_f2, r) in zip(parts, recs, strict=False)}


def files_of(db_path: str | Path) -> dict[str, bytes]:
    """The raw bytes of the database and whatever ``-wal``/``-shm`` exist next to it."""
    base = Path(db_path)
    found = {}
    for suffix in ("", "-wal", "-shm"):
        candidate = base.with_name(base.name + suffix)
        if candidate.exists():
            found[suffix or "db"] = candidate.read_bytes()
    return found
