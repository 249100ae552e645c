"""Logging in through the login form, as a person does: with ``requests`` (the end-to-end tests
and the benchmarks) or in a Playwright page (the browser tests). Both speak to a live server,
anything with a ``url`` (``tests.server.LiveServer``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import requests

from tests.server import MODERATOR, MODERATOR_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_login(
    srv: Any,
    username: str = MODERATOR,
    password: str = MODERATOR_PASSWORD,
    *,
    timeout: float = 10,
    statuses: tuple[int, ...] = (302,),
) -> requests.Session:
    """A ``requests`` session logged in through the login form (its CSRF token, then the post);
    the post must answer one of ``statuses`` (a redirect to the home page)."""
    browser = requests.Session()
    page = browser.get(f"{srv.url}/login", timeout=timeout).text
    csrf = CSRF_FIELD.search(page)
    assert csrf, "no CSRF token on the login page"
    form = {"username": username, "password": password, "csrf_token": csrf[1]}
    done = browser.post(f"{srv.url}/login", data=form, allow_redirects=False, timeout=timeout)
    assert done.status_code in statuses, (done.status_code, done.text[:500])
    return browser


def page_log_in(page: Page, srv: Any, username: str = MODERATOR, password: str = MODERATOR_PASSWORD) -> None:
    """Fill in and send the login form in ``page``; it must leave the login page."""
    page.goto(srv.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, "login failed"
