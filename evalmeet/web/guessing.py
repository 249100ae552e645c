"""Guessing limits: failed log-ins and invalid links, counted per client address with ``limits``.

The counters live in a ``limits`` storage: process memory for one server process, Redis (the
``MESSAGE_QUEUE`` URL) when several workers must share them. Only FAILURES are counted, so a hall
of phones behind one NAT address, joining with valid links, never adds to any counter. A broken
counter (Redis down) counts nothing and refuses nothing: it must never lock anybody out.

Log-ins (:class:`LoginGuard`): after 5 failures for one user name from one address, or 30 from
one address, in 5 minutes, that address gets 429 until the window frees up; a correct password
clears its user name's count. Guessing a password is a yes/no question asked by the guesser, so
refusing to ANSWER (even a right guess) is what slows it; the owner can wait a few minutes.

Links (:class:`LinkGuard`) are different: a valid join link must ALWAYS get in at once, even from
an address that sent hundreds of bad ones (the hall behind one NAT, where one phone misbehaves).
So the token is always looked up first, and a valid one never touches the guard. Only an answer
"this link is not valid" is slowed:

- up to ``LINK_MISS_LIMIT`` (20 per 5 minutes) invalid links per address are answered at once —
  a mistyped link or an old slip gets its error page without waiting;
- past that, each invalid link (join page, the socket's ``auth.token``, the projector's display
  link and ``auth.display``, all on one counter) is answered ``too_many_attempts`` (429 with
  ``Retry-After`` for a page) only after ``LINK_MISS_DELAY`` seconds, a cooperative sleep
  (``socketio.sleep``: the greenlet yields, the server keeps serving everyone else, and the
  caller has already given back its database connection);
- at most ``LINK_MISS_WAITING_PER_ADDRESS`` such answers wait at once per address, and
  ``LINK_MISS_WAITING`` in the process, so a flood cannot pile up sleeping greenlets; misses
  beyond those places are answered ``too_many_attempts`` at once.

Why this slows guessing without delaying a valid token: a guesser learns something only from
answers, and past the threshold the answer to every guess it waits for comes seconds late, so
one address gets a few answers per second instead of hundreds; a valid token is never counted
and never waits. What it cannot do is hold answers a flood does not wait for: misses beyond the
waiting places are answered at once (holding them would be the unbounded pile of greenlets),
and any answer other than "come in" says "invalid". Against such a flood the real protection is
the tokens' 192 random bits (``models.base.new_token``): at a million guesses a second, finding
one of a thousand valid links takes about 10^41 years. The guard keeps guessing slow for a
client that waits for its answers, and keeps a flood from costing the server more than a bounded
number of sleeping greenlets.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import NoReturn

from flask import Flask, abort, current_app, make_response, render_template, request
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from evalmeet.domain import clock

EXTENSION = "evalmeet_guessing"


class FailureCount:
    """One limit over the shared storage (warehouse's pattern): ``full`` before trying, ``add``
    after a failure, ``clear`` after a success. Storage trouble counts nothing and blocks nothing."""

    def __init__(self, strategy: MovingWindowRateLimiter, limit: str, name: str) -> None:
        self._strategy = strategy
        self._item: RateLimitItem = parse(limit)
        self._name = name

    def _ids(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        # Bounded, so a megabyte of user name never becomes a key.
        return (self._name, *(str(part)[:100] for part in ids))

    def full(self, *ids: str) -> bool:
        """Whether the window holds as many failures as the limit allows."""
        try:
            return not self._strategy.test(self._item, *self._ids(ids))
        except StorageError:
            current_app.logger.warning("guessing limits: counter unavailable", exc_info=True)
            return False

    def add(self, *ids: str) -> bool:
        """Count one failure; False when the window was already full (nothing counted)."""
        try:
            return self._strategy.hit(self._item, *self._ids(ids))
        except StorageError:
            current_app.logger.warning("guessing limits: counter unavailable", exc_info=True)
            return True

    def clear(self, *ids: str) -> None:
        """Forget the failures of these ids."""
        try:
            self._strategy.clear(self._item, *self._ids(ids))
        except StorageError:
            current_app.logger.warning("guessing limits: counter unavailable", exc_info=True)

    def retry_after(self, *ids: str) -> int:
        """Whole seconds until the window has room again (at least 1)."""
        try:
            stats = self._strategy.get_window_stats(self._item, *self._ids(ids))
        except StorageError:
            return 1
        return max(1, math.ceil(stats.reset_time - clock.epoch_seconds()))


@dataclass(eq=False)
class LoginGuard:
    """Failed log-ins per (address, user name) and per address."""

    per_user: FailureCount
    per_address: FailureCount

    def blocked(self, address: str, username: str) -> bool:
        """Whether this address may not try this user name (or any) right now."""
        return self.per_user.full(address, username) or self.per_address.full(address)

    def failed(self, address: str, username: str) -> None:
        """Count a wrong password."""
        self.per_user.add(address, username)
        self.per_address.add(address)

    def succeeded(self, address: str, username: str) -> None:
        """A right password clears that user name's failures (not the address's)."""
        self.per_user.clear(address, username)


@dataclass(frozen=True)
class Slowed:
    """How to refuse an invalid link past the threshold: ``too_many_attempts``, Retry-After."""

    retry_after: int


@dataclass(eq=False)
class LinkGuard:
    """Invalid join and display links per address; see the module docstring. ``delay``: seconds
    an answer past the threshold waits; ``waiting_per_address`` and ``waiting``: how many may
    wait at once for one address and in the process."""

    misses: FailureCount
    delay: float
    waiting_per_address: int
    waiting: int
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _waiting_now: Counter[str] = field(default_factory=Counter, init=False, repr=False)

    def _take_place(self, address: str) -> bool:
        with self._lock:
            if self._waiting_now[address] >= self.waiting_per_address:
                return False
            if self._waiting_now.total() >= self.waiting:
                return False
            self._waiting_now[address] += 1
            return True

    def _leave_place(self, address: str) -> None:
        with self._lock:
            self._waiting_now[address] -= 1
            if self._waiting_now[address] <= 0:
                del self._waiting_now[address]

    def missed(self, address: str) -> Slowed | None:
        """Count an invalid link from ``address``. None: refuse it now, as the invalid link it is.
        Otherwise the address is past the threshold: this call has already waited (when a
        waiting place was free) and the caller answers ``too_many_attempts``.

        The caller must have ended its database transaction before: a sleeping greenlet must not
        hold the one SQLite connection.
        """
        if self.misses.add(address):
            return None
        retry_after = self.misses.retry_after(address)
        if self._take_place(address):
            from evalmeet.extensions import socketio

            try:
                socketio.sleep(self.delay)
            finally:
                self._leave_place(address)
        return Slowed(retry_after)

    def waiting_now(self) -> int:
        """How many invalid links are waiting for their answer in this process."""
        with self._lock:
            return self._waiting_now.total()


class Guards:
    """The app's guessing limits, on one storage."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        queue = config.get("MESSAGE_QUEUE") or ""
        if queue.startswith(("redis://", "rediss://", "unix://")):
            channel = config.get("MESSAGE_QUEUE_CHANNEL") or "evalmeet"
            storage = storage_from_string(
                queue,
                key_prefix=f"{channel}:guessing",  # installations sharing one Redis count apart
                wrap_exceptions=True,
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
            )
        else:
            storage = storage_from_string("memory://")
            # MemoryStorage starts a 10 ms expiry timer (a non-daemon thread) as it is made, and
            # starts another whenever a hit needs one. With nothing counted yet it has nothing to
            # expire: stop it, so a process that never counts (every CLI command) exits at once —
            # under libfaketime that idle timer's wait never ended and `evalmeet db upgrade` hung.
            idle = getattr(storage, "timer", None)
            if idle is not None:
                idle.cancel()
        self.storage = storage
        strategy = MovingWindowRateLimiter(storage)
        self.logins = LoginGuard(
            FailureCount(strategy, config["LOGIN_FAILURE_LIMIT"], "login"),
            FailureCount(strategy, config["LOGIN_ADDRESS_FAILURE_LIMIT"], "login-address"),
        )
        self.links = LinkGuard(
            FailureCount(strategy, config["LINK_MISS_LIMIT"], "link"),
            delay=float(config["LINK_MISS_DELAY"]),
            waiting_per_address=int(config["LINK_MISS_WAITING_PER_ADDRESS"]),
            waiting=int(config["LINK_MISS_WAITING"]),
        )


def init_app(app: Flask) -> None:
    """Build the app's guards (one storage for all of them)."""
    app.extensions[EXTENSION] = Guards(app)


def guards() -> Guards:
    """The current app's guards."""
    guards_: Guards = current_app.extensions[EXTENSION]
    return guards_


def too_many_links_message() -> str:
    """What an invalid link past the threshold is told (pages, JSON and the socket alike)."""
    from evalmeet.web import error_text

    return error_text.message_for("too_many_attempts")


def abort_slowed(slowed: Slowed, template: str | None = None) -> NoReturn:
    """Answer an invalid link past the threshold: 429 ``too_many_attempts`` with Retry-After, as
    JSON for API clients, else as ``template`` (rendered with ``code`` and ``message``) or the
    error page."""
    from evalmeet.web import error_response, wants_json

    message = too_many_links_message()
    if template is None or wants_json():
        response = make_response(error_response(429, "too_many_attempts", message))
    else:
        page = render_template(template, code="too_many_attempts", message=message)
        response = make_response(page, 429)
    response.headers["Retry-After"] = str(slowed.retry_after)
    abort(response)


def client_address() -> str:
    """The caller's address, for pages and for Socket.IO connects alike.

    Pages come through ProxyFix (``BEHIND_PROXY``), which has already put the forwarded address
    in ``remote_addr``. Socket.IO requests are answered by the Socket.IO middleware, which sits
    outside ProxyFix, so behind the proxy their address is read here the same way (the last
    ``X-Forwarded-For`` hop, the one our nginx added); otherwise every phone would count as the
    proxy's address.
    """
    environ = request.environ
    if current_app.config.get("BEHIND_PROXY") and "werkzeug.proxy_fix.orig" not in environ:
        hops = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.remote_addr or "unknown"
