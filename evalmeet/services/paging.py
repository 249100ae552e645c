"""Keyset paging: one page of a list, and where the pages next to it start.

A list is ordered by a **sort key**, a few columns that together name one row (the last is the
row id, so the order is total). A page is the ``limit`` rows after (or before) the key of a
row of the page next to it, read with ``WHERE key < :last ORDER BY key LIMIT limit + 1``: rows
added or removed meanwhile never make one appear twice or go missing, and the database walks its
index instead of skipping an offset. The key travels in a :class:`~evalmeet.schemas.query.Cursor`
(a token of the schema layer); this module checks that the cursor belongs to the list and holds a
key of its shape, and refuses anything else as ``invalid_cursor`` (422), never a database error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from evalmeet.domain.errors import ValidationFailed
from evalmeet.schemas.query import Cursor
from evalmeet.schemas.types import MAX_ID

T = TypeVar("T")

DEFAULT_LIMIT = 100


def invalid_cursor(why: str) -> ValidationFailed:
    """The refusal of a cursor that is not one of this list's (422 ``invalid_cursor``)."""
    return ValidationFailed(f"cursor: {why}", code="invalid_cursor", field="cursor", reason="invalid_cursor")


@dataclass(frozen=True)
class Part:
    """One column of a sort key and the kind of its values (``int`` ids or UTC ``datetime``)."""

    column: ColumnElement[Any] | QueryableAttribute[Any]
    kind: type


@dataclass(frozen=True)
class Keyset(Generic[T]):
    """How a list is ordered: its name (cursors are bound to it), its key and how to read one."""

    name: str
    parts: tuple[Part, ...]
    key_of: Callable[[T], tuple[Any, ...]]
    descending: bool = True

    def cursor(self, row: T, *, forward: bool = True) -> Cursor:
        """The cursor of the page after (``forward``) or before ``row``."""
        return Cursor(list=self.name, key=tuple(_dump(v) for v in self.key_of(row)), forward=forward)

    def values(self, cursor: Cursor) -> tuple[Any, ...]:
        """The typed key a cursor holds, or ``invalid_cursor``."""
        if cursor.list != self.name:
            raise invalid_cursor(f"belongs to another list ({cursor.list!r})")
        if len(cursor.key) != len(self.parts):
            raise invalid_cursor("holds a key of another shape")
        return tuple(_load(part.kind, value) for part, value in zip(self.parts, cursor.key, strict=True))

    def beyond(self, key: tuple[Any, ...], forward: bool) -> ColumnElement[bool]:
        """The rows after ``key`` in the list's order (``forward``), or before it."""
        later = self.descending == forward  # "after" in a newest-first list is "smaller"
        terms = []
        for i, part in enumerate(self.parts):
            equal = [p.column == key[j] for j, p in enumerate(self.parts[:i])]
            step = part.column < key[i] if later else part.column > key[i]
            terms.append(and_(*equal, step))
        return or_(*terms)

    def order(self, forward: bool) -> list[ColumnElement[Any]]:
        down = self.descending == forward
        return [p.column.desc() if down else p.column.asc() for p in self.parts]


@dataclass(frozen=True)
class Page(Generic[T]):
    """The rows of one page, and the cursors of the pages after and before it (None: none)."""

    rows: list[T]
    next: Cursor | None = None
    prev: Cursor | None = None


def page(
    session: Session,
    stmt: Select[Any],
    keyset: Keyset[T],
    *,
    limit: int | None,
    cursor: Cursor | None,
    default: int | None = DEFAULT_LIMIT,
    read: Callable[[Select[Any]], Iterable[T]] | None = None,
) -> Page[T]:
    """One page of ``stmt`` (a select without ORDER BY or LIMIT) in ``keyset``'s order.

    Without ``limit`` the page holds ``default`` rows (None: the whole list, as lists that were
    never paged answer clients that ask for no page). A page's rows are the statement's first
    entity (``session.scalars``) unless ``read`` turns a statement into rows (whole result rows).
    """
    reading = read or session.scalars
    size = limit if limit is not None else default
    if size is None:
        if cursor is None:
            return Page(list(reading(stmt.order_by(*keyset.order(True)))))
        size = DEFAULT_LIMIT
    if cursor is None:
        return _first(reading, stmt, keyset, size)
    key = keyset.values(cursor)
    ordered = stmt.where(keyset.beyond(key, cursor.forward)).order_by(*keyset.order(cursor.forward))
    rows = list(reading(ordered.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if cursor.forward:
        return Page(
            rows,
            next=keyset.cursor(rows[-1]) if more else None,
            prev=keyset.cursor(rows[0], forward=False) if rows else None,
        )
    if not more:  # back at the start: the first page, full even if rows went away meanwhile
        return _first(reading, stmt, keyset, size)
    rows.reverse()
    return Page(rows, next=keyset.cursor(rows[-1]), prev=keyset.cursor(rows[0], forward=False))


def _first(
    reading: Callable[[Select[Any]], Iterable[T]], stmt: Select[Any], keyset: Keyset[T], size: int
) -> Page[T]:
    rows = list(reading(stmt.order_by(*keyset.order(True)).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, next=keyset.cursor(rows[-1]) if more else None)


def _dump(value: Any) -> int | str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(value)


def _load(kind: type, value: int | str) -> Any:
    if kind is int:
        if not isinstance(value, int) or not 0 <= value <= MAX_ID:
            raise invalid_cursor("holds a key of another shape")
        return value
    if kind is datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise invalid_cursor("holds a key of another shape")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise invalid_cursor("holds a key of another shape") from None
        if moment.tzinfo is None or not 1970 <= moment.year <= 2999:
            raise invalid_cursor("holds a key of another shape")
        return moment.astimezone(UTC)
    if not isinstance(value, str) or len(value) > 200:
        raise invalid_cursor("holds a key of another shape")
    return value


def keys(*parts: tuple[ColumnElement[Any] | QueryableAttribute[Any], type]) -> tuple[Part, ...]:
    """The parts of a sort key: ``keys((Meeting.id, int))``."""
    return tuple(Part(column, kind) for column, kind in parts)


__all__: Sequence[str] = ("DEFAULT_LIMIT", "Keyset", "Page", "invalid_cursor", "keys", "page")
