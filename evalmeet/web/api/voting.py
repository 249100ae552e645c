"""Voting rounds: open, close, revote, results and receipts.

Closing answers with the frozen result; its ``VotingClosed`` event has ``edge.commit`` scrub the
SQLite write-ahead log (secrecy.md) before the result goes out to the screens.
"""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.meetings import ItemOut
from evalmeet.schemas.voting import (
    PaperCountBody,
    PaperCountOut,
    ReceiptCheckOut,
    ReceiptsOut,
    ResultHistoryOut,
    ResultOut,
    RevoteBody,
)
from evalmeet.services import lists
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import paper
from evalmeet.services.voting import round as rounds
from evalmeet.web import edge
from evalmeet.web.api.base import (
    answer,
    authenticate,
    body_of,
    documented,
    moderator,
    page_query,
    reader,
    route,
)
from evalmeet.web.auth import actor_name


@route("POST", "/items/<int:item_id>/voting/open", who=moderator)
@documented("200", ItemOut)
def open_voting(item_id: int) -> Any:
    """Open voting (409 ``quorum_not_met`` when too few are present)."""
    item = edge.commit(rounds.open_voting(db.session, item_id, actor_name()))
    return answer(ItemOut.of(item))


@route("POST", "/items/<int:item_id>/voting/close", who=moderator)
@documented("200", ResultOut)
def close_voting(item_id: int) -> Any:
    """Close voting; answers with the frozen result."""
    result = edge.commit(rounds.close_voting(db.session, item_id, actor_name()))
    return answer(ResultOut.of(result))


@route("PUT", "/items/<int:item_id>/paper_count", who=moderator, exists=meetings.get_item)
@documented("200", PaperCountOut, json=PaperCountBody)
def enter_paper_count(item_id: int) -> Any:
    """The scrutineers' count of the paper ballots while voting is open (a later PUT replaces
    it): ``{"counts": {choice: n}, "invalid"?: n, "scrutineers": [name, ...]}``; 409
    ``too_many_paper_ballots`` beyond the paper voters present."""
    data = body_of(PaperCountBody)
    return answer(edge.commit(paper.enter_paper_count(db.session, item_id, data, actor_name())))


@route("POST", "/items/<int:item_id>/revote", who=moderator)
@documented("200", ItemOut, json=RevoteBody)
def revote(item_id: int) -> Any:
    """Re-run a decided item's vote: ``{"reason": "..."}``; the earlier result stays on record."""
    item = edge.commit(rounds.revote(db.session, item_id, body_of(RevoteBody), actor_name()))
    return answer(ItemOut.of(item))


@route("GET", "/items/<int:item_id>/result", who=reader)
@documented("200", ResultOut)
def get_result(item_id: int) -> Any:
    """The frozen result of the latest round (409 while voting is open)."""
    return answer(ResultOut.of(rounds.get_result(db.session, item_id)))


@route("GET", "/items/<int:item_id>/results", who=reader, exists=meetings.get_item)
@documented("200", ResultHistoryOut)
def result_history(item_id: int) -> Any:
    """Every round's frozen result, re-votes included."""
    return answer(
        ResultHistoryOut(results=[ResultOut.of(r) for r in rounds.result_history(db.session, item_id)])
    )


@route("GET", "/items/<int:item_id>/receipts", who=None)
@documented("200", ReceiptsOut, paged=True, public=True)
def get_receipts(item_id: int) -> Any:
    """Sorted receipt codes after close, no choices. Without a login only for items of published
    meetings (厂务公开); a representative checks one code with ``GET /receipts/{code}``."""
    item = meetings.get_item(db.session, item_id)
    if not item.meeting.published:
        authenticate(moderate=False)
    page = lists.receipts_page(db.session, item_id, page_query())
    return answer(ReceiptsOut(item_id=item_id, receipts=page.rows), page=page)


@route("GET", "/receipts/<code>", who=None)
@documented("200", ReceiptCheckOut, public=True)
def check_receipt(code: str) -> Any:
    """Was the ballot with this receipt counted? No login; never the choice (contract.md)."""
    return answer(rounds.check_receipt(db.session, code))
