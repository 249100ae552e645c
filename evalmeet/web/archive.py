"""The archive and the public disclosure page (厂务公开)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from evalmeet.extensions import db
from evalmeet.services import publishing

bp = Blueprint("archive", __name__)


@bp.get("/public")
def public() -> Any:
    """Published meetings: results, counts and actions; no login."""
    return render_template("archive/public.html", meetings=publishing.published_meetings(db.session))
