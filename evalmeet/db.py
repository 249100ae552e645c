"""Engine and session factory, with the SQLite settings that gevent and durability need.

SQLite under gevent: one pooled connection (a second one would busy-wait and block the whole
event loop), WAL so readers never wait for the writer, ``BEGIN IMMEDIATE`` so a write
transaction takes the lock up front instead of failing half-way, ``synchronous=FULL`` so a
committed ballot survives power loss.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_on_connect(dbapi_conn: Any, _record: Any, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # Take transaction control away from pysqlite: we emit BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Deleted content is overwritten, so ballots rewritten at close leave no older copy behind.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_on_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **extra: Any) -> Engine:
    """Create an engine for ``url`` configured for our concurrency model.

    ``busy_timeout_ms``: how long a SQLite write waits for another process's lock before the
    caller gets an error (and the phone a ``temporarily_unavailable`` it can retry).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if memory:
            raise ValueError("use a SQLite file, not :memory: (the app needs one shared database)")
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            **extra,
        )
        event.listen(engine, "connect", lambda conn, rec: _sqlite_on_connect(conn, rec, busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **extra)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (we broadcast after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def is_sqlite(session_or_engine: Session | Engine) -> bool:
    """Whether the bound database is SQLite."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else (session_or_engine)
    return bind.dialect.name == "sqlite"


def scrub_sqlite_wal(engine: Engine) -> None:
    """Fold the write-ahead log into the database and truncate it.

    The WAL keeps every committed page in commit order; after a vote closes that order must not
    survive on disk (see secrecy.md), so the edge calls this after committing a close.
    No-op on other databases.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            cursor.close()
