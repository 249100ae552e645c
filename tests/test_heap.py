"""evalmeet/heap.py: the server's startup heap is frozen out of the garbage collector's walks."""

from __future__ import annotations

import gc
import weakref
from typing import Any

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


def cycle() -> Any:
    """A garbage cycle, and a weak reference that tells whether it was collected."""

    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    del a, b
    return ref


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_full_collections_wait_for_a_pause_in_the_ballots() -> None:
    before = gc.get_threshold()
    clock = FakeClock()
    hold = heap.FullCollectionHold(quiet=5, longest=60, clock=clock)
    try:
        assert hold.ballot() is True  # the first ballot begins the hold
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 1_000_000
        clock.now += 3
        assert hold.ballot() is False  # already holding
        assert hold.due() == 5  # five quiet seconds after the last ballot
        clock.now += 4.9
        assert hold.due() is not None and hold.holding
        clock.now += 0.2
        gc.disable()  # no collection of CPython's own between here and the end of the hold
        try:
            made_meanwhile = cycle()
            assert made_meanwhile() is not None
            assert hold.due() is None and not hold.holding
            assert made_meanwhile() is None  # the put-off collection ran as the hold ended
        finally:
            gc.enable()
        assert gc.get_threshold() == before
    finally:
        hold.release(collect=False)
        gc.set_threshold(*before)


def test_a_steady_trickle_of_ballots_holds_full_collections_a_minute_at_most() -> None:
    before = gc.get_threshold()
    clock = FakeClock()
    hold = heap.FullCollectionHold(quiet=5, longest=60, clock=clock)
    try:
        hold.ballot()
        for _ in range(29):
            clock.now += 2
            hold.ballot()
            assert hold.holding and hold.due() is not None
        clock.now += 2  # 60 s since the hold began
        hold.ballot()
        assert hold.due() is None
        assert gc.get_threshold() == before
    finally:
        hold.release(collect=False)
        gc.set_threshold(*before)


def test_settle_switches_the_collector_back_on() -> None:
    """``evalmeet serve`` builds its app with the collector off (cli.main): settle turns it on,
    or the server would never collect a cycle again."""
    gc.disable()
    try:
        heap.settle()
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_command_switches_the_collector_on_once_its_app_is_built(tmp_path: Any) -> None:
    """The console script starts with the collector off; a command's app turns it back on."""
    import subprocess
    import sys

    code = "import gc, sys; from evalmeet import cli; gc.disable();app = cli._app(); print(gc.isenabled())"
    env = {"EVALMEET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "EVALMEET_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stderr


def test_the_suite_runs_its_tests_with_the_collector_on() -> None:
    """tests/conftest.py switches it off while collecting and back on once collection ends."""
    assert gc.isenabled()
