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
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect, then freeze the survivors out of later collections; returns how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
