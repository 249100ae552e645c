"""Dashboard figures and breakdowns against hand counts; SVG charts well-formed and escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from fractions import Fraction

import pytest

from evalmeet.services.archive import dashboard, stats
from evalmeet.services.archive.search import percent
from evalmeet.web import charts, dashboard_charts
from tests.archive_seed import EXPECTED_TOTALS, XSS, XSS_DEPARTMENT, seeded_database, seeded_session

TODAY = date(2026, 11, 1)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request, tmp_path_factory):
    yield from seeded_database(request.param, tmp_path_factory)


@pytest.fixture
def session(seeded):
    yield from seeded_session(seeded)


def table(groups):
    return {g.key: (g.evaluated, g.passed, g.failed) for g in groups}


def test_totals_are_the_hand_counts_and_the_dashboard_reuses_them(session):
    assert stats.totals(session, TODAY) == EXPECTED_TOTALS
    built = dashboard.build(session, TODAY)
    assert built.totals == stats.totals(session, TODAY)
    assert built.pass_rate == Fraction(5, 8)


def test_overdue_count_follows_today(session):
    assert stats.totals(session, date(2019, 12, 31))["actions_overdue"] == 0
    assert stats.totals(session, date(2020, 3, 1))["actions_overdue"] == 1
    assert dashboard.build(session, date(2020, 3, 1)).overdue == 1


def test_pass_rate_by_month_in_china_time(session):
    built = dashboard.build(session, TODAY)
    # M2 is at 07:00 on 1 February in China (31 January in UTC): it counts for February.
    assert table(built.months) == {"2026-01": (2, 1, 1), "2026-02": (3, 2, 1), "2026-03": (3, 2, 1)}
    assert [g.rate for g in built.months] == [Fraction(1, 2), Fraction(2, 3), Fraction(2, 3)]
    assert built.months[0].query == {"from": "2026-01-01", "to": "2026-01-31"}
    assert built.months[1].query == {"from": "2026-02-01", "to": "2026-02-28"}


def test_pass_rate_by_method_and_department(session):
    built = dashboard.build(session, TODAY)
    assert table(built.methods) == {
        "single_source": (2, 1, 1),
        "tender": (2, 1, 1),
        "inquiry": (1, 0, 1),
        "negotiation": (1, 1, 0),
        "other": (1, 1, 0),
        "none": (1, 1, 0),
    }
    assert [g.key for g in built.methods] == [
        "single_source",
        "tender",
        "inquiry",
        "negotiation",
        "other",
        "none",
    ]
    assert table(built.departments) == {
        "供应处": (5, 3, 2),
        "设备处": (1, 0, 1),
        XSS_DEPARTMENT: (1, 1, 0),
        "-": (1, 1, 0),
    }
    assert built.departments[0].key == "供应处"  # most items first
    assert built.departments[0].rate_text == "60.0%"
    assert [g.query for g in built.departments if g.key == "-"] == [{"department": "-"}]


def test_action_completion_counts(session):
    built = dashboard.build(session, TODAY)
    assert built.action_status == {"open": 2, "in_progress": 2, "done": 1, "verified": 1}
    assert (built.overdue, built.actions_total) == (2, 6)
    assert built.action_status["open"] + built.action_status["in_progress"] == built.totals["actions_open"]


def words():
    return dashboard_charts.ChartWords(
        translate=lambda s: s,
        method_label=lambda code: f"method:{code}",
        department_label=lambda name: name,
        action_status_label=lambda code: f"status:{code}",
        archive_url=lambda args: "/archive?" + "&".join(f"{k}={v}" for k, v in sorted(args.items())),
    )


def test_charts_are_well_formed_escaped_and_linked(session):
    rendered = dashboard_charts.render_charts(dashboard.build(session, TODAY), words())
    for svg in (rendered.months, rendered.methods, rendered.departments, rendered.actions):
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg"
        assert "<script" not in svg and "<img" not in svg
    departments = ET.fromstring(rendered.departments)
    labels = [t.text for t in departments.iter(f"{SVG}title")]
    assert XSS_DEPARTMENT in labels  # the text survives, escaped, as text
    links = {a.get("href") for a in departments.iter(f"{SVG}a")}
    assert "/archive?department=供应处" in links
    assert "/archive?department=供应处&result=failed" in links
    months = ET.fromstring(rendered.months)
    month_links = {a.get("href") for a in months.iter(f"{SVG}a")}
    assert "/archive?from=2026-02-01&to=2026-02-28" in month_links
    texts = [t.text for t in months.iter(f"{SVG}text")]
    assert "67%" in texts and "50%" in texts  # 2/3 and 1/2, rounded half up
    actions = ET.fromstring(rendered.actions)
    assert "/archive?action=overdue" in {a.get("href") for a in actions.iter(f"{SVG}a")}


def test_bar_chart_escapes_every_label_and_drops_invalid_xml():
    rows = [
        charts.BarRow(
            label=f'{XSS} "quoted" & \x01',
            segments=[charts.Segment(3, "passed", f"tip {XSS}", href='/archive?q="><script>')],
            note="3/4 & more",
            href="/archive?x=1&y=<2>",
        ),
        charts.BarRow(
            label="采购部门非常非常非常非常非常长的名字", segments=[charts.Segment(0, "failed", "none")]
        ),
    ]
    svg = charts.bar_chart(rows, title=f"title {XSS}", normalise=True)
    root = ET.fromstring(svg)
    assert XSS not in svg and "&lt;script&gt;" in svg
    anchors = list(root.iter(f"{SVG}a"))
    assert {a.get("href") for a in anchors} == {"/archive?x=1&y=<2>", '/archive?q="><script>'}
    assert root.find(f"{SVG}title").text == f"title {XSS}"
    # the long label is shortened on the chart but whole in its tooltip
    label_texts = [t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert label_texts[1].find(f"{SVG}title").text.endswith("长的名字")
    assert "…" in "".join(label_texts[1].itertext())


def test_bar_chart_scales_bars_to_the_longest_or_to_shares():
    rows = [
        charts.BarRow("a", [charts.Segment(1, "passed", "a")]),
        charts.BarRow("b", [charts.Segment(4, "passed", "b")]),
    ]
    widths = [
        float(r.get("width"))
        for r in ET.fromstring(charts.bar_chart(rows, title="t")).iter(f"{SVG}rect")
        if r.get("class", "").startswith("bar ")
    ]
    assert widths[1] == pytest.approx(4 * widths[0], rel=0.01)
    normalised = [
        float(r.get("width"))
        for r in ET.fromstring(charts.bar_chart(rows, title="t", normalise=True)).iter(f"{SVG}rect")
        if r.get("class", "").startswith("bar ")
    ]
    assert normalised[0] == normalised[1]


def test_empty_charts_say_so():
    assert "nothing" in charts.bar_chart([], title="t", empty="nothing")
    line = charts.line_chart([], charts.LineChart(title="t", empty="nothing yet"))
    assert ET.fromstring(line).find(f"{SVG}text[@class='chart-empty']") is not None


def test_line_chart_skips_months_without_a_rate():
    points = [
        charts.LinePoint("2026-01", Fraction(1, 2)),
        charts.LinePoint("2026-02", None),
        charts.LinePoint("2026-03", Fraction(1)),
    ]
    root = ET.fromstring(charts.line_chart(points, charts.LineChart(title="t")))
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    path = root.find(f"{SVG}path").get("d")
    assert path.count("M") == 2 and "L" not in path  # the gap breaks the line


def test_percent_rounds_half_up_exactly():
    assert percent(Fraction(2, 3)) == "66.7%"
    assert percent(Fraction(1, 8)) == "12.5%"
    assert percent(Fraction(1, 16)) == "6.3%"  # 6.25 → 6.3
    assert percent(Fraction(1)) == "100.0%"
    assert percent(None) == "—"


def test_line_chart_with_many_months_labels_only_some_but_links_every_dot():
    points = [
        charts.LinePoint(f"20{24 + n // 12}-{n % 12 + 1:02d}", Fraction(n % 5, 4), note="9/9", href=f"/m/{n}")
        for n in range(36)
    ]
    root = ET.fromstring(charts.line_chart(points, charts.LineChart(title="t")))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("20")]
    assert 2 <= len(labels) < 36 and labels[0] == "2024-01"
    assert len(list(root.iter(f"{SVG}circle"))) == 36
    assert {a.get("href") for a in root.iter(f"{SVG}a")} >= {f"/m/{n}" for n in range(36)}
