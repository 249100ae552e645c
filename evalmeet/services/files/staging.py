"""Between an import's preview and its confirmation: the checked rows wait in a file.

The cookie session is far too small for them, so :func:`keep` writes them under the instance
folder, named by a random token; :func:`claim_pending` takes that file atomically (a double
click cannot import twice), and only for the meeting, kind and moderator it was staged for.
Files older than :data:`PENDING_TTL` (by the app's clock) are purged when the next one is kept.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict

PENDING_TTL = timedelta(hours=2)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Pending:
    """A previewed import waiting for confirmation (claimed: renamed so nobody else takes it)."""

    path: Path
    token: str
    meeting_id: int
    kind: str
    filename: str
    rows: list[tuple[int, dict[str, Any]]]


def _staged_at(path: Path) -> datetime | None:
    """When a preview was staged, by the app's clock (as written in it); None if unreadable."""
    try:
        return clock.parse_instant(json.loads(path.read_text(encoding="utf-8"))["created_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _purge(folder: Path, now: datetime) -> None:
    # Age by the staged time the file records, not its mtime: "2 hours" is on the app's clock
    # (which tests and EVALMEET_NOW pin), not on the file system's.
    for path in folder.glob("*.json*"):
        staged = _staged_at(path)
        if staged is None or now - staged > PENDING_TTL:
            path.unlink(missing_ok=True)  # another request may have removed it meanwhile


def keep(
    folder: Path,
    *,
    meeting_id: int,
    kind: str,
    actor: str,
    filename: str,
    rows: list[tuple[int, dict[str, Any]]],
) -> str:
    """Write checked rows for confirmation; returns the token that claims them."""
    folder.mkdir(parents=True, exist_ok=True)
    now = clock.now()
    _purge(folder, now)
    token = secrets.token_urlsafe(24)
    body = {
        "meeting_id": meeting_id,
        "kind": kind,
        "actor": actor,
        "filename": filename,
        "created_at": now.isoformat(),
        "rows": [[number, data] for number, data in rows],
    }
    # Written under a name the purge does not match, then renamed: a purge running meanwhile never
    # reads (and deletes) a half-written file.
    partial = folder / f"{token}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(body, fh, ensure_ascii=False)
    os.rename(partial, folder / f"{token}.json")
    return token


def _expired() -> Conflict:
    return Conflict(
        "this import preview has expired or was already used; upload the file again", code="import_expired"
    )


def staged_bytes(folder: Path, token: Any) -> int:
    """The size of a staged import's file (0 when there is none): how big its save will be."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return 0
    try:
        return (folder / f"{token}.json").stat().st_size
    except OSError:
        return 0


def claim_pending(folder: Path, token: Any, meeting_id: int, kind: str, actor: str) -> Pending:
    """Take a staged import for confirmation; a second claim of the same token is refused."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise _expired()
    source = folder / f"{token}.json"
    claimed = folder / f"{token}.json.claimed"
    try:
        os.rename(source, claimed)  # atomic: only one request wins
    except OSError:
        raise _expired() from None
    try:
        body = json.loads(claimed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        claimed.unlink(missing_ok=True)
        raise _expired() from None
    if (body.get("meeting_id"), body.get("kind"), body.get("actor")) != (meeting_id, kind, actor):
        os.rename(claimed, source)
        raise _expired()
    rows = [(int(number), data) for number, data in body["rows"]]
    return Pending(claimed, token, meeting_id, kind, body.get("filename", ""), rows)


def release_pending(pending: Pending) -> None:
    """Put a claimed import back (its confirmation failed and was rolled back)."""
    try:
        os.rename(pending.path, pending.path.with_name(f"{pending.token}.json"))
    except OSError:
        pass


def finish_pending(pending: Pending) -> None:
    """Forget a confirmed import (after the commit)."""
    pending.path.unlink(missing_ok=True)
