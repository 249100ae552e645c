"""Tally, pass rule and quorum in exact rational arithmetic."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from evalmeet.domain.errors import ValidationFailed, not_one_of

SCALES: dict[str, tuple[str, ...]] = {
    "three_level": ("satisfied", "basically_satisfied", "dissatisfied"),
    "pass_fail": ("pass", "fail"),
}
# Choices that count towards the satisfaction rate on each scale.
FAVOURABLE: dict[str, frozenset[str]] = {
    "three_level": frozenset({"satisfied", "basically_satisfied"}),
    "pass_fail": frozenset({"pass"}),
}


def parse_fraction(text: object, field: str = "fraction") -> Fraction:
    """Parse ``"2/3"`` (or ``"1/2"``, ``"1"``) into a fraction in (0, 1]; refuse anything else.

    Floats are refused on purpose: ``0.67`` is not ``2/3``.
    """
    if not isinstance(text, str) or len(text) > 15:
        raise ValidationFailed(f'{field} must be a fraction like "2/3"', field=field, reason="not_fraction")
    parts = text.strip().split("/")
    if len(parts) > 2 or not all(p.strip().isdigit() for p in parts):
        raise ValidationFailed(f'{field} must be a fraction like "2/3"', field=field, reason="not_fraction")
    num = int(parts[0])
    den = int(parts[1]) if len(parts) == 2 else 1
    if den == 0 or num == 0 or num > den:
        raise ValidationFailed(
            f"{field} must be between 0 (exclusive) and 1", field=field, reason="fraction_out_of_range"
        )
    return Fraction(num, den)


def format_fraction(value: Fraction) -> str:
    """``Fraction(2, 3)`` -> ``"2/3"``; always with a denominator."""
    return f"{value.numerator}/{value.denominator}"


def choices_for(scale: str) -> tuple[str, ...]:
    """The ballot choices of a scale."""
    try:
        return SCALES[scale]
    except KeyError:
        raise not_one_of(
            "scale", SCALES, f"unknown scale {scale!r}; use one of {', '.join(SCALES)}"
        ) from None


@dataclass(frozen=True)
class Tally:
    """The outcome of one round of voting."""

    scale: str
    counts: dict[str, int]
    ballots: int
    favourable: int
    threshold: Fraction

    @property
    def satisfaction(self) -> Fraction | None:
        """Favourable / ballots, or None when nobody voted."""
        return Fraction(self.favourable, self.ballots) if self.ballots else None

    @property
    def satisfaction_text(self) -> str:
        """``"a/b"`` unreduced (favourable/ballots), as people count it in the hall."""
        return f"{self.favourable}/{self.ballots}"

    @property
    def passed(self) -> bool:
        """At least one ballot and satisfaction ≥ threshold (compared exactly)."""
        return self.ballots > 0 and Fraction(self.favourable, self.ballots) >= self.threshold


def tally(scale: str, counts: Mapping[str, int], threshold: Fraction) -> Tally:
    """Build a :class:`Tally` from per-choice counts (every choice of the scale is listed)."""
    allowed = choices_for(scale)
    unknown = set(counts) - set(allowed)
    if unknown:
        raise not_one_of("counts", allowed, f"choices {sorted(unknown)} are not on the {scale} scale")
    full = {choice: int(counts.get(choice, 0)) for choice in allowed}
    if any(n < 0 for n in full.values()):
        raise ValidationFailed("counts cannot be negative", field="counts", reason="negative")
    favourable = sum(full[c] for c in FAVOURABLE[scale])
    return Tally(scale, full, sum(full.values()), favourable, threshold)


def quorum_needed(roster: int, quorum: Fraction) -> int:
    """How many must be present: quorum × roster, rounded up (exactly)."""
    if roster < 0:
        raise ValidationFailed("roster cannot be negative", field="roster", reason="negative")
    product = quorum * roster
    return math.ceil(product)  # Fraction.__ceil__ is exact


def quorum_met(present: int, roster: int, quorum: Fraction) -> bool:
    """Whether ``present`` satisfies the quorum; an empty roster never does."""
    return roster > 0 and present >= quorum_needed(roster, quorum)
