"""Alembic migrations, shipped inside the package; helpers to run them from code.

The Alembic configuration is built in code (no ``alembic.ini``), so an installed wheel can
upgrade its database with nothing but a URL: ``evalmeet db upgrade`` and ``evalmeet serve`` call
:func:`upgrade` with the app's database URL. No Flask here.

A new revision, after changing the models::

    python -c 'from alembic import command; from evalmeet.migrations import alembic_config;
    command.revision(alembic_config("sqlite:////tmp/scratch.db"), "what changed",
    autogenerate=True, rev_id="0002")'

against a scratch database upgraded to the previous head; then review the file by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from evalmeet.db import make_engine
from evalmeet.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "alembic_version"


class SchemaMismatch(RuntimeError):
    """The database has our tables but no migration history, and they differ from the models."""


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url``, built in code (there is no alembic.ini).

    The URL travels in ``attributes`` rather than as an ini option, so ``%`` in it (as in a
    PostgreSQL ``options=-csearch_path%3D...``) is not taken for ini interpolation.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = database_url
    return cfg


def head_revision() -> str:
    """The newest revision shipped with this version of evalmeet."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migration revisions found"
    return head


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _adopt_unversioned(database_url: str) -> bool:
    """Stamp a database made by ``metadata.create_all`` (tests, early installs) when it matches.

    Returns True when it stamped. Refuses, naming the differences, when the tables exist but do
    not match the models: migrating those blindly could lose data.
    """
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if VERSION_TABLE in tables or not tables & set(Base.metadata.tables):
                return False
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    if diffs:
        shown = "; ".join(str(d) for d in diffs[:5])
        raise SchemaMismatch(
            "the database has evalmeet tables but no migration history, and they differ from "
            f"this version's models ({len(diffs)} differences: {shown})"
        )
    command.stamp(alembic_config(database_url), "head")
    return True


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (creating it from empty when needed); idempotent."""
    _adopt_unversioned(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the database down to ``revision`` (``base`` drops every table)."""
    command.downgrade(alembic_config(database_url), revision)
