"""The server's garbage collector: the heap it starts with is never walked again.

CPython's cyclic collector walks every container object of the generation it collects. The
server's startup heap — Flask, SQLAlchemy, pydantic, the translations, WeasyPrint — is about
175,000 objects that live as long as the process, and a full (generation 2) collection that
walked them took 100–550 ms on the 2-core reference machine. It ran in the middle of vote
bursts, inside whatever allocated last, and every phone waited for it (py-spy showed it as a
quarter of a burst's time "in" URL matching; docs/performance.md). ``settle()`` collects once,
then freezes what is left (``gc.freeze``: a permanent generation the collector ignores). The
thresholds stay CPython's: young collections stay small, and cycles made later (greenlets,
exceptions, sockets of phones that left) are still collected.

What the phones bring is not frozen: 2,000 connected phones are again a few hundred thousand
objects, and a full collection of them took 100–250 ms, several times in a 2,000-phone run —
one inside a burst held every ballot behind it. ``FullCollectionHold`` puts full collections
off while ballots arrive: from a ballot until ``quiet`` seconds pass without one (at most
``longest`` seconds in all), generation 2 is not collected; young collections go on, and the
collection that was put off runs at once when the pause begins (not at the first allocations
of the next burst, which is where CPython would run it).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def settle() -> int:
    """Collect, then freeze the survivors out of later collections; returns how many were frozen.

    The collector is switched on here too: ``evalmeet serve`` starts with it off (cli.main)."""
    gc.collect()
    gc.freeze()
    gc.enable()
    return gc.get_freeze_count()


# A threshold of young collections between full ones that is never reached.
_NEVER = 1 << 30


class FullCollectionHold:
    """No full (generation 2) collection while ballots arrive (see the module docstring)."""

    def __init__(
        self, quiet: float = 5.0, longest: float = 60.0, clock: Callable[[], float] = time.monotonic
    ):
        self.quiet = quiet
        self.longest = longest
        self.clock = clock
        self._since: float | None = None  # when the hold began; None: not holding
        self._last = 0.0
        self._threshold2 = gc.get_threshold()[2]

    @property
    def holding(self) -> bool:
        """Whether full collections are put off now."""
        return self._since is not None

    def ballot(self) -> bool:
        """A ballot arrived: put full collections off. True when this began a hold (then the
        caller must see to ``due`` being asked until it ends)."""
        now = self.clock()
        self._last = now
        if self._since is not None:
            return False
        self._since = now
        young, middle, self._threshold2 = gc.get_threshold()
        gc.set_threshold(young, middle, _NEVER)
        return True

    def due(self) -> float | None:
        """Seconds until the hold may end; ``None`` once it has ended (thresholds restored)."""
        if self._since is None:
            return None
        now = self.clock()
        end = min(self._last + self.quiet, self._since + self.longest)
        if now < end:
            return end - now
        self.release()
        return None

    def release(self, collect: bool = True) -> None:
        """End the hold: the full collection that was put off, now, in the pause (else it would
        run at the next burst's first allocations), then CPython's own threshold again."""
        if self._since is None:
            return
        self._since = None
        if collect:
            gc.collect()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, self._threshold2)


# The server's hold (``evalmeet serve`` sets it: ``hold_during_votes``); None elsewhere (tests, the
# command line), where nothing would end a hold.
votes: FullCollectionHold | None = None


def hold_during_votes() -> FullCollectionHold:
    """Put full collections off while ballots arrive in this process (``realtime.live``)."""
    global votes
    votes = FullCollectionHold()
    return votes
