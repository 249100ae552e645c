"""The ``evalmeet`` console script, run for real in subprocesses as an operator would.

Each test gets its own instance folder and SQLite file through ``EVALMEET_*`` variables; results
are checked in the database itself (in-process ``create_app`` on the same file, or ``sqlite3``).
Every command gets the suite's pinned clock as ``EVALMEET_NOW``, so what ``evalmeet demo`` dates
and what the test counts as overdue are the same day. The tests that run ``evalmeet serve`` are
marked ``server``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from flask import Flask
from sqlalchemy import select

from evalmeet import create_app, migrations
from evalmeet.extensions import db
from evalmeet.models import Action, Meeting
from evalmeet.services.accounts import users as accounts
from evalmeet.services.archive import stats
from evalmeet.services.voting.round import latest_result
from tests.server import clock_env

EVALMEET = str(Path(sys.executable).parent / "evalmeet")
# Variables a developer's shell or CI may set that must not leak into the commands under test.
KEEP = {"EVALMEET_REQUIRE_SERVICES", "EVALMEET_TEST_POSTGRES_URL", "EVALMEET_TEST_REDIS_URL"}


class Cli:
    """Runs ``evalmeet`` with a private instance folder and database."""

    def __init__(self, tmp: Path) -> None:
        self.instance = tmp / "instance"
        self.db_path = tmp / "data" / "evalmeet.db"
        self.db_path.parent.mkdir()
        self.url = f"sqlite:///{self.db_path}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EVALMEET_") or k in KEEP}
        self.env.update(EVALMEET_INSTANCE_PATH=str(self.instance), EVALMEET_DATABASE_URL=self.url)

    def __call__(
        self, *args: str, stdin: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [EVALMEET, *args],
            env={**clock_env(), **self.env},  # an EVALMEET_NOW the test set wins
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    @contextmanager
    def app(self) -> Iterator[Flask]:
        """The app, in-process, on the same database the commands used."""
        app = create_app({"DATABASE_URL": self.url, "INSTANCE_PATH": str(self.instance), "TESTING": True})
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    def seed(self, template: Path) -> Cli:
        """Start from a copy of a database made once per module (saves a process per test)."""
        with sqlite3.connect(template) as src, sqlite3.connect(self.db_path) as dst:
            src.backup(dst)
        return self

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """``cli("db", "upgrade")`` runs the console script against a fresh, empty database."""
    return Cli(tmp_path)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Databases built once by the real commands: ``migrated`` (empty schema) and ``demo``."""
    made = {}
    for name, commands in {"migrated": [["db", "upgrade"]], "demo": [["db", "upgrade"], ["demo"]]}.items():
        maker = Cli(tmp_path_factory.mktemp(name))
        for args in commands:
            result = maker(*args)
            assert result.returncode == 0, result.stderr
        made[name] = maker.db_path
    return made


@pytest.fixture
def migrated(cli: Cli, templates: dict[str, Path]) -> Cli:
    """The CLI on a database at the current schema, without data."""
    return cli.seed(templates["migrated"])


@pytest.fixture
def with_demo(cli: Cli, templates: dict[str, Path]) -> Cli:
    """The CLI on a database holding the demo meetings (made by ``evalmeet demo``)."""
    return cli.seed(templates["demo"])


def test_importing_the_cli_loads_no_framework_before_gevent_can_patch() -> None:
    code = (
        "import sys, evalmeet.cli; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'ssl', 'socket', 'threading', 'gevent') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_a_command_prints_usage_and_fails(cli: Cli) -> None:
    result = cli()
    assert result.returncode == 2
    assert "create-user" in result.stderr and "serve" in result.stderr

    assert cli("no-such-command").returncode == 2


def test_db_upgrade_creates_the_schema_from_env_config_and_is_repeatable(cli: Cli) -> None:
    first = cli("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert migrations.current_revision(cli.url) == migrations.head_revision()
    assert (cli.instance / "secret_key").is_file()  # EVALMEET_INSTANCE_PATH was honoured

    second = cli("db", "upgrade")
    assert second.returncode == 0, second.stderr
    assert migrations.head_revision() in second.stdout
    assert cli("db", "current").stdout.count(migrations.head_revision()) == 2


def test_create_user_reads_the_password_from_stdin(migrated: Cli) -> None:

    result = migrated("create-user", "alice", "--role", "moderator", stdin="horse battery staple\n")

    assert result.returncode == 0, result.stderr
    with migrated.app() as app, app.app_context():
        account = accounts.authenticate(db.session, "alice", "horse battery staple")
        assert account is not None and account.role == "moderator"
        assert accounts.authenticate(db.session, "alice", "horse battery staple\n") is None


def test_create_user_refusals_are_one_line_errors(migrated: Cli) -> None:
    assert migrated("create-user", "alice", "--role", "admin", stdin="long enough pw\n").returncode == 0

    duplicate = migrated("create-user", "alice", "--role", "viewer", stdin="another password\n")
    short = migrated("create-user", "bob", "--role", "viewer", stdin="short\n")
    no_password = migrated("create-user", "carol", "--role", "viewer")
    bad_role = migrated("create-user", "dave", "--role", "superuser", stdin="long enough pw\n")

    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert short.returncode == 1 and "at least 8" in short.stderr
    assert no_password.returncode == 1 and "stdin" in no_password.stderr
    assert bad_role.returncode == 2
    assert migrated.rows("SELECT username, role FROM accounts") == [("alice", "admin")]


def test_create_token_prints_one_line_that_authenticates_against_the_api(migrated: Cli) -> None:
    migrated("create-user", "mod", "--role", "moderator", stdin="correct horse\n")

    result = migrated("create-token", "mod")

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    token = result.stdout.strip()
    with migrated.app() as app:
        client = app.test_client()
        ok = client.get("/api/v1/meetings", headers={"Authorization": f"Bearer {token}"})
        refused = client.get("/api/v1/meetings", headers={"Authorization": f"Bearer {token}x"})
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert refused.status_code == 401


def test_create_token_for_an_unknown_user_fails_quietly(migrated: Cli) -> None:
    result = migrated("create-token", "ghost")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "ghost" in result.stderr


def test_ensure_admin_creates_one_admin_whose_printed_password_works(migrated: Cli) -> None:

    first = migrated("ensure-admin")
    second = migrated("ensure-admin")

    assert first.returncode == 0 and second.returncode == 0
    match = re.search(r"account 'admin' with password (\S+)", first.stdout)
    assert match, first.stdout
    assert "already exists" in second.stdout
    with migrated.app() as app, app.app_context():
        assert accounts.authenticate(db.session, "admin", match.group(1)) is not None
    assert migrated.rows("SELECT username, role FROM accounts") == [("admin", "admin")]


def test_set_password_replaces_the_old_one(migrated: Cli) -> None:
    migrated("create-user", "alice", "--role", "viewer", stdin="first password\n")

    result = migrated("set-password", "alice", stdin="second password\n")

    assert result.returncode == 0, result.stderr
    with migrated.app() as app, app.app_context():
        assert accounts.authenticate(db.session, "alice", "first password") is None
        assert accounts.authenticate(db.session, "alice", "second password") is not None


def test_demo_fills_an_empty_database_and_refuses_a_second_time(migrated: Cli) -> None:
    first = migrated("demo")
    second = migrated("demo")
    tolerant = migrated("demo", "--if-empty")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 1 and "already has meetings" in second.stderr
    assert tolerant.returncode == 0 and "nothing loaded" in tolerant.stdout
    meetings = migrated.rows("SELECT status, published, title FROM meetings ORDER BY id")
    assert [(status, published) for status, published, _t in meetings] == [
        ("closed", 1),
        ("draft", 0),
        ("closed", 0),
    ]
    assert meetings[2][2] == "2026年度中层管理人员民主测评"
    assert "closed yearly evaluation meeting 3" in first.stdout
    assert migrated.rows("SELECT meeting_id, count(*) FROM representatives GROUP BY meeting_id") == [
        (1, 10),
        (2, 10),
        (3, 13),
    ]
    items = migrated.rows("SELECT meeting_id, status, risk_flags FROM items ORDER BY id")
    assert [(m, s) for m, s, _ in items] == [
        (1, "passed"),
        (1, "failed"),
        (1, "failed"),
        (1, "passed"),
        (2, "pending"),
        (2, "pending"),
        (2, "pending"),
        (2, "pending"),
        (2, "pending"),
        (3, "passed"),
        (3, "passed"),
        (3, "failed"),  # every criterion must reach 2/3: 廉 does not
        (3, "failed"),
    ]
    assert any("single_source_above_threshold" in flags for _m, _s, flags in items[4:9])
    # 36 ballots last quarter, then 12 raters present x 4 managers (each a sheet of 5 criteria)
    assert migrated.rows("SELECT count(*) FROM ballots") == [(36 + 48,)]
    assert migrated.rows("SELECT count(*) FROM item_results") == [(4 + 4,)]
    assert migrated.rows("SELECT count(*) FROM ballots WHERE rater_group IS NOT NULL") == [(0,)]
    positions = [p for (p,) in migrated.rows("SELECT DISTINCT position FROM responsible_persons")]
    assert positions and all(positions)
    with migrated.app() as app, app.app_context():
        totals = stats.totals(db.session)
        yearly = db.session.scalars(select(Meeting).where(Meeting.id == 3)).one()
        rules = yearly.rules
        results = [latest_result(db.session, item.id) for item in yearly.items]
    assert rules.scale.name == "four_grade" and rules.pass_rule == "every_criterion"
    assert [c.label for c in rules.criteria] == ["德", "能", "勤", "绩", "廉"]
    assert [(g.label, g.weight) for g in rules.groups] == [
        ("职工代表", Fraction(2, 5)),
        ("中层干部", Fraction(2, 5)),
        ("班子成员", Fraction(1, 5)),
    ]
    for result in results:
        assert result is not None and set(result.criteria) == {"de", "neng", "qin", "ji", "lian"}
        assert {k: g["ballots"] for k, g in result.groups.items()} == {
            "workers": 5,
            "middle": 4,
            "leaders": 3,
        }
        assert result.average_score is not None
    liu = results[2]  # 廉: 1 of 5 workers, 1 of 4 middle managers, 2 of 3 leaders
    lian = Fraction(2, 5) * Fraction(1, 5) + Fraction(2, 5) * Fraction(1, 4) + Fraction(1, 5) * Fraction(2, 3)
    assert Fraction(liu.criteria["lian"]["satisfaction"]) == lian < Fraction(2, 3)
    assert Fraction(liu.satisfaction_num, liu.satisfaction_den) >= Fraction(2, 3)  # overall it would pass
    assert totals["meetings"] == 2 and totals["items_failed"] == 4
    assert totals["savings"] == "134000.00"  # the verified re-tender of the 980,000 yuan copper plates
    # The demo was dated by the command's clock, the totals by the test's: the same pinned day.
    assert totals["people_disciplined"] == 2 and totals["actions_overdue"] == 1


@pytest.mark.parametrize(
    ("now", "next_meeting", "due_dates"),
    [
        # 23:59 on the leap day in China, then midnight: every date the demo derives moves a day.
        ("2028-02-29T15:59:00Z", "2028-03-07T01:00:00+00:00", "2028-01-20 2028-01-30 2028-02-09 2028-03-15"),
        ("2028-02-29T16:00:00Z", "2028-03-08T01:00:00+00:00", "2028-01-21 2028-01-31 2028-02-10 2028-03-16"),
    ],
)
def test_demo_dates_count_from_evalmeet_now_in_china_days(
    migrated: Cli, now: str, next_meeting: str, due_dates: str
) -> None:
    migrated.env["EVALMEET_NOW"] = now
    assert migrated("demo").returncode == 0
    with migrated.app() as app, app.app_context():
        upcoming = db.session.scalars(select(Meeting).where(Meeting.status == "draft")).one()
        due = sorted(d.isoformat() for d in db.session.scalars(select(Action.due_date)) if d)
    assert upcoming.scheduled_at.isoformat() == next_meeting  # 09:00 China time, in 7 days
    assert due == due_dates.split()  # 40, 30 and 20 days ago; in 15 days


def test_audit_verify_passes_then_names_the_tampered_entry(with_demo: Cli) -> None:
    (entries,) = with_demo.rows("SELECT count(*) FROM audit_log")[0]

    intact = with_demo("audit", "verify")

    assert intact.returncode == 0, intact.stderr
    match = re.fullmatch(r"ok: (\d+) entries, head ([0-9a-f]{64})\n", intact.stdout)
    assert match and int(match.group(1)) == entries > 10
    assert with_demo.rows("SELECT entry_hash FROM audit_log ORDER BY id DESC LIMIT 1") == [(match.group(2),)]

    victim = with_demo.rows("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 7")[0][0]
    with sqlite3.connect(with_demo.db_path) as conn:
        conn.execute("UPDATE audit_log SET payload = '{\"counts\":{}}' WHERE id = ?", (victim,))

    broken = with_demo("audit", "verify")

    assert broken.returncode != 0
    assert f"entry {victim}" in broken.stderr
    assert broken.stdout == ""


def test_backup_is_a_consistent_copy_even_with_a_write_in_flight(with_demo: Cli, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    # A writer in the middle of a transaction: the copy must neither wait for nor include it.
    writer = sqlite3.connect(with_demo.db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM ballots")
    try:
        result = with_demo("backup", str(target))
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert result.returncode == 0, result.stderr
    tables = [t for (t,) in with_demo.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert "ballots" in tables and "alembic_version" in tables
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for table in tables:
            original = sorted(with_demo.rows(f"SELECT * FROM {table}"), key=repr)
            copied = sorted(copy.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            assert copied == original, table
        assert copy.execute("SELECT count(*) FROM ballots").fetchone() == (36 + 48,)  # the demo's ballots


def test_backup_refusals(migrated: Cli, tmp_path: Path) -> None:
    existing = tmp_path / "taken.db"
    existing.write_bytes(b"keep me")

    taken = migrated("backup", str(existing))
    forced = migrated("backup", str(existing), "--force")
    migrated.env["EVALMEET_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    postgres = migrated("backup", str(tmp_path / "pg.db"))

    assert taken.returncode == 1 and "exists" in taken.stderr
    assert forced.returncode == 0 and existing.read_bytes().startswith(b"SQLite format 3")
    assert postgres.returncode == 1 and "pg_dump" in postgres.stderr
    assert not (tmp_path / "pg.db").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.server
def test_serve_upgrades_the_database_and_answers_http_and_websocket(cli: Cli) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [EVALMEET, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**cli.env, **clock_env()},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert response is not None, "the server never answered"
        assert response.status_code == 200
        assert migrations.current_revision(cli.url) == migrations.head_revision()

        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=10
        )
        try:
            assert ws.recv().startswith('0{"sid"')  # the Engine.IO open packet, over a real WebSocket
        finally:
            ws.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    _out, err = server.communicate()
    assert server.returncode == 0, err
    assert f"serving on http://127.0.0.1:{port}" in err
    frozen = re.search(r"(\d+) startup objects frozen", err)  # evalmeet/heap.py: before serving
    assert frozen is not None and int(frozen.group(1)) > 50_000, err
    assert "Traceback" not in err


@pytest.mark.server
def test_serve_on_a_taken_port_fails_with_a_message(migrated: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = migrated("serve", "--host", "127.0.0.1", "--port", str(port), timeout=60)

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "serving on" not in result.stderr


def test_a_command_waits_out_a_write_lock_longer_than_the_servers_wait(migrated: Cli) -> None:
    """`make run` runs demo and ensure-admin beside the starting server: a command that finds the
    SQLite file locked for longer than the server's 2 s cooperative wait still gets through."""
    import sqlite3
    import threading
    import time

    holder = sqlite3.connect(migrated.db_path, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    # a sleeping thread, not threading.Timer (whose timed wait never ends under libfaketime)
    released = threading.Thread(target=lambda: (time.sleep(3.0), holder.commit()), daemon=True)
    released.start()
    started = time.monotonic()
    try:
        done = migrated("create-user", "locked-out", "--role", "viewer", stdin="a long password\n")
    finally:
        released.join()
        holder.close()
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 3.0  # it really waited for the lock
