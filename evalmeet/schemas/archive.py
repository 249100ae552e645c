"""The archive's filters: what its pages (search, meetings, people) are asked for.

They come from query strings and are read leniently (:func:`evalmeet.schemas.query.parse_query`):
a value that cannot be understood is dropped and named, so the page says so instead of failing.
Dates are China days (``domain/clock``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from evalmeet.domain.states import DECIDED_ITEM_STATUSES, PROCUREMENT_METHODS
from evalmeet.schemas.base import Body
from evalmeet.schemas.query import (
    QueryChoice,
    QueryDate,
    QueryFlag,
    QueryPage,
    QueryPrefix,
    QueryText,
    parse_query,
)

RESULTS = DECIDED_ITEM_STATUSES
ACTION_FILTERS = ("unresolved", "overdue", "open", "in_progress", "done", "verified")
# Query-string values for "no department recorded" and "no procurement method recorded".
NO_DEPARTMENT = "-"
NO_METHOD = "none"
METHOD_FILTERS = (*PROCUREMENT_METHODS, NO_METHOD)
MAX_TEXT = 100
MIN_YEAR, MAX_YEAR = 1970, 2999
# The filters as links write them: field, query-string name (in this order).
_QUERY_ORDER = (
    ("date_from", "from"),
    ("date_to", "to"),
    ("department", "department"),
    ("method", "method"),
    ("result", "result"),
    ("person", "person"),
    ("text", "q"),
    ("action", "action"),
    ("page", "page"),
)


class ArchiveFilters(Body):
    """What the archive is asked for; every field optional and all of them combinable.

    ``?from=&to=&department=&method=&result=&person=&q=&action=&page=``.
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    date_from: Annotated[date | None, QueryDate(MIN_YEAR, MAX_YEAR)] = Field(
        default=None, validation_alias="from"
    )
    date_to: Annotated[date | None, QueryDate(MIN_YEAR, MAX_YEAR)] = Field(
        default=None, validation_alias="to"
    )
    department: Annotated[str | None, QueryText(MAX_TEXT)] = None
    person: Annotated[str | None, QueryText(MAX_TEXT)] = None
    text: Annotated[str | None, QueryText(MAX_TEXT)] = Field(default=None, validation_alias="q")
    method: Annotated[str | None, QueryChoice(METHOD_FILTERS)] = None
    result: Annotated[str | None, QueryChoice(RESULTS)] = None
    action: Annotated[str | None, QueryChoice(ACTION_FILTERS)] = None
    page: Annotated[int, QueryPage(6)] = 1

    @classmethod
    def from_query(cls, args: Any) -> tuple[ArchiveFilters, list[str]]:
        """The filters of a query string, and the names of the values ignored.

        Names in the problem list: ``from``, ``to``, ``department``, ``method``, ``result``,
        ``person``, ``q``, ``action``, ``page`` and ``range`` (from after to: the two are swapped).
        """
        filters, problems = parse_query(cls, args)
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            filters = filters.model_copy(update={"date_from": filters.date_to, "date_to": filters.date_from})
            dates = [name for name in problems if name in ("from", "to")]
            problems = [*dates, "range", *(name for name in problems if name not in dates)]
        return filters, problems

    def query_args(self, **overrides: Any) -> dict[str, str]:
        """The query string that asks for these filters again (``page`` dropped when 1)."""
        values = self.model_copy(update=overrides)
        args: dict[str, str] = {}
        for name, query_name in _QUERY_ORDER:
            value = getattr(values, name)
            if value is None or (name == "page" and value <= 1):
                continue
            args[query_name] = value.isoformat() if isinstance(value, date) else str(value)
        return args

    @property
    def active(self) -> bool:
        """Whether any filter (beyond the page) is set."""
        return bool(self.query_args(page=1))


class PeopleFilters(Body):
    """``?q=&disciplined=`` of the responsible-person index (never refused)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    name: Annotated[str | None, QueryPrefix(MAX_TEXT)] = Field(default=None, validation_alias="q")
    disciplined_only: Annotated[bool, QueryFlag("1", "true", "on")] = Field(
        default=False, validation_alias="disciplined"
    )
