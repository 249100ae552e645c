"""Voting rounds: open, close, revote, results and receipts."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from evalmeet.db import scrub_sqlite_wal
from evalmeet.extensions import db
from evalmeet.realtime import broadcast
from evalmeet.schemas.meetings import ItemOut
from evalmeet.schemas.voting import ReceiptCheckOut, ReceiptsOut, ResultHistoryOut, ResultOut, RevoteBody
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import ballots as voting
from evalmeet.web.api.base import (
    answer,
    authenticate,
    body_of,
    bp,
    documented,
    moderator,
    reader,
)
from evalmeet.web.auth import actor_name


@bp.post("/items/<int:item_id>/voting/open")
@documented("200", ItemOut)
@moderator
def open_voting(item_id: int) -> Any:
    """Open voting (409 ``quorum_not_met`` when too few are present)."""
    item = voting.open_voting(db.session, item_id, actor_name())
    db.session.commit()
    broadcast.state_changed(item.meeting_id)
    broadcast.progress(item.id, item.meeting_id)
    return answer(ItemOut.of(item))


@bp.post("/items/<int:item_id>/voting/close")
@documented("200", ResultOut)
@moderator
def close_voting(item_id: int) -> Any:
    """Close voting; answers with the frozen result."""
    result = voting.close_voting(db.session, item_id, actor_name())
    meeting_id = voting.item_meeting_id(db.session, item_id)
    db.session.commit()
    scrub_sqlite_wal(db.engine)  # the log's commit order must not outlive the vote
    payload = ResultOut.of(result).json_dict()
    broadcast.result(meeting_id, payload)
    broadcast.state_changed(meeting_id)
    return jsonify(payload)


@bp.post("/items/<int:item_id>/revote")
@documented("200", ItemOut, json=RevoteBody)
@moderator
def revote(item_id: int) -> Any:
    """Re-run a decided item's vote: ``{"reason": "..."}``; the earlier result stays on record."""
    item = voting.revote(db.session, item_id, body_of(RevoteBody).reason, actor_name())
    db.session.commit()
    broadcast.state_changed(item.meeting_id)
    return answer(ItemOut.of(item))


@bp.get("/items/<int:item_id>/result")
@documented("200", ResultOut)
@reader
def get_result(item_id: int) -> Any:
    """The frozen result of the latest round (409 while voting is open)."""
    return answer(ResultOut.of(voting.get_result(db.session, item_id)))


@bp.get("/items/<int:item_id>/results")
@documented("200", ResultHistoryOut)
@reader
def result_history(item_id: int) -> Any:
    """Every round's frozen result, re-votes included."""
    meetings.get_item(db.session, item_id)
    return answer(
        ResultHistoryOut(results=[ResultOut.of(r) for r in voting.result_history(db.session, item_id)])
    )


@bp.get("/items/<int:item_id>/receipts")
@documented("200", ReceiptsOut, public=True)
def get_receipts(item_id: int) -> Any:
    """Sorted receipt codes after close, no choices. Without a login only for items of published
    meetings (厂务公开); a representative checks one code with ``GET /receipts/{code}``."""
    item = meetings.get_item(db.session, item_id)
    if not item.meeting.published:
        authenticate(moderate=False)
    return answer(ReceiptsOut(item_id=item_id, receipts=voting.receipts(db.session, item_id)))


@bp.get("/receipts/<code>")
@documented("200", ReceiptCheckOut, public=True)
def check_receipt(code: str) -> Any:
    """Was the ballot with this receipt counted? No login; never the choice (contract.md)."""
    return answer(ReceiptCheckOut.model_validate(voting.check_receipt(db.session, code)))
