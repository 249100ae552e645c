"""evalmeet/heap.py: the server's startup heap is frozen out of the garbage collector's walks."""

from __future__ import annotations

import gc

from evalmeet import heap


def test_settle_freezes_what_lives_and_later_cycles_are_still_collected() -> None:
    gc.unfreeze()
    try:
        frozen = heap.settle()
        assert frozen == gc.get_freeze_count() > 1000
        young = sum(len(gc.get_objects(generation)) for generation in range(3))
        assert young < frozen  # what was there is no longer in any generation the collector walks

        class Node:
            other: object = None

        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle made after settling
        del a, b
        assert gc.collect() >= 2
    finally:
        gc.unfreeze()
