"""The representative's phone: the join link and the voting page."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, make_response, redirect, render_template, session, url_for

from evalmeet.domain.errors import NotFound
from evalmeet.domain.labels import CHOICE_LABELS
from evalmeet.extensions import db
from evalmeet.models import Representative
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings.live_state import build_state
from evalmeet.web import edge, labels
from evalmeet.web.guessing import abort_slowed, client_address, guards

bp = Blueprint("representative", __name__)
SESSION_KEY = "rep_token"


def raise_invalid_link(err: NotFound) -> NoReturn:
    """A 404 page in the phone's layout (JSON for API clients, through the app's error handler)."""
    from evalmeet.web import wants_json

    if wants_json():
        raise err
    abort(make_response(render_template("phone/invalid_link.html", code=err.code), 404))


def _representative(token: object) -> Representative:
    """The roster entry of the token this phone's session holds (not a guess: the session
    cookie is signed); a bad one is the invalid-link page."""
    try:
        return conduct.representative_by_token(db.session, token)
    except NotFound as err:
        session.pop(SESSION_KEY, None)
        raise_invalid_link(err)


@bp.get("/j/<token>")
def join(token: str) -> Any:
    """Check in (when live), remember the phone in the session, go to the voting page.

    A valid link always gets in at once, whatever this address sent before (a hall behind one
    NAT address). Invalid ones are counted per address and, past a threshold, answered late
    with 429 (web/guessing.py).
    """
    try:
        rep = conduct.representative_by_token(db.session, token)
    except NotFound as err:
        db.session.rollback()  # give the connection back before any wait
        slowed = guards().links.missed(client_address())
        session.pop(SESSION_KEY, None)
        if slowed is None:
            raise_invalid_link(err)
        abort_slowed(slowed, "phone/invalid_link.html")
    edge.commit(conduct.check_in(db.session, rep, "link"))  # attendance: the staff screens
    session[SESSION_KEY] = token
    session.permanent = True
    return redirect(url_for("representative.phone"))


@bp.get("/phone")
def phone() -> Any:
    """The voting page. It renders the current snapshot so the phone shows something useful
    before its socket connects (bad Wi-Fi); the live channel keeps it up to date."""
    token = session.get(SESSION_KEY)
    if token is None:
        return render_template("phone/no_session.html")
    rep = _representative(token)
    state = build_state(db.session, rep.meeting, rep).json_dict()
    # every preset's choices by name (a custom scale's come with the vote, as written)
    choice_labels = labels.names(CHOICE_LABELS)
    return render_template("phone/phone.html", rep=rep, state=state, choice_labels=choice_labels)
