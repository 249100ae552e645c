"""Fuzzed payloads for every client event: always an ack with an error code, never a crash,
never a half-stored ballot."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from evalmeet.extensions import db
from evalmeet.models import Ballot, Participation, Question
from evalmeet.realtime.rooms import NAMESPACE
from evalmeet.services.meetings import conduct
from evalmeet.services.voting import round as rounds
from tests.realtime.conftest import connect

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=600),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["item_id", "choice", "key", "text", "round"]) | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=10,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=st.sampled_from(["cast_vote", "ask_question", "sync"]), payload=JSONISH)
def test_fuzzed_events_get_an_ack_and_store_nothing_half(app, session, meeting_factory, event, payload):
    with app.app_context():
        if not hasattr(app, "_fuzz_live"):
            live = meeting_factory(reps=3)
            conduct.present_item(session, live.items[0].id, "mod")
            rounds.open_voting(session, live.items[0].id, "mod")
            session.commit()
            app._fuzz_live = live  # type: ignore[attr-defined]
        live = app._fuzz_live  # type: ignore[attr-defined]
    sock = connect(app, {"token": live.reps[0].join_token})
    assert sock.is_connected(NAMESPACE)
    try:
        ack = sock.emit(event, payload, namespace=NAMESPACE, callback=True)
    finally:
        sock.disconnect(namespace=NAMESPACE)
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    if not ack["ok"]:
        assert isinstance(ack["error"]["code"], str) and ack["error"]["code"] != "internal_error", ack
        assert isinstance(ack["error"]["message"], str)
    with app.app_context():
        ballots = db.session.scalar(select(func.count()).select_from(Ballot))
        parts = db.session.scalar(select(func.count()).select_from(Participation))
        assert ballots == parts <= 1
        assert db.session.scalar(select(func.count()).select_from(Question)) <= 80
        db.session.remove()
