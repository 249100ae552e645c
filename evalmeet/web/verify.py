"""``/verify``: anyone checks a receipt code, typed or scanned (no login, phone-sized).

A representative's phone keeps its receipt codes and links each one here as
``/verify?code=...``; the page says whether a ballot with that code was counted, in which
meeting, item and round, and never what it chose (the service has no choice to give).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from evalmeet.domain.errors import NotFound
from evalmeet.extensions import db
from evalmeet.services.meetings.meeting import get_item
from evalmeet.services.voting import round as rounds

bp = Blueprint("verify", __name__)


@bp.get("/verify")
def verify() -> Any:
    """The form, and with ``?code=`` the answer: counted (meeting, item, round) or not found."""
    code = request.args.get("code", "")[:40].strip()
    found = None
    item = None
    if code:
        try:
            found = rounds.check_receipt(db.session, code)
        except NotFound:
            found = None
        else:
            item = get_item(db.session, found.item_id)
    return render_template(
        "verify/verify.html",
        code=code,
        found=found,
        item=item,
        meeting=item.meeting if item is not None else None,
    )
