"""Tests that start the real server or a browser are marked, so ``-m 'not server and not browser'``
(the faketime runs) leaves every one of them out; tests/conftest.py enforces it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import marker_needed
from tests.server import BIN


def test_the_commands_that_need_a_marker():
    assert marker_needed([BIN / "evalmeet", "serve", "--port", "5000"]) == "server"
    assert marker_needed([sys.executable, "-c", "socketio.run(app, host=h)"]) == "server"
    assert marker_needed(["/usr/bin/node", "cli.js", "run-driver"]) == "browser"
    assert marker_needed(["/usr/bin/chromium", "--headless"]) == "browser"
    assert marker_needed([BIN / "evalmeet", "demo"]) is None
    assert marker_needed(["pdftotext", "-", "-"]) is None
    assert marker_needed("ls") is None


def test_an_unmarked_test_cannot_start_the_server():
    with pytest.raises(pytest.fail.Exception, match="not marked pytest.mark.server"):
        subprocess.Popen([BIN / "evalmeet", "serve", "--port", "1"])  # refused before it starts


@pytest.mark.server
def test_a_marked_test_may(tmp_path):
    # `evalmeet serve --help` starts the command (and exits at once): allowed with the marker.
    done = subprocess.run([BIN / "evalmeet", "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--port" in done.stdout
