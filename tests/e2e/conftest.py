"""Fixtures of the real-server tests: the same test on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import drop_postgres_schema, postgres_schema_url
from tests.server import LiveServer, live_server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The environment of a server on its own SQLite file (nothing to set), or on a fresh
    PostgreSQL schema (the server's startup migrates it; dropped afterwards)."""
    if request.param == "sqlite":
        yield {}
        return
    url = postgres_schema_url()
    try:
        yield {"EVALMEET_DATABASE_URL": url}
    finally:
        drop_postgres_schema(url)


@pytest.fixture
def server(database_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    """The real ``evalmeet serve`` on each database in turn."""
    with live_server(tmp_path, env=database_env) as srv:
        yield srv
