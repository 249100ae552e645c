"""Translations: one gettext catalogue (domain ``messages``), compiled from its .po when stale.

Message ids are English; Simplified Chinese is the default locale, so every string a user can
see needs an entry in ``evalmeet/translations/zh_Hans_CN/LC_MESSAGES/messages.po``. Where the
same English needs different Chinese in different places, the entry has a message context
(``pgettext``). ``make messages`` extracts what the code and the templates use (``babel.cfg``)
and updates the .po; ``tests/test_translations.py`` fails when an entry is missing.

This module imports no Flask, so services may use :func:`N_` to mark the English labels they
hand to the edge, which translates them, and :func:`L_` / :func:`LP_` make the :class:`Label` s
of ``evalmeet/domain/labels.py`` (the names of stored codes), which the edge translates by code.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import NamedTuple

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
LOCALE = "zh_Hans_CN"
PO_FILE = TRANSLATIONS / LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po"


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark ``message`` for extraction without translating it (the edge translates it later)."""
    return message


class Label(NamedTuple):
    """A message id with its gettext context (None: the plain message), translated later."""

    msgid: str
    context: str | None = None


def L_(message: str) -> Label:  # noqa: N802 - a gettext marker (babel.cfg keyword)
    """A label without a context (extracted like ``gettext``)."""
    return Label(message)


def LP_(context: str, message: str) -> Label:  # noqa: N802 - a gettext marker (babel.cfg keyword)
    """A label in a message context (extracted like ``pgettext``)."""
    return Label(message, context)


def compile_catalogs() -> list[Path]:
    """Write the .mo next to every .po that is newer than it; returns what was written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name, domain=DOMAIN)
        try:
            with mo_path.open("wb") as out:
                write_mo(out, catalog)
        except OSError:
            continue  # read-only install: the wheel ships compiled catalogs
        written.append(mo_path)
    return written


@cache
def _chinese_catalogue() -> gettext.GNUTranslations:
    compile_catalogs()
    with PO_FILE.with_suffix(".mo").open("rb") as fh:
        return gettext.GNUTranslations(fh)


def chinese(label: Label) -> str:
    """A label in Chinese whatever the request's language: for text kept as a Chinese record."""
    catalogue = _chinese_catalogue()
    if label.context is None:
        return catalogue.gettext(label.msgid)
    return catalogue.pgettext(label.context, label.msgid)
