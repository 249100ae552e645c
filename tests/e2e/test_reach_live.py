"""Slips phones can open, as ``make run`` serves them: the real server on every interface (or on
loopback only), no EVALMEET_PUBLIC_URL, the moderator's browser on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalmeet.web.reach import lan_addresses
from tests.helpers_login import form_login
from tests.server import LiveServer

pytestmark = pytest.mark.server


class ServerOn(LiveServer):
    """A LiveServer listening on ``listen`` (the tests still talk to it on 127.0.0.1)."""

    def __init__(self, workdir: Path, listen: str) -> None:
        super().__init__(workdir)
        self.listen = listen
        self.env.pop("EVALMEET_PUBLIC_URL")

    def _command(self) -> list[str]:
        command = super()._command()
        command[command.index("--host") + 1] = self.listen
        return command


def slips_of_a_new_meeting(srv: LiveServer) -> str:
    meeting = srv.api("POST", "meetings", {"title": "入场测试会"}).json()
    srv.api("POST", f"meetings/{meeting['id']}/representatives", {"name": "代表甲", "employee_no": "E1"})
    return form_login(srv).get(f"{srv.url}/meetings/{meeting['id']}/slips", timeout=10).text


def run(tmp_path: Path, listen: str) -> tuple[str, str]:
    srv = ServerOn(tmp_path / "server", listen)
    srv.bootstrap()
    try:
        srv.start()
        page = slips_of_a_new_meeting(srv)
        return page, srv.log()
    finally:
        srv.stop()
        srv.session.close()


def test_on_every_interface_the_slips_carry_a_lan_address_and_the_log_lists_them(tmp_path: Path) -> None:
    lan = lan_addresses()
    page, log = run(tmp_path, "0.0.0.0")
    links = re.findall(r'<p class="slip-link"><a href="([^"]+)">', page)
    assert len(links) == 1
    if lan:  # a machine on a network: phones join at its first LAN address
        port = links[0].split("/")[2].rsplit(":", 1)[1]
        assert links[0].startswith(f"http://{lan[0]}:{port}/j/")
        assert "reach-warning" not in page
        assert f"phones on the same Wi-Fi join at http://{lan[0]}:{port}" in log
    else:  # nothing but loopback: the page says so instead
        assert "reach-warning" in page


def test_on_loopback_only_the_slips_page_and_the_log_say_how_to_fix_it(tmp_path: Path) -> None:
    page, log = run(tmp_path, "127.0.0.1")
    assert 'class="reach-warning" role="alert"' in page
    assert "手机无法打开这些二维码" in page and "make run HOST=0.0.0.0" in page
    assert "WARNING: listening on 127.0.0.1 only: phones CANNOT open the join links" in log
    assert "make run HOST=0.0.0.0" in log
