"""Fixtures: a fresh app per test on SQLite (or PostgreSQL where a module asks), clients,
sessions, an API client with a Bearer token, and factories.

The app's clock is pinned for every test: each one starts at ``PINNED_AT`` (China time, mid-morning,
years away from the real date) and the clock runs on from there; a test that needs another
instant uses ``clock.pinned(...)``. A forgotten read of the wall clock shows up as a wrong day.

Modules that must run on both databases set ``pytestmark = both_databases``.
PostgreSQL tests use a schema of their own per test process, so parallel runs never collide;
they skip when PostgreSQL is unreachable, unless EVALMEET_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.orm import Session

from evalmeet import create_app
from evalmeet.domain import clock
from evalmeet.extensions import db
from evalmeet.models import Base
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.schemas.base import parse
from evalmeet.services.accounts import users as accounts

POSTGRES_URL = os.environ.get(
    "EVALMEET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("EVALMEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("EVALMEET_REQUIRE_SERVICES") == "1"

both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)

# Wednesday 14 May 2031, 10:30 in China (02:30 UTC): far from midnight in China and in UTC, so
# "today" is the same day in both zones all test long, and nowhere near the real date.
PINNED_AT = datetime(2031, 5, 14, 10, 30, tzinfo=clock.CHINA)


@pytest.fixture(scope="session", autouse=True)
def _pinned_for_the_session() -> Iterator[None]:
    """The pinned clock for session- and module-scoped fixtures (servers, databases made by the CLI).

    EVALMEET_NOW from a developer's shell is dropped: create_app would install it over the pin.
    """
    with pytest.MonkeyPatch.context() as mp, clock.pinned(PINNED_AT):
        mp.delenv("EVALMEET_NOW", raising=False)
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Remember each test's markers for the process check."""
    for item in items:
        _MARKERS[item.nodeid] = {mark.name for mark in item.iter_markers()}


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


def require_service(name: str, reason: str) -> None:
    """Skip (locally) or fail (CI) when a service the test needs is missing."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (EVALMEET_REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


_pg_checked: dict[str, str | None] = {}


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per process)."""
    if "pg" not in _pg_checked:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_checked["pg"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            _pg_checked["pg"] = str(exc).splitlines()[0]
    return _pg_checked["pg"]


def postgres_schema_url() -> str:
    """A URL whose connections use a fresh, empty schema of their own."""
    problem = postgres_available()
    if problem:
        require_service("PostgreSQL", problem)
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def drop_postgres_schema(url: str) -> None:
    """Remove the schema a test made."""
    schema = url.rsplit("%3D", 1)[1]
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """SQLite file by default; ``postgres`` when parametrized so."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgres":
        url = postgres_schema_url()
        yield url
        drop_postgres_schema(url)
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


def make_test_app(db_url: str, instance: Any, **overrides: Any) -> Flask:
    """A fresh app on ``db_url`` with its tables created."""
    config = {
        "TESTING": True,
        "DATABASE_URL": db_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "PROGRESS_INTERVAL": 0.0,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        fresh_metadata().create_all(db.engine)
    return app


def fresh_metadata() -> MetaData:
    """A private copy of the models' tables for each create_all.

    create_all on PostgreSQL adds the meetings ↔ items cycle's foreign key with ALTER and marks the
    shared constraint object as handled, so later SQLite schemas built from the same MetaData
    would silently lack it; a copy per call keeps every schema complete.
    """
    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


@pytest.fixture
def app(db_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The app under test."""
    app = make_test_app(db_url, tmp_path / "instance")
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
        client.get("/login")
        token = csrf_token(client)
        response = client.post(
            "/login", data={"username": username, "password": "correct horse", "csrf_token": token}
        )
        assert response.status_code == 302, response.data
        return client

    return do


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session (from any page that renders a form)."""
    import re

    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf token on the login page"
    return match.group(1)


# --- factories --------------------------------------------------------------------------------

from tests.factories import *  # noqa: E402,F401,F403
