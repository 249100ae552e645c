"""The Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL, and go back down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, bindparam, create_engine, inspect, text

from evalmeet import migrations
from evalmeet.domain import clock
from evalmeet.models import Base
from evalmeet.models.base import UTCDateTime
from tests.conftest import drop_postgres_schema, postgres_schema_url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "postgres":
        url = postgres_schema_url()
        yield url
        drop_postgres_schema(url)
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"


@pytest.fixture
def engine_for() -> Iterator[Any]:
    """``engine_for(url)``: plain engines, disposed after the test."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        engine = create_engine(url)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


def now_param() -> Any:
    """``:now`` as the app's clock reads it: rows get their time from the app, not the database."""
    return bindparam("now", clock.now(), type_=UTCDateTime())


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def _constraint_names(engine: Engine) -> set[tuple[str, str, str]]:
    """(table, kind, name) of every named primary key, foreign key, unique constraint, index."""
    found: set[tuple[str, str, str]] = set()
    insp = inspect(engine)
    for table in Base.metadata.tables:
        pk = insp.get_pk_constraint(table).get("name")
        if pk:
            found.add((table, "pk", pk))
        found |= {(table, "fk", fk["name"]) for fk in insp.get_foreign_keys(table)}
        found |= {(table, "uq", uq["name"]) for uq in insp.get_unique_constraints(table)}
        found |= {
            (table, "ix", ix["name"])
            for ix in insp.get_indexes(table)
            if not ix.get("duplicates_constraint") and ix["name"]
        }
    return found


def _model_names() -> set[tuple[str, str, str]]:
    from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, UniqueConstraint

    kinds = {PrimaryKeyConstraint: "pk", ForeignKeyConstraint: "fk", UniqueConstraint: "uq"}
    names: set[tuple[str, str, str]] = set()
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            kind = kinds.get(type(constraint))
            if kind:
                names.add((table.name, kind, str(constraint.name)))
        names |= {(table.name, "ix", str(index.name)) for index in table.indexes}
    return names


def test_upgrade_from_empty_builds_exactly_the_models(empty_url: str, engine_for: Any) -> None:
    migrations.upgrade(empty_url)

    engine = engine_for(empty_url)
    assert _differences(engine) == [], (
        "the models changed without a migration: `make migration` (before the first release) "
        "or `evalmeet db revision -m ...`"
    )
    assert migrations.current_revision(empty_url) == migrations.head_revision()
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    # The naming conventions reached the database (compare_metadata does not check names).
    assert _constraint_names(engine) == _model_names()


def test_meeting_item_cycle_has_its_foreign_key(empty_url: str, engine_for: Any) -> None:
    migrations.upgrade(empty_url)

    fks = inspect(engine_for(empty_url)).get_foreign_keys("meetings")
    assert [(fk["name"], fk["referred_table"], fk["constrained_columns"]) for fk in fks] == [
        ("fk_meetings_current_item_id_items", "items", ["current_item_id"])
    ]
    assert fks[0]["options"].get("ondelete") == "SET NULL"


def test_ballots_table_has_no_rowid_on_sqlite(tmp_path: Path, engine_for: Any) -> None:
    url = f"sqlite:///{tmp_path / 'ballots.db'}"
    migrations.upgrade(url)

    with engine_for(url).connect() as conn:
        ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ballots'")).scalar_one()
        rowid_tables = (
            conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'")
            )
            .scalars()
            .all()
        )
    assert ddl.rstrip().endswith("WITHOUT ROWID")
    assert rowid_tables == ["ballots"]


def test_upgrade_twice_is_a_no_op(empty_url: str, engine_for: Any) -> None:
    migrations.upgrade(empty_url)
    with engine_for(empty_url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (username, password_hash, role, active, created_at) "
                "VALUES ('kept', 'x', 'admin', true, :now)"
            ).bindparams(now_param()),
        )

    migrations.upgrade(empty_url)

    with engine_for(empty_url).connect() as conn:
        assert conn.execute(text("SELECT username FROM accounts")).scalars().all() == ["kept"]


def test_downgrade_to_base_drops_everything_and_upgrade_again_works(empty_url: str, engine_for: Any) -> None:
    migrations.upgrade(empty_url)

    migrations.downgrade(empty_url, "base")

    engine = engine_for(empty_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrations.current_revision(empty_url) is None
    engine.dispose()

    migrations.upgrade(empty_url)
    assert _differences(engine_for(empty_url)) == []


def test_login_sessions_revision_keeps_the_accounts_both_ways(empty_url: str, engine_for: Any) -> None:
    migrations.upgrade(empty_url, "0001")
    with engine_for(empty_url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (username, password_hash, role, active, session_epoch, created_at) "
                "VALUES ('before', 'x', 'moderator', true, 3, :now)"
            ).bindparams(now_param())
        )

    migrations.upgrade(empty_url)

    engine = engine_for(empty_url)
    columns = {c["name"] for c in inspect(engine).get_columns("accounts")}
    assert "session_epoch" not in columns
    assert "login_sessions" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username, role FROM accounts")).all() == [("before", "moderator")]
    engine.dispose()

    migrations.downgrade(empty_url, "0001")

    with engine_for(empty_url).connect() as conn:
        rows = conn.execute(text("SELECT username, session_epoch FROM accounts")).all()
        assert rows == [("before", 0)]
        assert "login_sessions" not in inspect(conn).get_table_names()


def _pristine_metadata() -> MetaData:
    """A copy of the models' metadata.

    ``create_all`` on PostgreSQL adds a ``use_alter`` foreign key with ``AddConstraint``, which
    marks that constraint object "never inside CREATE TABLE" for the rest of the process; a later
    ``create_all`` on SQLite then leaves ``meetings.current_item_id`` without its foreign key.
    A fresh copy is unaffected by what earlier tests did.
    """
    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def test_database_made_by_create_all_is_adopted_not_recreated(empty_url: str, engine_for: Any) -> None:
    engine = engine_for(empty_url)
    _pristine_metadata().create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (username, password_hash, role, active, created_at) "
                "VALUES ('early', 'x', 'admin', true, :now)"
            ).bindparams(now_param()),
        )
    engine.dispose()

    migrations.upgrade(empty_url)

    assert migrations.current_revision(empty_url) == migrations.head_revision()
    with engine_for(empty_url).connect() as conn:
        assert conn.execute(text("SELECT username FROM accounts")).scalars().all() == ["early"]


def test_unversioned_database_that_differs_is_refused(tmp_path: Path, engine_for: Any) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    with engine_for(url).begin() as conn:
        conn.execute(text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, username TEXT)"))

    with pytest.raises(migrations.SchemaMismatch, match="no migration history"):
        migrations.upgrade(url)

    assert migrations.current_revision(url) is None
