"""Paged lists over HTTP: ``?limit=&cursor=`` and the ``Link`` header on GET /api/v1/meetings,
page links on /meetings and /public, bad values refused by code (API) or ignored (pages)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from evalmeet.extensions import db
from evalmeet.models import Meeting
from evalmeet.schemas.query import Cursor
from tests.conftest import both_databases, csrf_token
from tests.factories import item_body

pytestmark = both_databases

NEXT = re.compile(r'<([^>]+)>; rel="next"')
PREV = re.compile(r'<([^>]+)>; rel="prev"')


def add_meetings(app, n, *, published=False):
    with app.app_context():
        rows = [
            Meeting(
                title=f"分页会议{i:02d}",
                **(
                    {
                        "status": "closed",
                        "published": True,
                        "scheduled_at": datetime(2026, 5, 1, 2, tzinfo=UTC) + timedelta(days=i // 2),
                    }
                    if published
                    else {}
                ),
            )
            for i in range(n)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [m.id for m in rows]
        db.session.remove()
    return ids


def local(url):
    """The path and query of an absolute Link URL, for the test client."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost"
    return f"{parts.path}?{parts.query}"


def test_pages_follow_the_link_header_to_the_end(app, api):
    made = [api.post("meetings", {"title": f"第{i}次会"}).get_json()["id"] for i in range(7)]
    url, seen, pages = "meetings?limit=3", [], []
    while url:
        response = api.get(url)
        assert response.status_code == 200
        body = response.get_json()
        assert isinstance(body, list) and len(body) <= 3
        seen += [m["id"] for m in body]
        link = response.headers.get("Link", "")
        pages.append(link)
        found = NEXT.search(link)
        url = local(found.group(1)) if found else None
    assert seen == sorted(made, reverse=True)
    assert len(pages) == 3
    assert 'rel="prev"' not in pages[0] and 'rel="prev"' in pages[1]
    assert "limit=3" in pages[0] and 'rel="next"' not in pages[-1]


def test_the_previous_link_leads_back(api):
    for i in range(5):
        api.post("meetings", {"title": f"第{i}次会"})
    first = api.get("meetings?limit=2")
    second = api.get(local(NEXT.search(first.headers["Link"]).group(1)))
    back = api.get(local(PREV.search(second.headers["Link"]).group(1)))
    assert back.get_json() == first.get_json()
    assert "Link" in back.headers and 'rel="prev"' not in back.headers["Link"]


def test_without_limit_the_answer_is_the_array_of_a_default_page(app, api):
    made = [api.post("meetings", {"title": f"第{i}次会"}).get_json()["id"] for i in range(4)]
    whole = api.get("meetings")
    assert [m["id"] for m in whole.get_json()] == made[::-1]
    assert "Link" not in whole.headers  # one page: no next page
    app.config["PAGE_SIZE"] = 3
    paged = api.get("meetings?lang=en")
    assert [m["id"] for m in paged.get_json()] == made[:0:-1]  # the newest three
    next_url = NEXT.search(paged.headers["Link"]).group(1)
    assert "lang=en" in next_url  # the rest of the query string is kept
    rest = api.get(local(next_url))
    assert [m["id"] for m in rest.get_json()] == made[:1]


def test_a_meeting_created_between_pages_is_on_the_first_page_only(api):
    for i in range(4):
        api.post("meetings", {"title": f"第{i}次会"})
    first = api.get("meetings?limit=2")
    newest = api.post("meetings", {"title": "新会"}).get_json()["id"]
    rest = api.get(local(NEXT.search(first.headers["Link"]).group(1))).get_json()
    ids = [m["id"] for m in first.get_json()] + [m["id"] for m in rest]
    assert newest not in ids and len(ids) == len(set(ids)) == 4
    assert api.get("meetings?limit=2").get_json()[0]["id"] == newest


@pytest.mark.parametrize(
    ("limit", "reason"),
    [
        ("0", "out_of_range"),
        ("501", "out_of_range"),
        ("-1", "not_whole_number"),
        ("abc", "not_whole_number"),
        ("1.5", "not_whole_number"),
        ("9" * 30, "not_whole_number"),
    ],
)
def test_a_bad_limit_is_a_422_naming_the_field(api, limit, reason):
    response = api.get(f"meetings?limit={limit}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["field"] == "limit" and error["details"]["reason"] == reason
    assert "每页条数" in error["message"]


def token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "zzz",
        "%00%01",
        "é",
        "A" * 1000,
        token(b"not json"),
        token(b'{"list": "meetings"}'),
        token(b'["meetings", "x", 1]'),
        token(b'["meetings", "n", true]'),
        token(b'["meetings", "n", 1.5]'),
        token(b'["meetings", "n", 99999999999999999999999999]'),
        token(b'["meetings", "n", [1]]'),
        Cursor(list="public", key=("2026-05-01T02:00:00+00:00", 1)).token(),
        Cursor(list="meetings", key=(1, 2)).token(),
    ],
)
def test_a_bad_cursor_is_a_422_invalid_cursor(api, cursor):
    api.post("meetings", {"title": "会"})
    response = api.get(f"meetings?limit=2&cursor={cursor}")
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_cursor" and error["details"]["field"] == "cursor"
    assert "翻页链接" in error["message"]
    english = api.get(f"meetings?limit=2&cursor={cursor}&lang=en").get_json()["error"]["message"]
    assert "page link" in english


def test_the_openapi_document_names_limit_cursor_and_the_link_header(api):
    doc = api.get("openapi.json").get_json()
    operation = doc["paths"]["/meetings"]["get"]
    params = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(params) == {"limit", "cursor"}
    assert params["limit"]["schema"]["maximum"] == 500
    ok = operation["responses"]["200"]
    assert "Link" in ok["headers"] and 'rel="next"' in ok["headers"]["Link"]["description"]


def test_the_meetings_page_has_next_and_previous_links(app, login):
    browser = login("moderator")
    ids = add_meetings(app, 5)
    first = browser.get("/meetings?limit=2").get_data(as_text=True)
    assert "分页会议04" in first and "分页会议03" in first and "分页会议02" not in first
    assert "上一页" not in first
    later = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = browser.get(later).get_data(as_text=True)
    assert "分页会议02" in second and "分页会议01" in second and "分页会议04" not in second
    assert "上一页" in second and "下一页" in second
    english = browser.get(later + "&lang=en").get_data(as_text=True)
    assert "Previous" in english and "Next" in english
    assert len(ids) == 5


def add_roster(app, meeting_id, n):
    from evalmeet.models import Representative

    with app.app_context():
        db.session.add_all(
            Representative(meeting_id=meeting_id, name=f"名单代表{i:02d}", employee_no=f"R{i:03d}")
            for i in range(n)
        )
        db.session.commit()
        db.session.remove()


def roster_rows(page):
    return re.findall(r"名单代表(\d\d)", page)


def test_the_meeting_pages_roster_is_shown_a_page_at_a_time(app, login):
    """5,000 representatives took the server 1.1 s to render on one page (a stall for every
    phone of a live meeting): the roster is paged like the lists, its links back to the roster."""
    browser = login("moderator")
    (meeting_id,) = add_meetings(app, 1)
    add_roster(app, meeting_id, 23)
    app.config["PAGE_SIZE"] = 10
    first = browser.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert roster_rows(first) == [f"{i:02d}" for i in range(10)]
    assert re.search(r'<span class="count">23</span>', first)  # the count is the whole roster's
    assert 'rel="prev"' not in first
    pages, seen = [first], roster_rows(first)
    while found := re.search(r'rel="next" href="([^"]+)"', pages[-1]):
        link = found.group(1).replace("&amp;", "&")
        assert link.startswith(f"/meetings/{meeting_id}?") and link.endswith("#roster")
        pages.append(browser.get(link.removesuffix("#roster")).get_data(as_text=True))
        seen += roster_rows(pages[-1])
    assert len(pages) == 3 and seen == [f"{i:02d}" for i in range(23)]
    back = re.search(r'rel="prev" href="([^"]+)"', pages[2]).group(1).replace("&amp;", "&")
    again = browser.get(back.removesuffix("#roster")).get_data(as_text=True)
    assert roster_rows(again) == roster_rows(pages[1])
    english = browser.get(f"/meetings/{meeting_id}?lang=en").get_data(as_text=True)
    assert "lang=en" in re.search(r'rel="next" href="([^"]+)"', english).group(1)
    # a refused form renders the page from its POST: its roster links still go to the meeting
    refused = browser.post(
        f"/meetings/{meeting_id}/representatives",
        data={"name": "", "employee_no": "", "csrf_token": csrf_token(browser)},
    )
    assert refused.status_code == 422
    link = re.search(r'rel="next" href="([^"]+)"', refused.get_data(as_text=True)).group(1)
    assert link.startswith(f"/meetings/{meeting_id}?cursor=") and link.endswith("#roster")


def test_the_pages_ignore_a_bad_cursor_or_limit(app, login):
    browser = login("moderator")
    add_meetings(app, 3)
    for query in ("cursor=zzz", "limit=abc", "limit=0&cursor=" + Cursor(list="public", key=("x", 1)).token()):
        page = browser.get(f"/meetings?{query}")
        assert page.status_code == 200
        assert all(f"分页会议{i:02d}" in page.get_data(as_text=True) for i in range(3))


def test_the_public_list_pages_by_date_with_links(app, client):
    add_meetings(app, 5, published=True)
    add_meetings(app, 1)  # a draft: never public
    first = client.get("/public?limit=2").get_data(as_text=True)
    titles = re.findall(r"分页会议\d\d", first)
    assert titles == ["分页会议04", "分页会议03"]
    seen = list(titles)
    page = first
    while (found := re.search(r'rel="next" href="([^"]+)"', page)) is not None:
        page = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
        seen += re.findall(r"分页会议\d\d", page)
    assert seen == [f"分页会议{i:02d}" for i in (4, 3, 2, 1, 0)]
    assert "上一页" in page
    assert client.get("/public?cursor=zzz").status_code == 200


def every_row(api, path, name):
    rows, url = [], path
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.get_json()
        rows += response.get_json()[name]
        found = NEXT.search(response.headers.get("Link", ""))
        url = local(found.group(1)) if found else None
    return rows


def test_the_roster_and_an_items_actions_page_when_asked_and_answer_whole_otherwise(api):
    meeting = api.post("meetings", {"title": "名册分页"}).get_json()["id"]
    reps = [
        api.post(
            f"meetings/{meeting}/representatives",
            {"name": f"代表{i}", "employee_no": f"E{i:03d}", "department": "炼铁厂"},
        ).get_json()["id"]
        for i in range(7)
    ]
    roster = f"meetings/{meeting}/representatives"
    whole = api.get(roster)
    assert [r["id"] for r in whole.get_json()["representatives"]] == reps and "Link" not in whole.headers
    assert [r["id"] for r in every_row(api, roster + "?limit=3", "representatives")] == reps
    assert api.get(roster + "?limit=3").get_json().keys() == {"representatives"}

    item = api.post(f"meetings/{meeting}/items", item_body("焦炭", ("王", "采购员", "供应处"))).get_json()[
        "id"
    ]
    made = [
        api.post(f"items/{item}/actions", {"kind": "rectification", "description": f"整改{i}"}).get_json()[
            "id"
        ]
        for i in range(5)
    ]
    assert [a["id"] for a in every_row(api, f"items/{item}/actions?limit=2", "actions")] == made
    assert [a["id"] for a in api.get(f"items/{item}/actions").get_json()["actions"]] == made
    # a cursor of the roster is not one of the actions'
    roster_cursor = NEXT.search(api.get(roster + "?limit=3").headers["Link"]).group(1).split("cursor=")[1]
    refused = api.get(f"items/{item}/actions?limit=2&cursor={roster_cursor}")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_cursor"
    # an unknown parent is still a 404 first
    assert api.get(f"items/999999/actions?cursor={roster_cursor}").status_code == 404


def test_every_paged_list_documents_its_query_and_link(api):
    doc = api.get("openapi.json").get_json()
    paged = {
        path
        for path, ops in doc["paths"].items()
        if "get" in ops and "Link" in ops["get"]["responses"]["200"].get("headers", {})
    }
    assert paged == {
        "/meetings",
        "/meetings/{meeting_id}/representatives",
        "/meetings/{meeting_id}/corrections",
        "/items/{item_id}/receipts",
        "/items/{item_id}/actions",
        "/items/{item_id}/questions",
        "/items/{item_id}/recusals",
        "/actions/{action_id}/appeals",
    }
    for path in paged:
        names = {p["name"] for p in doc["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert names == {"limit", "cursor"}, path
