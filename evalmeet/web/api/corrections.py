"""Corrections of a finished meeting's texts (更正), by admins, and its revision history."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.schemas.appeals import CorrectionCreate, CorrectionListOut, CorrectionOut
from evalmeet.services import lists
from evalmeet.services.meetings import corrections
from evalmeet.services.meetings import meeting as meetings
from evalmeet.web import edge
from evalmeet.web.api.base import admin, answer, body_of, documented, page_query, reader, route
from evalmeet.web.auth import actor_name


@route("POST", "/meetings/<int:meeting_id>/corrections", who=admin, exists=meetings.get_meeting)
@documented("201", CorrectionOut, json=CorrectionCreate)
def correct_meeting(meeting_id: int) -> Any:
    """Correct one text of a finished meeting (admins): title, location, item texts, question
    texts and answers, names. Never results, ballots or attendance (409 ``not_correctable``)."""
    data = body_of(CorrectionCreate)
    correction = edge.commit(corrections.correct(db.session, meeting_id, data, actor_name()))
    return answer(CorrectionOut.of(correction), 201)


@route("GET", "/meetings/<int:meeting_id>/corrections", who=reader, exists=meetings.get_meeting)
@documented("200", CorrectionListOut, paged=True)
def list_corrections(meeting_id: int) -> Any:
    """A meeting's revision history: every correction after close, oldest first."""
    page = lists.corrections_page(db.session, meeting_id, page_query())
    rows = page.rows
    return answer(
        CorrectionListOut(meeting_id=meeting_id, corrections=[CorrectionOut.of(c) for c in rows]), page=page
    )
