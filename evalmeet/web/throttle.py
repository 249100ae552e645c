"""Counting failed attempts (log-in, join links) so guessing is slow but a hall behind one NAT is fine.

Only FAILURES count: hundreds of phones joining from one address with valid links are never
slowed down, while someone trying tokens or passwords is stopped after a few misses. The
counter lives in Redis when ``MESSAGE_QUEUE`` points at one (shared by every worker), else in
process memory.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from flask import Flask, current_app, request


class _Backend(Protocol):
    def hit(self, key: str, window: int) -> int: ...
    def count(self, key: str) -> int: ...
    def clear(self, key: str) -> None: ...


class MemoryBackend:
    """Fixed-window counters in this process (single-worker deployments and tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, window: int) -> int:
        now = time.monotonic()
        with self._lock:
            expires, n = self._data.get(key, (now + window, 0))
            if expires <= now:
                expires, n = now + window, 0
            self._data[key] = (expires, n + 1)
            if len(self._data) > 100_000:  # bound memory under a flood of distinct keys
                self._data = {k: v for k, v in self._data.items() if v[0] > now}
            return n + 1

    def count(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            expires, n = self._data.get(key, (0.0, 0))
            return n if expires > now else 0

    def clear(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisBackend:
    """Counters shared by every worker."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0)

    def hit(self, key: str, window: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(f"evalmeet:fail:{key}")
        pipe.expire(f"evalmeet:fail:{key}", window, nx=True)
        return int(pipe.execute()[0])

    def count(self, key: str) -> int:
        value = self._redis.get(f"evalmeet:fail:{key}")
        return int(value) if value else 0

    def clear(self, key: str) -> None:
        self._redis.delete(f"evalmeet:fail:{key}")


class FailureLimiter:
    """``blocked(kind, *parts)`` before trying; ``failed(...)`` after a miss; ``succeeded(...)``."""

    # kind -> (max failures, window seconds)
    LIMITS = {"login": (5, 300), "login_ip": (30, 300), "join_ip": (20, 300)}

    def __init__(self) -> None:
        self.backend: _Backend = MemoryBackend()

    def init_app(self, app: Flask) -> None:
        """Pick the backend: Redis when a message queue is configured."""
        queue = app.config.get("MESSAGE_QUEUE")
        self.backend = RedisBackend(queue) if queue and queue.startswith("redis") else MemoryBackend()
        app.extensions["evalmeet_throttle"] = self

    @staticmethod
    def _key(kind: str, parts: tuple[Any, ...]) -> str:
        return kind + ":" + ":".join(str(p)[:100] for p in parts)

    def blocked(self, kind: str, *parts: Any) -> bool:
        """Whether too many failures were recorded for this key in its window."""
        limit, _window = self.LIMITS[kind]
        try:
            return self.backend.count(self._key(kind, parts)) >= limit
        except Exception:  # noqa: BLE001 - a broken counter must not lock everybody out
            current_app.logger.warning("failure counter unavailable", exc_info=True)
            return False

    def failed(self, kind: str, *parts: Any) -> None:
        """Record one failure."""
        _limit, window = self.LIMITS[kind]
        try:
            self.backend.hit(self._key(kind, parts), window)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("failure counter unavailable", exc_info=True)

    def succeeded(self, kind: str, *parts: Any) -> None:
        """Forget the failures of this key (a correct password resets its counter)."""
        try:
            self.backend.clear(self._key(kind, parts))
        except Exception:  # noqa: BLE001
            current_app.logger.warning("failure counter unavailable", exc_info=True)


def client_ip() -> str:
    """The caller's address (ProxyFix has already applied X-Forwarded-For when configured)."""
    return request.remote_addr or "unknown"


limiter = FailureLimiter()
