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


# --- one clock --------------------------------------------------------------------------------

ROOT = PACKAGE.parent
CLOCK_MODULE = PACKAGE / "domain" / "clock.py"
# Calls that read the machine's clock (or its zone) instead of the app's one clock.
WALL_CLOCK_READS = {
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "time.time",
    "time.time_ns",
    "time.localtime",
    "time.gmtime",
    "time.ctime",
    "time.clock_gettime",
}


def dotted(node: ast.expr) -> str:
    """``datetime.datetime.now`` for the expression of a call's function, "" when not a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id, *reversed(parts)])


def clock_bypasses(path: Path) -> list[str]:
    """Every wall-clock read, private UTC+8 zone and database-side "now" in one file."""
    found = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            hours = {k.arg: k.value for k in node.keywords}.get("hours")
            if any(name == read or name.endswith("." + read) for read in WALL_CLOCK_READS):
                found.append(f"{where}:{node.lineno} calls {name}()")
            elif name.split(".")[-1] == "timezone":
                found.append(f"{where}:{node.lineno} makes its own time zone")
            elif name.split(".")[-1] == "timedelta" and isinstance(hours, ast.Constant) and hours.value == 8:
                found.append(f"{where}:{node.lineno} adds 8 hours by hand")
            elif name.split(".")[-1] == "now" and name.split(".")[0] == "func":
                found.append(f"{where}:{node.lineno} asks the database for now()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "CURRENT_TIMESTAMP" in node.value.upper() or "CURRENT_DATE" in node.value.upper():
                found.append(f"{where}:{node.lineno} asks the database for the time")
    return found


def test_only_the_clock_module_reads_the_clock():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != CLOCK_MODULE:
            bad += clock_bypasses(path)
    assert bad == []


def test_no_test_or_benchmark_builds_a_date_from_the_wall_clock():
    # Tests pin the app's clock (conftest.py); only the clock's own test reads the machine's, to
    # check that SystemClock is it.
    exempt = {Path(__file__).resolve(), ROOT / "tests" / "domain" / "test_clock.py"}
    bad = []
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path not in exempt:
                bad += clock_bypasses(path)
    assert bad == []


def test_the_clock_checker_catches_each_bypass(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import datetime, time\nfrom datetime import date, timedelta, timezone\n"
        "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\n"
        "d = timezone(timedelta(hours=1))\ne = x + timedelta(hours=8)\nf = func.now()\n"
        "g = text('INSERT INTO t VALUES (CURRENT_TIMESTAMP)')\nok = timedelta(hours=7) + time.monotonic()\n",
        encoding="utf-8",
    )
    lines = [int(hit.split(":")[1].split()[0]) for hit in clock_bypasses(sample)]
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9]
