"""Corrections of a finished meeting's texts (更正), by admins, and its revision history."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.appeals import CorrectionCreate, CorrectionListOut, CorrectionOut
from evalmeet.schemas.query import PageQuery
from evalmeet.services import lists
from evalmeet.services.meetings import corrections
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge
from evalmeet.web.api.base import admin, answer, body_of, bp, documented, page_query, paged_answer, reader
from evalmeet.web.auth import actor_name


@bp.post("/meetings/<int:meeting_id>/corrections")
@documented("201", CorrectionOut, json=CorrectionCreate)
@admin
def correct_meeting(meeting_id: int) -> Any:
    """Correct one text of a finished meeting (admins): title, location, item texts, question
    texts and answers, names. Never results, ballots or attendance (409 ``not_correctable``)."""
    meetings.get_meeting(db.session, meeting_id)  # an unknown meeting is 404 before the body
    data = body_of(CorrectionCreate)
    correction = edge.commit(corrections.correct(db.session, meeting_id, data, actor_name()))
    return answer(CorrectionOut.of(correction), 201)


@bp.get("/meetings/<int:meeting_id>/corrections")
@documented("200", CorrectionListOut, query=PageQuery, paged=True)
@reader
def list_corrections(meeting_id: int) -> Any:
    """A meeting's revision history: every correction after close, oldest first."""
    meetings.get_meeting(db.session, meeting_id)
    page = lists.corrections_page(db.session, meeting_id, page_query())
    rows = page.rows
    return paged_answer(
        CorrectionListOut(meeting_id=meeting_id, corrections=[CorrectionOut.of(c) for c in rows]), page
    )
