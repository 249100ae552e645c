"""The real server (``evalmeet serve``): a hall behind one address keeps joining while that
address guesses links, a slowed guess does not hold anyone else up, and ending sessions and
tokens (logout, ``evalmeet revoke-tokens``) takes effect on the running server at once."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.helpers_login import form_login
from tests.server import BIN, MODERATOR, LiveServer, live_server

pytestmark = pytest.mark.server

NS = "/live"
DELAY = 1.5  # EVALMEET_LINK_MISS_DELAY for this server
THRESHOLD = 20


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def a_live_meeting(srv: LiveServer, reps: int) -> list[str]:
    """Start a meeting with ``reps`` representatives; their join tokens."""
    meeting = srv.api("POST", "meetings", {"title": "猜测测试会"}).json()
    tokens = []
    for n in range(reps):
        rep = srv.api(
            "POST", f"meetings/{meeting['id']}/representatives", {"name": f"代表{n}", "employee_no": f"E{n}"}
        ).json()
        tokens.append(rep["join_token"])
    srv.api(
        "POST",
        f"meetings/{meeting['id']}/items",
        {"title": "采购项目", "responsible_person": {"name": "采购员"}},
    )
    assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200
    return tokens


def join(srv: LiveServer, token: str) -> requests.Response:
    return requests.get(f"{srv.url}/j/{token}", allow_redirects=False, timeout=30)


def socket_refusal(srv: LiveServer, auth: dict[str, str]) -> dict[str, Any]:
    """Connect with ``auth`` expecting a refusal; the connect_error's payload."""
    client = socketio.Client(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append, namespace=NS)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(srv.url, namespaces=[NS], auth=auth, transports=["websocket"], wait_timeout=20)
    client.disconnect()
    assert errors, "no connect_error"
    return dict(errors[-1])


def test_a_hall_behind_one_address_joins_at_once_while_that_address_guesses(tmp_path: Path) -> None:
    with live_server(tmp_path, env={"EVALMEET_LINK_MISS_DELAY": str(DELAY)}) as srv:
        tokens = a_live_meeting(srv, reps=4)
        for n in range(THRESHOLD):  # every request here comes from 127.0.0.1, like a NAT'd hall
            response, took = timed(lambda n=n: join(srv, f"guessed-{n:04d}-xxxxxxxxxxxxxxxxxx"))
            assert response.status_code == 404 and took < DELAY

        slowed: dict[str, Any] = {}

        def guess() -> None:
            slowed["response"], slowed["took"] = timed(lambda: join(srv, "guessed-9999-xxxxxxxxxxxxxxxxxx"))

        guesser = threading.Thread(target=guess)
        guesser.start()
        time.sleep(0.3)  # the guess is now waiting on the server
        valid, took = timed(lambda: join(srv, tokens[0]))
        assert guesser.is_alive()  # still waiting, while the valid link got in
        guesser.join(10)

        assert valid.status_code == 302 and valid.headers["Location"].endswith("/phone") and took < 1.0
        assert slowed["response"].status_code == 429 and slowed["took"] >= DELAY
        assert int(slowed["response"].headers["Retry-After"]) >= 1
        assert "无效链接过多" in slowed["response"].text

        refused, took = timed(lambda: socket_refusal(srv, {"token": "guessed-socket-xxxxxxxxxxxxxxxx"}))
        assert refused["data"]["code"] == "too_many_attempts" and took >= DELAY
        phone = socketio.Client(reconnection=False)
        states: list[Any] = []
        phone.on("state", states.append, namespace=NS)
        _, took = timed(
            lambda: phone.connect(
                srv.url, namespaces=[NS], auth={"token": tokens[1]}, transports=["websocket"], wait_timeout=20
            )
        )
        deadline = time.monotonic() + 10
        while not states and time.monotonic() < deadline:
            time.sleep(0.05)
        phone.disconnect()
        assert took < 1.0 and states and states[0]["attendance"]["present"] == 2
        assert all(join(srv, t).status_code == 302 for t in tokens[2:])


def test_logout_and_revoke_tokens_end_access_on_the_running_server(tmp_path: Path) -> None:
    with live_server(tmp_path) as srv:
        browser = form_login(srv)
        cookie = browser.cookies.get("session")
        page = browser.get(f"{srv.url}/meetings", timeout=10)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert page.status_code == 200 and csrf
        thief = requests.Session()
        thief.headers["User-Agent"] = browser.headers["User-Agent"]  # the same browser, replayed
        thief.cookies.set("session", cookie)
        assert thief.get(f"{srv.url}/meetings", allow_redirects=False, timeout=10).status_code == 200

        assert browser.post(f"{srv.url}/logout", data={"csrf_token": csrf[1]}, timeout=10).status_code == 200

        replayed = thief.get(f"{srv.url}/meetings", allow_redirects=False, timeout=10)
        headers = {"X-CSRFToken": csrf[1]}
        api = thief.post(f"{srv.url}/api/v1/meetings", json={"title": "planted"}, headers=headers, timeout=10)
        assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
        assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"

        assert srv.api("GET", "meetings").status_code == 200
        revoked = subprocess.run(
            [str(BIN / "evalmeet"), "revoke-tokens", MODERATOR],
            env=srv.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (revoked.returncode, revoked.stdout) == (0, "1\n"), revoked.stderr
        assert srv.api("GET", "meetings").status_code == 401
