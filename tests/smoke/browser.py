"""A scripted browser for the smoke suite: one ``requests`` session per role and language.

Every request goes to the real server over HTTP. Each answer is handed to the suite's
:class:`Inspector` (what rule it hit, 5xx, English on a Chinese page) before the caller sees it.
Forms are posted as a browser posts them: the page is fetched, the form is found by its action,
its own fields (the CSRF token among them) are sent back with what the "user" typed, and a field
the form does not have cannot be typed into.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_JSON = "application/json"
TIMEOUT = 60
# One connection per request. On a kept-alive connection every answer of `evalmeet serve` after
# the first waits ~40 ms: gevent's server writes the headers and the body separately and Nagle
# holds the body until the client's delayed ACK (reported; not the smoke suite's to fix). Over
# a thousand requests that is most of the suite's time.
CONNECTION = "close"


class Inspector(Protocol):
    """What looks at every answer (see :mod:`tests.smoke.suite`)."""

    def inspect(self, browser: Browser, method: str, path: str, response: requests.Response) -> None: ...

    def problem(self, text: str) -> None: ...


# --- forms ------------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    value: str
    kind: str  # input type, "select", "textarea", "button"
    disabled: bool = False
    checked: bool = False
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    """One ``<form>`` of a page, with its fields in document order."""

    action: str
    method: str
    enctype: str
    fields: list[Field] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        """The value the form would send for ``name`` (None when it sends none)."""
        for name_, value in self.payload():
            if name_ == name:
                return value
        return None

    def payload(self) -> list[tuple[str, str]]:
        """What a browser sends when nothing is changed (no submit button value)."""
        out = []
        for f in self.fields:
            if f.disabled or not f.name or f.kind in ("button", "submit", "reset", "file", "image"):
                continue
            if f.kind in ("checkbox", "radio") and not f.checked:
                continue
            out.append((f.name, f.value))
        return out

    def has(self, name: str) -> bool:
        return any(f.name == name and not f.disabled for f in self.fields)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.disabled_fieldsets = 0
        self.fieldsets: list[bool] = []
        self.select: Field | None = None
        self.option: tuple[str | None, bool] | None = None
        self.option_text: list[str] = []
        self.textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""), a.get("method", "get").lower(), a.get("enctype", ""))
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        off = "disabled" in a or self.disabled_fieldsets > 0
        if tag == "fieldset":
            self.fieldsets.append("disabled" in a)
            self.disabled_fieldsets += "disabled" in a
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self.form.fields.append(
                Field(
                    a.get("name", ""),
                    a.get("value", "on" if kind == "checkbox" else ""),
                    kind,
                    off,
                    "checked" in a,
                )
            )
        elif tag == "button":
            self.form.fields.append(Field(a.get("name", ""), a.get("value", ""), "button", off))
        elif tag == "select":
            self.select = Field(a.get("name", ""), "", "select", off)
            self.form.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self.option = (a.get("value"), "selected" in a)
            self.option_text = []
        elif tag == "textarea":
            self.textarea = Field(a.get("name", ""), "", "textarea", off)
            self.form.fields.append(self.textarea)

    def _end_option(self) -> None:
        if self.option is not None and self.select is not None:
            value, selected = self.option
            value = "".join(self.option_text).strip() if value is None else value
            self.select.options.append(value)
            if selected or len(self.select.options) == 1:
                self.select.value = value
        self.option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "fieldset" and self.fieldsets:
            self.disabled_fieldsets -= self.fieldsets.pop()
        elif tag == "option":
            self._end_option()
        elif tag == "select":
            self._end_option()
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            self.option_text.append(data)
        elif self.textarea is not None:
            self.textarea.value += data


def forms_of(html: str) -> list[Form]:
    """Every form of a page."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, action: str, match: Mapping[str, str] | None = None, page: str = "") -> Form:
    """The POST form whose action is ``action`` (a path) and whose fields hold ``match``; a form
    without an action posts to the page it is on (query string included), as in a browser."""
    forms = forms_of(html)
    for f in forms:
        f.action = f.action or page
    candidates = [
        f
        for f in forms
        if f.method == "post"
        and urlsplit(f.action).path == action
        and all(f.value(k) == v for k, v in (match or {}).items())
    ]
    if not candidates:
        actions = sorted({f.action for f in forms})
        raise AssertionError(
            f"the page has no form posting to {action} {dict(match or {})}; forms: {actions}"
        )
    return candidates[0]


# --- the browser ------------------------------------------------------------------------------


def with_lang(path: str, lang: str) -> str:
    """``path`` asking for ``lang``: ``?lang=en`` for English; Chinese is the default (no parameter)."""
    if lang == "zh":
        return path
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    query.append(("lang", lang))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


class Browser:
    """One person's browser: a cookie jar, a role, a language; every answer is inspected."""

    def __init__(self, base_url: str, role: str, lang: str, inspector: Inspector) -> None:
        self.base_url = base_url
        self.role = role
        self.lang = lang
        self.inspector = inspector
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "zh-CN,zh;q=0.9" if lang == "zh" else "en-US,en;q=0.9"
        self.http.headers["Connection"] = CONNECTION
        self._csrf: str | None = None

    def __repr__(self) -> str:
        return f"<Browser {self.role} {self.lang}>"

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        expect: int | Sequence[int] | None = None,
        follow: bool = False,
        accept: str = ACCEPT_HTML,
        **kw: Any,
    ) -> requests.Response:
        """Send one request (and, with ``follow``, GET where a redirect points); ``expect`` is the
        status of the first answer, checked as a problem of the test, not raised."""
        headers = {"Accept": accept, **kw.pop("headers", {})}
        url = with_lang(path, self.lang)
        response = self.http.request(
            method, self.base_url + url, headers=headers, allow_redirects=False, timeout=TIMEOUT, **kw
        )
        self.http.close()  # the server closes it (and does not say so): never reuse it (CONNECTION)
        self.inspector.inspect(self, method, url, response)
        if expect is not None:
            wanted = (expect,) if isinstance(expect, int) else tuple(expect)
            if response.status_code not in wanted and response.status_code < 500:  # a 5xx is noted anyway
                self.inspector.problem(
                    f"{method} {url} [{self.lang}, {self.role}]: expected {'/'.join(map(str, wanted))}, "
                    f"got {response.status_code}: {snippet(response)}"
                )
        hops = 0
        while follow and response.is_redirect and hops < 5:
            target = urlsplit(response.headers["Location"])
            if target.netloc and target.netloc != urlsplit(self.base_url).netloc:
                break
            location = urlunsplit(("", "", target.path, target.query, ""))
            response = self.request("GET", location, accept=accept)
            hops += 1
        return response

    def get(self, path: str, expect: int | Sequence[int] | None = 200, **kw: Any) -> requests.Response:
        """A page (or file) as the address bar would fetch it."""
        return self.request("GET", path, expect=expect, **kw)

    def page_csrf(self, path: str) -> str:
        """The CSRF token a page carries (a form's hidden field or the console's meta tag)."""
        import re

        html = self.get(path).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
            r'<meta name="csrf-token" content="([^"]+)"', html
        )
        assert match, f"{path} carries no CSRF token"
        self._csrf = match.group(1)
        return self._csrf

    def submit(
        self,
        page: str,
        action: str,
        fields: Mapping[str, str | Sequence[str]] | None = None,
        *,
        tick: Iterable[tuple[str, str]] = (),
        match: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        expect: int | Sequence[int] | None = 302,
        follow: bool = True,
    ) -> requests.Response:
        """Open ``page``, fill in its form that posts to ``action`` and send it.

        ``fields`` replace what the form holds (a list sends the name several times); ``tick``
        checks the checkbox with that name and value; ``files`` attach files to file inputs."""
        form = find_form(self.get(page).text, action, match, page)
        return self.send_form(form, fields, tick=tick, files=files, expect=expect, follow=follow, page=page)

    def send_form(
        self,
        form: Form,
        fields: Mapping[str, str | Sequence[str]] | None = None,
        *,
        tick: Iterable[tuple[str, str]] = (),
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        expect: int | Sequence[int] | None = 302,
        follow: bool = True,
        page: str = "",
    ) -> requests.Response:
        """Send a form already read from a page (see :meth:`submit`)."""
        fields = dict(fields or {})
        for name in fields:
            assert form.has(name), f"the form posting to {form.action} on {page} has no field {name!r}"
        for f in form.fields:
            if f.kind == "select" and f.name in fields:
                assert fields[f.name] in f.options, (
                    f"{f.name}={fields[f.name]!r} is not an option of {f.options}"
                )
        data = [(k, v) for k, v in form.payload() if k not in fields]
        for name, value in fields.items():
            data += [(name, v) for v in ([value] if isinstance(value, str) else value)]
        for name, value in tick:
            box = [f for f in form.fields if f.kind == "checkbox" and f.name == name and f.value == value]
            assert box and not box[0].disabled, f"no checkbox {name}={value} to tick on {page}"
            data.append((name, value))
        for name in files or {}:
            assert any(f.kind == "file" and f.name == name for f in form.fields), f"no file input {name!r}"
            assert form.enctype == "multipart/form-data", f"the form on {page} cannot upload files"
        target = urlsplit(form.action)
        action = target.path + (f"?{target.query}" if target.query else "")
        return self.request("POST", action, data=data, files=files, expect=expect, follow=follow)

    def api(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        expect: int | Sequence[int] | None = 200,
        csrf_page: str = "/meetings",
    ) -> requests.Response:
        """Call ``/api/v1`` as the console does: the session cookie, JSON, and for changes the CSRF
        token of the page the call is made from (``X-CSRFToken``)."""
        headers = {}
        if method not in ("GET", "HEAD"):
            headers["X-CSRFToken"] = self._csrf or self.page_csrf(csrf_page)
        kw: dict[str, Any] = {"headers": headers}
        if json is not None:
            kw["json"] = json
        return self.request(method, path, expect=expect, accept=ACCEPT_JSON, **kw)

    def login(self, username: str, password: str) -> requests.Response:
        """The login form, as a person fills it in."""
        return self.submit("/login", "/login", {"username": username, "password": password})


def snippet(response: requests.Response, size: int = 300) -> str:
    """The start of an answer's body, for messages."""
    kind = response.headers.get("Content-Type", "")
    if not (kind.startswith("text/") or "json" in kind):
        return f"<{kind or 'no content type'}, {len(response.content)} bytes>"
    from tests.smoke.english import visible_text

    text = visible_text(response.text) if "html" in kind else response.text
    return " ".join(text.split())[:size]
