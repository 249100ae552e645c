"""Consistent backups of a live database (``evalmeet backup PATH``).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database page by page
under a read transaction, so the copy is a consistent snapshot even while the app keeps writing
(WAL lets the writer carry on meanwhile). A plain file copy of a live WAL database is not: it can
miss committed ballots that are still only in the ``-wal`` file. The copy is written next to the
target and renamed into place, so PATH is either the old file or a complete backup, never half.

PostgreSQL: use ``pg_dump`` (documented in the README); this module refuses rather than pretend.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup cannot be made; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy went and what it holds."""

    path: Path
    size: int
    tables: int


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; BackupError for other databases or in-memory ones."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise BackupError(
            "this is a PostgreSQL database: back it up with pg_dump, e.g. "
            "`pg_dump --format=custom --file=evalmeet.dump DBNAME` (see README, Backups)"
        )
    if backend != "sqlite":
        raise BackupError(f"backups of {backend} databases are not supported; use its own tools")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database).expanduser().resolve()


def backup_sqlite(source: Path, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the SQLite database ``source`` to ``target`` with the online backup API."""
    source = Path(source).resolve()
    target = Path(target).expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target == source:
        raise BackupError("the backup must not overwrite the database itself")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; choose another name or use --force")
    if not target.parent.is_dir():
        raise BackupError(f"directory {target.parent} does not exist")

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # Read-only URI: a backup must never write to (or create) the live database.
        src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            with dst:
                src.backup(dst)  # all pages in one step: one consistent read snapshot
            # The copy inherits WAL mode from the page header; make it one self-contained file.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            tables = dst.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        finally:
            dst.close()
            src.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(path=target, size=target.stat().st_size, tables=int(tables))


def backup(database_url: str, target: str | Path, *, overwrite: bool = False) -> BackupResult:
    """Back up the database at ``database_url`` into ``target`` (SQLite only)."""
    return backup_sqlite(sqlite_path(database_url), Path(target), overwrite=overwrite)
