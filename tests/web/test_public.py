"""Public disclosure (厂务公开): published meetings only, no login, nothing that identifies a voter."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from evalmeet.extensions import db
from evalmeet.models import Ballot
from tests.archive_seed import REP_PREFIX, XSS, XSS_ESCAPED, seeded_database


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    yield from seeded_database("sqlite", tmp_path_factory)


def html(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_public_list_needs_no_login_and_shows_published_meetings_only(anon):
    page = html(anon.get("/public"))
    assert "一月评价会" in page and f"三月评价会 {XSS_ESCAPED}" in page
    for hidden in ("二月评价会", "彩排会", "进行中会议"):
        assert hidden not in page
    links = re.findall(r'href="/public/meetings/(\d+)"', page)
    assert len(links) == 2
    # no archive links for the public
    assert 'href="/archive' not in page and 'href="/dashboard' not in page


def test_public_meeting_shows_results_counts_and_actions(anon, seed):
    page = html(anon.get(f"/public/meetings/{seed.meeting['M1']}"))
    for text in ("钢材采购", "焦炭采购", "王采购", "李四", "供应处", "单一来源", "¥350,000.00"):
        assert text in page
    assert "2/3 (66.7%)" in page and "1/3 (33.3%)" in page
    assert re.search(r"满意</span> <strong>2</strong>", page)
    assert "整改" in page and "党纪处分" in page and "2020-01-01" in page and "已逾期" in page
    assert "为什么只有一家供应商？" in page and "因为只有一家有资质" in page
    english = html(anon.get(f"/public/meetings/{seed.meeting['M1']}?lang=en"))
    assert "Representatives present" in english and "Rectification" in english


def test_public_meeting_shows_every_round_of_a_re_vote(anon, seed):
    page = html(anon.get(f"/public/meetings/{seed.meeting['M3']}"))
    assert "第 1 轮" in page and "第 2 轮" in page and "计票有异议" in page


def receipts_by_meeting(app):
    from evalmeet.models import Item

    with app.app_context():
        rows = db.session.execute(
            select(Item.meeting_id, Ballot.receipt).join(Item, Item.id == Ballot.item_id)
        ).all()
        db.session.remove()
    found: dict[int, set[str]] = {}
    for meeting_id, receipt in rows:
        found.setdefault(meeting_id, set()).add(receipt)
    return found


def test_a_published_meeting_lists_each_rounds_receipts_linked_to_verify(seeded, anon, seed):
    by_meeting = receipts_by_meeting(seeded[0])
    own = by_meeting[seed.meeting["M3"]]
    assert own
    page = html(anon.get(f"/public/meetings/{seed.meeting['M3']}"))
    for receipt in own:
        assert f'<a href="/verify?code={receipt}">{receipt}</a>' in page
    assert "第 1 轮回执码" in page and "第 2 轮回执码" in page  # a re-voted item: each round's own list
    for other, codes in by_meeting.items():
        if other != seed.meeting["M3"]:
            assert not any(code in page for code in codes)
    listing = html(anon.get("/public"))
    assert not any(code in listing for codes in by_meeting.values() for code in codes)
    english = html(anon.get(f"/public/meetings/{seed.meeting['M3']}?lang=en"))
    assert "Receipt codes, round 2" in english


def test_public_pages_reveal_no_voter_token_or_hidden_question(seeded, anon, seed):
    by_meeting = receipts_by_meeting(seeded[0])
    receipts = {code for codes in by_meeting.values() for code in codes}
    assert receipts
    for key in ("M1", "M3"):
        page = html(anon.get(f"/public/meetings/{seed.meeting[key]}"))
        listing = html(anon.get("/public"))
        for text in (page, listing):
            assert REP_PREFIX not in text  # no representative's name
            assert f"{XSS}代表" not in text and f"{XSS_ESCAPED}代表" not in text
            for token in seed.join_tokens[key]:
                assert token not in text
            assert seed.display_tokens[key] not in text
            assert "隐藏的问题XYZ" not in text and "待审问题ABC" not in text
            assert "炼钢厂" not in text  # the representatives' department
            # receipts only on the page of their own published meeting, never on the list
            shown = by_meeting.get(seed.meeting[key], set()) if text is page else set()
            for receipt in receipts - shown:
                assert receipt not in text
        # attendance is a count
        assert re.search(r"<dt>到会代表</dt><dd>3</dd>", page)


def test_unpublished_rehearsal_and_unknown_meetings_are_404(anon, seed):
    for key in ("M2", "R", "L"):
        page = html(anon.get(f"/public/meetings/{seed.meeting[key]}"), 404)
        assert "未找到" in page or "Not found" in page or "404" in page
    for path in (
        "/public/meetings/99999",
        "/public/meetings/0",
        "/public/meetings/abc",
        "/public/meetings/-1",
    ):
        assert anon.get(path).status_code == 404


def test_public_pages_escape_everything(anon, seed):
    for path in ("/public", f"/public/meetings/{seed.meeting['M3']}"):
        page = html(anon.get(path))
        assert "<script" not in page and "<img src=x" not in page
        assert "<style" not in page and ' style="' not in page
    page = html(anon.get(f"/public/meetings/{seed.meeting['M3']}"))
    assert f"问题 {XSS_ESCAPED}" in page and f"回答 {XSS_ESCAPED}" in page
    assert f"{XSS_ESCAPED}运输" in page


def test_public_page_works_for_logged_in_users_too(seeded, seed):
    from tests.conftest import make_account

    app = seeded[0]
    token = make_account(app, "reader", "viewer")
    r = app.test_client().get(
        f"/public/meetings/{seed.meeting['M1']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200
