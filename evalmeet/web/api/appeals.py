"""Appeals (申诉) against a sanction, and their decisions."""

from __future__ import annotations

from typing import Any

from evalmeet.extensions import db
from evalmeet.models import Appeal
from evalmeet.schemas.appeals import AppealCreate, AppealDecide, AppealListOut, AppealOut
from evalmeet.services import lists
from evalmeet.services.followup import actions, appeals
from evalmeet.web import edge
from evalmeet.web.api.base import (
    answer,
    appeal_days,
    body_of,
    documented,
    moderator,
    page_query,
    reader,
    route,
)
from evalmeet.web.auth import actor_name


def appeal_out(appeal: Appeal) -> AppealOut:
    """The appeal with its action's deadline."""
    action = actions.get_action(db.session, appeal.action_id)
    last_day = appeals.deadline(action, appeals.meeting_of(db.session, action), appeal_days())
    return AppealOut.of(appeal, last_day)


@route("POST", "/actions/<int:action_id>/appeals", who=moderator)
@documented("201", AppealOut, json=AppealCreate)
def file_appeal(action_id: int) -> Any:
    """File an appeal against a sanction (warning, discipline, reassignment) within the deadline."""
    data = body_of(AppealCreate)
    appeal = edge.commit(appeals.file_appeal(db.session, action_id, data, actor_name(), appeal_days()))
    return answer(appeal_out(appeal), 201)


@route("GET", "/actions/<int:action_id>/appeals", who=reader)
@documented("200", AppealListOut, paged=True)
def list_appeals(action_id: int) -> Any:
    """An action's appeals, oldest first, and the last day one may be filed."""
    action = actions.get_action(db.session, action_id)
    last_day = appeals.deadline(action, appeals.meeting_of(db.session, action), appeal_days())
    page = lists.appeals_page(db.session, action.id, page_query())
    rows = page.rows
    return answer(
        AppealListOut(
            action_id=action.id,
            deadline=last_day,
            appealable=appeals.appealable(action),
            appeals=[AppealOut.of(a, last_day) for a in rows],
        ),
        page=page,
    )


@route("GET", "/appeals/<int:appeal_id>", who=reader)
@documented("200", AppealOut)
def get_appeal(appeal_id: int) -> Any:
    """One appeal."""
    return answer(appeal_out(appeals.get_appeal(db.session, appeal_id)))


@route("PATCH", "/appeals/<int:appeal_id>", who=moderator, exists=appeals.get_appeal)
@documented("200", AppealOut, json=AppealDecide)
def decide_appeal(appeal_id: int) -> Any:
    """Decide a pending appeal: upheld, overturned or modified, with a reason."""
    data = body_of(AppealDecide)
    appeal = edge.commit(appeals.decide_appeal(db.session, appeal_id, data, actor_name()))
    return answer(appeal_out(appeal))
