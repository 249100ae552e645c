"""Archive, people and dashboard pages: who may read them, filters through the query string, every
dashboard figure equal to /api/v1/stats and traceable to the records behind it, escaping, bad input.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from evalmeet.extensions import db
from evalmeet.services.archive import stats
from tests.archive_seed import EXPECTED_TOTALS, XSS, XSS_ESCAPED, seeded_database
from tests.conftest import make_account
from tests.static_names import static

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The seed on SQLite (the services tests cover PostgreSQL), plus a viewer and a moderator."""
    for app, seed in seeded_database("sqlite", tmp_path_factory):
        tokens = {role: make_account(app, role, role, PASSWORD) for role in ("viewer", "moderator")}
        yield app, seed, tokens


def logged_in(app, role):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    return client


@pytest.fixture(scope="module")
def viewer_session(seeded):
    """One login for the module (password hashing is slow on purpose)."""
    return logged_in(seeded[0], "viewer")


@pytest.fixture
def viewer(viewer_session):
    viewer_session.delete_cookie("evalmeet_lang", domain="localhost")
    return viewer_session


def html(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def titles_in_table(page):
    """Item titles linked from the archive table's first column."""
    return set(re.findall(r'<a class="strong" href="/archive/meetings/\d+#item-\d+">([^<]*)</a>', page))


def pages_of(seed):
    return [
        "/archive",
        "/archive/meetings",
        f"/archive/meetings/{seed.meeting['M1']}",
        f"/archive/meetings/{seed.meeting['M3']}",
        "/archive/people",
        f"/archive/people/{seed.person['I1']}",
        f"/archive/people/{seed.person['I5']}",
        "/dashboard",
    ]


# --- access -------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(anon, seed):
    for path in pages_of(seed):
        r = anon.get(path)
        assert r.status_code == 302, path
        assert r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["viewer", "moderator"])
def test_viewers_and_moderators_can_read_every_page(seeded, role):
    app, seed, _tokens = seeded
    client = logged_in(app, role)
    for path in pages_of(seed):
        page = html(client.get(path))
        assert "<style" not in page and ' style="' not in page  # the CSP forbids inline styles
        assert static("css/archive.css") in page
    nav = html(client.get("/archive"))
    assert 'href="/dashboard"' in nav and 'href="/archive/people"' in nav


def test_bearer_tokens_work_too(seeded):
    app, _seed, tokens = seeded
    r = app.test_client().get("/archive", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert r.status_code == 200


def test_rehearsals_and_unknown_meetings_and_people_are_404(viewer, seed):
    for path in (
        f"/archive/meetings/{seed.meeting['R']}",
        f"/archive/meetings/{seed.meeting['L']}",
        "/archive/meetings/99999",
        f"/archive/people/{seed.person['IR'] + 1000}",
        "/archive/meetings/0",
        "/archive/meetings/99999999999999",
    ):
        assert viewer.get(path).status_code == 404, path


# --- archive -----------------------------------------------------------------------------------


def test_filters_in_the_query_string_select_the_items(viewer):
    assert titles_in_table(html(viewer.get("/archive?result=failed"))) == {"焦炭采购", "耐火材料", "电极采购"}
    page = html(viewer.get("/archive?department=供应处&result=failed"))
    assert titles_in_table(page) == {"耐火材料", "电极采购"}
    page = html(viewer.get("/archive?from=2026-02-01&to=2026-02-28&q=润滑"))
    assert titles_in_table(page) == {"润滑油"}
    page = html(viewer.get("/archive?person=王&action=overdue"))
    assert titles_in_table(page) == {"电极采购"}
    assert 'data-actions="1"' in page
    # the form shows the filters back
    page = html(viewer.get("/archive?method=tender&q=焦"))
    assert '<option value="tender" selected>' in page and 'value="焦"' in page


def test_pagination_links_keep_the_filters(seeded, viewer):
    page = html(viewer.get("/archive?department=供应处"))
    assert 'data-total="5"' in page and 'rel="next"' not in page  # 20 per page
    from evalmeet.schemas.archive import ArchiveFilters
    from evalmeet.services.archive import search as archive

    app = seeded[0]
    with app.app_context():
        filters, _ = ArchiveFilters.from_query({"department": "供应处", "page": "2"})
        page_two = archive.search(db.session, filters, page_size=2)
        assert (page_two.page, page_two.pages) == (2, 3)
        db.session.remove()
    with app.test_request_context():
        from flask import url_for

        assert url_for("archive.index", **page_two.filters.query_args(page=3)) == (
            "/archive?department=%E4%BE%9B%E5%BA%94%E5%A4%84&page=3"
        )


BAD_QUERIES = [
    "from=abc",
    "to=2026-13-45",
    "from=2026-02-30&to=x",
    "page=-1",
    "page=0",
    "page=99999999999999999999999",
    "page=abc",
    "page=3.5",
    "method=%3Cscript%3E",
    "result=maybe",
    "action=%00",
    "q=%00%01%02",
    "q=" + "x" * 5000,
    "person=%25%25%25",
    "department=" + "%E4%BE%9B" * 200,
    "from=0001-01-01&to=9999-12-31",
    "from=2026-03-01&to=2026-01-01",
    "disciplined=maybe&q=%FF%FE",
    "lang=xx",
    "q=%F0%9F%98%80",
    "from[]=1&page[]=2",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_query_parameters_never_fail(viewer, anon, seed, query):
    for path in ["/archive", "/archive/meetings", "/archive/people", "/dashboard"]:
        r = viewer.get(f"{path}?{query}")
        assert r.status_code == 200, (path, query, r.status_code)
    for path in ["/public", f"/public/meetings/{seed.meeting['M1']}"]:
        assert anon.get(f"{path}?{query}").status_code == 200


def test_ignored_values_are_named_in_a_friendly_message(viewer):
    page = html(viewer.get("/archive?from=abc&page=-1&lang=en"))
    assert "Some filter values were not understood and were ignored: From, Page" in page
    assert 'data-total="8"' in page


def test_meetings_list_counts_attendances(viewer):
    page = html(viewer.get("/archive/meetings"))
    assert 'data-meetings="3" data-attendances="9"' in page
    assert "彩排会" not in page and "进行中会议" not in page
    assert "3 / 4" in page  # M1: present / roster


def test_meeting_page_shows_the_whole_record(viewer, seed):
    page = html(viewer.get(f"/archive/meetings/{seed.meeting['M1']}"))
    assert "为什么只有一家供应商？" in page and "因为只有一家有资质" in page
    assert "隐藏的问题XYZ" not in page and "待审问题ABC" not in page
    assert f"/api/v1/meetings/{seed.meeting['M1']}/minutes.pdf" in page
    assert f"/api/v1/meetings/{seed.meeting['M1']}/minutes.xlsx" in page
    assert "应到 4 人，实到 3 人" in page
    assert '<tr class="overdue">' in page  # I2's rectification, due 2020-01-01, still open
    assert "单一来源采购，金额超过" in page  # risk flag
    page = html(viewer.get(f"/archive/meetings/{seed.meeting['M3']}?lang=en"))
    assert "Round 1" in page and "Round 2" in page and "计票有异议" in page and "Superseded" in page


def test_person_page_lists_every_item_and_flags_repeat_failures(viewer, seed):
    page = html(viewer.get(f"/archive/people/{seed.person['I1']}"))
    for title in ("钢材采购", "耐火材料", "电极采购"):
        assert title in page
    assert "多次未通过" in page
    assert "政纪处分" in page and "警告" in page
    li = html(viewer.get(f"/archive/people/{seed.person['I2']}"))
    assert "焦炭采购" in li and "彩排项目" not in li and "多次未通过" not in li


def test_people_index_is_sorted_by_failures(viewer):
    page = html(viewer.get("/archive/people"))
    names = re.findall(r'<a class="strong" href="/archive/people/\d+">([^<]*)</a>', page)
    assert names[:2] == ["王采购", "李四"]
    assert page.count("多次未通过") == 1
    disciplined = html(viewer.get("/archive/people?disciplined=1"))
    assert 'data-count="2"' in disciplined


def test_people_index_pages_link_to_each_other(viewer):
    everyone = re.findall(r'href="/archive/people/(\d+)"', html(viewer.get("/archive/people")))
    first = html(viewer.get("/archive/people?limit=2&q="))
    assert re.findall(r'href="/archive/people/(\d+)"', first) == everyone[:2]
    assert 'data-count="5"' in first  # the summary counts everyone, not the page
    following = re.search(r'rel="next" href="(/archive/people\?[^"]*cursor=[^"]+)"', first)
    assert following, first
    second = html(viewer.get(following[1].replace("&amp;", "&")))
    assert re.findall(r'href="/archive/people/(\d+)"', second) == everyone[2:4]
    assert html(viewer.get("/archive/people?limit=2&cursor=garbage")).count('href="/archive/people/') == 2


# --- dashboard ---------------------------------------------------------------------------------


def figures(page):
    found = re.findall(
        r'<a class="figure[^"]*" href="([^"]+)" data-figure="(\w+)">\s*'
        r'<span class="figure-value">(-?¥[\d,]+\.\d\d|\d+)</span>',
        page,
    )
    # counts as numbers; the savings (¥1,234.50) as the API writes them ("1234.50")
    return {
        key: (value.replace("¥", "").replace(",", "") if "¥" in value else int(value), unescape(href))
        for href, key, value in found
    }


def test_dashboard_figures_equal_the_api_and_stats(seeded, viewer):
    app, _seed, tokens = seeded
    api = app.test_client().get("/api/v1/stats", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert api.status_code == 200
    page = html(viewer.get("/dashboard"))
    shown = {key: value for key, (value, _href) in figures(page).items()}
    with app.app_context():
        totals = stats.totals(db.session)
        db.session.remove()
    assert shown == api.get_json() == totals == EXPECTED_TOTALS


def test_every_figure_leads_to_the_records_behind_it(viewer):
    page = html(viewer.get("/dashboard"))
    links = figures(page)
    assert set(links) == set(EXPECTED_TOTALS)

    def attr(path, name):
        return int(re.search(rf'{name}="(\d+)"', html(viewer.get(path))).group(1))

    assert attr(links["meetings"][1], "data-meetings") == EXPECTED_TOTALS["meetings"]
    assert attr(links["attendances"][1], "data-attendances") == EXPECTED_TOTALS["attendances"]
    assert attr(links["items"][1], "data-total") == EXPECTED_TOTALS["items"]
    assert attr(links["items_passed"][1], "data-total") == EXPECTED_TOTALS["items_passed"]
    assert attr(links["items_failed"][1], "data-total") == EXPECTED_TOTALS["items_failed"]
    assert attr(links["people_disciplined"][1], "data-count") == EXPECTED_TOTALS["people_disciplined"]
    assert attr(links["actions_open"][1], "data-actions") == EXPECTED_TOTALS["actions_open"]
    assert attr(links["actions_overdue"][1], "data-actions") == EXPECTED_TOTALS["actions_overdue"]
    assert attr(links["appeals_pending"][1], "data-matching") == EXPECTED_TOTALS["appeals_pending"]


def test_breakdown_rows_lead_to_archive_pages_with_the_same_numbers(viewer):
    page = html(viewer.get("/dashboard"))
    rows = re.findall(
        r'<tr data-key="[^"]*">\s*<td[^>]*><a href="([^"]+)">[^<]*</a></td>\s*'
        r'<td[^>]*><a href="[^"]+">(\d+)</a></td>\s*<td[^>]*><a href="([^"]+)">(\d+)</a></td>\s*'
        r'<td[^>]*><a href="([^"]+)">(\d+)</a></td>',
        page,
    )
    assert len(rows) == 3 + 6 + 4  # months, methods, departments
    for group_href, evaluated, passed_href, passed, failed_href, failed in rows:
        target = html(viewer.get(unescape(group_href)))
        assert f'data-total="{evaluated}" data-passed="{passed}" data-failed="{failed}"' in target, group_href
        assert f'data-total="{passed}"' in html(viewer.get(unescape(passed_href)))
        assert f'data-total="{failed}"' in html(viewer.get(unescape(failed_href)))


def test_dashboard_breakdowns_show_the_hand_counts(viewer):
    page = html(viewer.get("/dashboard?lang=en"))
    assert "Overall pass rate: 62.5%" in page
    assert re.search(r'<tr data-key="2026-02">.*?66\.7%', page, re.S)
    assert re.search(r'<tr data-key="供应处">.*?>5</a>.*?>3</a>.*?>2</a>.*?60\.0%', page, re.S)
    assert re.search(r'<tr data-key="overdue" class="overdue">.*?>2</td>', page, re.S)


def test_dashboard_svg_is_well_formed_and_escaped(viewer):
    page = html(viewer.get("/dashboard"))
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        ET.fromstring(svg)
    assert "<img src=x" not in page and "<script" not in page
    assert "&lt;img src=x onerror=" in page
    assert "供应处" in svgs[2] and "单一来源" in svgs[1]  # Chinese labels on the charts


# --- escaping and language ---------------------------------------------------------------------


def test_xss_payloads_are_escaped_on_every_page(viewer, seed):
    for path in pages_of(seed) + ["/archive?q=" + XSS, "/archive/people?q=" + XSS]:
        page = html(viewer.get(path))
        assert "<script" not in page, path
        assert "<img src=x" not in page, path
    assert XSS_ESCAPED in html(viewer.get(f"/archive/meetings/{seed.meeting['M3']}"))
    assert XSS_ESCAPED in html(viewer.get(f"/archive/people/{seed.person['I5']}"))
    assert XSS_ESCAPED in html(viewer.get("/archive"))
    assert XSS not in html(viewer.get("/archive?person=" + XSS))


def test_chinese_by_default_english_on_request(viewer):
    assert "<h1>评价档案</h1>" in html(viewer.get("/archive"))
    assert "<h1>Archive</h1>" in html(viewer.get("/archive?lang=en"))
    assert "<h1>Statistics</h1>" in html(viewer.get("/dashboard"))  # the cookie remembers
    assert "<h1>统计</h1>" in html(viewer.get("/dashboard?lang=zh"))
