"""The minutes through the real server: `evalmeet serve` (gevent), a real HTTP client.

The first version of the minutes passed every test-client test and gave a 500 on every request
of the real server: WeasyPrint's first import ran ``ldconfig`` in a subprocess from gevent's
thread pool. Here the PDF and the workbook are fetched from the running server, several times,
and the PDF's Chinese is read back with ``pdftotext``.
"""

from __future__ import annotations

import io
import subprocess

import pytest
from openpyxl import load_workbook

from tests.server import BIN, live_server

pytestmark = pytest.mark.server


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def test_minutes_download_through_the_real_server(tmp_path):
    with live_server(tmp_path) as srv:
        srv._run([str(BIN / "evalmeet"), "demo"])
        meetings = srv.api("GET", "meetings").json()
        closed = next(m for m in meetings if m["status"] == "closed")
        for _attempt in range(3):  # every time, not only the first
            response = srv.api("GET", f"meetings/{closed['id']}/minutes.pdf")
            assert response.status_code == 200, response.text[:500]
            assert response.headers["Content-Type"] == "application/pdf"
            text = pdf_text(response.content)
            assert "会议纪要" in text
            assert closed["title"][:6] in text
        english = srv.api("GET", f"meetings/{closed['id']}/minutes.pdf?lang=en")
        assert english.status_code == 200
        assert "Minutes" in pdf_text(english.content)

        workbook = srv.api("GET", f"meetings/{closed['id']}/minutes.xlsx")
        assert workbook.status_code == 200
        sheets = load_workbook(io.BytesIO(workbook.content), read_only=True).sheetnames
        assert len(sheets) >= 3

        draft = next(m for m in meetings if m["status"] == "draft")
        refused = srv.api("GET", f"meetings/{draft['id']}/minutes.pdf")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "meeting_draft"
        log = srv.log()
        assert "Traceback" not in log, log
