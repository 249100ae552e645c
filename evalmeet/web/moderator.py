"""Moderator pages: meetings, items, roster, join slips, the console."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from evalmeet.extensions import db
from evalmeet.services import meetings
from evalmeet.web.auth import moderator_page

bp = Blueprint("moderator", __name__)


@bp.get("/")
@moderator_page
def meetings_list() -> Any:
    """Alias of the meetings list."""
    return meetings_page()


@bp.get("/meetings")
@moderator_page
def meetings_page() -> Any:
    """The meetings list."""
    return render_template("moderator/meetings.html", meetings=meetings.list_meetings(db.session))


# Flask-Login's login_view and auth's redirect name this endpoint.
bp.add_url_rule("/meetings", endpoint="meetings", view_func=meetings_page)
