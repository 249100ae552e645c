"""The ``/live`` Socket.IO namespace: who may connect, and the phones' events.

Three kinds of sockets (see contract.md and ``rooms.py``):

- a representative's phone: ``auth: {"token": <join token>}`` or the session cookie set by
  ``GET /j/<token>``. Connecting while the meeting is live checks the representative in.
- the projector: ``auth: {"display": <meeting display token>}``.
- a moderator's console: ``auth: {"meeting_id": N}`` with a logged-in admin/moderator session,
  or ``auth: {"api_token": <API token>, "meeting_id": N}``.

An invalid ``token`` or ``display`` sent in ``auth`` counts as a guess for its address, like an
invalid join link (web/guessing.py): past the threshold it is refused late, ``too_many_attempts``;
a valid one is never held up.

Handlers parse the payload into its model (``evalmeet.schemas.live``) and authorise, call one
service, commit through ``evalmeet.web.edge`` (which then runs the events' broadcasts), and
answer with an ack; a ballot acked ``ok`` is committed (by the group commit) before the ack
leaves, and its event goes through the same after-commit steps. They never raise: domain errors become
``{"ok": false, "error": {...}}``, anything else is logged and answered ``internal_error``. The
database session is removed after every event, whatever app context the event ran in (each runs
in one of its own, ``bind_events``, but the session is the greenlet's). ``remove()`` also rolls
back whatever a failed event left uncommitted (closing, unlike ``rollback()``, leaves objects
other code still holds readable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy.exc import OperationalError

from evalmeet import heap
from evalmeet.domain.errors import DomainError, NotAllowed, NotFound
from evalmeet.extensions import db, socketio
from evalmeet.models import Account, Meeting, Representative
from evalmeet.realtime import broadcast, group_commit, wire_json
from evalmeet.realtime.payloads import InvalidPayload, RateLimited, error_ack, parse_event, refusal
from evalmeet.realtime.ratelimit import SocketLimits
from evalmeet.realtime.rooms import NAMESPACE, meeting_room, mods_room, rep_room, reps_room, staff_room
from evalmeet.schemas.live import (
    AskQuestionBody,
    CastVoteBody,
    DeclareRecusalBody,
    LiveAuth,
    LiveStateOut,
    ProgressOut,
    QuestionAck,
    SupportAck,
    SupportQuestionBody,
    SyncAck,
    SyncBody,
    VoteAck,
)
from evalmeet.schemas.questions import QuestionListOut
from evalmeet.services import events as ev
from evalmeet.services.accounts import users as accounts
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import questions as question_service
from evalmeet.services.meetings import recusals as recusal_service
from evalmeet.services.meetings import screens as console
from evalmeet.services.meetings.live_state import build_state
from evalmeet.services.voting import ballots as voting
from evalmeet.web import edge, error_text, select_locale

logger = logging.getLogger(__name__)

# The session key web/representative.py stores the join token under.
REP_SESSION_KEY = "rep_token"


@dataclass
class LiveClient:
    """What a connected socket is: its kind, meeting, and (for phones) representative."""

    kind: str  # "rep" | "projector" | "moderator"
    meeting_id: int
    limits: SocketLimits
    rep_id: int | None = None
    token: str | None = None
    account_id: int | None = None
    rooms: list[str] = field(default_factory=list)
    locale: str | None = None  # the language of its handshake (``?lang=en``, the cookie), for its acks


# sid -> client, for the sockets this process holds (a socket lives on exactly one process).
clients: dict[str, LiveClient] = {}


def _limits() -> SocketLimits:
    config = current_app.config
    return SocketLimits(
        rate=float(config.get("LIVE_EVENT_RATE", 10)),
        burst=float(config.get("LIVE_EVENT_BURST", 20)),
        question_interval=float(config.get("QUESTION_INTERVAL", 3)),
    )


# --- connecting -------------------------------------------------------------------------------


@dataclass
class _Welcome:
    client: LiveClient
    state: LiveStateOut
    progress: ProgressOut | None = None
    questions: QuestionListOut | None = None


def _moderator_account(auth: LiveAuth) -> Account:
    if "api_token" in auth.given():
        token = auth.api_token
        account = accounts.account_for_token(db.session, token) if isinstance(token, str) else None
    else:
        from evalmeet.web.auth import current_account

        account = current_account()
    if account is None:
        raise NotAllowed("log in as a moderator (or send a valid api_token)", code="unauthorized")
    if not account.can_moderate:
        raise NotAllowed("this needs a moderator or admin account", code="forbidden")
    return account


def _progress_of(state: LiveStateOut) -> ProgressOut | None:
    return console.voting_progress(db.session, state)


def _welcome_projector(auth: LiveAuth) -> ev.Done[_Welcome]:
    meeting = console.meeting_for_display(db.session, auth.display)
    state = build_state(db.session, meeting)
    rooms = [meeting_room(meeting.id), staff_room(meeting.id)]
    client = LiveClient("projector", meeting.id, _limits(), rooms=rooms)
    return ev.done(_Welcome(client, state, _progress_of(state)))


def _welcome_moderator(auth: LiveAuth) -> ev.Done[_Welcome]:
    account = _moderator_account(auth)
    meeting: Meeting = meetings.get_meeting(db.session, auth.meeting_id)
    state = build_state(db.session, meeting)
    current = meeting.current_item_id if meeting.status == "live" else None
    client = LiveClient(
        "moderator",
        meeting.id,
        _limits(),
        account_id=account.id,
        rooms=[meeting_room(meeting.id), staff_room(meeting.id), mods_room(meeting.id)],
    )
    questions = question_service.moderators_list(db.session, current)
    return ev.done(_Welcome(client, state, _progress_of(state), questions))


def _welcome_representative(auth: LiveAuth) -> ev.Done[_Welcome]:
    sent_token = "token" in auth.given()
    token = auth.token if sent_token else session.get(REP_SESSION_KEY)
    if token is None and not sent_token:
        raise NotAllowed(
            "open your personal join link first (scan the QR code on your slip)", code="no_credentials"
        )
    rep = conduct.representative_by_token(db.session, token)
    arrived = conduct.phone_connected(db.session, rep, auth.device)
    state = build_state(db.session, rep.meeting, rep)
    client = LiveClient(
        "rep",
        rep.meeting_id,
        _limits(),
        rep_id=rep.id,
        token=rep.join_token,
        rooms=[meeting_room(rep.meeting_id), reps_room(rep.meeting_id), rep_room(rep.id)],
    )
    return ev.Done(_Welcome(client, state, _progress_of(state)), arrived.events)


def _welcome(auth: Any) -> ev.Done[_Welcome]:
    data = LiveAuth.model_validate(auth)
    if data.kind == "projector":
        return _welcome_projector(data)
    if data.kind == "moderator":
        return _welcome_moderator(data)
    return _welcome_representative(data)


# Refusals of a link sent in ``auth`` (a possible guess), by the auth key that carried it.
_GUESSABLE = {"token": "invalid_token", "display": "invalid_display_token"}


def _refusal(auth: Any, err: DomainError) -> ConnectionRefusedError:
    """The connect refusal for ``err``; an invalid link in ``auth`` is counted (and, past the
    threshold, waited on and refused ``too_many_attempts``) like an invalid join link."""
    guessed = isinstance(auth, dict) and any(
        key in auth and err.code == code for key, code in _GUESSABLE.items()
    )
    error_text.socket_locale()
    if not guessed:
        return ConnectionRefusedError(error_text.error_message(err), {"code": err.code})
    from evalmeet.web.guessing import client_address, guards

    db.session.remove()  # give the connection back before any wait
    slowed = guards().links.missed(client_address())
    if slowed is None:
        return ConnectionRefusedError(error_text.error_message(err), {"code": err.code})
    return ConnectionRefusedError(
        error_text.message_for("too_many_attempts"),
        {"code": "too_many_attempts", "retry_after": slowed.retry_after},
    )


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth: Any = None) -> None:
    """Authenticate, join the rooms, send the snapshot; refuse with a message otherwise.

    A connected socket that sends an EVENT named ``connect`` (``42/live,["connect"]``) reaches
    this handler too (Flask-SocketIO dispatches by name): it is ignored, quietly — refusing it
    would raise outside a connection attempt and log a traceback per packet.
    """
    _drop_routing_cycle()
    if request.sid in clients:  # type: ignore[attr-defined]
        return
    try:
        # Commit (a check-in, the device seen) and then the after-commit steps: the staff
        # screens hear of the attendance or of a second device's alert.
        welcome = edge.commit(_welcome(auth))
    except DomainError as err:  # the finally's remove() rolls back
        raise _refusal(auth, err) from None
    except OperationalError:  # SQLite locked by another process, PostgreSQL restarting
        logger.warning("live connect: database unavailable")
        error_text.socket_locale()
        raise ConnectionRefusedError(
            error_text.message_for("temporarily_unavailable"), {"code": "temporarily_unavailable"}
        ) from None
    except Exception:
        logger.exception("live connect failed")
        error_text.socket_locale()
        raise ConnectionRefusedError(
            error_text.message_for("internal_error"), {"code": "internal_error"}
        ) from None
    finally:
        db.session.remove()
    sid = request.sid  # type: ignore[attr-defined]
    client = welcome.client
    client.locale = select_locale()
    for room in client.rooms:
        join_room(room)
    clients[sid] = client
    broadcast.to_socket(sid, "state", welcome.state.json_dict())
    if welcome.progress is not None:
        broadcast.to_socket(sid, "progress", welcome.progress.json_dict())
    if welcome.questions is not None:
        broadcast.to_socket(sid, "questions", welcome.questions.json_dict())


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(reason: Any = None) -> None:
    """Forget the socket (presence stays: it is a check-in, not a live connection count)."""
    clients.pop(request.sid, None)  # type: ignore[attr-defined]


# --- events -----------------------------------------------------------------------------------


Handler = Callable[[str, LiveClient, Any], dict[str, Any]]
Dispatch = Callable[..., dict[str, Any]]

# name -> handler(sid, payload, *extra) of every ``@live_event``, bound to each Socket.IO server
# by ``bind_events`` (init_realtime).
_events: dict[str, Dispatch] = {}


def _drop_routing_cycle() -> None:
    """Free the router's 404 of this connect's request context now, not in a garbage collection.

    Flask-SocketIO opens a request context for the connect, with the socket's URL
    (``/socket.io/``), which matches no route: Flask keeps the ``NotFound`` on the request, and
    its traceback holds the frames that hold the context — a reference cycle of about 56 objects
    that only the cyclic collector can free. At a thousand events a second those collections
    were a fifth of the server's time in a burst (docs/performance.md). Without the traceback
    and the exception it replaced, reference counting frees it all when the connect ends.
    (The events themselves run in no request context at all: see ``bind_events``.)
    """
    exc = request.routing_exception
    if exc is not None:
        exc.__traceback__ = None
        exc.__context__ = None


def live_event(name: str, *kinds: str) -> Callable[[Handler], Dispatch]:
    """Register ``name`` on ``/live`` for the given kinds of socket, with the rules every
    handler shares: known socket, rate limit, never raise, session removed afterwards."""

    def decorate(fn: Handler) -> Dispatch:
        @wraps(fn)
        def handler(sid: str, payload: Any = None, *_extra: Any) -> dict[str, Any]:
            try:
                client = clients.get(sid)
                if client is None:
                    return refusal("not_connected")
                if not client.limits.events.take():
                    raise RateLimited("too many requests; wait a moment and try again")
                if client.kind not in kinds:
                    raise NotAllowed(
                        f"{name} is not available on this screen",
                        code="not_allowed",
                        reason="wrong_screen",
                        event=name,
                    )
                return fn(sid, client, payload)
            except DomainError as err:
                return error_ack(err)
            except OperationalError as exc:
                # Database busy (SQLite lock held too long) or unreachable (PostgreSQL restarting):
                # nothing was committed, so the phone may simply send the same thing again. One
                # line, no traceback: a lock held during a vote would otherwise flood the log.
                logger.warning("live event %s: database unavailable: %s", name, str(exc.orig).split("\n")[0])
                return refusal("temporarily_unavailable")
            except Exception:
                logger.exception("live event %s failed", name)
                return refusal("internal_error")
            finally:
                db.session.remove()

        _events[name] = handler
        return handler

    return decorate


def bind_events(app: Flask, server: Any) -> None:
    """Put every ``@live_event`` handler on ``server`` (python-socketio) itself, each run in an
    app context of ``app`` in the language the socket connected in.

    Not through Flask-SocketIO's ``on_event``, which opens a whole request context for every
    event — a Werkzeug request built from the handshake's environ, the session cookie decoded
    and verified again, the URL routed (to a 404: ``/socket.io/``) — 15% of the server's time
    in a 1,000-phone vote (docs/performance.md). No event handler reads the request: the
    socket's id comes as an argument, what it is (``LiveClient``) was settled when it connected,
    and so was its language (``select_locale`` reads ``g.locale`` outside a request).
    """

    def in_app(handler: Dispatch) -> Dispatch:
        def run(sid: str, *args: Any) -> dict[str, Any]:
            client = clients.get(sid)
            with app.app_context():
                g.locale = client.locale if client is not None else None
                return handler(sid, *args)

        return run

    for name, handler in _events.items():
        server.on(name, in_app(handler), namespace=NAMESPACE)


def _representative(sid: str, client: LiveClient) -> Representative:
    """The socket's representative, re-checked: a revoked or replaced link ends the socket."""
    assert client.rep_id is not None
    try:
        rep = meetings.get_representative(db.session, client.rep_id)
    except NotFound:
        rep = None
    if rep is None or rep.revoked or rep.join_token != client.token:
        broadcast.drop_socket(sid, "this join link is no longer valid")
        raise NotAllowed("your join link is no longer valid", code="not_allowed", reason="link_invalid")
    return rep


@live_event("cast_vote", "rep")
def cast_vote(sid: str, client: LiveClient, payload: Any) -> dict[str, Any]:
    """``{item_id, choice, key, round?}`` → ``{"ok": true, "receipt"}``; the same key again is the
    same ballot (same receipt, counted once). ``round`` (optional, the phone sends it) keeps a
    retried ballot out of a later re-vote."""
    vote = parse_event(CastVoteBody, payload)
    assert client.rep_id is not None
    if heap.votes is not None and heap.votes.ballot():  # no full collection inside the burst
        socketio.start_background_task(_end_hold, heap.votes)
    # Committed (durable) before the ack, together with the ballots that arrived meanwhile.
    try:
        outcome = group_commit.ballots.run(voting.CastRequest(client.rep_id, vote, client.token))
    except voting.LinkNoLongerValid:  # revoked or replaced since this socket connected
        broadcast.drop_socket(sid, "this join link is no longer valid")
        raise
    edge.after_commit(outcome.events)
    return VoteAck.sent(outcome.receipt, outcome.item_id)


def _end_hold(hold: heap.FullCollectionHold) -> None:
    """Wait for the pause in the ballots that lets full collections run again."""
    while (wait := hold.due()) is not None:
        socketio.sleep(wait)


@live_event("ask_question", "rep")
def ask_question(sid: str, client: LiveClient, payload: Any) -> dict[str, Any]:
    """``{item_id, text}`` → ``{"ok": true, "question_id"}`` (moderated before anyone sees it)."""
    AskQuestionBody.envelope(payload)  # a bad payload is refused before the link is checked
    rep = _representative(sid, client)
    if not client.limits.questions.ready():
        seconds = f"{client.limits.questions.interval:g}"
        raise RateLimited(
            f"one question every {seconds} seconds, please", reason="question_interval", seconds=seconds
        )
    question = edge.commit(
        question_service.ask_question(db.session, rep, parse_event(AskQuestionBody, payload))
    )
    client.limits.questions.record()
    return QuestionAck(question_id=question.id).json_dict()


@live_event("declare_recusal", "rep")
def declare_recusal(sid: str, client: LiveClient, payload: Any) -> dict[str, Any]:
    """``{item_id, reason}`` → ``{"ok": true}``: this phone's representative recuses from the item,
    before its voting first opens (``voting_open`` / ``voting_closed`` after, ``already_recused``)."""
    DeclareRecusalBody.envelope(payload)  # a bad payload is refused before the link is checked
    rep = _representative(sid, client)
    edge.commit(recusal_service.declare_own(db.session, rep, parse_event(DeclareRecusalBody, payload)))
    return {"ok": True}


@live_event("support_question", "rep")
def support_question(sid: str, client: LiveClient, payload: Any) -> dict[str, Any]:
    """``{question_id}`` → ``{"ok": true, "support": n}``: back an approved question of the item on
    the floor, once (a repeat answers the same count); else ``invalid_question``."""
    body = parse_event(SupportQuestionBody, payload)
    rep = _representative(sid, client)
    support = edge.commit(question_service.support_question(db.session, rep, body))
    return SupportAck(support=support).json_dict()


@live_event(wire_json.UNPARSEABLE, "rep", "projector", "moderator")
def unparseable(sid: str, client: LiveClient, payload: Any) -> dict[str, Any]:
    """A packet that was not JSON, or nested too deep to read (see ``wire_json``)."""
    raise InvalidPayload("the event is not valid JSON", reason="unparseable")


@live_event("sync", "rep", "projector", "moderator")
def sync(sid: str, client: LiveClient, payload: Any) -> dict[str, Any]:
    """Ask for this socket's own full snapshot again (in the ack). A phone asks when the meeting
    goes live while it is connected: like connecting, that checks the representative in."""
    parse_event(SyncBody, {} if payload is None else payload)
    checked_in: ev.Done[Any] = ev.done(None)
    questions = None
    if client.kind == "rep":
        rep = _representative(sid, client)
        checked_in = conduct.check_in(db.session, rep, "socket")
        state = build_state(db.session, rep.meeting, rep)
    else:
        meeting = meetings.get_meeting(db.session, client.meeting_id)
        state = build_state(db.session, meeting)
        if client.kind == "moderator":
            current = meeting.current_item_id if meeting.status == "live" else None
            questions = question_service.moderators_list(db.session, current)
    progress = _progress_of(state)
    edge.commit(checked_in)  # a check-in: the staff screens' attendance
    return SyncAck(state=state, progress=progress, questions=questions).json_dict()
