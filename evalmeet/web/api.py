"""The JSON API under ``/api/v1``: thin views over the services (see contract.md)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, current_app, g, jsonify, request
from pydantic_core import from_json

from evalmeet.db import scrub_sqlite_wal
from evalmeet.domain.errors import DomainError, NotAllowed, ValidationFailed
from evalmeet.extensions import csrf, db
from evalmeet.realtime import broadcast
from evalmeet.services.archive import stats
from evalmeet.services.followup import actions
from evalmeet.services.meetings import conduct
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.meetings import questions as question_service
from evalmeet.services.meetings.presenters import (
    action_dict,
    item_dict,
    meeting_dict,
    question_dict,
    representative_dict,
    result_dict,
)
from evalmeet.services.voting import ballots as voting
from evalmeet.web.auth import actor_name, current_account
from evalmeet.web.links import join_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])


class Unauthorized(DomainError):
    """No valid token or session."""

    status = 401
    code = "unauthorized"


def _authenticate(moderate: bool) -> None:
    account = current_account()
    if account is None:
        raise Unauthorized("log in or send 'Authorization: Bearer <token>'")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("via_token"):
        csrf.protect()  # cookie sessions need the CSRF token (X-CSRFToken header)
    if moderate and not account.can_moderate:
        raise NotAllowed("this needs a moderator or admin account", code="forbidden")


def moderator(view: F) -> F:
    """Admins and moderators."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _authenticate(moderate=True)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def reader(view: F) -> F:
    """Any account, viewers included."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _authenticate(moderate=False)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def body() -> dict[str, Any]:
    """The request's JSON object, or a 400 with code ``invalid_json``.

    Parsed by pydantic-core, not the json module: it refuses what Python's parser lets through
    and would only fail later, as a 500 — a lone surrogate (``"\\ud800"``, which no UTF-8 text
    can hold) and nesting deep enough to exhaust the stack.
    """
    if not request.is_json:
        raise ValidationFailed("the body must be JSON (Content-Type: application/json)", code="invalid_json")
    try:
        data = from_json(request.get_data(cache=True))
    except ValueError:
        raise ValidationFailed(
            "the body is not valid JSON (or holds text no UTF-8 string can carry)", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", code="invalid_json")
    return data


def optional_body() -> dict[str, Any]:
    """Like :func:`body` but an empty body is an empty object."""
    if not request.get_data(cache=True):
        return {}
    return body()


def tender_threshold() -> Any:
    """The configured amount above which an untendered purchase is flagged."""
    from decimal import Decimal

    return Decimal(str(current_app.config.get("RISK_TENDER_THRESHOLD", "200000")))


def _commit_and_show(meeting_id: int) -> Any:
    """Commit, send every screen of the meeting a fresh snapshot, answer with the meeting."""
    db.session.commit()
    broadcast.state_changed(meeting_id)
    return _meeting_response(meeting_id)


def _meeting_response(meeting_id: int, status: int = 200) -> Any:
    meeting = meetings.meeting_with_items(db.session, meeting_id)
    return jsonify(meeting_dict(meeting, with_items=True, session=db.session)), status


# --- meetings ---------------------------------------------------------------------------------


@bp.post("/meetings")
@moderator
def create_meeting() -> Any:
    """Create a draft meeting."""
    meeting = meetings.create_meeting(db.session, body(), actor_name())
    db.session.commit()
    return _meeting_response(meeting.id, 201)


@bp.get("/meetings")
@reader
def list_meetings() -> Any:
    """Every meeting, newest first: a JSON array of meetings (contract.md: "meetings")."""
    return jsonify([meeting_dict(m) for m in meetings.list_meetings(db.session)])


@bp.get("/meetings/<int:meeting_id>")
@reader
def get_meeting(meeting_id: int) -> Any:
    """One meeting with its items."""
    return _meeting_response(meeting_id)


@bp.patch("/meetings/<int:meeting_id>")
@moderator
def update_meeting(meeting_id: int) -> Any:
    """Edit title, time, place (and the voting rules while draft)."""
    meetings.update_meeting(db.session, meeting_id, body(), actor_name())
    return _commit_and_show(meeting_id)


@bp.delete("/meetings/<int:meeting_id>")
@moderator
def delete_meeting(meeting_id: int) -> Any:
    """Delete a draft or rehearsal meeting."""
    meetings.delete_meeting(db.session, meeting_id, actor_name())
    db.session.commit()
    return "", 204


@bp.post("/meetings/<int:meeting_id>/start")
@moderator
def start_meeting(meeting_id: int) -> Any:
    """Draft → live."""
    conduct.start_meeting(db.session, meeting_id, actor_name())
    return _commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/finish")
@moderator
def finish_meeting(meeting_id: int) -> Any:
    """Live → closed."""
    conduct.finish_meeting(db.session, meeting_id, actor_name())
    return _commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/publish")
@moderator
def publish_meeting(meeting_id: int) -> Any:
    """Publish a closed meeting on the public disclosure page (厂务公开)."""
    from evalmeet.services.archive import publishing

    publishing.publish(db.session, meeting_id, actor_name())
    db.session.commit()
    return _meeting_response(meeting_id)


# --- roster -----------------------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/representatives")
@moderator
def add_representative(meeting_id: int) -> Any:
    """Add a representative; answers with the personal join link."""
    rep = meetings.add_representative(db.session, meeting_id, body(), actor_name())
    db.session.commit()
    broadcast.state_changed(meeting_id)
    return jsonify(representative_dict(rep, join_url(rep.join_token))), 201


@bp.get("/meetings/<int:meeting_id>/representatives")
@moderator
def list_representatives(meeting_id: int) -> Any:
    """The roster with join links (moderators only: the links are credentials)."""
    meeting = meetings.get_meeting(db.session, meeting_id)
    return jsonify(
        {"representatives": [representative_dict(r, join_url(r.join_token)) for r in meeting.representatives]}
    )


@bp.patch("/representatives/<int:rep_id>")
@moderator
def update_representative(rep_id: int) -> Any:
    """Edit a roster entry; ``present`` marks attendance by hand; ``revoked`` stops the link."""
    data = body()
    rep = meetings.get_representative(db.session, rep_id)
    fields = {k: v for k, v in data.items() if k in ("name", "employee_no", "department")}
    if fields:
        meetings.update_representative(db.session, rep_id, fields, actor_name())
    if "present" in data:
        if not isinstance(data["present"], bool):
            raise ValidationFailed("present must be true or false", field="present", reason="not_yes_no")
        conduct.set_present(db.session, rep_id, data["present"], actor_name())
    if data.get("revoked") is True:
        meetings.revoke_representative(db.session, rep_id, actor_name())
    db.session.commit()
    broadcast.state_changed(rep.meeting_id)
    if data.get("revoked") is True:
        broadcast.token_revoked(rep.meeting_id, rep.id)
    return jsonify(representative_dict(rep, join_url(rep.join_token)))


# --- items ------------------------------------------------------------------------------------


@bp.post("/meetings/<int:meeting_id>/items")
@moderator
def add_item(meeting_id: int) -> Any:
    """Add an item; answers with its risk flags."""
    item = meetings.add_item(db.session, meeting_id, body(), actor_name(), tender_threshold())
    db.session.commit()
    broadcast.state_changed(meeting_id)
    return jsonify(item_dict(item)), 201


@bp.get("/items/<int:item_id>")
@reader
def get_item(item_id: int) -> Any:
    """One item."""
    return jsonify(item_dict(meetings.get_item(db.session, item_id)))


@bp.patch("/items/<int:item_id>")
@moderator
def update_item(item_id: int) -> Any:
    """Edit an item that has not been voted on."""
    item = meetings.update_item(db.session, item_id, body(), actor_name(), tender_threshold())
    db.session.commit()
    broadcast.state_changed(item.meeting_id)
    return jsonify(item_dict(item))


@bp.put("/meetings/<int:meeting_id>/items/order")
@moderator
def reorder_items(meeting_id: int) -> Any:
    """Set the running order: ``{"order": [item ids]}``."""
    items = meetings.reorder_items(db.session, meeting_id, body().get("order"), actor_name())
    db.session.commit()
    return jsonify({"items": [item_dict(i) for i in items]})


@bp.post("/items/<int:item_id>/present")
@moderator
def present_item(item_id: int) -> Any:
    """Put an item on every screen and open questions on it."""
    meeting = conduct.present_item(db.session, item_id, actor_name())
    db.session.commit()
    broadcast.state_changed(meeting.id)
    return _meeting_response(meeting.id)


@bp.post("/meetings/<int:meeting_id>/next")
@moderator
def present_next_item(meeting_id: int) -> Any:
    """Move on: present the next item not yet voted on (409 ``no_pending_item`` when none)."""
    conduct.present_next_item(db.session, meeting_id, actor_name())
    return _commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/clear")
@moderator
def clear_stage(meeting_id: int) -> Any:
    """Take the item off every screen (back to idle between items)."""
    conduct.clear_stage(db.session, meeting_id, actor_name())
    return _commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/questions/open")
@moderator
def open_questions(meeting_id: int) -> Any:
    """Open the floor for questions on the item presented."""
    conduct.set_questions_open(db.session, meeting_id, True, actor_name())
    return _commit_and_show(meeting_id)


@bp.post("/meetings/<int:meeting_id>/questions/close")
@moderator
def close_questions(meeting_id: int) -> Any:
    """Close the floor for questions (phones can no longer send any)."""
    conduct.set_questions_open(db.session, meeting_id, False, actor_name())
    return _commit_and_show(meeting_id)


@bp.post("/items/<int:item_id>/voting/open")
@moderator
def open_voting(item_id: int) -> Any:
    """Open voting (409 ``quorum_not_met`` when too few are present)."""
    item = voting.open_voting(db.session, item_id, actor_name())
    db.session.commit()
    broadcast.state_changed(item.meeting_id)
    broadcast.progress(item.id, item.meeting_id)
    return jsonify(item_dict(item))


@bp.post("/items/<int:item_id>/voting/close")
@moderator
def close_voting(item_id: int) -> Any:
    """Close voting; answers with the frozen result."""
    result = voting.close_voting(db.session, item_id, actor_name())
    meeting_id = voting.item_meeting_id(db.session, item_id)
    db.session.commit()
    scrub_sqlite_wal(db.engine)  # the log's commit order must not outlive the vote
    payload = result_dict(result)
    broadcast.result(meeting_id, payload)
    broadcast.state_changed(meeting_id)
    return jsonify(payload)


@bp.post("/items/<int:item_id>/revote")
@moderator
def revote(item_id: int) -> Any:
    """Re-run a decided item's vote: ``{"reason": "..."}``; the earlier result stays on record."""
    item = voting.revote(db.session, item_id, body().get("reason"), actor_name())
    db.session.commit()
    broadcast.state_changed(item.meeting_id)
    return jsonify(item_dict(item))


@bp.get("/items/<int:item_id>/result")
@reader
def get_result(item_id: int) -> Any:
    """The frozen result of the latest round (409 while voting is open)."""
    return jsonify(result_dict(voting.get_result(db.session, item_id)))


@bp.get("/items/<int:item_id>/results")
@reader
def result_history(item_id: int) -> Any:
    """Every round's frozen result, re-votes included."""
    meetings.get_item(db.session, item_id)
    return jsonify({"results": [result_dict(r) for r in voting.result_history(db.session, item_id)]})


@bp.get("/items/<int:item_id>/receipts")
def get_receipts(item_id: int) -> Any:
    """Sorted receipt codes after close, no choices. Without a login only for items of published
    meetings (厂务公开); a representative checks one code with ``GET /receipts/{code}``."""
    item = meetings.get_item(db.session, item_id)
    if not item.meeting.published:
        _authenticate(moderate=False)
    return jsonify({"item_id": item_id, "receipts": voting.receipts(db.session, item_id)})


@bp.get("/receipts/<code>")
def check_receipt(code: str) -> Any:
    """Was the ballot with this receipt counted? No login; never the choice (contract.md)."""
    return jsonify(voting.check_receipt(db.session, code))


# --- questions --------------------------------------------------------------------------------


@bp.get("/items/<int:item_id>/questions")
@moderator
def list_questions(item_id: int) -> Any:
    """All questions on an item (moderators see pending and hidden ones too)."""
    meetings.get_item(db.session, item_id)
    rows = question_service.questions_for(db.session, item_id, public_only=False)
    return jsonify({"questions": [question_dict(q, for_moderator=True) for q in rows]})


@bp.patch("/questions/<int:question_id>")
@moderator
def moderate_question(question_id: int) -> Any:
    """``{status?: approved|hidden|answered|pending, answer?}``."""
    data = body()
    question = question_service.moderate_question(
        db.session, question_id, data.get("status"), actor_name(), data.get("answer")
    )
    meeting_id = question.item.meeting_id
    db.session.commit()
    broadcast.questions_changed(meeting_id)
    return jsonify(question_dict(question, for_moderator=True))


# --- actions ----------------------------------------------------------------------------------


@bp.post("/items/<int:item_id>/actions")
@moderator
def add_action(item_id: int) -> Any:
    """Record a follow-up action."""
    action = actions.add_action(db.session, item_id, body(), actor_name())
    db.session.commit()
    return jsonify(action_dict(action)), 201


@bp.get("/items/<int:item_id>/actions")
@reader
def list_actions(item_id: int) -> Any:
    """An item's follow-up actions."""
    meetings.get_item(db.session, item_id)
    return jsonify({"actions": [action_dict(a) for a in actions.actions_for_item(db.session, item_id)]})


@bp.patch("/actions/<int:action_id>")
@moderator
def update_action(action_id: int) -> Any:
    """Move an action along (open → in_progress → done → verified) with a note."""
    action = actions.update_action(db.session, action_id, body(), actor_name())
    db.session.commit()
    return jsonify(action_dict(action))


# --- statistics and the document --------------------------------------------------------------


@bp.get("/stats")
@reader
def get_stats() -> Any:
    """Totals over closed meetings."""
    return jsonify(stats.totals(db.session))


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    from evalmeet.web.openapi import document

    return jsonify(document())
