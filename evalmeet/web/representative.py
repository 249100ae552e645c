"""The representative's phone: the join link and the voting page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, session, url_for
from werkzeug.exceptions import HTTPException

from evalmeet.domain.errors import NotFound
from evalmeet.extensions import db
from evalmeet.models import Representative
from evalmeet.realtime import broadcast
from evalmeet.services import conduct
from evalmeet.services.live_state import build_state
from evalmeet.web.throttle import client_ip, limiter

bp = Blueprint("representative", __name__)
SESSION_KEY = "rep_token"


def _representative(token: object) -> Representative:
    """The roster entry of a join token; a bad one is a 404 page in the phone's layout
    (JSON for API clients, through the app's error handler)."""
    try:
        return conduct.representative_by_token(db.session, token)
    except NotFound as err:
        session.pop(SESSION_KEY, None)
        from evalmeet.web import wants_json

        if wants_json():
            raise
        abort(make_response(render_template("phone/invalid_link.html", code=err.code), 404))


@bp.get("/j/<token>")
def join(token: str) -> Any:
    """Check in (when live), remember the phone in the session, go to the voting page.

    Guessing links is slowed down by counting FAILED joins per address: a whole hall behind one
    NAT address joining with valid links is never held up.
    """
    ip = client_ip()
    if limiter.blocked("join_ip", ip):
        abort(make_response(render_template("phone/invalid_link.html", code="too_many_attempts"), 429))
    try:
        rep = _representative(token)
    except HTTPException:
        limiter.failed("join_ip", ip)
        raise
    except NotFound:
        limiter.failed("join_ip", ip)
        raise
    changed = conduct.check_in(db.session, rep, "link")
    db.session.commit()
    if changed:
        broadcast.state_changed(rep.meeting_id, phones=False)  # attendance: no phone shows it
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
    state = build_state(db.session, rep.meeting, rep)
    return render_template("phone/phone.html", rep=rep, state=state)
