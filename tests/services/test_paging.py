"""Keyset paging over many rows, on SQLite and PostgreSQL: nothing lost or repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evalmeet.models import Meeting
from evalmeet.schemas.query import Cursor, PageQuery
from evalmeet.services import paging
from evalmeet.services.archive import disclosure
from evalmeet.services.meetings import meeting as meetings
from tests.conftest import both_databases

pytestmark = both_databases

BASE = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def add_meetings(session, n, *, published=False, start=0):
    """``n`` meetings; published ones are closed, filed under days that repeat (ties on date)."""
    rows = []
    for i in range(start, start + n):
        fields = {"title": f"会议{i:03d}"}
        if published:
            fields |= {
                "status": "closed",
                "published": True,
                "scheduled_at": BASE + timedelta(days=i // 3, microseconds=7),  # three per day
                "finished_at": BASE + timedelta(days=i // 3, hours=2),
            }
        rows.append(Meeting(**fields))
    session.add_all(rows)
    session.commit()
    return rows


def walk(fetch, limit, between=None):
    """Follow the next cursors to the end; ``between(n)`` runs after page ``n``."""
    seen, cursor, pages = [], None, 0
    while True:
        page = fetch(PageQuery(limit=limit, cursor=cursor))
        seen += page.rows
        pages += 1
        assert len(page.rows) <= limit
        if between:
            between(pages)
        if page.next is None:
            return seen, pages
        cursor = Cursor.read(page.next.token())  # through its text, as a client sends it back


def test_meetings_pages_cover_every_row_once_newest_first(session):
    made = add_meetings(session, 47)
    seen, pages = walk(lambda q: meetings.meetings_page(session, q), 10)
    assert pages == 5
    assert [m.id for m in seen] == sorted((m.id for m in made), reverse=True)


def test_meetings_inserted_between_pages_are_neither_lost_nor_repeated(session):
    made = add_meetings(session, 30)
    added = []

    def insert(n):
        if n <= 3:
            added.extend(add_meetings(session, 2, start=100 + 2 * n))

    seen, _pages = walk(lambda q: meetings.meetings_page(session, q), 7, insert)
    ids = [m.id for m in seen]
    assert len(ids) == len(set(ids))  # none twice
    assert {m.id for m in made} <= set(ids)  # none of those there at the start lost
    # new meetings are newer than every page after the first: they land before it
    assert not {m.id for m in added} & set(ids[7:])


def test_without_a_limit_the_default_size_applies_and_none_means_the_whole_list(session):
    add_meetings(session, 12)
    assert len(meetings.meetings_page(session, PageQuery(), default=5).rows) == 5
    whole = meetings.meetings_page(session, PageQuery(), default=None)
    assert len(whole.rows) == 12 and whole.next is None and whole.prev is None


def test_previous_pages_lead_back_to_the_first(session):
    add_meetings(session, 25)
    first = meetings.meetings_page(session, PageQuery(limit=10))
    assert first.prev is None
    second = meetings.meetings_page(session, PageQuery(limit=10, cursor=first.next))
    third = meetings.meetings_page(session, PageQuery(limit=10, cursor=second.next))
    assert len(third.rows) == 5 and third.next is None
    back = meetings.meetings_page(session, PageQuery(limit=10, cursor=third.prev))
    assert [m.id for m in back.rows] == [m.id for m in second.rows]
    start = meetings.meetings_page(session, PageQuery(limit=10, cursor=back.prev))
    assert [m.id for m in start.rows] == [m.id for m in first.rows] and start.prev is None


def test_public_pages_follow_date_then_id_across_ties(session):
    made = add_meetings(session, 20, published=True)
    add_meetings(session, 3)  # drafts: never public
    expected = sorted(made, key=lambda m: (m.scheduled_at, m.id), reverse=True)
    seen, pages = walk(lambda q: disclosure.public_page(session, q), 4)
    assert pages == 5
    assert [m.id for m in seen] == [m.id for m in expected]
    assert seen[0].title == expected[0].title


def test_public_rows_published_between_pages_keep_the_walk_whole(session):
    made = add_meetings(session, 12, published=True)

    def insert(n):
        if n == 1:  # an old meeting published late lands on a later page, once
            add_meetings(session, 1, published=True, start=0)

    seen, _pages = walk(lambda q: disclosure.public_page(session, q), 5, insert)
    ids = [m.id for m in seen]
    assert len(ids) == len(set(ids)) == 13
    assert {m.id for m in made} <= set(ids)


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(list="public", key=("2026-03-01T01:30:00+00:00", 4)),  # another list's
        Cursor(list="meetings", key=(1, 2)),  # another shape
        Cursor(list="meetings", key=("1",)),
        Cursor(list="meetings", key=(2**40,)),  # past any id: refused before SQL sees it
        Cursor(list="meetings", key=(-1,)),
    ],
)
def test_cursors_that_are_not_this_lists_are_refused(session, cursor):
    add_meetings(session, 3)
    with pytest.raises(Exception) as refused:
        meetings.meetings_page(session, PageQuery(limit=2, cursor=cursor))
    assert getattr(refused.value, "code", None) == "invalid_cursor"


@pytest.mark.parametrize(
    "key",
    [
        (1, 1),
        ("2026-03-01", 1),
        ("2026-03-01T01:30:00", 1),
        ("yesterday", 1),
        ("9999-01-01T00:00:00+00:00", 1),
    ],
)
def test_public_cursors_need_an_aware_date_and_an_id(session, key):
    add_meetings(session, 3, published=True)
    with pytest.raises(Exception) as refused:
        disclosure.public_page(session, PageQuery(limit=2, cursor=Cursor(list="public", key=key)))
    assert getattr(refused.value, "code", None) == "invalid_cursor"


def test_a_cursor_past_the_end_is_an_empty_last_page(session):
    add_meetings(session, 3)
    page = meetings.meetings_page(session, PageQuery(limit=2, cursor=Cursor(list="meetings", key=(1,))))
    assert page.rows == [] and page.next is None
    assert paging.DEFAULT_LIMIT == 100
