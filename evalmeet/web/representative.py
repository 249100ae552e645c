"""The representative's phone: the join link and the voting page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, session, url_for

from evalmeet.extensions import db
from evalmeet.realtime import broadcast
from evalmeet.services import conduct

bp = Blueprint("representative", __name__)
SESSION_KEY = "rep_token"


@bp.get("/j/<token>")
def join(token: str) -> Any:
    """Check in (when live), remember the phone in the session, go to the voting page."""
    rep = conduct.representative_by_token(db.session, token)
    changed = conduct.check_in(db.session, rep, "link")
    db.session.commit()
    if changed:
        broadcast.state_changed(rep.meeting_id)
    session[SESSION_KEY] = token
    session.permanent = True
    return redirect(url_for("representative.phone"))


@bp.get("/phone")
def phone() -> Any:
    """The voting page (filled in by the live-room work)."""
    return "phone"
