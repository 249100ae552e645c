"""The dashboard's four SVG charts, drawn at the edge from the figures of services.archive.dashboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evalmeet.services.archive.dashboard import Breakdown, Dashboard
from evalmeet.web.charts import BarRow, LineChart, LinePoint, Segment, bar_chart, line_chart


@dataclass(frozen=True)
class ChartWords:
    """What the charts need from the edge: translation, labels and archive links."""

    translate: Callable[[str], str]
    method_label: Callable[[str], str]
    department_label: Callable[[str], str]
    action_status_label: Callable[[str], str]
    archive_url: Callable[[dict[str, str]], str]


@dataclass(frozen=True)
class DashboardCharts:
    """The dashboard's SVG charts, as strings (escaped and well-formed)."""

    months: str
    methods: str
    departments: str
    actions: str


def _outcome_rows(groups: list[Breakdown], label: Callable[[str], str], words: ChartWords) -> list[BarRow]:
    translate = words.translate
    rows = []
    for group in groups:
        name = label(group.key)
        rows.append(
            BarRow(
                label=name,
                segments=(
                    Segment(
                        group.passed,
                        "passed",
                        translate("%(name)s: %(n)s passed") % {"name": name, "n": group.passed},
                        words.archive_url({**group.query, "result": "passed"}),
                    ),
                    Segment(
                        group.failed,
                        "failed",
                        translate("%(name)s: %(n)s failed") % {"name": name, "n": group.failed},
                        words.archive_url({**group.query, "result": "failed"}),
                    ),
                ),
                note=f"{group.passed}/{group.evaluated} · {group.rate_text}",
                href=words.archive_url(group.query),
            )
        )
    return rows


def render_charts(dashboard: Dashboard, words: ChartWords) -> DashboardCharts:
    """Build the four charts: pass rate by month, by method, by department; action statuses."""
    translate = words.translate
    empty = translate("Nothing evaluated yet")
    points = [
        LinePoint(
            label=group.key,
            value=group.rate,
            note=f"{group.passed}/{group.evaluated}",
            href=words.archive_url(group.query),
            tooltip=translate("%(month)s: %(rate)s passed (%(passed)s of %(evaluated)s)")
            % {
                "month": group.key,
                "rate": group.rate_text,
                "passed": group.passed,
                "evaluated": group.evaluated,
            },
        )
        for group in dashboard.months
    ]
    action_rows = [
        BarRow(
            label=words.action_status_label(status),
            segments=(
                Segment(
                    count,
                    status,
                    f"{words.action_status_label(status)}: {count}",
                    words.archive_url({"action": status}),
                ),
            ),
            note=str(count),
            href=words.archive_url({"action": status}),
        )
        for status, count in dashboard.action_status.items()
    ]
    overdue_label = translate("Overdue")
    action_rows.append(
        BarRow(
            label=overdue_label,
            segments=(
                Segment(
                    dashboard.overdue,
                    "overdue",
                    f"{overdue_label}: {dashboard.overdue}",
                    words.archive_url({"action": "overdue"}),
                ),
            ),
            note=str(dashboard.overdue),
            href=words.archive_url({"action": "overdue"}),
        )
    )
    return DashboardCharts(
        months=line_chart(points, LineChart(title=translate("Pass rate by month"), empty=empty)),
        methods=bar_chart(
            _outcome_rows(dashboard.methods, words.method_label, words),
            title=translate("Pass rate by procurement method"),
            empty=empty,
            normalise=True,
        ),
        departments=bar_chart(
            _outcome_rows(dashboard.departments, words.department_label, words),
            title=translate("Pass rate by department"),
            empty=empty,
            normalise=True,
        ),
        actions=bar_chart(
            action_rows if dashboard.actions_total or dashboard.overdue else [],
            title=translate("Follow-up actions by status"),
            empty=translate("No follow-up actions yet"),
        ),
    )
