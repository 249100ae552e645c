"""Alembic environment: migrates the database whose URL ``evalmeet.migrations`` put in the config.

There is no alembic.ini: the config is built in code (see ``evalmeet/migrations/__init__.py``) so
the migrations ship inside the wheel and find their database from the app's configuration.

SQLite: the whole upgrade runs in one ``BEGIN IMMEDIATE`` transaction (SQLite has transactional
DDL), so two processes starting at once cannot both migrate, and a failed migration leaves
nothing half done. Foreign keys are switched off while migrating, because batch mode rebuilds a
table by dropping it and a DROP with foreign keys on would cascade into its children; they are
checked with ``PRAGMA foreign_key_check`` before commit instead.

PostgreSQL: an advisory lock serialises concurrent upgrades the same way.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from sqlalchemy import Connection, ForeignKeyConstraint, text
from sqlalchemy.engine import make_url

from evalmeet.db import make_engine
from evalmeet.models import Base
from evalmeet.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata
_PG_MIGRATION_LOCK = 7_421_002  # advisory lock key (the audit log uses 7_421_001)


def _database_url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: build the config with evalmeet.migrations.alembic_config")
    return str(url)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our UTC type as the plain column type it stores, so revisions never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _defer_cyclic_foreign_keys(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """Autogenerate: add ``use_alter`` foreign keys after all tables exist, on every backend.

    ``meetings.current_item_id`` and ``items.meeting_id`` point at each other. Left inside
    ``create_table``, a ``use_alter`` key is rendered inline on SQLite but silently dropped on
    PostgreSQL; as a separate batch operation it is created (and dropped first on downgrade)
    everywhere.
    """
    script = directives[0]
    if script.upgrade_ops is None or script.downgrade_ops is None:
        return
    deferred: list[tuple[str, ForeignKeyConstraint]] = []
    for op_ in script.upgrade_ops.ops:
        if isinstance(op_, ops.CreateTableOp):
            keep = []
            for element in op_.columns:
                if isinstance(element, ForeignKeyConstraint) and element.use_alter:
                    deferred.append((op_.table_name, element))
                else:
                    keep.append(element)
            op_.columns = keep
    for table_name, fk in deferred:
        script.upgrade_ops.ops.append(
            ops.ModifyTableOps(table_name, [ops.CreateForeignKeyOp.from_constraint(fk)])
        )
        script.downgrade_ops.ops.insert(
            0, ops.ModifyTableOps(table_name, [ops.DropConstraintOp.from_constraint(fk)])
        )


def _configure(**kw: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        process_revision_directives=_defer_cyclic_foreign_keys,
        **kw,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade --sql``) instead of running it."""
    url = _database_url()
    _configure(
        url=url,
        literal_binds=True,
        render_as_batch=make_url(url).get_backend_name() == "sqlite",
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    _configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")


def run_migrations_online() -> None:
    """Run the migrations on a connection of our own (or one the caller handed in)."""
    handed_in = config.attributes.get("connection")
    if handed_in is not None:
        _run_on(handed_in)
        return
    engine = make_engine(_database_url())
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Must run outside a transaction (inside one it is silently ignored), so on the
                # raw driver connection before SQLAlchemy begins.
                connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA foreign_keys=OFF"
                )
            _run_on(connection)
    finally:
        # The engine was only for migrating: close its connection (foreign keys off) for good.
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
