"""Imports point inwards: services, domain and models never import Flask, extensions or the edges."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "evalmeet"
FORBIDDEN_FOR_CORE = (
    "flask",
    "flask_socketio",
    "flask_login",
    "flask_wtf",
    "flask_babel",
    "socketio",
    "engineio",
    "werkzeug",
    "evalmeet.web",
    "evalmeet.realtime",
    "evalmeet.extensions",
    "evalmeet.cli",
)
FORBIDDEN_FOR_DOMAIN = FORBIDDEN_FOR_CORE + (
    "sqlalchemy",
    "evalmeet.models",
    "evalmeet.services",
    "evalmeet.db",
)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for line, module in imports_of(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return bad


def test_services_and_models_do_not_import_flask_or_edges():
    assert violations("services", FORBIDDEN_FOR_CORE) == []
    assert violations("models", FORBIDDEN_FOR_CORE) == []


def test_domain_is_pure_python():
    assert violations("domain", FORBIDDEN_FOR_DOMAIN) == []


def test_the_checker_catches_a_violation(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from flask import request\nimport sqlalchemy.orm\n", encoding="utf-8")
    assert [m for _, m in imports_of(sample)] == ["flask", "sqlalchemy.orm"]


def test_only_broadcast_emits():
    emitters = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if ("socketio.emit(" in text or ".emit(" in text) and path.name != "broadcast.py":
            for n, line in enumerate(text.splitlines(), 1):
                if ".emit(" in line and not line.lstrip().startswith("#"):
                    emitters.append(f"{path.relative_to(PACKAGE.parent)}:{n}")
    # The namespace may answer the connecting client directly (its own `state` on connect).
    allowed = {"live.py"}
    assert [e for e in emitters if Path(e.split(":")[0]).name not in allowed] == []
