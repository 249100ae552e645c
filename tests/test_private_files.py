"""Under the usual umask 022 the database (with -wal and -shm), the instance folder, the secret key
and evidence uploads are created readable by their owner only, and looser ones are tightened."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from evalmeet.extensions import db
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import EvidenceUpload
from evalmeet.services.followup import evidence
from tests.conftest import make_test_app
from tests.services.test_followup import PDF, closed_meeting_with_actions


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def test_new_database_files_and_instance_are_owner_only(tmp_path, umask_022):
    instance = tmp_path / "instance"
    db_file = tmp_path / "data" / "evalmeet.db"
    db_file.parent.mkdir()
    app = make_test_app(f"sqlite:///{db_file}", instance, SECRET_KEY=None)
    with app.app_context():
        with db.engine.begin() as conn:  # a write: the -wal and -shm exist now
            conn.execute(text("CREATE TABLE probe (x)"))
        files = sqlite_files(db_file)
        assert all(p.exists() for p in files)
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        db.engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600


def test_looser_files_from_before_are_tightened_at_start(tmp_path, umask_022):
    instance = tmp_path / "instance"
    (instance / "uploads").mkdir(parents=True)
    os.chmod(instance, 0o755)
    os.chmod(instance / "uploads", 0o755)
    old_upload = instance / "uploads" / ("ab" * 24)
    old_upload.write_bytes(PDF)
    os.chmod(old_upload, 0o644)
    db_file = tmp_path / "old.db"
    app = make_test_app(f"sqlite:///{db_file}", tmp_path / "first-instance")
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (x)"))
        db.engine.dispose()
    for p in sqlite_files(db_file):
        if p.exists():
            os.chmod(p, 0o644)
    os.chmod(db_file, 0o644)

    app = make_test_app(f"sqlite:///{db_file}", instance)
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM probe"))
        assert mode(db_file) == 0o600
        assert all(mode(p) == 0o600 for p in sqlite_files(db_file) if p.exists())
        db.engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "uploads") == 0o700
    assert mode(old_upload) == 0o600


def test_evidence_uploads_are_owner_only(app, session, meeting_factory, umask_022):
    _live, made = closed_meeting_with_actions(session, meeting_factory)
    action_id = next(iter(made.values())).id
    folder = Path(app.instance_path) / "uploads"
    assert not folder.exists()
    upload = parse(EvidenceUpload, {"filename": "整改报告.pdf"})
    attachment = evidence.save_attachment(session, action_id, upload, io.BytesIO(PDF), folder, "mod").value
    session.commit()
    assert mode(folder) == 0o700
    assert mode(folder / attachment.stored_name) == 0o600
