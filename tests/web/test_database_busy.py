"""Another process holds SQLite's write lock: pages and the API answer a clear 503 "busy, try
again" (translated), never a 500; the wait is bounded and shared; once the lock goes, all works.

The event loop staying free meanwhile (static files, other greenlets) shows only under gevent:
``tests/e2e/test_database_busy_live.py`` checks it through the real server.
"""

from __future__ import annotations

import threading
import time

import pytest

from evalmeet.db import SQLITE_BUSY_TIMEOUT_MS
from evalmeet.extensions import db
from tests.conftest import ApiClient, make_account, make_test_app
from tests.sqlite_files import WriteLock

LOCK_WAIT_MS = 400


@pytest.fixture
def app(tmp_path):
    """The app of this module (the conftest fixtures build on it): a short lock deadline."""
    app = make_test_app(
        f"sqlite:///{tmp_path / 'busy.db'}", tmp_path / "instance", SQLITE_LOCK_WAIT_MS=LOCK_WAIT_MS
    )
    app.config["DB_FILE"] = tmp_path / "busy.db"
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def busy_app(app):
    return app


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_page_answers_503_in_chinese_then_works_again(busy_app):
    client = busy_app.test_client()
    assert client.get("/public").status_code == 200
    with WriteLock(busy_app.config["DB_FILE"]) as lock:
        page, took = timed(lambda: client.get("/public"))
        assert page.status_code == 503, page.get_data(as_text=True)[:300]
        text = page.get_data(as_text=True)
        assert "数据库正忙，请稍后再试。" in text and "temporarily_unavailable" in text
        assert "系统繁忙" in text  # the heading
        assert page.headers["Retry-After"] == "2"
        # It waited for the lock (cooperatively), but no longer than the configured deadline.
        assert LOCK_WAIT_MS / 1000 * 0.8 <= took < LOCK_WAIT_MS / 1000 + 1.0
        english = client.get("/public?lang=en")
        assert english.status_code == 503
        assert "The database is busy. Please try again in a moment." in english.get_data(as_text=True)
        lock.release()
    assert client.get("/public").status_code == 200


def test_the_api_answers_503_json_and_a_logged_in_page_too(busy_app, login):
    browser = login("moderator")
    api = ApiClient(busy_app.test_client(), make_account(busy_app, "mod", "moderator"))
    assert api.get("meetings").status_code == 200
    with WriteLock(busy_app.config["DB_FILE"]) as lock:
        answer = api.get("meetings")
        assert answer.status_code == 503
        assert answer.get_json()["error"]["code"] == "temporarily_unavailable"
        assert answer.get_json()["error"]["message"] == "数据库正忙，请稍后再试。"
        created = api.post("meetings", {"title": "锁住时新建的会"})
        assert created.status_code == 503
        # Loading the logged-in account is itself a query: still a page, not a 500.
        page = browser.get("/meetings")
        assert page.status_code == 503 and "数据库正忙" in page.get_data(as_text=True)
        lock.release()
    assert api.post("meetings", {"title": "锁放开后新建的会"}).status_code == 201
    titles = [m["title"] for m in api.get("meetings").get_json()]
    assert "锁放开后新建的会" in titles and "锁住时新建的会" not in titles
    assert browser.get("/meetings").status_code == 200


def test_the_wait_is_shared_while_the_lock_stays(busy_app):
    client = busy_app.test_client()
    with WriteLock(busy_app.config["DB_FILE"]):
        first, waited = timed(lambda: client.get("/public"))
        # The next requests do not each wait the whole deadline again (a queue of them would
        # otherwise take n times as long): once it is known busy, they give up at once.
        later = [timed(lambda: client.get("/public")) for _ in range(3)]
    assert first.status_code == 503 and waited >= LOCK_WAIT_MS / 1000 * 0.8
    assert all(r.status_code == 503 and t < 0.2 for r, t in later), [t for _r, t in later]
    # Once the lock goes, the next request waits again if it meets a new one.
    assert client.get("/public").status_code == 200


def test_a_lock_released_during_the_wait_lets_the_request_through(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "instance", SQLITE_LOCK_WAIT_MS=5000)
    client = app.test_client()
    with WriteLock(tmp_path / "b.db") as lock:
        # a thread that sleeps, not threading.Timer: under libfaketime (make test-clock) a
        # Timer's timed wait never ends, and the lock was never let go
        threading.Thread(target=lambda: (time.sleep(0.3), lock.release()), daemon=True).start()
        page, took = timed(lambda: client.get("/public"))
    assert page.status_code == 200
    assert 0.25 <= took < 2.0
    with app.app_context():
        db.engine.dispose()


def test_sqlite_itself_never_sleeps_long_on_a_lock(busy_app):
    # SQLite's busy handler sleeps inside C, where no greenlet runs: it is kept tiny.
    assert SQLITE_BUSY_TIMEOUT_MS <= 20
    with busy_app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_other_sqlite_errors_are_still_internal_errors(busy_app, caplog):
    # "no such table" is an OperationalError too, but a bug, not a busy database.
    from sqlalchemy import text

    @busy_app.get("/broken-query")
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    answer = busy_app.test_client().get("/broken-query", headers={"Accept": "application/json"})
    assert answer.status_code == 500 and answer.get_json()["error"]["code"] == "internal_error"
