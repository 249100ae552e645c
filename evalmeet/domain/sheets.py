"""What a ballot rates and how a round is decided: scales as data, criteria, rater groups.

A **scale** is a list of choices, each with whether it counts as satisfied and an optional
score; ``three_level``, ``pass_fail`` and ``four_grade`` (优秀/称职/基本称职/不称职, 100/80/60/0) are
presets of it. A meeting may have **criteria** (德、能、勤、绩、廉 …): then each ballot is a sheet that
rates every criterion. A meeting may have **rater groups** (职工代表, 中层干部 …) whose ballots weigh
differently. :func:`evaluate` turns the counts of a round into its figures, in exact fractions
(never a float): contract.md's 2026-12-01 section gives the formulas.

A sheet with criteria is stored in the ballot's ``choice`` column as ``crit=choice,crit=choice``
in the criteria's order (:meth:`Rules.encode`): keys are snake_case, so no separator can occur
in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
"""A choice's, criterion's or group's key: snake_case, at most 32 characters."""
MIN_CHOICES, MAX_CHOICES = 2, 7
MAX_CRITERIA = 10
MAX_GROUPS = 10
GROUP_MIN = 3
"""A rater group's tally must never be one or two persons' votes (secrecy.md)."""
PASS_RULES = ("overall", "every_criterion")
CUSTOM = "custom"


@dataclass(frozen=True)
class Choice:
    """One answer a ballot can give (``label`` None: a preset's, translated by key)."""

    key: str
    satisfied: bool
    score: Decimal | None = None
    label: str | None = None

    def as_data(self) -> dict[str, Any]:
        """As stored and answered: ``{key, label, satisfied, score?}``."""
        data: dict[str, Any] = {"key": self.key, "label": self.label or self.key, "satisfied": self.satisfied}
        if self.score is not None:
            data["score"] = format(self.score, "f")
        return data


@dataclass(frozen=True)
class Scale:
    """The choices of a meeting's ballots, in the order they are shown."""

    name: str  # a preset's name, or "custom"
    choices: tuple[Choice, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The choices' keys in order."""
        return tuple(c.key for c in self.choices)

    @property
    def satisfied(self) -> frozenset[str]:
        """The keys that count towards satisfaction."""
        return frozenset(c.key for c in self.choices if c.satisfied)

    @property
    def scored(self) -> bool:
        """Whether every choice has a score (then results carry ``average_score``)."""
        return all(c.score is not None for c in self.choices)

    def score_of(self, key: str) -> Fraction:
        """The exact score of a choice (only on a scored scale)."""
        choice = next(c for c in self.choices if c.key == key)
        assert choice.score is not None
        return Fraction(choice.score)

    def as_data(self) -> dict[str, Any]:
        """``{"choices": [...]}`` as the API answers a custom scale."""
        return {"choices": [c.as_data() for c in self.choices]}


PRESETS: dict[str, Scale] = {
    "three_level": Scale(
        "three_level",
        (Choice("satisfied", True), Choice("basically_satisfied", True), Choice("dissatisfied", False)),
    ),
    "pass_fail": Scale("pass_fail", (Choice("pass", True), Choice("fail", False))),
    "four_grade": Scale(
        "four_grade",
        (
            Choice("excellent", True, Decimal(100)),
            Choice("competent", True, Decimal(80)),
            Choice("basically_competent", True, Decimal(60)),
            Choice("incompetent", False, Decimal(0)),
        ),
    ),
}


@dataclass(frozen=True)
class Criterion:
    """One line of a rating sheet (价格合理, 程序合规, 德, 能 …)."""

    key: str
    label: str


@dataclass(frozen=True)
class Group:
    """A group of raters and the weight of its ballots (``weight``: exact, the groups' sum 1)."""

    key: str
    label: str
    weight: Fraction


@dataclass(frozen=True)
class Rules:
    """Everything that decides a meeting's ballots and results."""

    scale: Scale
    criteria: tuple[Criterion, ...] = ()
    groups: tuple[Group, ...] = ()
    pass_rule: str = "overall"

    @property
    def lines(self) -> tuple[str, ...]:
        """The criteria's keys; ``("",)`` when a ballot is one verdict (one implicit line)."""
        return tuple(c.key for c in self.criteria) or ("",)

    @property
    def group_keys(self) -> tuple[str, ...]:
        """The groups' keys (empty without groups)."""
        return tuple(g.key for g in self.groups)

    def sheet_of(self, choice: object, choices: object) -> str | None:
        """A ballot as sent (``choice``, or ``choices: {criterion: choice}`` with criteria) as the
        text the ballot row stores; None when it is not a full valid sheet (``invalid_choice``)."""
        keys = self.scale.keys
        if not self.criteria:
            return choice if isinstance(choice, str) and choice in keys else None
        if not isinstance(choices, dict) or set(choices) != set(self.lines):
            return None
        if not all(isinstance(v, str) and v in keys for v in choices.values()):
            return None
        return ",".join(f"{line}={choices[line]}" for line in self.lines)

    def ratings_of(self, stored: str) -> dict[str, str]:
        """``{criterion: choice}`` of a stored ballot (``{"": choice}`` without criteria)."""
        if not self.criteria:
            return {"": stored}
        return dict(part.split("=", 1) for part in stored.split(","))


# --- the figures of a round ------------------------------------------------------------------


@dataclass
class Tally:
    """The valid ballots of one group (or of everyone, without groups): how many sheets, and each
    criterion's counts by choice."""

    ballots: int = 0
    lines: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, ratings: Mapping[str, str], n: int = 1) -> None:
        """Count ``n`` identical sheets."""
        self.ballots += n
        for line, choice in ratings.items():
            per = self.lines.setdefault(line, {})
            per[choice] = per.get(choice, 0) + n

    def add_counts(self, lines: Mapping[str, Mapping[str, int]], sheets: int) -> None:
        """Count a paper tally: ``sheets`` valid sheets and each line's counts."""
        self.ballots += sheets
        for line, counts in lines.items():
            per = self.lines.setdefault(line, {})
            for choice, n in counts.items():
                per[choice] = per.get(choice, 0) + int(n)


@dataclass(frozen=True)
class Evaluation:
    """A round's figures as the result keeps them (fractions as ``"a/b"`` text, not reduced)."""

    counts: dict[str, int]
    ballots: int
    satisfaction: tuple[int, int]
    passed: bool
    criteria: dict[str, dict[str, Any]] | None
    groups: dict[str, dict[str, Any]] | None
    average_score: str | None

    @property
    def satisfaction_text(self) -> str:
        """``"a/b"``."""
        return f"{self.satisfaction[0]}/{self.satisfaction[1]}"


def fraction_text(value: Fraction) -> str:
    """``Fraction(2, 3)`` -> ``"2/3"``; always with a denominator."""
    return f"{value.numerator}/{value.denominator}"


def _satisfied(scale: Scale, counts: Mapping[str, int]) -> int:
    return sum(n for choice, n in counts.items() if choice in scale.satisfied)


def _score_sum(scale: Scale, counts: Mapping[str, int]) -> Fraction:
    return sum((scale.score_of(choice) * n for choice, n in counts.items()), Fraction(0))


def evaluate(rules: Rules, tallies: Mapping[str, Tally], threshold: Fraction) -> Evaluation:
    """The figures of a round from its tallies, keyed by group (``""`` without groups)."""
    scale, lines = rules.scale, rules.lines
    merged: dict[str, dict[str, int]] = {line: dict.fromkeys(scale.keys, 0) for line in lines}
    for tally in tallies.values():
        for line, counts in tally.lines.items():
            for choice, n in counts.items():
                merged[line][choice] += n
    ballots = sum(t.ballots for t in tallies.values())
    counts = {choice: sum(merged[line][choice] for line in lines) for choice in scale.keys}
    n_lines = len(lines)

    # Each line's satisfaction and the whole sheet's: by ballots, or weighted by group.
    line_sat: dict[str, tuple[int, int] | Fraction] = {}
    groups_out: dict[str, dict[str, Any]] | None = None
    average: Fraction | None = None
    if not rules.groups:
        whole: tuple[int, int] | Fraction = (
            sum(_satisfied(scale, merged[ln]) for ln in lines),
            ballots * n_lines,
        )
        for line in lines:
            line_sat[line] = (_satisfied(scale, merged[line]), ballots)
        if scale.scored and ballots:
            average = _score_sum(scale, counts) / (ballots * n_lines)
    else:
        voted = [g for g in rules.groups if tallies.get(g.key, Tally()).ballots > 0]
        total_weight = sum((g.weight for g in voted), Fraction(0))
        weights = {g.key: g.weight / total_weight for g in voted} if voted else {}
        groups_out = {}
        whole_f, lines_f, average_f = Fraction(0), dict.fromkeys(lines, Fraction(0)), Fraction(0)
        for g in rules.groups:
            t = tallies.get(g.key, Tally())
            per_line = {line: t.lines.get(line, {}) for line in lines}
            sat = sum(_satisfied(scale, per_line[line]) for line in lines)
            groups_out[g.key] = {
                "ballots": t.ballots,
                "satisfaction": f"{sat}/{t.ballots * n_lines}",
                "weight": fraction_text(g.weight),
            }
            if g.key not in weights:
                continue
            w = weights[g.key]
            whole_f += w * Fraction(sat, t.ballots * n_lines)
            for line in lines:
                lines_f[line] += w * Fraction(_satisfied(scale, per_line[line]), t.ballots)
            if scale.scored:
                flat = {c: sum(per_line[ln].get(c, 0) for ln in lines) for c in scale.keys}
                average_f += w * _score_sum(scale, flat) / (t.ballots * n_lines)
        whole = whole_f if voted else (0, 0)
        line_sat = {line: (lines_f[line] if voted else (0, 0)) for line in lines}
        if scale.scored and voted:
            average = average_f

    def as_pair(value: tuple[int, int] | Fraction) -> tuple[int, int]:
        return (value.numerator, value.denominator) if isinstance(value, Fraction) else value

    def reaches(pair: tuple[int, int]) -> bool:
        return pair[1] > 0 and Fraction(pair[0], pair[1]) >= threshold

    satisfaction = as_pair(whole)
    if rules.pass_rule == "every_criterion":
        passed = ballots > 0 and all(reaches(as_pair(line_sat[line])) for line in lines)
    else:
        passed = ballots > 0 and reaches(satisfaction)
    return Evaluation(
        counts=counts,
        ballots=ballots,
        satisfaction=satisfaction,
        passed=passed,
        criteria=(
            {
                line: {"counts": merged[line], "satisfaction": "{}/{}".format(*as_pair(line_sat[line]))}
                for line in lines
            }
            if rules.criteria
            else None
        ),
        groups=groups_out,
        average_score=fraction_text(average) if average is not None else None,
    )


# --- stored form ------------------------------------------------------------------------------


def _choice(data: Mapping[str, Any]) -> Choice:
    score = data.get("score")
    return Choice(
        key=str(data["key"]),
        satisfied=bool(data["satisfied"]),
        score=Decimal(str(score)) if score is not None else None,
        label=str(data.get("label") or data["key"]),
    )


@lru_cache(maxsize=512)
def _rules_cached(scale: str, scale_json: str, criteria_json: str, groups_json: str, pass_rule: str) -> Rules:
    import json

    if scale in PRESETS:
        the_scale = PRESETS[scale]
    else:
        the_scale = Scale(CUSTOM, tuple(_choice(c) for c in json.loads(scale_json or "[]")))
    criteria = tuple(Criterion(str(c["key"]), str(c["label"])) for c in json.loads(criteria_json or "[]"))
    groups = tuple(
        Group(str(g["key"]), str(g["label"]), Fraction(str(g["weight"])))
        for g in json.loads(groups_json or "[]")
    )
    return Rules(the_scale, criteria, groups, pass_rule if pass_rule in PASS_RULES else "overall")


def rules_from(
    scale: str,
    scale_choices: Iterable[Mapping[str, Any]] | None,
    criteria: Iterable[Mapping[str, Any]] | None,
    groups: Iterable[Mapping[str, Any]] | None,
    pass_rule: str | None,
) -> Rules:
    """The rules of a meeting as stored (cached: the vote path asks for every batch)."""
    import json

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False) if value else ""

    return _rules_cached(scale, dump(scale_choices), dump(criteria), dump(groups), pass_rule or "overall")
