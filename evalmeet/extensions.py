"""Flask extensions, created unbound and bound in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, scoped_session

from evalmeet.db import SQLITE_BUSY_TIMEOUT_MS, SQLITE_LOCK_WAIT_MS, make_engine, make_session_factory
from evalmeet.wal_scrub import scrubber_for


class Database:
    """One engine and a request-scoped session, removed when the app context ends."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._session: scoped_session[Session] | None = None

    def init_app(self, app: Flask) -> None:
        """Bind to ``app``: create its engine and session registry."""
        self.bind(app)
        app.teardown_appcontext(self._remove)

    def bind(self, app: Flask) -> None:
        """A new engine and session registry for ``app.config["DATABASE_URL"]`` (init_app; the
        test suite's shared app, moved to each test's database)."""
        if self._engine is not None:
            self._engine.dispose()
        self._engine = make_engine(
            app.config["DATABASE_URL"],
            busy_timeout_ms=int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS)),
            lock_wait_ms=int(app.config.get("SQLITE_LOCK_WAIT_MS", SQLITE_LOCK_WAIT_MS)),
        )
        # The WAL scrub's retries run as a Socket.IO background task (a greenlet under gevent),
        # looked up when needed: socketio is bound to the app after the database.
        scrubber_for(
            self._engine,
            spawn=lambda work: _socketio().start_background_task(work),
            sleep=lambda seconds: _socketio().sleep(seconds),
        )
        # The default scope is thread-local; gevent's monkey-patching makes it greenlet-local.
        self._session = scoped_session(make_session_factory(self._engine))

    def _remove(self, _exc: BaseException | None = None) -> None:
        if self._session is not None:
            self._session.remove()

    @property
    def engine(self) -> Engine:
        """The bound engine."""
        assert self._engine is not None, "Database.init_app was not called"
        return self._engine

    @property
    def session(self) -> Any:
        """The current scoped session (a ``Session`` proxy)."""
        assert self._session is not None, "Database.init_app was not called"
        return self._session


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

if TYPE_CHECKING:
    from flask_socketio import SocketIO

    socketio: SocketIO


def _socketio() -> SocketIO:
    """The Socket.IO extension, made (and python-socketio imported) on first use: a command that
    only touches the database (``evalmeet create-token``, say) never loads the live channel's
    libraries, a third of its start-up time."""
    made = globals().get("socketio")
    if made is None:
        from flask_socketio import SocketIO

        made = globals()["socketio"] = SocketIO()
    return made


def __getattr__(name: str) -> Any:
    """``from evalmeet.extensions import socketio`` makes it (see :func:`_socketio`)."""
    if name == "socketio":
        return _socketio()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
