"""Per-socket rate limits: a token bucket for every client event, a slower pace for questions."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` events per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens if there are enough; False means: refuse this event."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class Pace:
    """At most one accepted action per ``interval`` seconds (questions from one phone)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = float(interval)
        self.clock = clock
        self.last: float | None = None

    def ready(self) -> bool:
        """Whether an action may happen now (does not record it)."""
        return self.last is None or self.clock() - self.last >= self.interval

    def record(self) -> None:
        """Remember that an action was accepted now."""
        self.last = self.clock()


class SocketLimits:
    """The limits of one socket."""

    def __init__(self, rate: float, burst: float, question_interval: float) -> None:
        self.events = TokenBucket(rate, burst)
        self.questions = Pace(question_interval)
