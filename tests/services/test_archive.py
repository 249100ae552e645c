"""Archive search, filters, meeting records, person history and public records, on both databases."""

from __future__ import annotations

from datetime import date

import pytest

from evalmeet.domain.errors import NotFound
from evalmeet.models import Meeting
from evalmeet.schemas.archive import ArchiveFilters, PeopleFilters
from evalmeet.schemas.base import parse
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.services.archive import disclosure, people
from evalmeet.services.archive import meetings as archive_meetings
from evalmeet.services.archive import search as archive
from tests.archive_seed import XSS, seeded_database, seeded_session

TODAY = date(2026, 11, 1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request, tmp_path_factory):
    """The seed, built once per database for this module; tests never commit."""
    yield from seeded_database(request.param, tmp_path_factory)


@pytest.fixture
def seed(seeded):
    return seeded[1]


@pytest.fixture
def session(seeded):
    yield from seeded_session(seeded)


def found(session, today=TODAY, page_size=100, **args):
    filters, problems = ArchiveFilters.from_query(args)
    assert problems == []
    page = archive.search(session, filters, today=today, page_size=page_size)
    return {row.item.id for row in page.rows}, page


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        ({}, ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"]),
        ({"result": "failed"}, ["I2", "I3", "I6"]),
        ({"result": "passed"}, ["I1", "I4", "I5", "I7", "I8"]),
        ({"department": "供应处"}, ["I1", "I3", "I4", "I6", "I7"]),
        ({"department": "设备处"}, ["I2"]),
        ({"department": "-"}, ["I8"]),
        ({"method": "single_source"}, ["I1", "I6"]),
        ({"method": "tender"}, ["I2", "I7"]),
        ({"method": "none"}, ["I5"]),
        ({"person": "王"}, ["I1", "I3", "I6"]),
        ({"person": "李四"}, ["I2"]),
        ({"q": "为什么只有一家"}, ["I1"]),  # an approved question's text
        ({"q": "只有一家有资质"}, ["I1"]),  # its answer
        ({"q": "隐藏的问题"}, []),  # hidden questions are not searchable
        ({"q": "待审问题"}, []),  # nor pending ones
        ({"q": "二月"}, ["I3", "I4", "I7"]),  # meeting title
        ({"q": "轴承"}, ["I4"]),  # description
        ({"q": "电极"}, ["I6"]),  # item title
        ({"q": "%"}, []),  # LIKE wildcards are literal
        ({"q": "_"}, []),
        ({"q": "彩排"}, []),  # rehearsals never appear
        ({"q": "进行中"}, []),  # nor meetings that are not closed
        ({"from": "2026-02-01", "to": "2026-02-28"}, ["I3", "I4", "I7"]),  # 07:00 China time on 1 Feb
        ({"to": "2026-01-31"}, ["I1", "I2"]),  # 23:30 China time on 31 Jan
        ({"from": "2026-03-01"}, ["I5", "I6", "I8"]),
        ({"from": "2026-03-06"}, []),
        ({"department": "供应处", "result": "failed"}, ["I3", "I6"]),
        ({"person": "王", "from": "2026-03-01"}, ["I6"]),
        ({"method": "single_source", "result": "passed"}, ["I1"]),
        ({"department": "供应处", "method": "tender", "result": "passed", "q": "润滑"}, ["I7"]),
        ({"action": "overdue"}, ["I2", "I6"]),
        ({"action": "unresolved"}, ["I2", "I3", "I6"]),
        ({"action": "verified"}, ["I6"]),
        ({"action": "done"}, ["I3"]),
        ({"action": "overdue", "person": "王"}, ["I6"]),
    ],
)
def test_each_filter_and_combination_returns_exactly_the_right_items(session, seed, args, keys):
    ids, page = found(session, **args)
    assert ids == seed.item_ids(*keys)
    assert page.total == len(keys)
    assert page.passed + page.failed == page.total


def test_matching_actions_are_counted_for_action_filters(session, seed):
    _ids, page = found(session, action="overdue")
    assert page.matching_actions == 2
    _ids, page = found(session, action="unresolved")
    assert page.matching_actions == 4
    _ids, page = found(session)
    assert page.matching_actions is None


def test_overdue_depends_on_today(session, seed):
    # On 2019-12-31 nothing was overdue yet: the earliest due date is 2020-01-01.
    ids, page = found(session, today=date(2019, 12, 31), action="overdue")
    assert ids == set() and page.matching_actions == 0
    ids, _page = found(session, today=date(2020, 3, 1), action="overdue")
    assert ids == seed.item_ids("I2")


def test_rows_carry_results_rounds_actions_and_repeat_failures(session, seed):
    _ids, page = found(session)
    rows = {row.item.id: row for row in page.rows}
    i6 = rows[seed.item["I6"]]
    assert [r.vote_round for r in i6.results] == [1, 2]
    assert i6.results[0].superseded_reason == "计票有异议" and i6.results[0].passed is True
    assert i6.result.passed is False and (i6.result.satisfaction_num, i6.result.satisfaction_den) == (1, 3)
    assert [a.kind for a in i6.actions] == ["warning", "rectification"]
    assert [i6.overdue(a) for a in i6.actions] == [False, True]
    wang = seed.person["I1"]
    assert page.repeat_failures == {wang: 2}
    # newest meeting first, then running order
    assert [row.item.id for row in page.rows][:3] == [seed.item[k] for k in ("I5", "I6", "I8")]


def test_pagination_clamps_and_counts(session, seed):
    filters, _ = ArchiveFilters.from_query({"page": "2"})
    page = archive.search(session, filters, today=TODAY, page_size=3)
    assert (page.page, page.pages, page.total, len(page.rows)) == (2, 3, 8, 3)
    filters, _ = ArchiveFilters.from_query({"page": "99"})
    page = archive.search(session, filters, today=TODAY, page_size=3)
    assert (page.page, len(page.rows)) == (3, 2)
    seen = set()
    for n in (1, 2, 3):
        page = archive.search(session, ArchiveFilters(page=n), today=TODAY, page_size=3)
        seen |= {row.item.id for row in page.rows}
    assert seen == seed.item_ids("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8")


@pytest.mark.parametrize(
    ("args", "problems"),
    [
        ({"from": "abc"}, ["from"]),
        ({"to": "2026-02-30"}, ["to"]),
        ({"from": "0001-01-01"}, ["from"]),
        ({"to": "9999-12-31"}, ["to"]),
        ({"page": "-1"}, ["page"]),
        ({"page": "0"}, ["page"]),
        ({"page": "99999999999999999999"}, ["page"]),
        ({"method": "bribery"}, ["method"]),
        ({"result": "maybe"}, ["result"]),
        ({"action": "lost"}, ["action"]),
        ({"q": "x" * 101}, ["q"]),
        ({"from": "2026-03-01", "to": "2026-01-01"}, ["range"]),
    ],
)
def test_bad_filter_values_are_ignored_and_named(session, seed, args, problems):
    filters, got = ArchiveFilters.from_query(args)
    assert got == problems
    page = archive.search(session, filters, today=TODAY, page_size=100)
    if problems == ["range"]:  # swapped, not dropped
        assert (filters.date_from, filters.date_to) == (date(2026, 1, 1), date(2026, 3, 1))
        assert {row.item.id for row in page.rows} == seed.item_ids("I1", "I2", "I3", "I4", "I7")
    else:
        assert page.total == 8


def test_control_characters_and_blanks_are_dropped(session, seed):
    filters, problems = ArchiveFilters.from_query({"q": "  \x00电极\x07 ", "person": "   ", "department": ""})
    assert problems == [] and filters.text == "电极" and filters.person is None and filters.department is None
    assert filters.query_args() == {"q": "电极"}


def test_departments_list_excludes_rehearsals_and_names_blank(session, seed):
    assert archive.departments(session) == sorted({"供应处", "设备处", "-", '<img src=x onerror="alert(2)">'})


def test_meetings_list_counts_attendance_and_outcomes(session, seed):
    page = archive_meetings.meetings_in_range(session, ArchiveFilters())
    assert (page.total, page.attendances) == (3, 9)
    rows = {row.meeting.id: row for row in page.rows}
    m1 = rows[seed.meeting["M1"]]
    assert (m1.present, m1.roster, m1.evaluated, m1.passed, m1.failed) == (3, 4, 2, 1, 1)
    m3 = rows[seed.meeting["M3"]]
    assert (m3.evaluated, m3.passed, m3.failed) == (3, 2, 1)
    filters, _ = ArchiveFilters.from_query({"from": "2026-02-01", "to": "2026-02-01"})
    page = archive_meetings.meetings_in_range(session, filters)
    assert [row.meeting.id for row in page.rows] == [seed.meeting["M2"]]
    assert page.attendances == 3


def test_meeting_record_has_everything_and_only_public_questions(session, seed):
    record = archive_meetings.meeting_record(session, seed.meeting["M1"], today=TODAY)
    assert (record.summary.present, record.summary.roster) == (3, 4)
    assert len(record.attendees) == 3
    i1, i2 = record.items
    assert [q.text for q in i1.questions] == ["为什么只有一家供应商？"]
    assert i1.questions[0].answer == "因为只有一家有资质"
    assert i1.item.risk_flags  # single source above the threshold, one supplier unknown
    assert record.overdue_count == 1 and i2.overdue_count == 1


@pytest.mark.parametrize("key", ["R", "L"])
def test_rehearsals_and_unfinished_meetings_are_not_in_the_archive(session, seed, key):
    with pytest.raises(NotFound):
        archive_meetings.meeting_record(session, seed.meeting[key])


def test_unknown_meeting_is_not_found(session, seed):
    for bad in (999_999, 0, -1, "1", None):
        with pytest.raises(NotFound):
            archive_meetings.meeting_record(session, bad)


def test_person_history_spans_meetings_and_flags_repeat_failures(session, seed):
    wang = seed.person["I1"]
    history = people.person_history(session, wang, today=TODAY)
    assert [row.item.id for row in history.rows] == [seed.item[k] for k in ("I6", "I3", "I1")]
    s = history.summary
    assert (s.items, s.passed, s.failed, s.actions_open, s.actions_overdue) == (3, 1, 2, 2, 1)
    assert s.repeat_failures and s.disciplined
    assert sorted(a.kind for a, _row in history.sanctions) == ["administrative_discipline", "warning"]


def test_rehearsal_failures_do_not_make_repeat_failures(session, seed):
    li = seed.person["I2"]
    history = people.person_history(session, li, today=TODAY)
    assert [row.item.id for row in history.rows] == [seed.item["I2"]]
    assert history.summary.failed == 1 and not history.summary.repeat_failures
    assert [a.description for a, _row in history.sanctions] == ["党内警告"]


def test_people_index_sorted_by_failures_and_disciplined_filter(session, seed):
    rows = people.people_index(session, today=TODAY)
    names = [s.person.name for s in rows]
    assert names[0] == "王采购" and rows[0].failed == 2
    assert names[1] == "李四" and rows[1].failed == 1
    assert set(names) == {"王采购", "李四", "张三", "赵六", XSS}
    zhang = next(s for s in rows if s.person.name == "张三")
    assert (zhang.items, zhang.failed) == (2, 0)  # the live meeting's failure does not count
    disciplined = people.people_index(session, PeopleFilters(disciplined_only=True), today=TODAY)
    assert {s.person.name for s in disciplined} == {"王采购", "李四"}
    assert [s.person.name for s in people.people_index(session, PeopleFilters(name="赵"), today=TODAY)] == [
        "赵六"
    ]


def test_person_only_in_rehearsal_or_unknown_is_not_found(session, seed):
    rehearsal_only = meetings_person(session, seed)
    with pytest.raises(NotFound):
        people.person_history(session, rehearsal_only)
    with pytest.raises(NotFound):
        people.person_history(session, 999_999)


def meetings_person(session, seed):
    """Someone who only ever answered in a rehearsal."""
    from evalmeet.services.meetings import items as agenda
    from evalmeet.services.meetings import meeting as meetings

    meeting = meetings.create_meeting(
        session, parse(MeetingCreate, {"title": "彩排二", "rehearsal": True}), "test"
    ).value
    item = agenda.add_item(
        session, meeting.id, parse(ItemCreate, {"title": "x", "responsible_person": {"name": "只彩排"}}), "t"
    ).value
    session.flush()  # not committed: the fixture rolls it back
    return item.responsible_person_id


def test_public_records_are_published_meetings_only(session, seed):
    listed = disclosure.public_meetings(session)
    assert [m.id for m in listed] == [seed.meeting["M3"], seed.meeting["M1"]]
    assert (listed[1].present, listed[1].evaluated, listed[1].passed, listed[1].failed) == (3, 2, 1, 1)
    m1 = disclosure.public_meeting(session, seed.meeting["M1"], today=TODAY)
    i1 = m1.items[0]
    assert [q.text for q in i1.questions] == ["为什么只有一家供应商？"]
    assert dict(i1.result.counts) == {"satisfied": 2, "basically_satisfied": 0, "dissatisfied": 1}
    assert [(a.kind, a.status, a.overdue) for a in m1.items[1].actions] == [
        ("rectification", "open", True),
        ("party_discipline", "open", False),
    ]
    for key in ("M2", "R", "L"):
        with pytest.raises(NotFound):
            disclosure.public_meeting(session, seed.meeting[key])


def test_a_rehearsal_marked_published_stays_hidden(session, seed):
    rehearsal = session.get(Meeting, seed.meeting["R"])
    rehearsal.published = True
    session.flush()  # not committed: the fixture rolls it back
    assert seed.meeting["R"] not in {m.id for m in disclosure.public_meetings(session)}
    with pytest.raises(NotFound):
        disclosure.public_meeting(session, rehearsal.id)


def test_people_pages_follow_the_index_order_both_ways(session, seed):
    from evalmeet.domain.errors import ValidationFailed
    from evalmeet.schemas.query import Cursor, PageQuery

    whole = [s.person.id for s in people.people_index(session, today=TODAY)]
    first, total = people.people_page(session, None, PageQuery(limit=2), today=TODAY)
    assert total == 5 and [s.person.id for s in first.rows] == whole[:2] and first.prev is None
    second, _ = people.people_page(session, None, PageQuery(limit=2, cursor=first.next), today=TODAY)
    third, _ = people.people_page(session, None, PageQuery(limit=2, cursor=second.next), today=TODAY)
    assert [s.person.id for s in second.rows + third.rows] == whole[2:] and third.next is None
    back, _ = people.people_page(session, None, PageQuery(limit=2, cursor=third.prev), today=TODAY)
    assert [s.person.id for s in back.rows] == whole[2:4]
    # one page holds everyone: no next page
    assert people.people_page(session, None, PageQuery(limit=10), today=TODAY)[0].next is None
    with pytest.raises(ValidationFailed):
        people.people_page(session, None, PageQuery(limit=2, cursor=Cursor(list="meetings", key=(1,))))
