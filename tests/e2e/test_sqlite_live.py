"""The SQLite layer through the real server (``evalmeet serve``, gevent), where it matters:

- a reader process holding the WAL while the vote is closed over the API: once it lets go, the
  files come clean within seconds (the scrub's background retries), and they are owner-only;
- another process holding the write lock: pages and the API answer 503 temporarily_unavailable
  while static files keep coming at once (the event loop never waits inside SQLite), the phone's
  ballot is refused with temporarily_unavailable, and everything works once the lock is gone.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
import requests

from evalmeet.services.voting.ballots import receipt_for
from tests.e2e.test_live_meeting import Screen, new_key, setup_meeting
from tests.server import LiveServer, live_server
from tests.sqlite_files import PinnedReader, WriteLock, files_of, pair_by_first_frame, wal_frames

pytestmark = pytest.mark.server

CHOICES = ["satisfied", "dissatisfied", "basically_satisfied", "satisfied", "dissatisfied", "satisfied"]


def db_file(srv: LiveServer) -> Path:
    return Path(srv.db_url.removeprefix("sqlite:///"))


def read_ids(path: Path, item_id: int) -> tuple[dict[int, str], list[str]]:
    """representative id → participation id, and the ballot ids (a short read, then closed)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT representative_id, id FROM participations WHERE item_id = ?", (item_id,))
        parts = dict(rows.fetchall())
        ballots = [r[0] for r in conn.execute("SELECT id FROM ballots WHERE item_id = ?", (item_id,))]
    finally:
        conn.close()
    return parts, ballots


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)
    return predicate()


def test_a_reader_across_the_close_then_clean_files_within_seconds(tmp_path):
    previous = os.umask(0o022)  # the usual umask: the server inherits it
    try:
        with live_server(tmp_path) as srv:
            meeting_id, roster, (item_id,) = setup_meeting(srv, reps=len(CHOICES))
            phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]
            try:
                assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
                receipts = []
                for phone, choice in zip(phones, CHOICES, strict=True):  # one after another
                    key = new_key()
                    ack = phone.vote(item_id, choice, key)
                    assert ack["ok"] is True, ack
                    assert ack["receipt"] == receipt_for(item_id, 1, key)
                    receipts.append(ack["receipt"])
            finally:
                for phone in phones:
                    phone.close()
            path = db_file(srv)
            parts, old_ballot_ids = read_ids(path, item_id)
            participation_ids = [parts[rep["id"]] for rep in roster]

            with PinnedReader(path) as reader:
                closed = srv.api("POST", f"items/{item_id}/voting/close")
                assert closed.status_code == 200, closed.text
                time.sleep(1.0)  # retries happen meanwhile; none can succeed
                frames = wal_frames(str(path) + "-wal")
                assert pair_by_first_frame(frames, participation_ids, receipts) == dict(
                    zip(participation_ids, receipts, strict=True)
                ), "the reader should have kept the vote's pages in the -wal"
                reader.release()
            released = time.monotonic()
            wal = Path(str(path) + "-wal")
            assert wait_for(lambda: not wal.exists() or wal.stat().st_size == 0, timeout=5), srv.log()
            took = time.monotonic() - released
            files = files_of(path)
            for old_id in old_ballot_ids:
                assert all(old_id.encode() not in blob for blob in files.values()), old_id
            assert srv.api("GET", f"items/{item_id}/result").json()["ballots"] == len(CHOICES)

            log = srv.log()
            assert "write-ahead log not scrubbed after a vote closed" in log
            assert "write-ahead log scrubbed" in log, log
            assert not any(r in log for r in receipts) and "Traceback" not in log
            # Owner-only, although the server runs under umask 022.
            for name, blob_path in (("db", path), ("-wal", wal), ("-shm", Path(str(path) + "-shm"))):
                if blob_path.exists():
                    assert stat.S_IMODE(blob_path.stat().st_mode) == 0o600, name
            assert stat.S_IMODE(srv.instance.stat().st_mode) == 0o700
            print(f"WAL clean {took:.2f} s after the reader let go")
    finally:
        os.umask(previous)


def test_an_outside_write_lock_answers_busy_and_never_freezes_the_loop(tmp_path):
    with live_server(tmp_path, env={"EVALMEET_SQLITE_LOCK_WAIT_MS": "1500"}) as srv:
        _meeting_id, roster, (item_id,) = setup_meeting(srv, reps=3)
        phones = [Screen(srv.url, {"token": rep["join_token"]}) for rep in roster]  # the quorum
        phone = phones[0]
        try:
            assert srv.api("POST", f"items/{item_id}/voting/open").status_code == 200
            assert requests.get(srv.url + "/public", timeout=10).status_code == 200
            key = new_key()
            with WriteLock(db_file(srv)) as lock:
                page: dict[str, requests.Response] = {}
                waiting = threading.Thread(
                    target=lambda: page.setdefault("r", requests.get(srv.url + "/public", timeout=30))
                )
                started = time.monotonic()
                waiting.start()
                time.sleep(0.2)  # the page is now waiting for the lock, inside the server
                static_times = []
                for _ in range(5):
                    t0 = time.monotonic()
                    css = requests.get(srv.url + "/static/css/app.css", timeout=10)
                    static_times.append(time.monotonic() - t0)
                    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
                    time.sleep(0.1)
                waiting.join(30)
                page_took = time.monotonic() - started
                ack = phone.vote(item_id, "satisfied", key)
                api = srv.api("GET", "meetings")
                lock.release()
            # Static files came at once while the page was waiting (the old 5 s busy_timeout
            # slept inside SQLite, and every greenlet with it: 4.5 s for a CSS file).
            assert max(static_times) < 0.5, static_times
            assert page["r"].status_code == 503, page["r"].text[:300]
            assert "数据库正忙，请稍后再试。" in page["r"].text
            assert 1.0 <= page_took < 5.0, page_took
            assert ack["ok"] is False and ack["error"]["code"] == "temporarily_unavailable", ack
            assert api.status_code == 503 and api.json()["error"]["code"] == "temporarily_unavailable"

            # The lock is gone: the same ballot (same key) counts, pages work.
            again = phone.vote(item_id, "satisfied", key)
            assert again["ok"] is True and again["receipt"] == receipt_for(item_id, 1, key), again
            assert requests.get(srv.url + "/public", timeout=10).status_code == 200
            assert srv.api("GET", "meetings").status_code == 200
        finally:
            for each in phones:
                each.close()
        log = srv.log()
        assert "unhandled error" not in log and "internal_error" not in log, log
        # One line each, no traceback (broadcast.py's own failures log theirs).
        assert "database busy or unreachable on GET /public: database is locked" in log
        assert "live event cast_vote: database unavailable: database is locked" in log
        print(f"static files during the lock: {', '.join(f'{t * 1000:.0f} ms' for t in static_times)}")
