"""Run the REAL evalmeet server in a subprocess for end-to-end and browser tests.

Usage::

    from tests.server import live_server

    with live_server(tmp_path) as srv:          # env={"EVALMEET_...": "..."} optional
        srv.url, srv.port, srv.db_url, srv.token  # token: API bearer token of a moderator
        srv.api("POST", "/api/v1/meetings", {"title": "..."})  # -> requests.Response
        srv.cli("demo")                          # any `evalmeet` command on its database -> stdout
        srv.create_user("amy", "viewer", "pw..") # an account made with the CLI -> its API token
        srv.restart()                            # same port, same database
        srv.kill()                               # SIGKILL (a crash); srv.start() brings it back

The server is ``.venv/bin/evalmeet serve --host 127.0.0.1 --port <free port>`` (gevent, Socket.IO
included) on a SQLite file under ``tmp_path`` unless ``env`` sets ``EVALMEET_DATABASE_URL``. The
schema, a moderator account (``mod`` / ``MODERATOR_PASSWORD``) and its API token are made with the
``evalmeet`` CLI before the first start. Until the CLI exists, a small bootstrap script does the
same in-process (create_app + create tables + ``socketio.run``). Server output goes to
``tmp_path / "server.log"``; :meth:`LiveServer.log` returns it for assertion messages.

The server shares the suite's clock: when the tests pinned it (``tests/conftest.py``), every
command and every (re)start gets ``EVALMEET_NOW`` = the pinned clock's current instant, so the
server's "today" is the test's. Outside the suite (bench/) the server keeps the machine's clock.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

from evalmeet.domain import clock

MODERATOR = "mod"
MODERATOR_PASSWORD = "correct horse battery staple"
READY_TIMEOUT = 40.0
BIN = Path(sys.executable).parent

# Used only while `evalmeet serve` does not exist yet.
_FALLBACK_SERVE = """
from gevent import monkey
monkey.patch_all()
import sys
from evalmeet import create_app
from evalmeet.extensions import db, socketio
from evalmeet.models import Base
app = create_app()
with app.app_context():
    Base.metadata.create_all(db.engine)
socketio.run(app, host=sys.argv[1], port=int(sys.argv[2]))
"""

_FALLBACK_BOOTSTRAP = """
import sys
from evalmeet import create_app
from evalmeet.extensions import db
from evalmeet.models import Base
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.services.accounts import users as accounts
app = create_app()
with app.app_context():
    Base.metadata.create_all(db.engine)
    password = sys.stdin.readline().rstrip("\\n")
    accounts.create_user(db.session, AccountCreate(username=sys.argv[1], role="moderator", password=password))
    token = accounts.create_token(db.session, sys.argv[1]).value
    db.session.commit()
print(token)
"""


def free_port() -> int:
    """A TCP port nobody listens on right now (bind to port 0 and let the OS choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clock_env() -> dict[str, str]:
    """``EVALMEET_NOW`` for a subprocess: the pinned clock's instant now; nothing when not pinned."""
    if isinstance(clock.get_clock(), clock.SystemClock):
        return {}
    return {"EVALMEET_NOW": clock.now().isoformat()}


def cli_available() -> bool:
    """Whether the ``evalmeet`` console script and its module exist."""
    return (BIN / "evalmeet").exists() and importlib.util.find_spec("evalmeet.cli") is not None


class LiveServer:
    """One real server process: its URL, database, a moderator's API token, and controls."""

    def __init__(self, workdir: Path, env: Mapping[str, str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.instance = self.workdir / "instance"
        self.log_path = self.workdir / "server.log"
        self.default_db_url = f"sqlite:///{self.workdir / 'evalmeet.db'}"
        self.use_cli = cli_available()
        base = {k: v for k, v in os.environ.items() if not k.startswith("EVALMEET_")}
        base.update(
            {
                "EVALMEET_ENV": "development",
                "EVALMEET_INSTANCE_PATH": str(self.instance),
                "EVALMEET_DATABASE_URL": self.default_db_url,
                "EVALMEET_SECRET_KEY": "e2e-secret-key-" + self.workdir.name,
                "EVALMEET_PUBLIC_URL": self.url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        base.update(env or {})
        self.env = base
        self.db_url = base["EVALMEET_DATABASE_URL"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.session = requests.Session()

    # --- setup ---------------------------------------------------------------------------------

    def command_env(self) -> dict[str, str]:
        """The environment of a command or a start: the pinned clock as it reads right now.

        An ``EVALMEET_NOW`` the caller put into ``env`` wins."""
        return {**clock_env(), **self.env}

    def _run(self, args: list[str], stdin: str = "") -> str:
        done = subprocess.run(
            args,
            input=stdin.encode(),
            env=self.command_env(),
            cwd=self.workdir,
            capture_output=True,
            timeout=120,
        )
        if done.returncode != 0:
            output = done.stdout.decode() + "\n" + done.stderr.decode()
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{output}")
        return done.stdout.decode()

    def bootstrap(self) -> None:
        """Create the schema, the moderator account and its API token.

        On the default SQLite file this is a copy of the database the same three commands made
        once for the test process (:func:`bootstrapped_sqlite`): each costs a Python process
        that imports the whole app, and every server starts from the same state anyway. On a
        PostgreSQL schema of its own, the migrations run here and the rows are copied from a
        schema those commands made once (:func:`copy_bootstrapped_postgres`)."""
        if self.use_cli and "EVALMEET_NOW" not in self.env:
            if self.db_url == self.default_db_url:
                source, self.token = bootstrapped_sqlite()
                target = Path(self.db_url.removeprefix("sqlite:///"))
                shutil.copyfile(source, target)
                os.chmod(target, 0o600)
                return
            from tests.databases import schema_of

            if schema_of(self.db_url):
                self.token = copy_bootstrapped_postgres(self.db_url)
                return
        self.bootstrap_with_cli()

    def bootstrap_with_cli(self) -> None:
        """:meth:`bootstrap` by running ``evalmeet db upgrade``, ``create-user`` and ``create-token``."""
        if self.use_cli:
            cli = str(BIN / "evalmeet")
            self._run([cli, "db", "upgrade"])
            self._run([cli, "create-user", MODERATOR, "--role", "moderator"], MODERATOR_PASSWORD + "\n")
            self.token = self._run([cli, "create-token", MODERATOR]).strip().splitlines()[-1].strip()
        else:
            out = self._run([sys.executable, "-c", _FALLBACK_BOOTSTRAP, MODERATOR], MODERATOR_PASSWORD + "\n")
            self.token = out.strip().splitlines()[-1].strip()
        assert self.token, "no API token was printed"

    def cli(self, *args: str, stdin: str = "") -> str:
        """Run ``evalmeet ARGS`` on this server's database and instance (as an operator would, in
        its working directory); returns stdout, raises with the output on a non-zero exit."""
        assert self.use_cli, "the evalmeet CLI is not installed"
        return self._run([str(BIN / "evalmeet"), *args], stdin)

    def create_user(self, username: str, role: str, password: str, token: bool = True) -> str:
        """Create an account with the CLI (password on stdin); returns a new API token for it
        (``token=False``: none is made, "" is returned)."""
        self.cli("create-user", username, "--role", role, stdin=password + "\n")
        return self.cli("create-token", username).strip().splitlines()[-1].strip() if token else ""

    # --- process control -----------------------------------------------------------------------

    def _command(self) -> list[str]:
        if self.use_cli:
            return [str(BIN / "evalmeet"), "serve", "--host", self.host, "--port", str(self.port)]
        return [sys.executable, "-c", _FALLBACK_SERVE, self.host, str(self.port)]

    def start(self, wait: bool = True) -> None:
        """Start the server and wait until it answers (Socket.IO handshake included).

        ``wait=False`` returns at once (start several, then call :meth:`wait_ready` on each)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                self._command(),
                env=self.command_env(),
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Poll the Engine.IO handshake until it answers 200; fail with the log if the process dies."""
        deadline = time.monotonic() + timeout
        probe = f"{self.url}/socket.io/?EIO=4&transport=polling"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(probe, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the server to stop (SIGTERM), then SIGKILL if it does not."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Kill the server at once (a crash: no shutdown code runs)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(15)

    def restart(self, *, crash: bool = False) -> None:
        """Stop (or kill, with ``crash=True``) and start again on the same port and database."""
        if crash:
            self.kill()
        else:
            self.stop()
        self.start()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.proc is not None and self.proc.poll() is None

    # --- helpers -------------------------------------------------------------------------------

    def log(self) -> str:
        """The server's output so far (for assertion messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except FileNotFoundError:
            return ""

    def api(self, method: str, path: str, json: Any = None, **kw: Any) -> requests.Response:
        """Call the HTTP API as the moderator (Bearer token); ``path`` may omit ``/api/v1``."""
        if not path.startswith("/"):
            path = "/api/v1/" + path
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.session.request(method, self.url + path, json=json, headers=headers, timeout=30, **kw)


@functools.cache
def bootstrapped_sqlite() -> tuple[Path, str]:
    """A SQLite database made by :meth:`LiveServer.bootstrap_with_cli` once per process (under the
    pinned clock when the suite runs), and the moderator's API token in it."""
    folder = Path(tempfile.mkdtemp(prefix="evalmeet-bootstrap-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    seed = LiveServer(folder / "seed")
    seed.bootstrap_with_cli()
    path = Path(seed.db_url.removeprefix("sqlite:///"))
    # Each command's last connection folded the WAL into the file: the file is all of it.
    assert not path.with_name(path.name + "-wal").exists(), "the bootstrap left a WAL behind"
    return path, seed.token


@functools.cache
def bootstrapped_postgres() -> tuple[str, str]:
    """A PostgreSQL schema made by :meth:`LiveServer.bootstrap_with_cli` once per process (dropped
    when it ends), and the moderator's API token in it: :func:`bootstrapped_sqlite`'s twin."""
    from tests.databases import drop_postgres_schema, postgres_schema_url, schema_of

    seed = LiveServer(Path(tempfile.mkdtemp(prefix="evalmeet-bootstrap-")) / "seed")
    seed.env["EVALMEET_DATABASE_URL"] = seed.db_url = postgres_schema_url()
    atexit.register(shutil.rmtree, seed.workdir.parent, ignore_errors=True)
    atexit.register(drop_postgres_schema, seed.db_url)
    seed.bootstrap_with_cli()
    return str(schema_of(seed.db_url)), seed.token


def copy_bootstrapped_postgres(url: str) -> str:
    """Bring the empty PostgreSQL schema of ``url`` to the state :meth:`LiveServer.bootstrap_with_cli`
    leaves; returns the moderator's API token.

    The three commands ran once for the test process (:func:`bootstrapped_postgres`). Here the
    migrations run in this process (the same ``upgrade`` that ``evalmeet db upgrade`` calls),
    then that schema's rows are copied over, and each identity goes on from the copied ids, as
    it would have after the commands."""
    from sqlalchemy import Integer, create_engine, text

    from evalmeet.migrations import upgrade
    from tests.databases import fresh_metadata

    seed_schema, token = bootstrapped_postgres()
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in fresh_metadata().sorted_tables:
                copied = conn.execute(
                    text(f'INSERT INTO "{table.name}" SELECT * FROM "{seed_schema}"."{table.name}"')
                )
                if not copied.rowcount:
                    continue
                for column in table.primary_key.columns:
                    if isinstance(column.type, Integer):  # a NULL sequence (none) sets nothing
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                                f'(SELECT max("{column.name}") FROM "{table.name}"))'
                            ).bindparams(table=f'"{table.name}"', column=column.name)
                        )
    finally:
        engine.dispose()
    return token


@contextlib.contextmanager
def live_server(tmp_path: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """Bootstrap and start a real server under ``tmp_path``; always stopped on exit."""
    server = LiveServer(Path(tmp_path) / "server", env)
    server.bootstrap()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        server.session.close()
