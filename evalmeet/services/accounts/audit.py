"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from evalmeet.models import AuditEntry, utcnow

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 7_421_001  # advisory lock key: one appender at a time on PostgreSQL


def canonical(payload: dict[str, Any]) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_digest(
    prev_hash: str, created_at: str, actor: str, event: str, meeting_id: int | None, payload: str
) -> str:
    """SHA-256 over the previous hash and this entry's fields."""
    material = "\x1f".join([prev_hash, created_at, actor, event, str(meeting_id or ""), payload])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _stamp(entry: AuditEntry) -> str:
    return entry.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def append(
    session: Session, actor: str, event: str, payload: dict[str, Any], meeting_id: int | None = None
) -> AuditEntry:
    """Append one entry after the current head. Serialised so the chain never forks."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    head = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    prev = head or GENESIS
    body = canonical(payload)
    now = utcnow()
    entry = AuditEntry(
        created_at=now,
        actor=actor[:64],
        event=event,
        meeting_id=meeting_id,
        payload=body,
        prev_hash=prev,
        entry_hash="",
    )
    entry.entry_hash = entry_digest(prev, _stamp(entry), entry.actor, event, meeting_id, body)
    session.add(entry)
    session.flush()
    return entry


def append_many(
    session: Session, actor: str, entries: list[tuple[str, dict[str, Any]]], meeting_id: int | None = None
) -> None:
    """Append several entries (``(event, payload)``, in order) with one read of the head and one
    bulk insert: the chain is computed here, and the rows get their ids in this order."""
    if not entries:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    session.flush()
    prev = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    who = actor[:64]
    rows = []
    for event, payload in entries:
        body = canonical(payload)
        now = utcnow()
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%f")
        digest = entry_digest(prev, stamp, who, event, meeting_id, body)
        rows.append(
            {
                "created_at": now,
                "actor": who,
                "event": event,
                "meeting_id": meeting_id,
                "payload": body,
                "prev_hash": prev,
                "entry_hash": digest,
            }
        )
        prev = digest
    if session.get_bind().dialect.name == "sqlite":
        # one prepared statement run over the rows (executemany), in order: SQLite numbers
        # them in that order, which is the order the chain is checked in
        session.connection().execute(insert(cast(Table, AuditEntry.__table__)), rows)
        return
    # elsewhere a multi-row insert, numbered in parameter order
    statement = insert(AuditEntry).returning(AuditEntry.id, sort_by_parameter_order=True)
    ids = session.scalars(statement, rows).all()
    if list(ids) != sorted(ids):
        raise RuntimeError("audit entries were not numbered in order")


@dataclass(frozen=True)
class ChainReport:
    """What verifying the chain found."""

    entries: int
    head: str
    first_bad_id: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        """No entry failed."""
        return self.first_bad_id is None


def verify(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    prev = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(500):
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(count, prev, entry.id, "prev_hash does not match the entry before")
        expected = entry_digest(
            prev, _stamp(entry), entry.actor, entry.event, entry.meeting_id, entry.payload
        )
        if entry.entry_hash != expected:
            return ChainReport(count, prev, entry.id, "content does not match its hash")
        prev = entry.entry_hash
    return ChainReport(count, prev, None, None)


def head(session: Session) -> str:
    """The hash of the newest entry (the chain head), shown in minutes."""
    return session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
