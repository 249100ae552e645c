"""One sender per stream across workers: a Redis ``SET NX PX`` gate for throttled broadcasts.

Why: with a message queue every emit reaches every phone on every worker, and each worker
throttles its own ``progress`` stream. N workers would send N copies of "n of m have voted" to
every phone per interval: N² messages across the cluster for one hall (docs/performance.md).
The gate lets one worker per interval send a stream; the others skip.

Nothing is lost by skipping. A worker that finds the gate held waits until it expires and tries
once more. Whoever holds the gate by then claimed it after that worker's commit (the key it saw
had to expire first), and every sender reads the database after claiming, so the newest count
goes out within about two intervals of the last ballot. When there is no Redis message queue
(one worker) the gate is always open, and when Redis fails the worker sends anyway: a
duplicate update is harmless, a missing one is not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from flask import Flask

from evalmeet.extensions import socketio

logger = logging.getLogger(__name__)

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_MARGIN = 0.01  # seconds past the key's expiry before trying again


class ClusterGate:
    """``send`` for a key at most once per interval across all workers sharing the Redis."""

    def __init__(self) -> None:
        self._clients: dict[str, redis.Redis] = {}

    def _client(self, url: str) -> redis.Redis:
        client = self._clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
            self._clients[url] = client
        return client

    def claim(self, app: Flask, key: str, interval: float) -> float | None:
        """None when this worker may send now; else the seconds until the gate opens."""
        url = app.config.get("MESSAGE_QUEUE") or ""
        if not url.startswith(_REDIS_SCHEMES) or interval <= 0:
            return None
        channel = app.config.get("MESSAGE_QUEUE_CHANNEL") or "evalmeet"
        name = f"{channel}:gate:{key}"
        try:
            client = self._client(url)
            if client.set(name, b"1", nx=True, px=max(1, round(interval * 1000))):
                return None
            ttl_ms = client.pttl(name)
        except redis.RedisError:
            logger.warning("broadcast gate: Redis unavailable, sending anyway", exc_info=True)
            return None
        return max(0, int(ttl_ms)) / 1000  # -2: expired meanwhile, try again at once

    def send(self, app: Flask, key: str, interval: float, send: Callable[[], None]) -> None:
        """Send now if the gate is open; else try once more when it opens (see the module doc)."""
        wait = self.claim(app, key, interval)
        if wait is None:
            send()
        else:
            socketio.start_background_task(self._again, app, key, interval, send, wait + _MARGIN)

    def _again(self, app: Flask, key: str, interval: float, send: Callable[[], None], wait: float) -> None:
        socketio.sleep(wait)
        with app.app_context():
            if self.claim(app, key, interval) is None:
                send()
            # Held again: its holder claimed after our commit and reads after claiming.

    def reset(self) -> None:
        """Drop the Redis clients (tests)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()


gate = ClusterGate()
