"""The phone's page on factory Wi-Fi: a real Chromium on the Slow-3G profile against `evalmeet serve`.

    .venv/bin/python bench/phone_load.py [--runs 7] [--latency 400] [--kbit 400]

Each run is a fresh 360-px phone: (1) the phone page /phone with an empty cache (its join link
was opened beforehand on a fast network: the page the representative sees and keeps); (2) in
another fresh phone, the join link itself — the QR code's address, which redirects to /phone —
throttled from the first byte; then (3) a reload of /phone, as a phone does when the
representative comes back to it. Chromium's DevTools network emulation adds the round trip (``--latency`` ms)
and caps both directions (``--kbit``); the issue's profile is 400 kbit/s and 400 ms. Timed:
from the navigation's start to the moment the page shows the meeting's title *and* says it is
connected (``#conn[data-conn=connected]``: the Socket.IO session is up and has the state).
Counted: the bytes on the wire (every response's encoded length, headers included, and the
WebSocket frames). Targets (issue 15): connected within 2.0 s, at most 45 KiB on first load,
at most 12 KiB on a reload.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.factories import BUYER, item_body  # noqa: E402
from tests.over_api import created  # noqa: E402
from tests.server import live_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TITLE = "2026年第四季度采购评价会"


class Wire:
    """Bytes over the wire as Chromium's network layer reports them."""

    def __init__(self, cdp) -> None:
        self.bytes = 0
        self.requests = 0
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.webSocketFrameSent", self._frame)

    def _finished(self, event) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))
        self.requests += 1

    def _frame(self, event) -> None:
        self.bytes += len(event["response"].get("payloadData", "")) + 2

    def reset(self) -> None:
        self.bytes = 0
        self.requests = 0


def _throttled(context, page, latency: int, kbit: int):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    rate = kbit * 1000 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency, "downloadThroughput": rate, "uploadThroughput": rate},
    )
    return cdp


def _timed(page, wire: Wire, target: str, latency: int) -> tuple[float, float, int]:
    wire.reset()
    started = time.monotonic()
    page.goto(target, wait_until="commit")
    page.wait_for_selector("#conn[data-conn=connected]", timeout=30000)
    page.get_by_text(TITLE).first.wait_for(timeout=30000)
    took = time.monotonic() - started
    page.wait_for_timeout(latency * 3)  # let the last frames and late responses land
    return took, wire.bytes / 1024, wire.requests


def one_run(browser, join: str, phone: str, latency: int, kbit: int) -> dict[str, float]:
    """``page``: /phone with an empty cache (the join link was opened on a fast network);
    ``join``: the join link with an empty cache, redirect included; ``reload``: /phone again."""
    out: dict[str, float] = {}
    options = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(join)
    page.wait_for_selector("#conn[data-conn=connected]", timeout=30000)
    cdp = _throttled(context, page, latency, kbit)
    cdp.send("Network.clearBrowserCache")
    wire = Wire(cdp)
    out["page_s"], out["page_kib"], out["page_requests"] = _timed(page, wire, phone, latency)
    context.close()

    context = browser.new_context(**options)
    page = context.new_page()
    wire = Wire(_throttled(context, page, latency, kbit))
    out["join_s"], out["join_kib"], out["join_requests"] = _timed(page, wire, join, latency)
    out["reload_s"], out["reload_kib"], out["reload_requests"] = _timed(page, wire, phone, latency)
    context.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=int, default=400, help="round trip, ms")
    parser.add_argument("--kbit", type=int, default=400, help="kbit/s each way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp)) as srv:
        meeting = created(srv, "meetings", {"title": TITLE})
        reps = [
            created(
                srv, f"meetings/{meeting['id']}/representatives", {"name": f"代表{n}", "employee_no": f"P{n}"}
            )
            for n in range(args.runs)
        ]
        created(srv, f"meetings/{meeting['id']}/items", item_body("办公楼空调更换", BUYER))
        assert srv.api("POST", f"meetings/{meeting['id']}/start").status_code == 200
        results = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for rep in reps:
                results.append(
                    one_run(
                        browser,
                        f"{srv.url}/j/{rep['join_token']}",
                        f"{srv.url}/phone",
                        args.latency,
                        args.kbit,
                    )
                )
            browser.close()
    load = os.getloadavg()[0]
    print(f"Slow-3G: {args.kbit} kbit/s each way, {args.latency} ms round trip; {args.runs} fresh phones")
    print(f"{'':28}{'median':>10}{'worst':>10}{'target':>10}")
    rows = [
        ("/phone first load, s", "page_s", 2.0),
        ("/phone first load, KiB", "page_kib", 45),
        ("  requests", "page_requests", None),
        ("join link first load, s", "join_s", None),
        ("join link first load, KiB", "join_kib", 45),
        ("reload, s", "reload_s", None),
        ("reload, KiB", "reload_kib", 12),
        ("  requests", "reload_requests", None),
    ]
    for name, key, target in rows:
        values = [r[key] for r in results]
        shown = "" if target is None else f"≤ {target}"
        print(f"{name:28}{statistics.median(values):>10.2f}{max(values):>10.2f}{shown:>10}")
    print(f"load average at the end: {load:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
