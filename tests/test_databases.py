"""The suite's own database helpers (tests/databases.py, tests/server.py) on PostgreSQL: what a
test gets must be what a new schema, or the three bootstrap commands, would have given it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from evalmeet.migrations import head_revision
from evalmeet.models import Account, ApiToken, Meeting
from evalmeet.schemas.accounts import AccountCreate
from evalmeet.services.accounts import users as accounts
from tests.databases import SharedPostgres, drop_postgres_schema, postgres_schema_url
from tests.server import MODERATOR, LiveServer, copy_bootstrapped_postgres


def test_a_cleaned_schema_is_empty_and_its_ids_start_at_one(_postgres: Callable[[], SharedPostgres]) -> None:
    url = _postgres().clean()
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            session.add_all([Meeting(title="一"), Meeting(title="二")])
            session.commit()
        _postgres().clean()
        with Session(engine) as session:
            assert session.scalars(select(Meeting)).all() == []
            again = Meeting(title="三")
            session.add(again)
            session.commit()
            assert again.id == 1
    finally:
        engine.dispose()


def test_a_copied_bootstrap_has_the_moderator_and_moves_its_ids_on(tmp_path: Path) -> None:
    url = postgres_schema_url()
    engine = create_engine(url)
    try:
        token = copy_bootstrapped_postgres(url)
        with Session(engine) as session:
            moderator = session.scalars(select(Account)).one()
            assert (moderator.username, moderator.role) == (MODERATOR, "moderator")
            assert session.scalars(select(ApiToken)).one().account_id == moderator.id
            assert accounts.account_for_token(session, token) is moderator
            other = accounts.create_user(
                session, AccountCreate(username="amy", role="viewer", password="x" * 12)
            ).value
            session.commit()
            assert other.id == moderator.id + 1  # the identity went on from the copied row
        # The server starts on it as on a schema the commands made: nothing left to migrate.
        server = LiveServer(tmp_path / "server", {"EVALMEET_DATABASE_URL": url})
        assert head_revision() in server.cli("db", "current")
    finally:
        engine.dispose()
        drop_postgres_schema(url)
