"""State machines of meetings, items, questions and actions, with readable refusals."""

from __future__ import annotations

from evalmeet.domain.errors import Conflict, not_one_of

MEETING_STATUSES = ("draft", "live", "closed")
ITEM_STATUSES = ("pending", "voting", "passed", "failed")
PHASES = ("idle", "questions", "voting", "result")
QUESTION_STATUSES = ("pending", "approved", "hidden", "answered")
ACTION_STATUSES = ("open", "in_progress", "done", "verified")
# An item voted on and decided, either way (its result is frozen).
DECIDED_ITEM_STATUSES = ("passed", "failed")
# An action with work still to do: the only statuses in which it can be overdue (contract.md:
# overdue = due date passed and status open or in_progress); the archive's "unresolved" filter,
# the "open actions" counts and the reminders mean this.
UNFINISHED_ACTION_STATUSES = ("open", "in_progress")
# An action nobody has verified yet (done but unchecked included): what a report-back can still
# put to a later meeting.
UNVERIFIED_ACTION_STATUSES = ("open", "in_progress", "done")
ACTION_KINDS = (
    "rectification",
    "retender",
    "warning",
    "party_discipline",
    "administrative_discipline",
    "reassignment",
    "other",
)
DISCIPLINE_KINDS = frozenset({"party_discipline", "administrative_discipline", "reassignment"})
PROCUREMENT_METHODS = ("single_source", "tender", "inquiry", "negotiation", "other")

_MEETING_NEXT = {"draft": "live", "live": "closed"}
# Actions move forward one step at a time, may fall back one step (a rejected verification),
# and may be reopened; "verified" is final.
_ACTION_MOVES = {
    "open": {"in_progress", "done"},
    "in_progress": {"open", "done"},
    "done": {"in_progress", "verified", "open"},
    "verified": set(),
}
_QUESTION_MOVES = {
    "pending": {"approved", "hidden"},
    "approved": {"hidden", "answered", "pending"},
    "hidden": {"approved", "pending"},
    "answered": {"approved", "hidden"},
}


def require_meeting_status(
    meeting_id: int, status: str, *allowed: str, doing: str, reason: str | None = None
) -> None:
    """Refuse ``doing`` unless the meeting is in one of ``allowed`` (``reason``: the variant the
    edge explains, when the plain "not possible in this state" is not enough)."""
    if status not in allowed:
        names = {"draft": "a draft", "live": "live", "closed": "closed"}
        extra = {"reason": reason} if reason else {}
        raise Conflict(
            f"cannot {doing}: meeting {meeting_id} is {names.get(status, status)}",
            code=f"meeting_{status}",
            meeting_id=meeting_id,
            **extra,
        )


def next_meeting_status(meeting_id: int, current: str, target: str) -> str:
    """Check a meeting transition (draft → live → closed)."""
    if _MEETING_NEXT.get(current) != target:
        if current == target:
            raise Conflict(
                f"meeting {meeting_id} is already {current}", code=f"meeting_{current}", meeting_id=meeting_id
            )
        raise Conflict(
            f"meeting {meeting_id} is {current}; it cannot become {target}",
            code="invalid_transition",
            reason="meeting_status",
            meeting_id=meeting_id,
            current=current,
            target=target,
        )
    return target


def check_item_can_open(item_id: int, status: str, revote: bool = False) -> None:
    """Voting opens on a pending item (or on a decided one for a recorded re-vote)."""
    if status == "voting":
        raise Conflict(f"voting on item {item_id} is already open", code="voting_open", item_id=item_id)
    if status in DECIDED_ITEM_STATUSES and not revote:
        raise Conflict(
            f"voting on item {item_id} is already closed; use a re-vote with a reason",
            code="voting_closed",
            reason="revote_needed",
            item_id=item_id,
        )


def check_item_can_close(item_id: int, status: str) -> None:
    """Only an open vote can be closed."""
    if status != "voting":
        if status in DECIDED_ITEM_STATUSES:
            raise Conflict(
                f"voting on item {item_id} is already closed", code="voting_closed", item_id=item_id
            )
        raise Conflict(f"voting on item {item_id} is not open", code="voting_not_open", item_id=item_id)


def check_action_move(action_id: int, current: str, target: str) -> None:
    """Refuse an action status change that skips or undoes a verification."""
    if target not in ACTION_STATUSES:
        raise not_one_of("status", ACTION_STATUSES)
    if target == current:
        return
    if target not in _ACTION_MOVES[current]:
        raise Conflict(
            f"action {action_id} is {current}; it cannot become {target}",
            code="invalid_transition",
            reason="action_status",
            action_id=action_id,
            current=current,
            target=target,
        )


def check_question_move(question_id: int, current: str, target: str) -> None:
    """Moderation moves of a question."""
    if target not in QUESTION_STATUSES:
        raise not_one_of("status", QUESTION_STATUSES)
    if target != current and target not in _QUESTION_MOVES[current]:
        raise Conflict(
            f"question {question_id} is {current}; it cannot become {target}",
            code="invalid_transition",
            reason="question_status",
            question_id=question_id,
            current=current,
            target=target,
        )


# --- appeals (申诉) against a sanction, before it is final ----------------------------------------
# The kinds a sanctioned person may appeal against (a warning too; rectification and re-tender
# are not sanctions on a person).
APPEALABLE_KINDS = ("warning", "party_discipline", "administrative_discipline", "reassignment")
APPEAL_DECISIONS = ("upheld", "overturned", "modified")
APPEAL_STATUSES = ("pending", *APPEAL_DECISIONS)
# How many China days after the later of the meeting's end and the action's creation an appeal
# may still be filed (EVALMEET_APPEAL_DAYS).
DEFAULT_APPEAL_DAYS = 15
