"""Server-rendered SVG charts as strings: horizontal stacked bars and a line over time.

Pure Python, no Flask, no floats deciding anything: values are integers or exact fractions and
only pixel positions are rounded. Every piece of text and every attribute is escaped here (and
characters XML cannot carry are dropped), so the SVG is well-formed whatever a label contains
and can be put into a page as it is. Colours come from CSS classes (``static/css/archive.css``)
with presentation-attribute fallbacks; there are no ``style`` attributes (the CSP forbids them).
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

# Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline/CR, surrogates, ...).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
FONT = 14
FILLS = {
    "passed": "#2e8b57",
    "failed": "#c0392b",
    "open": "#d98c00",
    "in_progress": "#3a6fb0",
    "done": "#5b8c5a",
    "verified": "#177245",
    "overdue": "#b42318",
    "bar": "#3a6fb0",
}


def esc(value: object) -> str:
    """Text or attribute value, escaped for XML (quotes included), invalid characters dropped."""
    return html.escape(_NOT_XML.sub("", str(value)), quote=True)


def px(value: Fraction | int) -> str:
    """A pixel coordinate with at most one decimal (pixels only: nothing is decided by this)."""
    tenths = round(Fraction(value) * 10)
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def text_width(value: str, size: int = FONT) -> int:
    """Roughly how wide ``value`` renders: wide (CJK) characters one em, others about half."""
    ems = Fraction(0)
    for ch in value:
        ems += 1 if unicodedata.east_asian_width(ch) in ("W", "F") else Fraction(11, 20)
    return int(ems * size) + 1


def shorten(value: str, width: int, size: int = FONT) -> str:
    """``value`` cut with "…" so it fits ``width`` pixels."""
    if text_width(value, size) <= width:
        return value
    while value and text_width(value + "…", size) > width:
        value = value[:-1]
    return value + "…"


def _link(href: str | None, inner: str, label: str) -> str:
    if not href:
        return inner
    return f'<a href="{esc(href)}" aria-label="{esc(label)}">{inner}</a>'


@dataclass(frozen=True)
class Segment:
    """One part of a bar: a count, its CSS kind (``passed``, ``failed``, ...) and a tooltip."""

    value: int
    kind: str
    tooltip: str
    href: str | None = None


@dataclass(frozen=True)
class BarRow:
    """One bar: a label on the left, stacked segments, a note (the numbers) on the right."""

    label: str
    segments: Sequence[Segment]
    note: str = ""
    href: str | None = None

    @property
    def total(self) -> int:
        """The bar's length in counts."""
        return sum(s.value for s in self.segments)


def bar_chart(
    rows: Sequence[BarRow],
    *,
    title: str,
    empty: str = "",
    width: int = 440,
    normalise: bool = False,
) -> str:
    """Horizontal stacked bars, one row per :class:`BarRow`; bars and labels link when given href.

    Bars are drawn to one scale (the longest bar fills the width), or with ``normalise`` each
    bar fills the width and its segments show shares (a pass rate, say).
    """
    row_h, gap, top = 30, 12, 8
    label_w = min(max((text_width(r.label) for r in rows), default=60) + 14, width // 3)
    note_w = min(max((text_width(r.note, FONT - 2) for r in rows), default=0) + 10, width // 3)
    bar_w = width - label_w - note_w
    longest = max((r.total for r in rows), default=0)
    height = top * 2 + max(1, len(rows)) * (row_h + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" viewBox="0 0 {width} {height}" '
        f'role="group" aria-label="{esc(title)}" font-size="{FONT}">',
        f"<title>{esc(title)}</title>",
    ]
    if not rows:
        parts.append(
            f'<text class="chart-empty" x="{width // 2}" y="{height // 2 + 5}" text-anchor="middle" '
            f'fill="#5f6b7a">{esc(empty)}</text>'
        )
    for index, row in enumerate(rows):
        y = top + index * (row_h + gap)
        mid = y + row_h // 2 + 5
        label = (
            f'<text class="chart-label" x="{label_w - 8}" y="{mid}" text-anchor="end" fill="#1f2933">'
            f"<title>{esc(row.label)}</title>{esc(shorten(row.label, label_w - 12))}</text>"
        )
        parts.append(_link(row.href, label, row.label))
        parts.append(
            f'<rect class="chart-track" x="{label_w}" y="{y}" width="{bar_w}" height="{row_h}" '
            'fill="#eef0f3"/>'
        )
        x = Fraction(label_w)
        biggest = row.total if normalise else longest
        for segment in row.segments:
            if segment.value <= 0 or biggest <= 0:
                continue
            seg_w = Fraction(segment.value * bar_w, biggest)
            rect = (
                f'<rect class="bar bar-{esc(segment.kind)}" x="{px(x)}" y="{y}" '
                f'width="{px(seg_w if seg_w > 1 else 1)}" height="{row_h}" '
                f'fill="{FILLS.get(segment.kind, FILLS["bar"])}"><title>{esc(segment.tooltip)}</title></rect>'
            )
            parts.append(_link(segment.href or row.href, rect, segment.tooltip))
            x += seg_w
        parts.append(
            f'<text class="chart-note" x="{width - note_w + 6}" y="{mid}" font-size="{FONT - 2}" '
            f'fill="#1f2933">{esc(row.note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class LinePoint:
    """One point over time: an x label, a value in [0, 1] (None: nothing to show), a note."""

    label: str
    value: Fraction | None
    note: str = ""
    href: str | None = None
    tooltip: str = ""


@dataclass(frozen=True)
class LineChart:
    """Options of :func:`line_chart`."""

    title: str
    empty: str = ""
    width: int = 440
    height: int = 260
    y_ticks: Sequence[Fraction] = field(
        default_factory=lambda: (Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(1))
    )


def _pct_label(value: Fraction) -> str:
    """Whole percent, rounded half up (``2/3`` → ``67%``)."""
    return f"{int(value * 100 + Fraction(1, 2))}%"


def line_chart(points: Sequence[LinePoint], options: LineChart) -> str:
    """Rates over time (0–100 %) as a line with a dot per point; each dot links when given href."""
    width, height = options.width, options.height
    left, right, top, bottom = 48, 16, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-line" viewBox="0 0 {width} {height}" '
        f'role="group" aria-label="{esc(options.title)}" font-size="{FONT - 2}">',
        f"<title>{esc(options.title)}</title>",
    ]
    for tick in options.y_ticks:
        y = top + plot_h - tick * plot_h
        parts.append(
            f'<line class="chart-grid" x1="{left}" x2="{width - right}" y1="{px(y)}" y2="{px(y)}" '
            f'stroke="#d5dae1" stroke-width="1"/>'
            f'<text class="chart-axis" x="{left - 6}" y="{px(y + 4)}" text-anchor="end" '
            f'fill="#5f6b7a">{esc(_pct_label(tick))}</text>'
        )
    if not points:
        parts.append(
            f'<text class="chart-empty" x="{width // 2}" y="{height // 2}" text-anchor="middle" '
            f'fill="#5f6b7a">{esc(options.empty)}</text></svg>'
        )
        return "".join(parts)
    step = Fraction(plot_w, len(points))
    coords: list[tuple[Fraction, Fraction | None]] = [
        (left + step * index + step / 2, None if p.value is None else top + plot_h - p.value * plot_h)
        for index, p in enumerate(points)
    ]
    path = " ".join(
        f"{'M' if i == 0 or coords[i - 1][1] is None else 'L'}{px(x)},{px(y)}"
        for i, (x, y) in enumerate(coords)
        if y is not None
    )
    if path:
        parts.append(
            f'<path class="chart-line-path" d="{path}" fill="none" stroke="#3a6fb0" stroke-width="2.5"/>'
        )
    # With many points, label every n-th one so the labels never overlap (dots keep tooltips).
    widest = max(max(text_width(p.label, FONT - 2), text_width(p.note, FONT - 2)) for p in points) + 6
    every = max(1, math.ceil(widest / step))
    dense = every > 1
    for index, (point, (x, maybe_y)) in enumerate(zip(points, coords, strict=True)):
        if index % every == 0:
            axis = (
                f'<text class="chart-axis" x="{px(x)}" y="{height - bottom + 18}" text-anchor="middle" '
                f'fill="#1f2933">{esc(point.label)}</text>'
            )
            parts.append(_link(point.href, axis, point.tooltip or point.label))
            if point.note:
                parts.append(
                    f'<text class="chart-axis" x="{px(x)}" y="{height - bottom + 36}" text-anchor="middle" '
                    f'fill="#5f6b7a">{esc(point.note)}</text>'
                )
        if maybe_y is None or point.value is None:
            continue
        y = maybe_y
        dot = (
            f'<circle class="chart-dot" cx="{px(x)}" cy="{px(y)}" r="5" fill="#3a6fb0">'
            f"<title>{esc(point.tooltip or point.label)}</title></circle>"
            + (
                ""
                if dense
                else f'<text class="chart-value" x="{px(x)}" y="{px(y - 10)}" text-anchor="middle" '
                f'fill="#1f2933">{esc(_pct_label(point.value))}</text>'
            )
        )
        parts.append(_link(point.href, dot, point.tooltip or point.label))
    parts.append("</svg>")
    return "".join(parts)
