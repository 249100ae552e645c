"""Browser tests: headless Chromium (the system one) through Playwright's sync API.

Fixtures are module-scoped (one Playwright per module: two sync Playwright instances must not
run at once in one thread). ``chromium`` is the browser; ``phone_context()`` opens a fresh
360×740 touch context (its own cookies and localStorage), like one representative's phone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
# The docs' screenshots are refreshed on request only (EVALMEET_UPDATE_SCREENSHOTS=1, see the
# README); otherwise they go to the git-ignored test-artifacts/, so a test run leaves the tree clean.
_TOP = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    _TOP / "docs" / "screenshots"
    if os.environ.get("EVALMEET_UPDATE_SCREENSHOTS") == "1"
    else _TOP / "test-artifacts" / "screenshots"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Chromium for the module."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone_context(chromium: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """``phone_context(locale="zh-CN")``: a new phone-sized touch browser context, closed after."""
    opened: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        settings: dict[str, Any] = {
            "viewport": PHONE_VIEWPORT,
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
            "locale": "zh-CN",
            "user_agent": (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0 Mobile Safari/537.36"
            ),
        }
        settings.update(options)
        context = chromium.new_context(**settings)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def screenshot_path(name: str) -> str:
    """Where a screenshot for the docs goes (``docs/screenshots/<name>`` when updating them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / name)
