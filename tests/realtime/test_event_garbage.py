"""A socket event leaves no reference cycles behind for the garbage collector.

Each event runs in a request context for ``/socket.io/``, which matches no route; the router's
``NotFound`` (and its traceback, holding the frames that hold the context) made a cycle of
about 56 objects per ballot that only a collection could free — collections that stopped every
phone mid-burst (docs/performance.md). ``live._drop_routing_cycle`` breaks it.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator

import pytest

from evalmeet.realtime.rooms import NAMESPACE
from tests.realtime.conftest import connect


@pytest.fixture
def saved_garbage() -> Iterator[list[object]]:
    """What the collector finds unreachable while the test runs (kept, not freed)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.garbage.clear()
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_votes_leave_no_routing_cycles(app, session, plain_meeting, api, saved_garbage):
    meeting = plain_meeting(reps=3)
    item_id = meeting.items[0].id
    assert api.post(f"items/{item_id}/voting/open").status_code == 200
    phones = [connect(app, {"token": rep.join_token}) for rep in meeting.reps]
    gc.collect()
    saved_garbage.clear()

    for n, phone in enumerate(phones):
        ack = phone.emit(
            "cast_vote",
            {"item_id": item_id, "choice": "satisfied", "key": f"{n:032d}"},
            namespace=NAMESPACE,
            callback=True,
        )
        assert ack["ok"] is True
        phone.emit("sync", {}, namespace=NAMESPACE, callback=True)
    gc.collect()

    kinds = Counter(type(o).__name__ for o in saved_garbage)
    assert kinds["NotFound"] == 0 and kinds["traceback"] == 0 and kinds["RequestContext"] == 0, kinds
