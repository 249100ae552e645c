"""Fixtures for the page tests on the archive seed: a module that defines ``seeded`` (its app
and seed, from ``tests.archive_seed.seeded_database``) gets ``seed`` and ``anon`` from here."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def seed(seeded: tuple[Any, ...]) -> Any:
    """The seed the module's ``seeded`` app holds."""
    return seeded[1]


@pytest.fixture
def anon(seeded: tuple[Any, ...]) -> FlaskClient:
    """A browser that is not logged in, on the module's seeded app."""
    return seeded[0].test_client()
