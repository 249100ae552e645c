"""Fixtures: the app on SQLite (or PostgreSQL where a module asks), clients, sessions, an API
client with a Bearer token, and factories.

One app serves the whole test process (``SharedApp``), and each test gets it on a database of
its own with the schema already made (``tests/databases.py``): a copy of a template SQLite file,
or this process's PostgreSQL schema emptied. Tests that need other settings build their own
with ``make_test_app``. Passwords are hashed with the testing config's cheap Argon2 parameters.

The app's clock is pinned for every test: each one starts at ``PINNED_AT`` (China time, mid-morning,
years away from the real date) and the clock runs on from there; a test that needs another
instant uses ``clock.pinned(...)``. A forgotten read of the wall clock shows up as a wrong day.

Modules that must run on both databases set ``pytestmark = both_databases``.
PostgreSQL tests use a schema of their own per test process, so parallel runs never collide;
they skip when PostgreSQL is unreachable, unless EVALMEET_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import gc
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from evalmeet import create_app, private_files
from evalmeet.domain import clock
from evalmeet.extensions import db, socketio
from evalmeet.realtime import init_realtime
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.schemas.base import parse
from evalmeet.services.accounts import users as accounts
from evalmeet.web import guessing
from tests.databases import (  # noqa: F401 - re-exported: tests import these from here
    POSTGRES_URL,
    REDIS_URL,
    REQUIRE_SERVICES,
    SharedPostgres,
    SqliteTemplate,
    drop_postgres_schema,
    fresh_metadata,
    postgres_available,
    postgres_schema_url,
    require_service,
    sqlite_template,
)

# Collecting imports every test module and its libraries (Playwright, Schemathesis, the app):
# hundreds of thousands of objects that live all run long. The cyclic collector walked them
# again and again while they were made (a third of the collection's time), and at every full
# collection after: it is off until collection ends, then they are frozen out of its walks.
gc.disable()

both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)

# Wednesday 14 May 2031, 10:30 in China (02:30 UTC): far from midnight in China and in UTC, so
# "today" is the same day in both zones all test long, and nowhere near the real date.
PINNED_AT = datetime(2031, 5, 14, 10, 30, tzinfo=clock.CHINA)


@pytest.fixture(scope="session", autouse=True)
def _pinned_for_the_session() -> Iterator[None]:
    """The pinned clock for session- and module-scoped fixtures (servers, databases made by the CLI).

    EVALMEET_NOW from a developer's shell is dropped: create_app would install it over the pin;
    so is EVALMEET_ENV: the tests' apps use the testing config unless a test says otherwise.
    """
    with pytest.MonkeyPatch.context() as mp, clock.pinned(PINNED_AT):
        mp.delenv("EVALMEET_NOW", raising=False)
        mp.delenv("EVALMEET_ENV", raising=False)
        yield


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[clock.Clock]:
    """Every test starts at ``PINNED_AT``; the clock runs on from there (``clock.OffsetClock``)."""
    with clock.pinned(PINNED_AT) as pinned:
        yield pinned


# --- servers and browsers carry their markers ---------------------------------------------------
# `-m "not browser and not server"` (the faketime runs: libfaketime upsets a gevent server's loop)
# must leave out every test that starts the real server or a browser. Each process a test starts
# is checked against its markers, fixtures of any scope included; an unmarked one fails.

_MARKERS: dict[str, set[str]] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Remember each test's markers for the process check; with pytest-xdist, keep the tests
    that share a costly fixture on one worker and hand out the longest work first. First of the
    hooks: xdist's worker reads the ``xdist_group`` markers in its own hook of this name (turning
    them into node-id suffixes), so they must be on the items before it runs."""
    for item in items:
        _MARKERS[item.nodeid] = {mark.name for mark in item.iter_markers()}
    # In a worker, xdist has set ``dist`` to "no" and kept the choice in ``loadgroup``.
    if getattr(config.option, "loadgroup", False):
        for item in items:
            group = shared_fixture_group(item)
            if group:
                item.add_marker(pytest.mark.xdist_group(name=group))
        # Modules that start servers or browsers first (whole, so module fixtures are made once):
        # the short tests then fill the workers up to the end.
        heavy = {i.nodeid.split("::", 1)[0] for i in items if _MARKERS[i.nodeid] & {"server", "browser"}}
        items.sort(key=lambda item: 0 if item.nodeid.split("::", 1)[0] in heavy else 1)


def pytest_sessionstart(session: pytest.Session) -> None:
    """pytest-xdist's controller collects nothing (its workers do): its collector goes back on here."""
    if getattr(session.config.option, "numprocesses", None) and not hasattr(session.config, "workerinput"):
        gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    """In an xdist worker, refuse to run if a group marker did not reach xdist (it carries the
    group as a node-id suffix): the tests that share a server would be spread over the workers,
    each would build it again, and the checks that read what the others did would fail.

    Then the collector goes back on, with what collection made frozen (see ``gc.disable`` above)."""
    gc.collect()
    gc.freeze()
    gc.enable()
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [i.nodeid for i in session.items if i.get_closest_marker("xdist_group") and "@" not in i.nodeid]
    if lost:
        raise pytest.UsageError(
            f"pytest-xdist ignored the xdist_group of {len(lost)} tests, e.g. {lost[0]}"
            " (see the pytest pin in pyproject.toml)"
        )


def pytest_sessionfinish() -> None:
    """Stop the timers the guessing limits' in-memory storage leaves (``limits``' MemoryStorage
    expires its windows on non-daemon ``threading.Timer`` threads). Under libfaketime
    (``make test-clock``) their short waits never end, and the interpreter waited for them for
    ever after the last test."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def shared_fixture_group(item: pytest.Item) -> str | None:
    """Where the widest-scoped fixture a test uses lives (a package, else its module), if any
    is wider than a test and narrower than the session: the tests that share it go to one
    worker, which builds it once (the smoke suite's server, a module's browser or seed)."""
    info = getattr(item, "_fixtureinfo", None)
    module = item.nodeid.split("::", 1)[0]
    group = None
    for fixturedefs in info.name2fixturedefs.values() if info else ():
        for fixturedef in fixturedefs:
            if fixturedef.scope == "package":
                return fixturedef.baseid or module
            if fixturedef.scope in ("module", "class"):
                group = module
    return group


def marker_needed(args: Any) -> str | None:
    """``server`` for ``evalmeet serve`` (or a script running socketio.run), ``browser`` for
    Playwright's driver, else None."""
    argv = [os.fspath(a) for a in args] if isinstance(args, list | tuple) else [os.fspath(args)]
    if os.path.basename(argv[0]) == "evalmeet" and argv[1:2] == ["serve"]:
        return "server"
    if any("socketio.run(" in a for a in argv):
        return "server"
    if "run-driver" in argv or any(os.path.basename(a) == "chromium" for a in argv):
        return "browser"
    return None


class MarkerCheckedPopen(subprocess.Popen):  # type: ignore[type-arg]
    """subprocess.Popen that refuses to start a server or browser for a test without the marker."""

    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        needed = marker_needed(args)
        current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
        marks = _MARKERS.get(current)
        if needed and marks is not None and needed not in marks:
            pytest.fail(f"{current} starts {args!r} but is not marked pytest.mark.{needed}")
        super().__init__(args, *rest, **kwargs)


subprocess.Popen = MarkerCheckedPopen  # type: ignore[misc]


@pytest.fixture(scope="session")
def _postgres() -> Iterator[Callable[[], SharedPostgres]]:
    """This process's PostgreSQL schema, made on first use (``_postgres()``) and dropped at the end."""
    made: list[SharedPostgres] = []

    def get() -> SharedPostgres:
        if not made:
            made.append(SharedPostgres())
        return made[0]

    yield get
    for shared in made:
        shared.close()


@pytest.fixture(scope="session")
def _sqlite_template() -> SqliteTemplate:
    """The empty schema in a SQLite file, built once per process."""
    return sqlite_template()


@pytest.fixture
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Any,
    _sqlite_template: SqliteTemplate,
    _postgres: Callable[[], SharedPostgres],
) -> str:
    """A database with the schema and no rows: a SQLite file of the test's own by default;
    ``postgres`` when parametrized so (this process's schema, emptied for the test)."""
    if getattr(request, "param", "sqlite") == "postgres":
        return _postgres().clean()
    return _sqlite_template.copy(tmp_path / "test.db")


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "PROGRESS_INTERVAL": 0.0,
    "SERVER_NAME": "localhost",
}


def make_test_app(db_url: str, instance: Any, **overrides: Any) -> Flask:
    """A fresh app (the testing config) on ``db_url`` with its tables created.

    For tests that need an app of their own (other settings, several workers); the others share
    one through the ``app`` fixture. Socket.IO's options start afresh, as in a new process: they
    would otherwise keep the last app's (its message queue, say).
    """
    config = {**TEST_CONFIG, "DATABASE_URL": db_url, "INSTANCE_PATH": str(instance)}
    config.update(overrides)
    socketio.server_options = {}
    with pytest.MonkeyPatch.context() as mp:
        if "EVALMEET_ENV" not in os.environ:  # a test may ask for another (production, say)
            mp.setenv("EVALMEET_ENV", "testing")
        app = create_app(config)
    with app.app_context():
        fresh_metadata().create_all(db.engine)
    return app


class SharedApp:
    """One app for the test process, pointed at each test's own database and instance folder.

    Building an app costs more than most tests (its URL map, and every template compiled
    again); what a test can change is made fresh for each one instead: the database engine and
    its sessions, the config, the guessing limits, and the Socket.IO server (rooms, clients).
    """

    def __init__(self, folder: Any) -> None:
        self.app = make_test_app(f"sqlite:///{folder / 'unused.db'}", folder / "instance")
        self.config = dict(self.app.config)
        # What Socket.IO wrapped: each test gets a new server around the same Flask app.
        self.inner_wsgi = self.app.wsgi_app.wsgi_app  # type: ignore[attr-defined]
        self.socketio_options = dict(socketio.server_options)

    def prepare(self, url: str, instance: Any) -> Flask:
        """The app, on ``url`` and ``instance``, with nothing left from the test before."""
        app = self.app
        app.config.clear()
        app.config.update(self.config, DATABASE_URL=url, INSTANCE_PATH=str(instance))
        app.instance_path = str(private_files.private_dir(instance))
        db.bind(app)
        guessing.init_app(app)
        app.wsgi_app = self.inner_wsgi  # type: ignore[method-assign]
        socketio.server_options = dict(self.socketio_options)
        init_realtime(app)
        accounts.use_fast_hashes(True)
        return app


@pytest.fixture(scope="session")
def _shared_app(tmp_path_factory: pytest.TempPathFactory) -> SharedApp:
    return SharedApp(tmp_path_factory.mktemp("shared-app"))


@pytest.fixture
def app(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Any, _shared_app: SharedApp
) -> Iterator[Flask]:
    """The app under test: the process's shared app on this test's own database and folder;
    a new one for a test marked ``fresh_app`` (it adds a route, say)."""
    if request.node.get_closest_marker("fresh_app"):
        app = make_test_app(db_url, tmp_path / "instance")
    else:
        app = _shared_app.prepare(db_url, tmp_path / "instance")
    yield from released_after(app)


def released_after(app: Flask) -> Iterator[Flask]:
    """For an app fixture: yield ``app``, then drop its sessions and database connections."""
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session inside an app context (services take it as their first argument)."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client."""
    return app.test_client()


class ApiClient:
    """Drives ``/api/v1`` as an outside integrator: JSON and a Bearer token."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, json: Any = None, **kw: Any) -> Any:
        if not path.startswith("/"):
            path = "/api/v1/" + path
        headers = self._headers(kw.pop("headers", None))
        return self.client.open(path, method=method, json=json, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


def make_account(app: Flask, username: str, role: str, password: str = "correct horse") -> str:
    """Create an account and return a fresh API token for it."""
    with app.app_context():
        fields = parse(AccountCreate, {"username": username, "role": role, "password": password})
        accounts.create_user(db.session, fields)
        token = accounts.create_token(db.session, username).value
        db.session.commit()
    return token


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> ApiClient:
    """An API client authenticated as a moderator."""
    return ApiClient(client, make_account(app, "mod", "moderator"))


@pytest.fixture
def viewer_api(app: Flask) -> ApiClient:
    """An API client authenticated as a viewer."""
    return ApiClient(app.test_client(), make_account(app, "viewer", "viewer"))


@pytest.fixture
def anon_api(app: Flask) -> ApiClient:
    """An API client without credentials."""
    return ApiClient(app.test_client(), None)


@pytest.fixture
def login(app: Flask, client: FlaskClient) -> Any:
    """``login(role)`` logs the browser client in as a new account of that role."""

    def do(role: str = "moderator", username: str | None = None) -> FlaskClient:
        username = username or f"{role}-user"
        make_account(app, username, role, "correct horse")
        token = csrf_token(client)
        response = client.post(
            "/login", data={"username": username, "password": "correct horse", "csrf_token": token}
        )
        assert response.status_code == 302, response.data
        return client

    return do


_csrf_tokens: dict[tuple[Any, str], str] = {}


def _session_csrf_secret(client: FlaskClient) -> str | None:
    """The raw CSRF secret in the client's session cookie (what a form token is signed from)."""
    with client.session_transaction() as sess:
        secret = sess.get("csrf_token")
    return secret if isinstance(secret, str) else None


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, as the login page's form carries it.

    The page is fetched once per session secret: a form token only depends on that secret and
    the app's key (no time limit), so the one read from the page stays valid until the session
    gets a new secret (after a login, say), when the page is fetched again.
    """
    import re

    key = client.application.secret_key
    secret = _session_csrf_secret(client)
    if secret is not None and (key, secret) in _csrf_tokens:
        return _csrf_tokens[key, secret]
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf token on the login page"
    secret = _session_csrf_secret(client)
    assert secret is not None, "the login page left no CSRF secret in the session"
    _csrf_tokens[key, secret] = match.group(1)
    return match.group(1)


# --- factories --------------------------------------------------------------------------------

from tests.factories import *  # noqa: E402,F401,F403
