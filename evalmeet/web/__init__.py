"""The HTTP edge: blueprints per audience, errors as JSON or pages, security headers, locale."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import refresh
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

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
    """Chinese unless the user asked for English (``?lang=en`` or the cookie it sets)."""
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
    """``{"error": {"code", "message"}}`` for APIs, a friendly page otherwise."""
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if details:
            body["details"] = details
        return jsonify({"error": body}), status
    return render_template("error.html", status=status, code=code, message=message), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Any:
        db.session.rollback()
        return error_response(err.status, err.code, err.message, dict(err.details) or None)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> Any:
        return error_response(400, "csrf_failed", err.description or "CSRF token missing or invalid")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        code = (err.name or "error").lower().replace(" ", "_").replace("'", "")
        return error_response(err.code or 500, code, err.description or err.name or "error")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side")


def _security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
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


def init_web(app: Flask) -> None:
    """Bind the web extensions and register every blueprint."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    from evalmeet.i18n import TRANSLATIONS, compile_catalogs, domains

    compile_catalogs()
    names = domains() or ["messages"]
    app.url_map.converters["int"] = BoundedIdConverter
    babel.init_app(
        app,
        locale_selector=select_locale,
        # Flask-Babel pairs the i-th directory with the i-th domain: repeat the directory once
        # per domain, or only the first domain would ever be loaded.
        default_translation_directories=";".join([str(TRANSLATIONS)] * len(names)),
        default_domain=";".join(names),
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
        exports,
        followup,
        moderator,
        projector,
        representative,
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
    _register_errors(app)
    _security_headers(app)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"lang": current_lang()}

    @app.before_request
    def _reset_g() -> None:
        # An app context may outlive one request (tests, CLI): never carry a caller over.
        g.account = None
        g.via_token = False
        refresh()  # Flask-Babel caches the locale on g as well
