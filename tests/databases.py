"""The suite's databases: a schema built once per test process, handed to each test clean.

SQLite: the schema is created once in a template file; each test gets its own copy of it (a
file copy, not a ``create_all``), so every test still has a private database file that the app
commits to for real (the WAL scrub, the files on disk and other connections all behave as in
production).

PostgreSQL: one schema per test process (so parallel runs never collide), created and filled
with the tables once; before each test its tables are emptied and their identities restarted
(``DELETE`` with the foreign-key triggers off, 5 ms; ``TRUNCATE`` without a superuser, 50 ms),
where a new schema took most of a second.

A savepoint per test (pypi/warehouse's pattern) does not fit this app: on SQLite its pool has a
single connection, which the WAL scrub and the broadcasts' own sessions need next to the
request's, and several tests read what was committed from other connections or processes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text

from evalmeet.models import Base

POSTGRES_URL = os.environ.get(
    "EVALMEET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("EVALMEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("EVALMEET_REQUIRE_SERVICES") == "1"


def require_service(name: str, reason: str) -> None:
    """Skip (locally) or fail (CI) when a service the test needs is missing."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (EVALMEET_REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def fresh_metadata() -> MetaData:
    """A private copy of the models' tables for each create_all.

    create_all on PostgreSQL adds the meetings ↔ items cycle's foreign key with ALTER and marks the
    shared constraint object as handled, so later SQLite schemas built from the same MetaData
    would silently lack it; a copy per call keeps every schema complete.
    """
    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def create_schema(url: str) -> None:
    """The models' tables on ``url`` (through the app's engine settings)."""
    from evalmeet.db import make_engine

    engine = make_engine(url)
    try:
        fresh_metadata().create_all(engine)
    finally:
        engine.dispose()


# --- PostgreSQL --------------------------------------------------------------------------------

_pg_checked: dict[str, str | None] = {}


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per process)."""
    if "pg" not in _pg_checked:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_checked["pg"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            _pg_checked["pg"] = str(exc).splitlines()[0]
    return _pg_checked["pg"]


def postgres_schema_url() -> str:
    """A URL whose connections use a fresh, empty schema of their own."""
    problem = postgres_available()
    if problem:
        require_service("PostgreSQL", problem)
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options={_SCHEMA_OPTION}{schema}"


_SCHEMA_OPTION = "-csearch_path%3D"


def schema_of(url: str) -> str | None:
    """The schema of a URL :func:`postgres_schema_url` made, else None."""
    if not url.startswith("postgresql") or _SCHEMA_OPTION not in url:
        return None
    return url.rsplit(_SCHEMA_OPTION, 1)[1]


def drop_postgres_schema(url: str) -> None:
    """Remove the schema a test made."""
    schema = schema_of(url)
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


class SharedPostgres:
    """This process's PostgreSQL schema with the tables, emptied before each test that uses it."""

    def __init__(self) -> None:
        self.url = postgres_schema_url()
        create_schema(self.url)
        self._engine = create_engine(self.url)
        tables = [t.name for t in fresh_metadata().sorted_tables]
        with self._engine.connect() as conn:
            own = (
                "SELECT sequence_name FROM information_schema.sequences"
                " WHERE sequence_schema = current_schema()"
            )
            sequences = conn.execute(text(own)).scalars()
            restart = "".join(f'ALTER SEQUENCE "{name}" RESTART;' for name in sequences)
            superuser = conn.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar()
        # DELETE with the foreign-key triggers off (a superuser's ``session_replication_role``)
        # takes 5 ms where TRUNCATE of the same empty-ish tables takes 50: TRUNCATE makes each
        # table's files anew. Without a superuser, TRUNCATE.
        if superuser:
            deletes = "".join(f'DELETE FROM "{name}";' for name in tables)
            self._empty = f"SET LOCAL session_replication_role = replica;{deletes}{restart}"
        else:
            names = ", ".join(f'"{name}"' for name in tables)
            self._empty = f"TRUNCATE {names} RESTART IDENTITY CASCADE"

    def clean(self) -> str:
        """Empty every table (identities restart at 1, as in a new schema); returns the URL.

        A connection a test left inside a transaction would make the emptying wait for ever:
        the lock timeout turns that into an error naming the problem.
        """
        with self._engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '10s';{self._empty}")
        return self.url

    def close(self) -> None:
        """Drop the schema at the end of the session."""
        self._engine.dispose()
        drop_postgres_schema(self.url)


# --- SQLite ------------------------------------------------------------------------------------


_template: list[SqliteTemplate] = []


def sqlite_template() -> SqliteTemplate:
    """This process's template (made on first use, removed when the process ends)."""
    if not _template:
        _template.append(SqliteTemplate())
        atexit.register(_template[0].close)
    return _template[0]


class SqliteTemplate:
    """A SQLite file holding the empty schema; :meth:`copy` gives a test its own database."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="evalmeet-schema-"))
        self.path = self._folder / "template.db"
        create_schema(f"sqlite:///{self.path}")
        # The WAL was folded into the file when the engine closed; nothing else is needed.
        assert not self.path.with_name(self.path.name + "-wal").exists()

    def copy(self, target: Path) -> str:
        """Copy the empty schema to ``target`` (owner-only, as the app creates its files)."""
        shutil.copyfile(self.path, target)
        os.chmod(target, 0o600)
        return f"sqlite:///{target}"

    def close(self) -> None:
        """Remove the template."""
        shutil.rmtree(self._folder, ignore_errors=True)
