"""The smoke suite's server: the real ``evalmeet serve``, set up as the README does it.

One server per test session (package scope): ``evalmeet db upgrade``, accounts made with
``evalmeet create-user`` and ``evalmeet ensure-admin``, ``evalmeet demo``, then ``evalmeet serve``
and the history of :mod:`tests.smoke.world` made over HTTP and the live channel.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from werkzeug.routing import Map

from tests.server import MODERATOR, MODERATOR_PASSWORD, LiveServer
from tests.smoke.suite import Smoke
from tests.smoke.world import build_world

VIEWER_PASSWORD = "viewer password 2026"


@cache
def app_url_map() -> Map:
    """The app's URL rules, read from an app built in this process (it serves nothing)."""
    from evalmeet import create_app
    from evalmeet.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "url-map-only",
                "INSTANCE_PATH": folder,
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'unused.db'}",
            }
        )
        with app.app_context():
            db.engine.dispose()
        return app.url_map


@pytest.fixture(scope="package")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Smoke]:
    """The running server with its history, and a browser per role and language."""
    server = LiveServer(tmp_path_factory.mktemp("smoke") / "server")
    server.cli("db", "upgrade")
    suite: Smoke | None = None
    try:
        # As `make run` does (demo, ensure-admin, serve), plus the other accounts, made with the
        # CLI; the commands work on the database of a running server, so they go side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            started = pool.submit(server.start)
            demo = pool.submit(server.cli, "demo")
            admin = server.cli("ensure-admin")
            server.token = server.create_user(MODERATOR, "moderator", MODERATOR_PASSWORD)
            server.create_user("viewer", "viewer", VIEWER_PASSWORD, token=False)
            started.result()
        password = re.search(r"with password (\S+)", admin)
        assert password, f"ensure-admin printed no password: {admin!r}"
        accounts = {
            "admin": ("admin", password.group(1)),
            "moderator": (MODERATOR, MODERATOR_PASSWORD),
            "viewer": ("viewer", VIEWER_PASSWORD),
        }
        suite = Smoke(server, app_url_map(), accounts)
        suite.begin("")
        phone = suite.browsers["phone", "zh"] = suite.new_browser("phone", "zh")  # joins in build_world
        suite.world = build_world(suite.factory, demo.result(), suite.moderator("zh"), phone)
        suite.setup_problems = suite.finish()
        yield suite
    finally:
        if suite is not None:
            suite.close()
        server.stop()
        server.session.close()
