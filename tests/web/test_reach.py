"""Join links that phones can open: the LAN address when the page was opened on loopback, and an
unmissable warning with the fix when there is no such address to use."""

from __future__ import annotations

import re
import socket
from typing import Any

import psutil
import pytest
from flask import Flask
from flask.testing import FlaskClient

from evalmeet.web import reach


@pytest.fixture
def mod(login: Any) -> FlaskClient:
    return login("moderator")


@pytest.fixture
def draft(meeting_factory: Any) -> Any:
    return meeting_factory(reps=2, items=1, start=False)


def slip_links(page: str) -> list[str]:
    return re.findall(r'<p class="slip-link"><a href="([^"]+)">', page)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("app.localhost", True),
        ("[::1]", True),
        ("::1", True),
        ("192.168.1.20", False),
        ("10.0.0.5", False),
        ("vote.example.com", False),
        ("[fe80::1]", False),
    ],
)
def test_loopback_names_and_addresses(host: str, loopback: bool) -> None:
    assert reach.is_loopback(host) is loopback


def test_lan_addresses_are_this_machines_non_loopback_ipv4_addresses() -> None:
    found = reach.lan_addresses()
    real = {
        entry.address
        for entries in psutil.net_if_addrs().values()
        for entry in entries
        if entry.family == socket.AF_INET
    }
    assert set(found) <= real
    assert all(not a.startswith("127.") and not a.startswith("169.254.") for a in found)
    assert "127.0.0.1" in real and "127.0.0.1" not in found


def test_url_for_address_leaves_out_default_ports() -> None:
    assert reach.url_for_address("192.168.1.20", 5000) == "http://192.168.1.20:5000"
    assert reach.url_for_address("192.168.1.20", 80) == "http://192.168.1.20"
    assert reach.url_for_address("fd00::5", 443, "https") == "https://[fd00::5]"


def test_served_on_every_interface_slips_carry_the_lan_address(
    mod: FlaskClient, app: Flask, draft: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach, "lan_addresses", lambda: ["192.168.1.20", "10.8.0.3"])
    app.config.update(SERVE_HOST="0.0.0.0", SERVE_PORT=5000, PUBLIC_URL=None)
    page = mod.get(f"/meetings/{draft.id}/slips").get_data(as_text=True)
    assert slip_links(page) == [f"http://192.168.1.20:5000/j/{rep.join_token}" for rep in draft.reps]
    assert "reach-warning" not in page


def test_served_on_loopback_only_the_slips_page_warns_with_the_fix(
    mod: FlaskClient, app: Flask, draft: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reach, "lan_addresses", lambda: ["192.168.1.20"])
    app.config.update(SERVE_HOST="127.0.0.1", SERVE_PORT=5000, PUBLIC_URL=None)
    page = mod.get(f"/meetings/{draft.id}/slips").get_data(as_text=True)
    assert slip_links(page)[0].startswith("http://localhost/j/")
    assert 'class="reach-warning" role="alert"' in page
    assert "手机无法打开这些二维码" in page
    assert "make run HOST=0.0.0.0" in page
    assert "http://192.168.1.20:5000" in page
    english = mod.get(f"/meetings/{draft.id}/slips?lang=en")
    assert "Phones cannot open these QR codes" in english.get_data(as_text=True)


def test_a_public_url_is_used_as_it_is_and_raises_no_warning(
    mod: FlaskClient, app: Flask, draft: Any
) -> None:
    app.config.update(SERVE_HOST="127.0.0.1", SERVE_PORT=5000, PUBLIC_URL="https://vote.example.com/")
    page = mod.get(f"/meetings/{draft.id}/slips").get_data(as_text=True)
    assert slip_links(page)[0].startswith("https://vote.example.com/j/")
    assert "reach-warning" not in page


def test_a_public_url_on_loopback_still_warns(mod: FlaskClient, app: Flask, draft: Any) -> None:
    app.config.update(SERVE_HOST="0.0.0.0", SERVE_PORT=5000, PUBLIC_URL="http://localhost:5000")
    page = mod.get(f"/meetings/{draft.id}/slips").get_data(as_text=True)
    assert "reach-warning" in page


def test_opened_through_the_lan_address_the_links_keep_it(app: Flask) -> None:
    app.config.update(SERVE_HOST="0.0.0.0", SERVE_PORT=5000, PUBLIC_URL=None, SERVER_NAME=None)
    with app.test_request_context("/meetings/1/slips", base_url="http://192.168.1.20:5000"):
        base = reach.join_base()
    assert base.url == "http://192.168.1.20:5000"
    assert base.reachable


def test_join_base_is_worked_out_once_per_request(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counted() -> list[str]:
        calls.append(1)
        return ["192.168.1.20"]

    monkeypatch.setattr(reach, "lan_addresses", counted)
    app.config.update(SERVE_HOST="0.0.0.0", SERVE_PORT=5000, PUBLIC_URL=None)
    with app.test_request_context("/"):
        first = reach.join_base()
        assert reach.join_base() is first
    assert first.url == "http://192.168.1.20:5000"
    assert calls == [1]
