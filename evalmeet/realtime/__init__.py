"""The live channel: Socket.IO namespace ``/live`` and the broadcasts after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from evalmeet.extensions import socketio

# Phones send small events; anything bigger than this is refused by Engine.IO itself.
MAX_MESSAGE_BYTES = 64 * 1024


OriginCheck = Callable[[str, dict[str, Any]], bool]


def origin_checker(extra_origins: list[str], behind_proxy: bool = False) -> OriginCheck:
    """The Origin check for Socket.IO: the app's own origin, plus the configured extra origins.

    Never ``*``. The own origin is the scheme and Host of the request itself (what a browser on
    our own page sends); behind a trusted proxy, the forwarded scheme and host count too.
    """
    extra = {o.strip().rstrip("/") for o in extra_origins if o.strip()}

    def allowed(origin: str, environ: dict[str, Any]) -> bool:
        if origin in extra:
            return True
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST")
        own = {f"{scheme}://{host}"} if host else set()
        if behind_proxy:
            fwd_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
            fwd_host = environ.get("HTTP_X_FORWARDED_HOST", host or "").split(",")[0].strip()
            if fwd_host:
                own.add(f"{fwd_scheme}://{fwd_host}")
        return origin in own

    return allowed


def init_realtime(app: Flask) -> None:
    """Bind Socket.IO (gevent) and register the ``/live`` namespace."""
    # Importing registers connect and disconnect on the (still unbound) SocketIO object, which
    # applies them to every server it creates in init_app; the events are bound below.
    from evalmeet.realtime import frames, live, wire_json

    frames.install()  # the WebSocket frames' UTF-8 check and unmasking in C

    socketio.init_app(
        app,
        async_mode="gevent",
        serializer=wire_json.LivePacket,
        message_queue=app.config.get("MESSAGE_QUEUE") or None,
        # Several deployments (or test runs) sharing one Redis need channels of their own, or
        # they would hear each other's broadcasts to same-named rooms.
        channel=app.config.get("MESSAGE_QUEUE_CHANNEL") or "evalmeet",
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        cors_allowed_origins=origin_checker(
            (app.config.get("CORS_ORIGINS") or "").split(","), bool(app.config.get("BEHIND_PROXY"))
        ),
        # An event runs in the greenlet that read it from its socket, not in one started for it
        # (python-socketio's default): a phone's events are answered in the order it sent them,
        # and a 2,000-phone vote does not start 2,000 greenlets (docs/performance.md). Waiting
        # (the group commit, the database) still yields to every other socket.
        async_handlers=False,
    )
    live.bind_events(app, socketio.server)
