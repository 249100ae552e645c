"""`evalmeet backup` while a meeting is live: the copy is consistent, restores, and its audit
chain verifies."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
import socketio

from tests.server import BIN, live_server

pytestmark = pytest.mark.server
NS = "/live"


def test_backup_during_live_voting_restores_and_verifies(tmp_path):
    with live_server(tmp_path) as srv:
        meeting = srv.api("POST", "meetings", {"title": "备份测试", "quorum": "1/10"}).json()
        tokens = [
            srv.api(
                "POST", f"meetings/{meeting['id']}/representatives", {"name": f"r{n}", "employee_no": str(n)}
            ).json()["join_token"]
            for n in range(12)
        ]
        item = srv.api(
            "POST", f"meetings/{meeting['id']}/items", {"title": "备件", "responsible_person": {"name": "李"}}
        ).json()
        srv.api("POST", f"meetings/{meeting['id']}/start")
        phones = []
        for token in tokens:
            client = socketio.Client(reconnection=False)
            client.connect(
                srv.url, namespaces=[NS], auth={"token": token}, transports=["websocket"], wait_timeout=20
            )
            phones.append(client)
        assert srv.api("POST", f"items/{item['id']}/voting/open").status_code == 200

        acked: list[str] = []
        lock = threading.Lock()

        def vote(client):
            answer = client.call(
                "cast_vote",
                {"item_id": item["id"], "choice": "satisfied", "key": secrets.token_hex(16)},
                namespace=NS,
                timeout=20,
            )
            assert answer["ok"], answer
            with lock:
                acked.append(answer["receipt"])

        voters = [threading.Thread(target=vote, args=(p,)) for p in phones]
        for t in voters:
            t.start()
        backup = tmp_path / "backup.db"
        env = srv.command_env()
        done = subprocess.run(
            [str(BIN / "evalmeet"), "backup", str(backup)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for t in voters:
            t.join(30)
        for p in phones:
            p.disconnect()
        assert done.returncode == 0, done.stderr
        assert len(acked) == 12

        # The copy is a consistent snapshot: every ballot in it has its participation, and the
        # ballots it holds are a subset of those acked.
        with sqlite3.connect(backup) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            ballots = conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
            parts = conn.execute("SELECT count(*) FROM participations").fetchone()[0]
            assert ballots == parts <= 12

        # Restore: stop the server, put the backup in place, start again.
        srv.stop()
        live_db = srv.db_url.removeprefix("sqlite:///")
        for suffix in ("-wal", "-shm"):
            Path(live_db + suffix).unlink(missing_ok=True)
        shutil.copyfile(backup, live_db)
        verify = subprocess.run(
            [str(BIN / "evalmeet"), "audit", "verify"], env=env, capture_output=True, text=True, timeout=60
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert verify.stdout.startswith("ok:")
        srv.start()
        restored = srv.api("GET", f"meetings/{meeting['id']}").json()
        assert restored["status"] == "live" and restored["items"][0]["status"] == "voting"
        result = srv.api("POST", f"items/{item['id']}/voting/close").json()
        assert result["ballots"] == ballots
