"""An admin account on a live server, and Chromium logged in as it: the browser tests of the
pages only an admin (or a moderator) sees — appeals and corrections, savings, paged lists."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from tests.server import LiveServer, live_server

ADMIN, ADMIN_PASSWORD = "root", "admin horse battery staple"


@contextmanager
def live_server_with_admin(workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """:func:`tests.server.live_server` with the admin account ``ADMIN`` made (no API token)."""
    with live_server(workdir, env) as server:
        server.create_user(ADMIN, "admin", ADMIN_PASSWORD, token=False)
        yield server


def logged_in(chromium: Browser, srv: LiveServer, **options: Any) -> tuple[BrowserContext, Page]:
    """A new Chinese browser context (``options``: viewport, ...) whose page has logged in as the
    admin and landed on /meetings; the caller closes the context."""
    context = chromium.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.goto(srv.url + "/login")
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/meetings")
    return context, page
