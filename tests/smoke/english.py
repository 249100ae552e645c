"""Finding the app's own English on a Chinese page.

The English message ids of every translation catalogue under ``evalmeet/translations`` (read with
babel, whatever the files are called: seven per-area ``.po`` files today, one ``messages.po``
tomorrow) are the sentences the app can show. On a ``zh`` page none of them may appear: one that
does is a string that was not translated (or not marked for translation where it is shown).

Only phrases a user reads are kept: at least two words outside the placeholders (``Open voting``,
``Row %(row)s could not be saved (%(why)s). Nothing was imported.``). Single words ("Open",
"PDF") are too often legitimate on a Chinese page, and a phrase that a Chinese translation itself
contains ("Excel (.xlsx)" inside "Excel 工作簿 (.xlsx)") is left out too.

The visible text of a page is what a person sees or hears: text outside ``<script>``,
``<style>`` and ``<template>``, plus the attributes browsers show or read out (``placeholder``,
``title``, ``aria-label``, ``alt``, the value of a button-like ``<input>``), the ``data-label``
that the stacked phone tables print through CSS and the ``data-confirm`` question that
``moderator.js`` puts in a dialog. The ``<script type="application/json">`` blocks the live
screens render from (their UI strings, the state snapshot) count too: their strings end up on the
screen (all but the ``*_en`` alternatives the scripts show only in English).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "evalmeet" / "translations"

# %(name)s, %s, %d, {name}: filled in at run time with anything (often Chinese data).
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
_WORD = re.compile(r"[A-Za-z]{2,}")
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "data-label", "data-confirm")
BUTTON_INPUTS = ("submit", "button", "reset")


@dataclass(frozen=True)
class Phrase:
    """One English msgid, as a pattern that finds it with its placeholders filled in."""

    msgid: str
    source: str  # the .po file it comes from
    words: frozenset[str]
    pattern: re.Pattern[str]


def _pattern(msgid: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(msgid)
    literal = [
        re.sub(r"\\\s+|\s+", r"\\s+", re.escape(part.strip())) if part.strip() else "" for part in parts
    ]
    # A placeholder stands for one line's worth of anything; text segments are lines.
    body = r"[^\n]{1,200}?".join(literal)
    head = r"(?<![A-Za-z])" if msgid[:1].isalpha() else ""
    tail = r"(?![A-Za-z])" if msgid[-1:].isalpha() else ""
    return re.compile(head + body + tail)


def _words(msgid: str) -> list[str]:
    return _WORD.findall(_PLACEHOLDER.sub(" ", msgid))


@cache
def catalogue_files() -> tuple[Path, ...]:
    """Every catalogue there is (any locale, any domain)."""
    files = tuple(sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")))
    assert files, f"no translation catalogue under {TRANSLATIONS}"
    return files


@cache
def phrases() -> tuple[Phrase, ...]:
    """The English sentences and phrases of the app's catalogues (see the module docstring)."""
    found: dict[str, Phrase] = {}
    translations: list[str] = []
    for po in catalogue_files():
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue  # the header
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            translations.extend(s for s in strings if s)
            for msgid in ids:
                words = _words(msgid)
                if len(words) >= 2 and msgid not in found:
                    found[msgid] = Phrase(
                        msgid, po.name, frozenset(w.lower() for w in words), _pattern(msgid)
                    )
    chinese = "\n".join(translations)
    return tuple(p for p in found.values() if not p.pattern.search(chinese))


def english_in(text: str) -> list[Phrase]:
    """The catalogue phrases that occur in ``text`` (one segment per line)."""
    present = {w.lower() for w in _WORD.findall(text)}
    return [p for p in phrases() if p.words <= present and p.pattern.search(text)]


# --- what a page shows ------------------------------------------------------------------------


def _json_strings(value: Any) -> list[str]:
    """The strings of a JSON block, except the English alternatives (``message_en``: the screens'
    scripts show them only in English)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if not str(k).endswith("_en") for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.text: list[str] = []
        self.hidden = 0  # inside <script>, <style> or <template>
        self.json_block: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in SHOWN_ATTRIBUTES:
            if values.get(name, "").strip():
                self.lines.append(values[name])
        if tag == "input" and values.get("type", "") in BUTTON_INPUTS and values.get("value"):
            self.lines.append(values["value"])
        if tag == "script" and values.get("type") == "application/json":
            self.json_block = []
        elif tag in ("script", "style", "template"):
            self.hidden += 1
        elif tag in (
            "br",
            "p",
            "div",
            "li",
            "tr",
            "td",
            "th",
            "h1",
            "h2",
            "h3",
            "option",
            "button",
            "dt",
            "dd",
        ):
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.json_block is not None:
            try:
                self.lines.extend(_json_strings(json.loads("".join(self.json_block))))
            except ValueError:
                self.lines.append("".join(self.json_block))
            self.json_block = None
        elif tag in ("script", "style", "template"):
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if self.json_block is not None:
            self.json_block.append(data)
        elif not self.hidden:
            self.text.append(data)


def visible_text(html: str) -> str:
    """What a reader of the page sees or hears, one segment per line (see the module docstring)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    flowing = re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.text))
    segments = [line.strip() for line in flowing.split("\n")]
    segments += [re.sub(r"\s+", " ", line).strip() for line in parser.lines]
    return "\n".join(s for s in segments if s)


def page_language(html: str) -> str | None:
    """The ``lang`` of the page's ``<html>`` element."""
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html[:2000])
    return match.group(1) if match else None
