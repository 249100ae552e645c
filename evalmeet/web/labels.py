"""The edge's side of ``evalmeet/domain/labels.py``: a stored code's name in the page's language."""

from __future__ import annotations

from flask_babel import gettext, pgettext

from evalmeet.domain.labels import CHOICE_LABELS, Labels
from evalmeet.domain.sheets import PRESETS, Rules
from evalmeet.i18n import Label


def translated(label: Label) -> str:
    """A label in the request's language (Chinese unless English was asked for)."""
    if label.context is None:
        return gettext(label.msgid)
    return pgettext(label.context, label.msgid)


def names(labels: Labels) -> dict[str, str]:
    """``code → translated name`` of a vocabulary, in its order (the order a select box lists)."""
    return {code: translated(label) for code, label in labels.items()}


def name(labels: Labels, value: str | None) -> str:
    """The translated name of ``value``: empty for no value, the raw value when it is unknown."""
    if not value:
        return ""
    label = labels.get(value)
    return value if label is None else translated(label)


def choice_names(rules: Rules) -> dict[str, str]:
    """``choice key → name`` of a meeting's scale, in order: a preset's choices translated, a
    custom scale's as the moderator wrote them."""
    if rules.scale.name in PRESETS:
        return {c.key: name(CHOICE_LABELS, c.key) for c in rules.scale.choices}
    return {c.key: c.label or c.key for c in rules.scale.choices}
