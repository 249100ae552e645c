"""Recusals (回避) from an item: record one, list them (public: who recused and why)."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.recusals import RecusalCreate, RecusalListOut, RecusalOut
from evalmeet.services import lists
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import recusals as recusal_service
from evalmeet.web import edge
from evalmeet.web.api.base import answer, body_of, documented, moderator, page_query, reader, route
from evalmeet.web.auth import actor_name


@route("POST", "/items/<int:item_id>/recusals", who=moderator, exists=meetings.get_item)
@documented("201", RecusalOut, json=RecusalCreate)
def record_recusal(item_id: int) -> Any:
    """``{representative_id, reason}``: before the item's voting first opens (409
    ``voting_open`` / ``voting_closed`` after, ``already_recused`` for a second one)."""
    data = body_of(RecusalCreate)
    recusal = edge.commit(recusal_service.record_recusal(db.session, item_id, data, actor_name()))
    return answer(recusal, 201)


@route("GET", "/items/<int:item_id>/recusals", who=reader, exists=meetings.get_item)
@documented("200", RecusalListOut, paged=True)
def list_recusals(item_id: int) -> Any:
    """Who recused from the item, and why."""
    page = lists.recusals_page(db.session, item_id, page_query())
    return answer(RecusalListOut(item_id=item_id, recusals=page.rows), page=page)
