"""Files only their owner may read: the SQLite database (with its ``-wal`` and ``-shm``), the
instance folder and what is in it (the secret key, evidence uploads, staged imports).

They hold join tokens, password hashes and, while a vote is open, who voted: under the usual
umask 022 they would be created world-readable (0644), so everything is created 0600 / 0700
explicitly, and what an older version left looser is tightened when the app starts. Only the
group and other bits are ever removed; a file we do not own (chmod refused) is reported in the
log and left as it is. No Flask here: the engine factory and the services use it too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
_LOOSE = 0o077  # group and other bits
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def tighten(path: str | os.PathLike[str]) -> None:
    """Remove group and other permissions from ``path`` if it has any (missing: nothing)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & _LOOSE:
        try:
            os.chmod(path, mode & ~_LOOSE)
        except OSError as exc:
            log.warning("cannot make %s readable by its owner only: %s", path, exc.strerror or exc)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` (0700) if needed, tighten it if it exists; returns it."""
    folder = Path(path)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tighten(folder)
    return folder


def open_private(path: str | os.PathLike[str], flags: int = os.O_WRONLY | os.O_CREAT | os.O_EXCL) -> int:
    """``os.open`` with mode 0600 whatever the umask; returns the file descriptor."""
    return os.open(path, flags, FILE_MODE)


def tighten_tree(folder: str | os.PathLike[str]) -> None:
    """Tighten ``folder`` and everything below it (the instance folder, at start)."""
    root = Path(folder)
    if not root.is_dir():
        return
    tighten(root)
    for current, dirs, files in os.walk(root):
        for name in dirs + files:
            tighten(Path(current) / name)


def prepare_sqlite_file(name: str) -> None:
    """Before SQLite opens ``name``: create it empty and 0600 if missing, tighten it otherwise.

    SQLite gives a new ``-wal`` and ``-shm`` the main file's permissions, so they follow.
    An empty file is a valid empty database. A missing folder is left for SQLite to report.
    """
    path = Path(name).expanduser()
    if not path.parent.is_dir():
        return
    try:
        os.close(open_private(path))
    except FileExistsError:
        pass
    for candidate in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        tighten(candidate)
