"""Engine and session factory, with the SQLite settings that gevent, durability and secrecy need.

SQLite under gevent: one pooled connection (a second one would busy-wait and block the whole
event loop), WAL so readers never wait for the writer, ``BEGIN IMMEDIATE`` so a write
transaction takes the lock up front instead of failing half-way, ``synchronous=FULL`` so a
committed ballot survives power loss.

Lock waits are cooperative. SQLite's own busy handler sleeps inside C, where no other greenlet
can run: with the old 5 s ``busy_timeout`` an outside ``sqlite3 db 'BEGIN IMMEDIATE'`` froze
every page, socket and static file. So ``busy_timeout`` is a few milliseconds (the longest a
lock can stop the loop), and ``BEGIN IMMEDIATE`` — the one statement that meets another
process's write lock, since every transaction takes the lock there and WAL readers never wait —
is retried with ``time.sleep`` (a greenlet switch under ``evalmeet serve``'s monkey-patching)
and backoff until ``lock_wait_ms``. Then the caller gets ``OperationalError``: a page answers
503 ``temporarily_unavailable``, a phone the same code in its ack (:func:`is_temporarily_unavailable`).

Every engine hides statement parameters from its errors and logs (``hide_parameters``), and
PostgreSQL's error DETAIL, which repeats a row's values: a failed ballot insert must never print
a choice or a receipt. The SQLite file is created
readable by its owner only (its ``-wal`` and ``-shm`` take the main file's mode), and existing
ones are tightened on connect. After a vote closes, :func:`scrub_sqlite_wal` folds the log into
the database and truncates it (``wal_scrub.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from evalmeet import private_files

# The C busy handler's wait per statement: the longest another process's lock can stop the loop.
SQLITE_BUSY_TIMEOUT_MS = 10
# How long a transaction waits (cooperatively) for another process's write lock before "busy".
SQLITE_LOCK_WAIT_MS = 2000
_FIRST_RETRY_S = 0.005
_MAX_RETRY_S = 0.1
_SQLITE_BUSY = 5  # primary result code; extended codes (BUSY_RECOVERY, ...) share the low byte


def _sqlite_on_connect(dbapi_conn: Any, _record: Any, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # Take transaction control away from pysqlite: we emit BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Deleted content is overwritten (freed pages too: ON, not FAST), so ballots rewritten at
    # close leave no older copy behind in the main file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _sqlite_before_connect(_dialect: Any, _rec: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    # Before SQLite opens (and maybe creates) the file: create it 0600 ourselves, so its -wal and
    # -shm (which SQLite gives the main file's mode) are owner-only too; tighten older files.
    name = cargs[0] if cargs else cparams.get("database")
    if isinstance(name, str) and not cparams.get("uri") and not name.startswith("file:"):
        private_files.prepare_sqlite_file(name)


def _hide_server_details(ctx: Any) -> None:
    # PostgreSQL's DETAIL repeats the row's values ("Key (receipt)=(...) already exists",
    # "Failing row contains (...)"), which hide_parameters cannot hide: the messages keep only the
    # primary line. The diagnostics (SQLSTATE, constraint name) stay on ``orig.diag``.
    orig = ctx.original_exception
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    if not primary or str(orig) == primary:
        return
    orig.args = (primary,)
    wrapped = ctx.sqlalchemy_exception
    if wrapped is not None:
        wrapped.args = (f"({type(orig).__module__}.{type(orig).__qualname__}) {primary}",)


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` (a driver error or SQLAlchemy's wrapper) is SQLite's "database is locked"."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(orig, sqlite3.OperationalError) and code is not None and code & 0xFF == _SQLITE_BUSY


def is_temporarily_unavailable(exc: BaseException) -> bool:
    """The database is busy or unreachable, nothing was saved: the client may simply try again.

    SQLite: only a lock held too long (other SQLite "operational" errors, such as a missing
    table, are bugs). Other databases: any ``OperationalError`` (the server restarting, the
    connection lost). Also a pool that handed out no connection in time.
    """
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    return is_busy(exc) or not isinstance(exc.orig, sqlite3.Error)


_READING_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("evalmeet_reading_only", default=False)


@contextlib.contextmanager
def reading_only() -> Iterator[None]:
    """Transactions begun inside only read: on SQLite a plain (deferred) ``BEGIN``, a snapshot
    that never takes the write lock, so a long export in a worker never holds up a vote."""
    token = _READING_ONLY.set(True)
    try:
        yield
    finally:
        _READING_ONLY.reset(token)


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside write (``BEGIN IMMEDIATE``), even within :func:`reading_only`:
    a job that checked everything in a snapshot and now saves in one short transaction."""
    token = _READING_ONLY.set(False)
    try:
        yield
    finally:
        _READING_ONLY.reset(token)


class LockWait:
    """``BEGIN IMMEDIATE`` retried cooperatively while another process holds the write lock.

    The deadline is shared while the lock stays taken: once a caller has waited ``wait_s`` in
    vain, the next ones (queued behind it for the single connection) try once and give up at
    once, so a held lock answers every request "busy" quickly instead of one wait after another.
    """

    def __init__(self, wait_s: float, sleep: Any = None) -> None:
        self.wait_s = wait_s
        # Looked up at call time: `evalmeet serve` monkey-patches time.sleep into gevent.sleep.
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))
        self._blocked_since: float | None = None
        self._last_busy = 0.0

    def begin(self, conn: Any) -> None:
        """The ``begin`` event: emit ``BEGIN IMMEDIATE``, waiting for an outside lock politely."""
        raw = conn.connection.dbapi_connection
        if _READING_ONLY.get():
            raw.execute("BEGIN")
            return
        delay = _FIRST_RETRY_S
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    break  # let SQLAlchemy raise it (wrapped) below
                now = time.monotonic()
                if self._blocked_since is None or now - self._last_busy > self.wait_s:
                    self._blocked_since = now  # a new lock episode
                self._last_busy = now
                if now + delay > self._blocked_since + self.wait_s:
                    break
                self._sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_S)
            else:
                self._blocked_since = None
                return
        # The last try goes through SQLAlchemy, so a failure is its usual OperationalError.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        self._blocked_since = None


def make_engine(
    url: str,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    lock_wait_ms: int = SQLITE_LOCK_WAIT_MS,
    **extra: Any,
) -> Engine:
    """Create an engine for ``url`` configured for our concurrency model.

    ``busy_timeout_ms``: SQLite's own wait inside C for a lock (it stops the event loop, so keep
    it a few milliseconds). ``lock_wait_ms``: how long a transaction waits cooperatively for
    another process's write lock before the caller gets an error (a page 503, a phone a
    ``temporarily_unavailable`` it can retry).
    """
    extra["hide_parameters"] = True  # never a ballot's choice and receipt in an error or a log
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
        lock_wait = LockWait(lock_wait_ms / 1000)
        event.listen(engine, "do_connect", _sqlite_before_connect)
        event.listen(engine, "connect", lambda conn, rec: _sqlite_on_connect(conn, rec, busy_timeout_ms))
        event.listen(engine, "begin", lock_wait.begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **extra)
    event.listen(engine, "handle_error", _hide_server_details)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (we broadcast after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def is_sqlite(session_or_engine: Session | Engine) -> bool:
    """Whether the bound database is SQLite."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else (session_or_engine)
    return bind.dialect.name == "sqlite"


def scrub_sqlite_wal(engine: Engine) -> bool:
    """After committing a close: fold the write-ahead log into the database and truncate it.

    The WAL keeps every committed page in commit order; after a vote closes that order must not
    survive on disk (see secrecy.md). Tries at once; when another process's read transaction
    is in the way, keeps trying in the background (:mod:`evalmeet.wal_scrub`). Returns whether
    the files are clean now. Always True on other databases.
    """
    from evalmeet.wal_scrub import scrubber_for

    return scrubber_for(engine).scrub()
