"""The smoke suite's state: the server, the world, a browser per role and language, and what
every test saw.

Every answer the browsers get is inspected here (:meth:`Smoke.inspect`): which URL rule of the
app it hit (matched with the app's own ``url_map``), and what is wrong with it:

- a 5xx;
- a page whose ``<html lang>`` is not the language asked for;
- on a Chinese page, in a Chinese download (CSV, workbook, PDF) or a Chinese JSON error: an
  English sentence of the app's own catalogue (:mod:`tests.smoke.english`);
- on a Chinese page's error boxes or in a Chinese JSON error: a message without one Chinese
  character (refusals are often a service's English text, which no catalogue holds).

Problems are collected per test; :meth:`Smoke.finish` adds every ``Traceback``, ``Exception on``
or ``ERROR`` the server wrote meanwhile (its log, read on without gaps).
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect

from tests.server import LiveServer
from tests.smoke.browser import Browser, snippet
from tests.smoke.english import english_in, page_language, visible_text
from tests.smoke.world import Factory, World

ROLES = ("admin", "moderator", "viewer", "anonymous", "phone")
LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
SERVER_ERRORS = re.compile(r"Traceback \(most recent call last\)|Exception on |\bERROR\b")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Where the pages put a refusal's message: the error page, a form's alert box, a field's error.
_ERROR_BOX = re.compile(
    r'<(p|span|div)\b[^>]*class="[^"]*\b(?:error-message|flash-error|field-error)\b[^"]*"[^>]*>(.*?)</\1>',
    re.S,
)


def error_messages(html: str) -> list[str]:
    """The texts of a page's error boxes."""
    return [" ".join(visible_text(match.group(2)).split()) for match in _ERROR_BOX.finditer(html)]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Files written in the page's language (the import templates' English headers are field names).
TRANSLATED_FILES = {
    "exports.minutes_pdf",
    "exports.minutes_xlsx",
    "exports.items_export",
    "exports.actions_export",
}


@dataclass(frozen=True)
class Visit:
    """One request a browser made, and the rule of the app it reached."""

    rule: str | None
    endpoint: str | None
    method: str
    lang: str
    role: str
    url: str
    status: int
    test: str  # "" while the world was being built


def file_text(response: requests.Response) -> str | None:
    """The text of a downloaded CSV, workbook or PDF (None for anything else)."""
    kind = response.headers.get("Content-Type", "")
    if kind.startswith("text/csv"):
        return response.content.decode("utf-8-sig")
    if kind.startswith(XLSX):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        try:
            return (
                "\n".join(
                    str(cell)
                    for sheet in book.worksheets
                    for row in sheet.iter_rows(values_only=True)
                    for cell in row
                    if isinstance(cell, str)
                )
                + "\n"
                + "\n".join(book.sheetnames)
            )
        finally:
            book.close()
    if kind.startswith("application/pdf"):
        done = subprocess.run(
            ["pdftotext", "-layout", "-", "-"],
            input=response.content,
            capture_output=True,
            timeout=60,
            check=False,
        )
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None
    return None


def first_error(log: str, keep: int = 12) -> str:
    """The first error in a server log: its log line and traceback (the middle elided)."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if SERVER_ERRORS.search(line))
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"\d{4}-\d\d-\d\d ", lines[i])), len(lines)
    )
    block = lines[max(0, start - 1) : end]
    if len(block) > 2 * keep:
        block = [*block[:keep], f"  ... ({len(block) - 2 * keep} lines) ...", *block[-keep:]]
    return "\n".join(block)


class Smoke:
    """One server with its history, shared by every smoke test of the session."""

    def __init__(self, server: LiveServer, url_map: Map, accounts: dict[str, tuple[str, str]]) -> None:
        self.server = server
        self.adapter = url_map.bind("localhost")
        self.accounts = accounts  # role -> (username, password)
        self.setup_problems: list[str] = []
        self.visits: list[Visit] = []
        self.problems: list[str] = []
        self.english_pages: list[tuple[str, bool]] = []  # en pages and files: was English found?
        self.test = ""
        self.log_offset = 0
        self.browsers: dict[tuple[str, str], Browser] = {}
        self.factory = Factory(server)
        self._world: World | None = None

    @property
    def world(self) -> World:
        """What :func:`~tests.smoke.world.build_world` made."""
        assert self._world is not None, "the world is not built yet"
        return self._world

    @world.setter
    def world(self, world: World) -> None:
        self._world = world

    def close(self) -> None:
        """Close every browser and the factory's connection pool."""
        for browser in self.browsers.values():
            browser.close()
        self.factory.close()

    # --- browsers ------------------------------------------------------------------------------

    def new_browser(self, role: str, lang: str, signed_in: bool = True) -> Browser:
        """A browser of its own (not shared): logged in for accounts, through its join link for
        the phone (``signed_in=False``: not yet)."""
        browser = Browser(self.server.url, role, lang, self)
        if signed_in and role in self.accounts:
            browser.login(*self.accounts[role])
        elif signed_in and role == "phone" and self._world is not None:
            browser.get(f"/j/{self.world.phone_rep['join_token']}", expect=302)
        return browser

    @contextlib.contextmanager
    def visitor(self, role: str, lang: str, signed_in: bool = True) -> Iterator[Browser]:
        """A browser for one visit only (closed afterwards)."""
        browser = self.new_browser(role, lang, signed_in)
        try:
            yield browser
        finally:
            browser.close()

    def browser(self, role: str, lang: str) -> Browser:
        """The shared browser of a role in a language."""
        if (role, lang) not in self.browsers:
            self.browsers[role, lang] = self.new_browser(role, lang)
        return self.browsers[role, lang]

    def moderator(self, lang: str) -> Browser:
        """Who runs the meetings in a visit: the moderator in Chinese, the admin in English."""
        return self.browser("moderator" if lang == "zh" else "admin", lang)

    # --- inspecting ----------------------------------------------------------------------------

    def rule_of(self, path: str, method: str) -> tuple[str | None, str | None]:
        """(rule, endpoint) of the app that ``method path`` reaches."""
        try:
            rule, _args = self.adapter.match(path, method=method, return_rule=True)
        except (HTTPException, RequestRedirect):
            return None, None
        return rule.rule, rule.endpoint

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def inspect(self, browser: Browser, method: str, url: str, response: requests.Response) -> None:
        """Record the visit and note what is wrong with the answer (see the module docstring)."""
        rule, endpoint = self.rule_of(urlsplit(url).path, method)
        status = response.status_code
        self.visits.append(Visit(rule, endpoint, method, browser.lang, browser.role, url, status, self.test))
        where = f"{method} {url} [{browser.lang}, {browser.role}]"
        if status >= 500:
            self.problem(f"{where}: {status} {snippet(response)}")
        if 300 <= status < 400 or status == 204:
            return  # nobody reads a redirect's body
        kind = response.headers.get("Content-Type", "")
        if "text/html" in kind:
            html = response.text
            found = page_language(html)
            if found != HTML_LANG[browser.lang]:
                self.problem(f"{where}: the page says lang={found!r}, expected {HTML_LANG[browser.lang]!r}")
            if browser.lang == "zh":
                self._english(where, visible_text(html))
                for message in error_messages(html):
                    self._not_chinese(where + " (error message on the page)", message)
            elif status == 200:
                self.english_pages.append((url, bool(english_in(visible_text(html)))))
        elif browser.lang != "zh":
            if status == 200 and endpoint in TRANSLATED_FILES:
                self.english_pages.append((url, bool(english_in(file_text(response) or ""))))
            return
        elif "json" in kind:
            try:
                body: Any = response.json()
            except ValueError:
                self.problem(f"{where}: the JSON answer does not parse: {snippet(response)}")
                return
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                self._english(where + " (error message)", error["message"])
                self._not_chinese(where + " (error message)", error["message"])
        elif endpoint != "followup.download" and status == 200:  # evidence files are the user's own
            text = file_text(response)
            if text is not None:
                self._english(where + f" ({kind.split(';')[0]})", text)

    def _english(self, where: str, text: str) -> None:
        for phrase in english_in(text):
            self.problem(f"{where}: English on a zh page: {phrase.msgid!r} ({phrase.source})")

    def _not_chinese(self, where: str, message: str) -> None:
        # Error messages are often built from a service's English text, outside the catalogue:
        # on a Chinese page one without a single Chinese character is untranslated.
        if not CJK.search(message) and len(re.findall(r"[A-Za-z]{2,}", message)) >= 2:
            self.problem(f"{where}: English message on a zh page: {message!r}")

    # --- one test ------------------------------------------------------------------------------

    def begin(self, test: str) -> None:
        """Start collecting for a test (the server's output is read on from where the last test
        stopped reading, so nothing it writes between two tests goes unseen)."""
        self.test = test
        self.problems = []

    def new_log(self) -> str:
        """What the server wrote since the last :meth:`finish`."""
        try:
            with self.server.log_path.open("rb") as fh:
                fh.seek(self.log_offset)
                data = fh.read()
        except FileNotFoundError:
            return ""
        self.log_offset += len(data)
        return data.decode("utf-8", "replace")

    def finish(self) -> list[str]:
        """The test's problems, the errors the server wrote meanwhile included."""
        problems = list(self.problems)
        log = self.new_log()
        if SERVER_ERRORS.search(log):
            problems.append("the server logged an error:\n" + first_error(log))
        self.problems = []
        self.test = ""
        return problems

    def run(self, test: str, visit: Callable[[], object]) -> list[str]:
        """Run one test's visit and return its problems; a visit that stops half-way raises them
        all (with the server's errors), chained to what stopped it."""
        self.begin(test)
        stopped: Exception | None = None
        try:
            visit()
        except Exception as exc:  # noqa: BLE001 - reported with everything else the visit saw
            stopped = exc
        problems = self.finish()
        if stopped is not None:
            raise AssertionError("\n".join([f"the visit stopped: {stopped}", *problems])) from stopped
        return problems

    def visited(self, test: str) -> list[Visit]:
        """The requests one test made."""
        return [v for v in self.visits if v.test == test]
