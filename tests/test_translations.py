"""Every message the code and the templates use has Chinese in messages.po, with the same placeholders.

The messages are extracted the way ``make messages`` (``pybabel extract -F babel.cfg``) does:
babel's own extraction, driven by the repository's ``babel.cfg``. A message counts as missing
when messages.po has no entry for its (context, id), or the entry's msgstr is empty or fuzzy
(fuzzy entries are not compiled). A translation must keep every ``%(name)s`` (and ``{name}``,
which the live screens' JS fills in) of its message id, and add none.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from evalmeet.i18n import PO_FILE

ROOT = Path(__file__).resolve().parents[1]
# %(name)s, %(n)d, %s … but not %% (a literal percent sign)
PYTHON_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Used:
    """A message as the code or a template uses it, with where."""

    context: str | None
    msgid: str
    where: str


def used_messages() -> list[Used]:
    """Every message babel.cfg's extraction finds (the ids of plural forms: the singular)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.append(Used(context, msgid, f"{filename}:{lineno}"))
    return found


def placeholders(text: str) -> Counter[str]:
    """The ``%(name)s``/``%s`` and ``{name}`` placeholders of a string, with how often each occurs."""
    text = text.replace("%%", "")
    named = [f"%({m.group(1)})" if m.group(1) else "%" for m in PYTHON_PLACEHOLDER.finditer(text)]
    return Counter(named + [f"{{{name}}}" for name in BRACE_PLACEHOLDER.findall(text)])


def problems(used: list[Used], catalog: Catalog) -> list[str]:
    """Why each used message would not show in Chinese (or would break when formatted)."""
    out = []
    seen = set()
    ids_in_any_context = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    for message in used:
        key = (message.context, message.msgid)
        if key in seen:
            continue
        seen.add(key)
        in_context = f"[{message.context}] " if message.context else ""
        label = f"{message.where}: {in_context}{message.msgid!r}"
        entry = catalog.get(message.msgid, context=message.context)
        translation = None
        if entry is not None and not entry.fuzzy:
            translation = entry.string if isinstance(entry.string, str) else entry.string[0]
        if not translation:
            if entry is not None and entry.fuzzy:
                reason = "fuzzy"
            elif entry is None and message.msgid in ids_in_any_context:
                reason = "no entry in this context"
            elif entry is None:
                reason = "no entry"
            else:
                reason = "empty msgstr"
            out.append(f"{label}: {reason}")
            continue
        want, got = placeholders(message.msgid), placeholders(translation)
        if want != got:
            out.append(
                f"{label}: placeholders differ: {sorted(want.elements())} in the msgid, "
                f"{sorted(got.elements())} in {translation!r}"
            )
    return out


def test_every_used_message_has_a_chinese_translation_with_the_same_placeholders():
    used = used_messages()
    with PO_FILE.open("rb") as fh:
        catalog = read_po(fh)
    # extraction really covered the code and the templates, contexts and the services' marks too
    keys = {(u.context, u.msgid) for u in used}
    assert len(keys) > 500
    assert {
        ("live-screens", "Result"),  # pgettext in Python
        ("count", "Items"),  # pgettext in a template
        (None, "Items template"),  # gettext in a view
        (None, "Satisfied (ballots)"),  # N_ in a service
        (None, "Item title"),  # a spreadsheet Column header
        (None, "Nothing evaluated yet"),  # a service's translate()
    } <= keys
    assert not any(u.where.startswith(("tests/", "evalmeet/migrations/")) for u in used)
    missing = problems(used, catalog)
    assert not missing, f"{len(missing)} message(s) need work in {PO_FILE.name}:\n" + "\n".join(missing)


def test_the_check_catches_a_missing_translation_and_a_lost_placeholder():
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Meeting", "评价会")
    catalog.add("Open", "待办", context="action status")
    catalog.add("Item %(n)s", "第项")
    catalog.add("Voted {n} / {m}", "已投票 {n}/{m}")
    catalog.add("Attending", "")
    catalog.add("%(a)s of %(b)s", "%(a)s / %(a)s")
    catalog.add("Saved", "已保存", flags={"fuzzy"})
    used = [
        Used(None, "Meeting", "a.py:1"),
        Used(None, "Open", "a.py:2"),
        Used("action status", "Open", "a.py:3"),
        Used(None, "Item %(n)s", "a.py:4"),
        Used(None, "Voted {n} / {m}", "a.py:5"),
        Used(None, "Attending", "a.py:6"),
        Used(None, "%(a)s of %(b)s", "a.py:7"),
        Used(None, "Saved", "a.py:8"),
        Used(None, "Not in the catalogue", "a.py:9"),
    ]
    found = problems(used, catalog)
    assert [line.split(": ", 1)[0] for line in found] == [
        "a.py:2",
        "a.py:4",
        "a.py:6",
        "a.py:7",
        "a.py:8",
        "a.py:9",
    ]
    assert "no entry in this context" in found[0]
    assert "placeholders differ" in found[1] and "placeholders differ" in found[3]
    assert "empty msgstr" in found[2] and "fuzzy" in found[4] and found[5].endswith("no entry")


def test_placeholders_ignore_a_literal_percent_sign():
    assert placeholders("%(rate)s%% passed, %d left, {n} more") == Counter(["%(rate)", "%", "{n}"])
