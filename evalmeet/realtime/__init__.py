"""The live channel: Socket.IO namespace ``/live`` and the broadcasts after commit."""

from __future__ import annotations

from flask import Flask

from evalmeet.extensions import socketio


def init_realtime(app: Flask) -> None:
    """Bind Socket.IO (gevent) and register the ``/live`` namespace."""
    socketio.init_app(
        app,
        async_mode="gevent",
        message_queue=app.config.get("MESSAGE_QUEUE") or None,
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        cors_allowed_origins=[o for o in app.config.get("CORS_ORIGINS", "").split(",") if o] or None,
    )
