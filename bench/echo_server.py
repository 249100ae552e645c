"""A bare Flask-SocketIO server on gevent: the ceiling of this stack on this machine.

Same server as ``evalmeet serve`` (gevent pywsgi with gevent-websocket, Flask-SocketIO, the same
Engine.IO ping settings, message size limit and inline event handlers) with a ``/live``
namespace whose ``cast_vote`` acks at once with a receipt-shaped answer: no database, no rooms,
no broadcasts. The benchmark drives it with the same clients and the same pattern as evalmeet and
reports our throughput as a share of this one's.

    python bench/echo_server.py --port 5050
    python bench/echo_server.py --port 5050 --defaults   # Flask-SocketIO's default settings

``--defaults`` is the minimal server of the Flask-SocketIO documentation: ``SocketIO(app)`` and
``socketio.run(app)`` with nothing set (the async mode it picks here is gevent, the first of its
choices that is installed), so nothing we tuned in the other echo can flatter the comparison.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from flask import Flask  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

NAMESPACE = "/live"


def build(defaults: bool = False) -> tuple[Flask, SocketIO]:
    """The echo app: connect accepts anyone, ``cast_vote`` acks immediately."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "echo"
    if defaults:
        socketio = SocketIO(app)
    else:
        socketio = SocketIO(
            app,
            async_mode="gevent",
            ping_interval=20,
            ping_timeout=20,
            max_http_buffer_size=64 * 1024,
            cors_allowed_origins="*",
            async_handlers=False,  # as evalmeet/realtime: an event runs in the greenlet that read it
        )

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth: Any = None) -> None:
        return None

    @socketio.on("cast_vote", namespace=NAMESPACE)
    def cast_vote(payload: Any = None) -> dict[str, Any]:
        item_id = payload.get("item_id") if isinstance(payload, dict) else None
        return {"ok": True, "receipt": "ECHO-ECHO-ECHO", "item_id": item_id}

    @app.get("/ping")
    def ping() -> str:
        return "ok"

    return app, socketio


def main() -> None:
    """Serve until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--defaults", action="store_true", help="Flask-SocketIO's default settings")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
    app, socketio = build(args.defaults)
    gevent.signal_handler(signal.SIGTERM, socketio.stop)
    if args.defaults:
        print(f"async mode: {socketio.async_mode}", flush=True)
        socketio.run(app, host=args.host, port=args.port)
    else:
        socketio.run(app, host=args.host, port=args.port, debug=False, use_reloader=False, log_output=False)


if __name__ == "__main__":
    main()
