"""Translations: one gettext catalogue (domain ``messages``), compiled from its .po when stale.

Message ids are English; Simplified Chinese is the default locale, so every string a user can
see needs an entry in ``evalmeet/translations/zh_Hans_CN/LC_MESSAGES/messages.po``. Where the
same English needs different Chinese in different places, the entry has a message context
(``pgettext``). ``make messages`` extracts what the code and the templates use (``babel.cfg``)
and updates the .po; ``tests/test_translations.py`` fails when an entry is missing.

This module imports no Flask, so services may use :func:`N_` to mark the English labels they
hand to the edge, which translates them.
"""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
LOCALE = "zh_Hans_CN"
PO_FILE = TRANSLATIONS / LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po"


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark ``message`` for extraction without translating it (the edge translates it later)."""
    return message


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
