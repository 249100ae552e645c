"""After close nobody — not even a reader of the raw database — can link a person to a choice."""

from __future__ import annotations

import os
import random
import re
import sqlite3
from collections import Counter

import pytest
from sqlalchemy import select, text

from evalmeet.db import scrub_sqlite_wal
from evalmeet.extensions import db
from evalmeet.models import Ballot, Participation
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.conftest import both_databases
from tests.factories import ballot
from tests.statements import statements_run

CHOICES = ["satisfied", "basically_satisfied", "dissatisfied"]


def run_vote(session, live, pattern):
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for n, (rep, choice) in enumerate(zip(live.reps, pattern, strict=False)):
        voting.cast_ballot(session, rep, ballot(item.id, choice, f"secret-key-{n:04d}-abcdefgh"))
        session.commit()
    return item


def test_sqlite_file_has_no_link_after_close(app, session, meeting_factory, tmp_path):
    live = meeting_factory(reps=30)
    # A pattern that would be obvious if insertion order survived: first half satisfied.
    pattern = ["satisfied"] * 15 + ["dissatisfied"] * 15
    item = run_vote(session, live, pattern)
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    session.close()
    scrub_sqlite_wal(db.engine)
    db.engine.dispose()

    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    raw = sqlite3.connect(path)
    # No rowid to recover insertion order from.
    with pytest.raises(sqlite3.OperationalError):
        raw.execute("SELECT rowid FROM ballots").fetchall()
    ballot_cols = [r[1] for r in raw.execute("PRAGMA table_info(ballots)")]
    # rater_group: the voter's group while the round is open (it weighs the tally), null after.
    assert sorted(ballot_cols) == ["choice", "id", "item_id", "rater_group", "receipt", "vote_round"]
    assert raw.execute("SELECT count(*) FROM ballots WHERE rater_group IS NOT NULL").fetchone() == (0,)
    part_cols = [r[1] for r in raw.execute("PRAGMA table_info(participations)")]
    assert "choice" not in part_cols and "receipt" not in part_cols
    # Physical order (a plain scan) is not the casting order.
    scanned = [r[0] for r in raw.execute("SELECT choice FROM ballots")]
    assert Counter(scanned) == Counter(pattern)
    assert scanned != pattern
    # Ballot ids are random hex, not sequential; no value appears in both tables.
    ballot_values = {v for row in raw.execute("SELECT id, receipt FROM ballots") for v in row}
    part_values = {v for row in raw.execute("SELECT id, key_hash FROM participations") for v in row}
    assert ballot_values.isdisjoint(part_values)
    ids = [r[0] for r in raw.execute("SELECT id FROM ballots")]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    raw.close()
    # The write-ahead log was folded in and truncated: no commit-ordered copy of the pages.
    wal_file = path + "-wal"
    assert not os.path.exists(wal_file) or os.path.getsize(wal_file) == 0
    # Deleted (pre-shuffle) rows were overwritten: the old ballot ids are nowhere in the file.
    with open(path, "rb") as fh:
        blob = fh.read()
    assert blob.count(b"secret-key") == 0  # keys are never stored, only hashes


def test_close_writes_one_shuffled_batch(session, meeting_factory):
    """Ballot ids change at close, and the new order is independent of the casting order."""
    live = meeting_factory(reps=20)
    item = run_vote(session, live, [random.choice(CHOICES) for _ in range(20)])
    before = list(session.scalars(select(Ballot.receipt).where(Ballot.item_id == item.id)))
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    after = list(session.scalars(select(Ballot.receipt).where(Ballot.item_id == item.id)))
    assert sorted(before) == sorted(after)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_xmin_and_ctid_do_not_link(session, meeting_factory):
    live = meeting_factory(reps=12)
    pattern = ["satisfied"] * 6 + ["dissatisfied"] * 6
    item = run_vote(session, live, pattern)
    ballot_xmins_open = {
        r[0]
        for r in session.execute(text("SELECT xmin::text FROM ballots WHERE item_id = :i"), {"i": item.id})
    }
    part_xmins = {
        r[0]
        for r in session.execute(
            text("SELECT xmin::text FROM participations WHERE item_id = :i"), {"i": item.id}
        )
    }
    assert ballot_xmins_open == part_xmins  # while open, the operator is trusted (documented)
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    rows = session.execute(
        text("SELECT xmin::text, choice FROM ballots WHERE item_id = :i ORDER BY ctid"), {"i": item.id}
    ).all()
    xmins = {r[0] for r in rows}
    assert len(xmins) == 1 and xmins.isdisjoint(part_xmins)
    assert Counter(r[1] for r in rows) == Counter(pattern)
    assert [r[1] for r in rows] != pattern


@both_databases
def test_close_runs_a_fixed_number_of_statements(app, session, meeting_factory):
    counts = {}
    for reps in (3, 40):
        live = meeting_factory(reps=reps)
        item = run_vote(session, live, [CHOICES[n % 3] for n in range(reps)])
        with statements_run(db.engine) as statements:
            rounds.close_voting(session, item.id, "mod")
            session.commit()
        counts[reps] = len(statements)
        assert session.scalar(select(Participation.id).where(Participation.item_id == item.id)) is not None
    assert counts[3] == counts[40], counts


def test_sqlite_file_keeps_no_group_beside_a_rating_sheet_after_close(app, session, meeting_factory):
    """Rater groups weigh the tally while a round is open; after close the raw file holds no
    ballot with its group (a small group's members would otherwise be narrowed to their sheets)."""
    groups = [
        {"key": "grpworkers", "label": "职工代表", "weight": "1/2"},
        {"key": "grpleaders", "label": "班子成员", "weight": "1/2"},
    ]
    criteria = [{"key": "de", "label": "德"}, {"key": "neng", "label": "能"}]
    live = meeting_factory(
        reps=6, group_of=["grpworkers"] * 3 + ["grpleaders"] * 3, groups=groups, criteria=criteria
    )
    item = live.items[0]
    rounds.open_voting(session, item.id, "mod")
    session.commit()
    for n, rep in enumerate(live.reps):
        sheet = {"de": "satisfied", "neng": "dissatisfied" if n < 3 else "basically_satisfied"}
        voting.cast_ballot(session, rep, ballot(item.id, sheet, f"secret-key-{n:04d}-abcdefgh"))
        session.commit()
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    sheet_then_group = re.compile(rb"de=\w+,neng=\w+.{0,48}?grp(workers|leaders)", re.DOTALL)

    def on_disk() -> bytes:
        from pathlib import Path

        return b"".join(Path(f).read_bytes() for f in (path, path + "-wal") if os.path.exists(f))

    assert sheet_then_group.search(on_disk())  # while open, the rows carry it (the check can fail)
    rounds.close_voting(session, item.id, "mod")
    session.commit()
    session.close()
    scrub_sqlite_wal(db.engine)
    db.engine.dispose()
    blob = on_disk()
    assert blob.count(b"de=satisfied,neng=") >= 6  # the sheets are there, shuffled
    assert not sheet_then_group.search(blob)
