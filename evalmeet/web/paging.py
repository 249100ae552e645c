"""Paged lists at the edge: reading ``?limit=&cursor=``, the ``Link`` header, the pages' links.

The API is strict: a bad ``limit`` is a 422 ``validation_error`` naming the field, a cursor that
is not one of the list's a 422 ``invalid_cursor``. A page is lenient, like every filter page: a
bad value is dropped and the first page shown. The links to the next and previous pages keep
the rest of the query string (the language, filters) and are absolute URLs, as a client
following ``Link: <…>; rel="next"`` expects (behind the proxy ProxyFix has set the host).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request, url_for

from evalmeet.domain.errors import ValidationFailed
from evalmeet.schemas.base import parse
from evalmeet.schemas.query import Cursor, PageQuery, parse_query
from evalmeet.services.paging import Page, invalid_cursor

T = TypeVar("T")


def page_size() -> int:
    """Rows on a page when the request names no ``limit`` (config ``PAGE_SIZE``)."""
    return int(current_app.config.get("PAGE_SIZE", 100))


def api_query() -> PageQuery:
    """``?limit=&cursor=`` of an API request, or the 422 refusal of a bad one."""
    try:
        return parse(PageQuery, request.args.to_dict())
    except ValidationFailed as err:
        if err.details.get("reason") == "invalid_cursor":
            raise invalid_cursor("is not a cursor of this list") from None
        raise


def page_url(cursor: Cursor, *, external: bool = True) -> str:
    """This list's URL for the page ``cursor`` starts (absolute, the other arguments kept)."""
    args: dict[str, Any] = dict(request.args.to_dict())
    args["cursor"] = cursor.token()
    endpoint = request.endpoint or ""
    return url_for(endpoint, **(request.view_args or {}), **args, _external=external)


@dataclass(frozen=True)
class Pager:
    """The links of a page to its neighbours (None: there is none), for ``common.pager``."""

    next_url: str | None
    prev_url: str | None


def pager(page: Page[Any], to: Callable[[Cursor], str] | None = None) -> Pager:
    """The links of an HTML page of a list (relative URLs): this URL with the cursor, or
    ``to(cursor)`` for a list shown on another page (a part of it, or after a form's POST)."""
    link = to or (lambda cursor: page_url(cursor, external=False))
    return Pager(
        next_url=link(page.next) if page.next else None,
        prev_url=link(page.prev) if page.prev else None,
    )


def link_header(page: Page[Any]) -> dict[str, str]:
    """``{"Link": '<…>; rel="next", <…>; rel="prev"'}``, or nothing on a lone page."""
    links = []
    if page.next is not None:
        links.append(f'<{page_url(page.next)}>; rel="next"')
    if page.prev is not None:
        links.append(f'<{page_url(page.prev)}>; rel="prev"')
    return {"Link": ", ".join(links)} if links else {}


def html_page(fetch: Callable[[PageQuery], Page[T]]) -> Page[T]:
    """The page a page's query string asks for; a bad ``limit`` or cursor gives the first page."""
    query, _ignored = parse_query(PageQuery, request.args)
    try:
        return fetch(query)
    except ValidationFailed as err:
        if err.code != "invalid_cursor":
            raise
        return fetch(PageQuery(limit=query.limit))
