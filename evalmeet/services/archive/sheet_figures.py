"""A frozen result's figures per criterion and per rater group, as the records show them.

The minutes (PDF and workbook), the archive, the public page and the exports all list the same
lines: each criterion's counts and satisfaction, each group's weight, ballots and satisfaction,
and the average score on a scored scale. The exact fractions come from the result as frozen
(``"a/b"``, not necessarily reduced); the percentages and the decimal average beside them are
for reading only and decide nothing. Labels come from the meeting's rules; a group's figures
are only what the result gives (never a ballot).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from evalmeet.domain.sheets import Rules
from evalmeet.i18n import N_

# What each pass rule (contract.md, 2026-12-01) means, as message ids the edge translates.
PASS_RULE_NAMES = {
    "overall": N_("Overall satisfaction reaches the threshold"),
    "every_criterion": N_("Every criterion reaches the threshold"),
}


def exact(text: str | None) -> Fraction | None:
    """``"4/6"`` as a fraction; None for no value or a zero denominator (nobody voted)."""
    if not text:
        return None
    num, _, den = str(text).partition("/")
    try:
        value_den = int(den) if den else 1
        return Fraction(int(num), value_den) if value_den else None
    except ValueError:
        return None


def percent_of(text: str | None) -> Decimal | None:
    """``"2/3"`` as a percentage with one decimal, rounded half up (display only)."""
    value = exact(text)
    if value is None:
        return None
    return (Decimal(value.numerator * 100) / Decimal(value.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def decimal_of(text: str | None) -> Decimal | None:
    """An exact score ``"220/3"`` as a decimal with two places (display only)."""
    value = exact(text)
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class CriterionFigures:
    """One criterion of the sheet: its counts by choice (the scale's order) and satisfaction."""

    key: str
    label: str
    counts: tuple[tuple[str, int], ...]
    satisfaction: str
    percent: Decimal | None


@dataclass(frozen=True)
class GroupFigures:
    """One rater group: its weight, how many sheets it cast and its satisfaction."""

    key: str
    label: str
    weight: str
    ballots: int
    satisfaction: str
    percent: Decimal | None


@dataclass(frozen=True)
class SheetFigures:
    """Everything a result says beyond one verdict (empty for a plain one-verdict result)."""

    criteria: tuple[CriterionFigures, ...] = ()
    groups: tuple[GroupFigures, ...] = ()
    average_score: str | None = None  # exact "a/b"
    average: Decimal | None = None  # the same, as a decimal to read

    @property
    def shown(self) -> bool:
        """Whether there is anything to show beside the counts."""
        return bool(self.criteria or self.groups or self.average_score)


def sheet_figures(
    rules: Rules,
    criteria: Mapping[str, Any] | None,
    groups: Mapping[str, Any] | None,
    average_score: str | None,
) -> SheetFigures:
    """The figures of a frozen result (its ``criteria``, ``groups`` and ``average_score``
    columns), labelled by the meeting's rules and in their order."""
    criteria, groups = criteria or {}, groups or {}
    labels = {c.key: c.label for c in rules.criteria}
    order = [c.key for c in rules.criteria] + [k for k in criteria if k not in labels]
    crit_rows = []
    for key in order:
        if key not in criteria:
            continue
        data = criteria[key]
        counts = data.get("counts") or {}
        keys = list(rules.scale.keys) + [c for c in counts if c not in rules.scale.keys]
        crit_rows.append(
            CriterionFigures(
                key=key,
                label=labels.get(key, key),
                counts=tuple((c, int(counts.get(c, 0))) for c in keys),
                satisfaction=str(data.get("satisfaction", "")),
                percent=percent_of(data.get("satisfaction")),
            )
        )
    group_labels = {g.key: g.label for g in rules.groups}
    group_order = [g.key for g in rules.groups] + [k for k in groups if k not in group_labels]
    group_rows = [
        GroupFigures(
            key=key,
            label=group_labels.get(key, key),
            weight=str(groups[key].get("weight", "")),
            ballots=int(groups[key].get("ballots", 0)),
            satisfaction=str(groups[key].get("satisfaction", "")),
            percent=percent_of(groups[key].get("satisfaction")),
        )
        for key in group_order
        if key in groups
    ]
    return SheetFigures(tuple(crit_rows), tuple(group_rows), average_score, decimal_of(average_score))


def figures_of(result: Any, rules: Rules) -> SheetFigures:
    """:func:`sheet_figures` of an ``ItemResult`` row."""
    return sheet_figures(rules, result.criteria, result.groups, result.average_score)
