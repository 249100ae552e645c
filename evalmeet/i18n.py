"""Translations: one gettext domain per part of the UI, compiled from .po when stale.

Message ids are English; Simplified Chinese is the default locale, so every user-facing string
needs an entry in ``evalmeet/translations/zh_Hans_CN/LC_MESSAGES/<domain>.po``. Each part of the
UI owns its own domain file (core, moderator, live, archive, ...); all are loaded together.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def domains() -> list[str]:
    """Every domain that has a catalog, sorted (``messages`` first when present)."""
    names = {po.stem for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po")}
    return sorted(names, key=lambda n: (n != "messages", n))


def compile_catalogs() -> list[Path]:
    """Write a .mo next to every .po that is newer than it; returns what was written."""
    written = []
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name, domain=po_path.stem)
        try:
            with mo_path.open("wb") as out:
                write_mo(out, catalog)
        except OSError:
            continue  # read-only install: the wheel ships compiled catalogs
        written.append(mo_path)
    return written
