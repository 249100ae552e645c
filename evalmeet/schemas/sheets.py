"""A meeting's rules as clients send and read them: a scale (a preset's name or its choices),
the rating sheet's criteria, the rater groups and the pass rule (contract.md, 2026-12-01).

Each field is checked into a normal form the services store as it is (``domain/sheets.py``);
every refusal is a reason with its parameters, translated by code at the edge.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from evalmeet.domain.errors import ValidationFailed
from evalmeet.domain.rules import parse_fraction
from evalmeet.domain.sheets import (
    KEY_RE,
    MAX_CHOICES,
    MAX_CRITERIA,
    MAX_GROUPS,
    MIN_CHOICES,
    PASS_RULES,
    PRESETS,
    Rules,
    fraction_text,
)
from evalmeet.schemas.base import Out
from evalmeet.schemas.types import OneOf, refuse

MAX_LABEL = 50
MAX_SCORE = Decimal("100000")


def _key(value: Any, at: str) -> str:
    if not isinstance(value, str) or not KEY_RE.match(value):
        raise refuse("not_key", f"{at}: a key is snake_case, like good_price (at most 32 characters)", at=at)
    return value


def _label(value: Any, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise refuse("required", f"{at}: a label is required", at=at)
    if len(value.strip()) > MAX_LABEL or "\n" in value or "\x00" in value:
        raise refuse(
            "too_long", f"{at}: a label is one line of at most {MAX_LABEL} characters", max=MAX_LABEL
        )
    return value.strip()


def _entries(value: Any, low: int, high: int, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise refuse("not_list", "must be a list")
    if not low <= len(value) <= high:
        raise refuse("out_of_range", f"must have between {low} and {high} entries", low=low, high=high)
    seen: set[str] = set()
    out = []
    for n, entry in enumerate(value):
        if not isinstance(entry, dict) or any(f not in entry for f in fields):
            raise refuse(
                "not_entry", f"[{n}] must be an object with {', '.join(fields)}", fields=", ".join(fields)
            )
        key = _key(entry["key"], f"[{n}].key")
        if key in seen:
            raise refuse("duplicate_key", f"the key {key} is used twice", key=key)
        seen.add(key)
        out.append({**entry, "key": key, "label": _label(entry["label"], f"[{n}].label")})
    return out


def _score(value: Any, at: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise refuse("not_score", f'{at}: a score is a decimal like "80" or "87.5"', at=at)
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        raise refuse("not_score", f'{at}: a score is a decimal like "80" or "87.5"', at=at) from None
    if not score.is_finite() or abs(score) > MAX_SCORE or -score.as_tuple().exponent > 2:  # type: ignore[operator]
        raise refuse("not_score", f'{at}: a score is a decimal like "80" or "87.5"', at=at)
    return format(score.normalize(), "f") if score == score.to_integral() else format(score, "f")


def _scale_check(value: Any) -> Any:
    """A preset's name, or ``{"choices": [...]}`` normalised; else a refusal."""
    if isinstance(value, str):
        if value in PRESETS:
            return value
        raise refuse(
            "not_one_of", f"must be one of: {', '.join(PRESETS)} or an object", allowed=", ".join(PRESETS)
        )
    if not isinstance(value, dict) or "choices" not in value:
        raise refuse("not_scale", 'must be a preset name or {"choices": [...]}')
    choices = []
    for n, entry in enumerate(
        _entries(value["choices"], MIN_CHOICES, MAX_CHOICES, ("key", "label", "satisfied"))
    ):
        if not isinstance(entry["satisfied"], bool):
            raise refuse("not_yes_no", f"[{n}].satisfied must be true or false")
        choice: dict[str, Any] = {
            "key": entry["key"],
            "label": entry["label"],
            "satisfied": entry["satisfied"],
        }
        score = _score(entry.get("score"), f"[{n}].score")
        if score is not None:
            choice["score"] = score
        choices.append(choice)
    if not any(c["satisfied"] for c in choices):
        raise refuse("no_satisfied_choice", "at least one choice must count as satisfied")
    return {"choices": choices}


def _criteria_check(value: Any) -> list[dict[str, str]] | None:
    if value is None or value == []:
        return None
    return [
        {"key": e["key"], "label": e["label"]} for e in _entries(value, 1, MAX_CRITERIA, ("key", "label"))
    ]


def _weight(value: Any, at: str) -> str:
    try:
        return fraction_text(parse_fraction(value, "weight"))
    except ValidationFailed:
        raise refuse("not_fraction", f'{at}: a weight is a fraction like "1/2"', at=at) from None


def _groups_check(value: Any) -> list[dict[str, str]] | None:
    from fractions import Fraction

    if value is None or value == []:
        return None
    groups = [
        {"key": e["key"], "label": e["label"], "weight": _weight(e["weight"], f"[{n}].weight")}
        for n, e in enumerate(_entries(value, 1, MAX_GROUPS, ("key", "label", "weight")))
    ]
    if sum(Fraction(g["weight"]) for g in groups) != 1:
        raise refuse("weights_not_one", "the groups' weights must add up to 1")
    return groups


def _checked(check: Callable[[Any], Any], optional: bool) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        return None if optional and value is None else check(value)

    return run


_CHOICE_SCHEMA = {
    "type": "object",
    "required": ["key", "label", "satisfied"],
    "properties": {
        "key": {"type": "string", "pattern": KEY_RE.pattern},
        "label": {"type": "string", "maxLength": MAX_LABEL},
        "satisfied": {"type": "boolean"},
        "score": {"type": "string", "examples": ["80"]},
    },
}
_SCALE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "enum": list(PRESETS)},
        {
            "type": "object",
            "required": ["choices"],
            "properties": {
                "choices": {
                    "type": "array",
                    "minItems": MIN_CHOICES,
                    "maxItems": MAX_CHOICES,
                    "items": _CHOICE_SCHEMA,
                }
            },
        },
    ]
}
_CRITERIA_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "maxItems": MAX_CRITERIA,
            "items": {
                "type": "object",
                "required": ["key", "label"],
                "properties": {"key": {"type": "string"}, "label": {"type": "string"}},
            },
        },
        {"type": "null"},
    ]
}
_GROUPS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "maxItems": MAX_GROUPS,
            "items": {
                "type": "object",
                "required": ["key", "label", "weight"],
                "properties": {
                    "key": {"type": "string"},
                    "label": {"type": "string"},
                    "weight": {"type": "string", "examples": ["1/2"]},
                },
            },
        },
        {"type": "null"},
    ]
}

ScaleIn = Annotated[Any, BeforeValidator(_scale_check), WithJsonSchema(_SCALE_SCHEMA)]
OptionalScaleIn = Annotated[
    Any,
    BeforeValidator(_checked(_scale_check, True)),
    WithJsonSchema({"anyOf": [_SCALE_SCHEMA, {"type": "null"}]}),
]
CriteriaIn = Annotated[Any, BeforeValidator(_criteria_check), WithJsonSchema(_CRITERIA_SCHEMA)]
GroupsIn = Annotated[Any, BeforeValidator(_groups_check), WithJsonSchema(_GROUPS_SCHEMA)]
PassRuleIn = Annotated[str, OneOf(PASS_RULES)]
OptionalPassRuleIn = Annotated[str | None, OneOf(PASS_RULES, optional=True)]


def stored_rules(scale: Any) -> dict[str, Any]:
    """A checked ``scale`` as the meeting's columns: ``scale`` and ``scale_choices``."""
    if isinstance(scale, dict):
        return {"scale": "custom", "scale_choices": scale["choices"]}
    return {"scale": scale, "scale_choices": None}


# --- answers ----------------------------------------------------------------------------------


class ChoiceOut(Out):
    """One choice of a scale (a preset's label is its key: screens translate it)."""

    key: str
    label: str
    satisfied: bool
    score: str | None = None


class CriterionOut(Out):
    """One line of the rating sheet."""

    key: str
    label: str


class GroupOut(Out):
    """A rater group and the weight of its ballots."""

    key: str
    label: str
    weight: str


def scale_out(rules: Rules) -> str | dict[str, Any]:
    """The meeting's ``scale`` as the API answers it: a preset's name, or the custom choices."""
    return rules.scale.name if rules.scale.name in PRESETS else rules.scale.as_data()


def choices_out(rules: Rules) -> list[ChoiceOut]:
    """Every choice of the scale with its flags."""
    return [ChoiceOut.model_validate(c.as_data()) for c in rules.scale.choices]


def criteria_out(rules: Rules) -> list[CriterionOut] | None:
    """The criteria, or None."""
    return [CriterionOut(key=c.key, label=c.label) for c in rules.criteria] or None


def groups_out(rules: Rules) -> list[GroupOut] | None:
    """The rater groups, or None."""
    return [GroupOut(key=g.key, label=g.label, weight=fraction_text(g.weight)) for g in rules.groups] or None
