"""The only place that emits. Called by the edges after commit, never inside a transaction.

Who gets what (rooms in :mod:`evalmeet.realtime.rooms`):

- ``state`` — the projector and moderators get the plain snapshot (``build_state`` without a
  representative). Phones get ONE shared snapshot per change instead of one per representative:
  a per-phone snapshot would cost a query and an emit per representative on every change (and
  check-ins alone would make that quadratic). In the shared snapshot ``voting.has_voted`` is
  ``false`` while nobody has voted in the round (then it is exact for everyone: that is the case
  right after voting opens), otherwise ``null`` meaning "unchanged: keep what you know", and
  ``me`` is left out. Each phone gets its own exact snapshot (``has_voted``, ``me``) when it
  connects or asks with ``sync``, and it knows whether it has voted from its own acks.
- ``progress`` — ``{item_id, ballots, present}`` to the whole meeting, at most once per
  ``PROGRESS_INTERVAL`` seconds per item (phones: ``PHONE_PROGRESS_INTERVAL``, see ``progress``),
  with a trailing emit so the last value always gets out (the trailing emit reads the database
  when it fires, so it carries the newest numbers). With several workers, one of them sends
  each interval's update to everyone (``gate.py``), not each of them.
- ``state`` broadcasts are coalesced the same way per meeting (``STATE_INTERVAL``, by default
  ``PROGRESS_INTERVAL``): a burst of check-ins becomes a few snapshots, not one per phone.
- ``result`` — the frozen result, to the whole meeting, at once.
- ``questions`` — ``{item_id, questions}`` with every question (pending and hidden too), to
  moderators only.
- ``state`` to one phone — its own exact snapshot (``me``, ``has_voted``) when that
  representative's own standing changed (marked present or absent by hand, the ballot channel).
- ``my_question`` — ``{question_id, item_id, status}`` to the author's phone when their question
  was moderated (approved, hidden, answered), so it stops saying "awaiting review".
- ``revoked`` — to a representative whose link was revoked; their sockets on this process are
  then disconnected. With a message queue (several processes) sockets held by another process
  are not reachable by id from here: they get the ``revoked`` event through the queue, and every
  event handler re-checks the link, so a revoked phone can do nothing more either way.

Broadcasts never raise: the change they announce is already committed, so a failed emit is
logged and the screens catch up at their next snapshot (every reconnect brings a full one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from evalmeet.domain.errors import NotFound
from evalmeet.extensions import db, socketio
from evalmeet.realtime.gate import gate
from evalmeet.realtime.rooms import NAMESPACE, meeting_room, mods_room, rep_room, reps_room, staff_room
from evalmeet.schemas.live import AlertsOut, MyQuestionOut
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings.alerts import alerts_for
from evalmeet.services.meetings.live_state import build_state
from evalmeet.services.meetings.questions import moderators_list
from evalmeet.services.voting import round as rounds

logger = logging.getLogger(__name__)


# --- plumbing ---------------------------------------------------------------------------------


@contextmanager
def _reading() -> Iterator[Session]:
    """A short-lived session of our own for reading what the caller just committed.

    On SQLite the pool has a single connection: if the caller's request session still holds it
    (it read something after committing), opening a second session here would wait for it
    forever, so we read through the caller's session instead and leave its transaction alone.
    """
    scoped = db.session
    if scoped.registry.has() and scoped().in_transaction() and db.engine.dialect.name == "sqlite":
        yield scoped()
        return
    own = Session(bind=db.engine, expire_on_commit=False)
    try:
        yield own
    finally:
        own.close()


def _emit(event: str, payload: Any, room: str) -> None:
    socketio.emit(event, payload, to=room, namespace=NAMESPACE)


def _safely(what: str, send: Callable[[], None]) -> None:
    try:
        send()
    except Exception:  # noqa: BLE001 - see the module docstring: broadcasts never raise
        logger.exception("broadcast %s failed", what)


class Throttle:
    """At most one send per ``interval`` per key, and a trailing send that reads fresh data.

    The first call sends at once. Calls within the interval schedule one trailing send at the
    interval's end (later calls find it scheduled and do nothing): the trailing send reads the
    database when it fires, after every commit whose broadcast found it scheduled.
    """

    def __init__(self) -> None:
        self._last: dict[Any, float] = {}
        self._scheduled: set[Any] = set()

    def pending(self, key: Any) -> bool:
        """Whether a trailing send for ``key`` is scheduled (a call now would do nothing)."""
        return key in self._scheduled

    def __call__(self, key: Any, interval: float, app: Flask, send: Callable[[], None]) -> None:
        """Send now, or make sure a trailing send is scheduled."""
        if key in self._scheduled:
            return
        now = time.monotonic()
        wait = self._last.get(key, float("-inf")) + interval - now
        if wait <= 0:
            self._last[key] = now
            send()
            return
        self._scheduled.add(key)
        socketio.start_background_task(self._trailing, key, wait, app, send)

    def _trailing(self, key: Any, wait: float, app: Flask, send: Callable[[], None]) -> None:
        socketio.sleep(wait)
        self._scheduled.discard(key)
        self._last[key] = time.monotonic()
        with app.app_context():
            send()

    def reset(self) -> None:
        """Forget everything (tests)."""
        self._last.clear()
        self._scheduled.clear()


throttle = Throttle()


def _interval(name: str) -> float:
    config = current_app.config
    value = config.get(name)
    if value is None:
        value = config.get("PROGRESS_INTERVAL", 0.25)
    return max(0.0, float(value))


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _current_item(session: Session, meeting_id: int) -> int | None:
    meeting = meetings.get_meeting(session, meeting_id)
    return meeting.current_item_id if meeting.status == "live" else None


# --- to one socket ----------------------------------------------------------------------------


def to_socket(sid: str, event: str, payload: Any) -> None:
    """Send one event to one socket (the snapshot a client gets when it connects)."""
    _safely(event, lambda: socketio.emit(event, payload, to=sid, namespace=NAMESPACE))


def drop_socket(sid: str, message: str) -> None:
    """Tell one socket its link is no longer valid and disconnect it (after its pending ack)."""

    def later() -> None:
        socketio.sleep(0.05)
        payload = {"message": message, "code": "invalid_token"}
        _safely("revoked", lambda: socketio.emit("revoked", payload, to=sid, namespace=NAMESPACE))
        _safely("disconnect", lambda: socketio.server.disconnect(sid, namespace=NAMESPACE))

    socketio.start_background_task(later)


# --- to rooms ---------------------------------------------------------------------------------


def _send_state(meeting_id: int, *, staff: bool = True, phones: bool = True) -> None:
    with _reading() as session:
        try:
            meeting = meetings.get_meeting(session, meeting_id)
        except NotFound:
            return  # deleted meanwhile: nobody to tell
        state = build_state(session, meeting)
        voting_now = state.voting
        ballots = 0
        if voting_now is not None and phones:
            ballots = rounds.ballots_cast(session, voting_now.item_id, voting_now.round)
    if staff:
        _emit("state", state.json_dict(), staff_room(meeting_id))
    if phones:
        _emit("state", state.for_phones(ballots).json_dict(), reps_room(meeting_id))


def state_changed(meeting_id: int, *, phones: bool = True) -> None:
    """Send every screen of the meeting a fresh ``state`` snapshot (coalesced per meeting).

    ``phones=False`` for changes no phone shows: attendance (a check-in). The shared snapshot
    carries no ``me``, and phones do not display the head count, yet a snapshot to every phone
    per interval on every worker while a hall of thousands checks in swamps the workers (their
    heartbeats to the phones come late and the phones drop) and the hall's Wi-Fi
    (docs/performance.md). Screens and phones are throttled apart, so a change for everyone
    never waits behind a staff-only one.
    """
    app, interval = _app(), _interval("STATE_INTERVAL")
    _safely(
        "state",
        lambda: throttle(
            ("state", meeting_id),
            interval,
            app,
            lambda: _safely("state", lambda: _send_state(meeting_id, phones=False)),
        ),
    )
    if phones:
        _safely(
            "state",
            lambda: throttle(
                ("state:phones", meeting_id),
                interval,
                app,
                lambda: _safely("state", lambda: _send_state(meeting_id, staff=False)),
            ),
        )


def _send_progress(item_id: int, room: str) -> None:
    with _reading() as session:
        try:
            item = meetings.get_item(session, item_id)
        except NotFound:
            return
        if item.status != "voting":
            return  # closed meanwhile: the result carries the final numbers
        payload = rounds.progress(session, item_id).json_dict()
    _emit("progress", payload, room)


def progress(item_id: int, meeting_id: int) -> None:
    """Send ``{item_id, ballots, present}`` (rate-limited per item, the last value always sent).

    The projector and consoles get it every ``PROGRESS_INTERVAL``; phones every
    ``PHONE_PROGRESS_INTERVAL`` (by default the same). Each emit costs one message per phone on
    every worker, so with thousands of phones a fast phone stream swamps the workers while a
    vote is on (docs/performance.md), and a phone needs "n of m have voted" far less often
    than the room's screen does.
    """
    if throttle.pending(("progress:staff", item_id)) and throttle.pending(("progress:phones", item_id)):
        return  # most ballots of a burst: both trailing sends are already on their way
    app = _app()
    staff, phones = staff_room(meeting_id), reps_room(meeting_id)
    _throttled_progress(app, item_id, "staff", staff, _interval("PROGRESS_INTERVAL"))
    _throttled_progress(app, item_id, "phones", phones, phone_interval(phones))


def phone_interval(room: str) -> float:
    """How often the phones of ``room`` hear ``progress``: ``PHONE_PROGRESS_INTERVAL``, or longer
    when the room is big — at most ``PHONE_PROGRESS_BUDGET`` messages a second on this worker.

    Every emit is one message per phone, and the phones' progress lands in the middle of the vote
    it reports on: at 0.25 s, 2,000 phones cost 8,000 messages a second while 2,000 ballots were
    being acked (docs/performance.md). A room of 50 phones still hears every 0.25 s; 2,000 every
    second with the default budget of 2,000.
    """
    base = _interval("PHONE_PROGRESS_INTERVAL")
    budget = float(current_app.config.get("PHONE_PROGRESS_BUDGET") or 0)
    if budget <= 0:
        return base
    here = socketio.server.manager.rooms.get(NAMESPACE, {}).get(room) if socketio.server else None
    return max(base, len(here or ()) / budget)


def _throttled_progress(app: Flask, item_id: int, audience: str, room: str, interval: float) -> None:
    """This worker's throttle, then the cluster's gate: one stream per audience and item."""

    def send() -> None:
        _safely("progress", lambda: _send_progress(item_id, room))

    gated = f"progress:{audience}:{item_id}"
    _safely(
        "progress",
        lambda: throttle(
            (f"progress:{audience}", item_id), interval, app, lambda: gate.send(app, gated, interval, send)
        ),
    )


def result(meeting_id: int, payload: dict[str, Any]) -> None:
    """Send the frozen result to the meeting's room."""
    _safely("result", lambda: _emit("result", payload, meeting_room(meeting_id)))


def _send_questions(meeting_id: int, item_id: int | None) -> None:
    with _reading() as session:
        if item_id is None:
            item_id = _current_item(session, meeting_id)
        payload = moderators_list(session, item_id).json_dict()
    _emit("questions", payload, mods_room(meeting_id))


def question_asked(meeting_id: int, item_id: int) -> None:
    """A new (pending) question: only the moderators' list changes."""
    _safely("questions", lambda: _send_questions(meeting_id, item_id))


def questions_changed(meeting_id: int, item_id: int | None = None) -> None:
    """Questions were moderated: moderators get the list, every screen a snapshot (approved
    questions are part of ``state``). ``item_id`` defaults to the item on the floor."""
    _safely("questions", lambda: _send_questions(meeting_id, item_id))
    state_changed(meeting_id)


def rep_state(meeting_id: int, rep_id: int) -> None:
    """Send one representative's phone its own exact snapshot (not throttled: one socket)."""

    def send() -> None:
        with _reading() as session:
            try:
                meeting = meetings.get_meeting(session, meeting_id)
                rep = meetings.get_representative(session, rep_id)
            except NotFound:
                return
            state = build_state(session, meeting, rep)
        _emit("state", state.json_dict(), rep_room(rep_id))

    _safely("state", send)


def my_question(rep_id: int, question_id: int, item_id: int, status: str) -> None:
    """Tell a question's author what became of it."""
    payload = MyQuestionOut(question_id=question_id, item_id=item_id, status=status).json_dict()
    _safely("my_question", lambda: _emit("my_question", payload, rep_room(rep_id)))


def alert(meeting_id: int) -> None:
    """A new alert (a link on a second device, a re-issued link): to the console and the
    projector at once, as an ``alert`` event with the newest alerts, and in their next state."""

    def send() -> None:
        with _reading() as session:
            payload = AlertsOut(alerts=alerts_for(session, meeting_id)).json_dict()
        _emit("alert", payload, staff_room(meeting_id))

    _safely("alert", send)
    state_changed(meeting_id, phones=False)


def token_revoked(meeting_id: int, rep_id: int) -> None:
    """Disconnect the sockets of a representative whose link was revoked."""
    room = rep_room(rep_id)
    message = "this join link was revoked"
    _safely("revoked", lambda: _emit("revoked", {"message": message, "code": "invalid_token"}, room))

    def disconnect_local() -> None:
        for sid, _eio_sid in list(socketio.server.manager.get_participants(NAMESPACE, room)):
            socketio.server.disconnect(sid, namespace=NAMESPACE)

    _safely("disconnect", disconnect_local)
