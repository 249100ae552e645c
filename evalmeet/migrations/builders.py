"""Builders for the table, column and index shapes the revisions repeat.

FROZEN. Revisions that have shipped call these functions, so changing one would change what an
old revision builds on every database upgraded after the change. Never edit, rename or remove a
function here; when a new shape is needed, add a new function beside the old ones.

Each builder writes exactly what ``evalmeet db revision`` autogenerates for that shape, with the
names spelled out (``op.f``) as the naming convention of the models gave them when the revision was
written, so a later change to that convention cannot rename anything an old revision made.
``evalmeet db revision`` still writes plain ``op`` calls; when reviewing a new revision, its tables
may be rewritten with these, and the schema it builds compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

# A constraint still to be named after the table it belongs to (see ``create_table``).
NamedConstraint = Callable[[str], sa.Constraint]


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A timezone-aware moment: what the models' ``UTCDateTime`` stores."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def primary_key(*columns: str) -> NamedConstraint:
    """``pk_<table>`` over ``columns`` (``id`` when none are given)."""

    def build(table: str) -> sa.Constraint:
        return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))

    return build


def references(column: str, referred: str, *, ondelete: str | None = None) -> NamedConstraint:
    """``fk_<table>_<column>_<referred>``: ``column`` holds an ``id`` of the table ``referred``."""

    def build(table: str) -> sa.Constraint:
        return sa.ForeignKeyConstraint(
            [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
        )

    return build


def unique(*columns: str) -> NamedConstraint:
    """``uq_<table>_<column>_<column>...``: no two rows share the values of ``columns``."""

    def build(table: str) -> sa.Constraint:
        return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))

    return build


def create_table(name: str, *elements: SchemaItem | NamedConstraint, **kw: Any) -> None:
    """``op.create_table``, naming the constraints built by ``primary_key``, ``references`` and
    ``unique`` after the table.

    The constraints are made in the order given, which is the order SQLite keeps them in its
    ``CREATE TABLE`` text (after the primary key, which always comes first).
    """
    op.create_table(name, *(e if isinstance(e, SchemaItem) else e(name) for e in elements), **kw)


def create_table_with_id(name: str, *elements: SchemaItem | NamedConstraint, **kw: Any) -> None:
    """``create_table`` for a table keyed by an integer ``id``: that column first, ``pk_<table>`` on it."""
    create_table(name, sa.Column("id", sa.Integer(), nullable=False), *elements, primary_key(), **kw)


def create_index(table: str, column: str) -> None:
    """``ix_<table>_<column>``, a plain (not unique) index on one column; no table is rebuilt."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def drop_index(table: str, column: str) -> None:
    """Undo ``create_index(table, column)``."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
