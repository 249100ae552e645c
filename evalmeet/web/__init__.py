"""The HTTP edge: blueprints per audience, errors as JSON or pages, security headers, locale."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, g, has_request_context, jsonify, render_template, request
from flask_babel import refresh
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from evalmeet.db import is_temporarily_unavailable
from evalmeet.domain.errors import DomainError
from evalmeet.extensions import babel, csrf, db, login_manager


class BoundedIdConverter(IntegerConverter):
    """``<int:...>`` limited to ids a database column can hold (1 … 2³¹−1): others are 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
LOCALE_COOKIE = "evalmeet_lang"


def select_locale() -> str:
    """Chinese unless the user asked for English (``?lang=en`` or the cookie it sets).

    Outside a request, ``g.locale``: a socket event runs in an app context alone, in the
    language its socket connected in (``realtime.live.bind_events``).
    """
    if not has_request_context():
        return g.get("locale") or LOCALES["zh"]
    wanted = request.args.get("lang") or request.cookies.get(LOCALE_COOKIE) or "zh"
    return LOCALES.get(wanted, LOCALES["zh"])


def current_lang() -> str:
    """``"zh"`` or ``"en"``: what the page speaks."""
    return "en" if select_locale() == "en" else "zh"


def wants_json() -> bool:
    """API paths and JSON-accepting clients get JSON errors; browsers get a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> tuple[Response, int] | tuple[str, int]:
    """``{"error": {"code", "message"}}`` for APIs, a friendly page otherwise (``message``
    already in the request's language: see :mod:`evalmeet.web.error_text`)."""
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if details:
            body["details"] = details
        return jsonify({"error": body}), status
    from evalmeet.web.error_text import status_title

    title = status_title(status)
    page = render_template("error.html", status=status, code=code, title=title, message=message)
    return page, status


def _first_line(err: Exception) -> str:
    """The driver's message, without the statement (parameters are hidden anyway)."""
    orig = getattr(err, "orig", None) or err
    return (str(orig).strip().splitlines() or [type(err).__name__])[0]


def _register_errors(app: Flask) -> None:
    from evalmeet.web import error_text

    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Any:
        db.session.rollback()
        return error_response(err.status, err.code, error_text.error_message(err), dict(err.details) or None)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> Any:
        return error_response(400, "csrf_failed", error_text.message_for("csrf_failed"))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        return error_response(err.code or 500, error_text.http_code(err), error_text.http_message(err))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", error_text.message_for("internal_error"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(err: Exception) -> Any:
        # Another process holds SQLite's write lock (db.py waited for it), or PostgreSQL is
        # restarting: nothing was saved, the user may simply try again. Never a 500.
        if not is_temporarily_unavailable(err):
            return _unexpected(err)
        app.logger.warning(
            "database busy or unreachable on %s %s: %s", request.method, request.path, _first_line(err)
        )
        # The page is drawn without the database: no account lookup (that would wait again).
        login_manager._update_request_context_with_user()
        body, status = error_response(
            503,
            "temporarily_unavailable",
            error_text.message_for("temporarily_unavailable", {"reason": "page"}),
        )
        return body, status, {"Retry-After": "2"}


def _security_headers(app: Flask) -> None:
    # Scripts come from our own origin; the only inline ones are those web/static_files.py puts
    # into pages, each allowed by its hash.
    scripts = " ".join(["'self'", *app.extensions.get("csp_script_hashes", [])])
    policy = (
        f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src {scripts}; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        lang = request.args.get("lang")
        if lang in LOCALES:
            response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response


def _server_timing(app: Flask) -> None:
    """``Server-Timing: app;dur=<ms>``: how long the server worked on the answer (routing to the
    compressed body, not sending it), for the browser's network panel and the benchmarks
    (bench/archive_scale.py). A duration, nothing about the data."""

    @app.before_request
    def _started() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _timing(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


def _init_compression(app: Flask) -> None:
    """Pages and JSON answers compressed on the fly (Flask-Compress: brotli, else gzip), at a
    cheap level: the phone's page is ~9 KiB of HTML on a slow factory Wi-Fi. Static files are
    precompressed at setup instead (``web/static_files.py``); downloads stream as they are."""
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "application/json"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)


def init_web(app: Flask) -> None:
    """Bind the web extensions and register every blueprint."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    from evalmeet.web import cookie_session, static_files

    cookie_session.init_app(app)
    static_files.init_app(app)
    _server_timing(app)  # registered first, so it runs last: compression is counted
    _init_compression(app)
    from evalmeet.i18n import DOMAIN, TRANSLATIONS, compile_catalogs

    compile_catalogs()
    app.url_map.converters["int"] = BoundedIdConverter
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS),
        default_domain=DOMAIN,
    )
    csrf.init_app(app)
    from evalmeet.web import guessing

    guessing.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from evalmeet.web import (
        api,
        archive,
        auth,
        console,
        corrections,
        exports,
        followup,
        jobs,
        moderator,
        projector,
        representative,
        verify,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API checks CSRF itself, only for cookie-authenticated calls
    app.register_blueprint(moderator.bp)
    app.register_blueprint(representative.bp)
    app.register_blueprint(projector.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(followup.bp)
    app.register_blueprint(archive.bp)
    app.register_blueprint(verify.bp)
    app.register_blueprint(corrections.bp)
    app.register_blueprint(jobs.bp)
    _register_errors(app)
    _security_headers(app)

    @app.get("/favicon.ico")
    def favicon() -> Any:
        """The icon at the address browsers ask for by themselves (pages link static/favicon.svg)."""
        return app.send_static_file("favicon.ico")

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"lang": current_lang()}

    @app.before_request
    def _reset_g() -> None:
        # An app context may outlive one request (tests, CLI): never carry a caller over.
        g.account = None
        g.via_token = False
        refresh()  # Flask-Babel caches the locale on g as well
