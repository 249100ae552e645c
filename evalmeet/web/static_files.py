"""Hashed static files served by ``evalmeet serve`` itself, the way nginx serves them.

``url_for('static', filename='js/phone.js')`` names ``/static/dist/js/phone.<hash>.js`` (the
manifest of :mod:`evalmeet.static_build`); a WSGI layer in front of the app answers
``/static/dist/…`` from memory: the precompressed body the browser accepts (brotli, then gzip,
else plain), ``Cache-Control: immutable`` for a year, an ``ETag`` per encoding and ``304`` to a
revalidation. Files without a hashed twin (none today) keep Flask's own static route.

Written here rather than taken from a library: WhiteNoise does this well but recompresses at
start and wants its own manifest; the build is ours, so the serving side is the 60 lines below.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import mimetypes
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask
from markupsafe import Markup
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header, quote_etag

from evalmeet.static_build import DIST, current_manifest

PREFIX = f"/static/{DIST}/"
YEAR = 365 * 24 * 3600
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

# Scripts the page carries in its own HTML instead of naming: static/js/early.js opens the phone's
# WebSocket, and as a file of its own it cost a round trip (400 ms on factory Wi-Fi) before it
# could. Its minified text goes into the page; the policy allows it by its SHA-256.
INLINE = ("js/early.js",)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class HashedStatic:
    """The WSGI layer: ``/static/dist/…`` from memory, everything else to the app."""

    def __init__(self, app: WsgiApp, root: Path, hashed: Iterable[str]) -> None:
        self.app = app
        self.files = _loaded(root, tuple(sorted(hashed)))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        bodies = self.files.get(path)
        if bodies is None:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
            return [b"not found"]
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return []
        encoding = _chosen(parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING", "")), bodies)
        body = bodies[encoding]
        etag = quote_etag(f"{path.rsplit('/', 1)[-1]}-{encoding}")
        kind = TYPES.get(Path(path).suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        headers = [
            ("Cache-Control", f"public, max-age={YEAR}, immutable"),
            ("ETag", etag),
            ("Vary", "Accept-Encoding"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Type", kind),
        ]
        if encoding != "identity":
            headers.append(("Content-Encoding", encoding))
        wanted = environ.get("HTTP_IF_NONE_MATCH", "")
        if etag in (t.strip() for t in wanted.split(",")) or wanted.strip() == "*":
            start_response("304 Not Modified", headers)
            return []
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


@functools.lru_cache(maxsize=8)
def _loaded(root: Path, hashed: tuple[str, ...]) -> dict[str, dict[str, bytes]]:
    """``URL path → {encoding: body}``, read once per process (names are content hashes)."""
    files: dict[str, dict[str, bytes]] = {}
    for rel in hashed:
        path = root / rel
        bodies = {"identity": path.read_bytes()}
        for encoding, ext in ENCODINGS:
            twin = path.with_name(path.name + ext)
            if twin.exists():
                bodies[encoding] = twin.read_bytes()
        files["/static/" + rel] = bodies
    return files


def _chosen(accepted: Accept, bodies: dict[str, bytes]) -> str:
    """The smallest encoding the browser accepts (``q=0`` refuses one)."""
    for encoding, _ext in ENCODINGS:
        if encoding in bodies and accepted.quality(encoding) > 0:
            return encoding
    return "identity"


def init_app(app: Flask) -> None:
    """Name hashed files in ``url_for('static', ...)`` and serve them in front of the app."""
    assert app.static_folder is not None
    root = Path(app.static_folder)
    manifest = current_manifest(root)

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static":
            hashed = manifest.get(values.get("filename", ""))
            if hashed is not None:
                values["filename"] = hashed

    app.jinja_env.globals["has_static"] = manifest.__contains__
    inline = {name: _inline_script(root, manifest, name) for name in INLINE if name in manifest}
    # The Content-Security-Policy allows exactly these inline scripts (web/__init__.py).
    app.extensions["csp_script_hashes"] = [digest for _text, digest in inline.values()]
    app.jinja_env.globals["inline_script"] = lambda name: inline[name][0]
    app.wsgi_app = HashedStatic(app.wsgi_app, root, manifest.values())  # type: ignore[method-assign]


def _inline_script(root: Path, manifest: dict[str, str], name: str) -> tuple[Markup, str]:
    """The minified script ``name`` as page text, and its CSP source (``'sha256-…'``)."""
    text = (root / manifest[name]).read_text("utf-8")
    if "</" in text:  # would end the <script> element early
        raise ValueError(f"{name} cannot be inlined: it contains '</'")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    # Our own minified script from static/dist (checked above), not anyone's input.
    return Markup(text), f"'sha256-{digest}'"  # noqa: S704  # nosec B704
