"""The moderator's live console for one meeting (admins and moderators, on a laptop).

The page is rendered from :func:`evalmeet.services.meetings.screens.console_view`; ``static/js/console.js``
keeps it live from the ``/live`` channel (``state``, ``progress``, ``result``, ``questions``) and
re-reads :func:`data` after each change for what the snapshot does not carry (the running
order's statuses and the roster). Every control is a call to the JSON API with the session
cookie and the CSRF token (closing a vote included: the API's close is the console's, and its
commit scrubs the write-ahead log); the API broadcasts after commit, so all screens follow at
once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_babel import pgettext

from evalmeet.extensions import db
from evalmeet.services.meetings import screens as console_service
from evalmeet.web.auth import moderator_page
from evalmeet.web.projector import page_helpers

bp = Blueprint("console", __name__)


def console_strings() -> dict[str, str]:
    """The console's own UI strings (the projector's are shared through ``page_helpers``)."""
    return {
        "console": _("Console"),
        "back": _("Back to the meeting"),
        "running_order": _("Running order"),
        "show": _("Show on screen"),
        "on_screen": _("On screen"),
        "status_pending": _("To be evaluated"),
        "status_voting": _("Voting"),
        "status_passed": _("Passed"),
        "status_failed": _("Failed"),
        "meeting_draft": _("Draft"),
        "meeting_live": _("Live"),
        "meeting_closed": _("Closed"),
        "phase_idle": _("Nothing on screen"),
        "phase_questions": _("Questions"),
        "phase_voting": _("Voting"),
        "phase_result": pgettext("live-screens", "Result"),
        "current_item": _("Current item"),
        "nothing_on_screen": _("Nothing on screen. Show an item from the running order."),
        "open_questions": _("Open questions"),
        "close_questions": _("Close questions"),
        "open_voting": _("Open voting"),
        "close_voting": _("Close voting"),
        "revote": _("Re-vote"),
        "next_item": _("Next item"),
        "clear_stage": _("Clear the screen"),
        "start_meeting": _("Start the meeting"),
        "finish_meeting": _("Finish the meeting"),
        "open_projector": _("Open the projector"),
        "join_slips": _("Join slips"),
        "attendance": _("Attendance"),
        "at_meeting": _("At the meeting"),
        "absent": _("Absent"),
        "not_arrived": _("Not arrived"),
        "revoked": _("Link revoked"),
        "by_hand": _("marked by hand"),
        "mark_present": _("Mark present"),
        "mark_absent": _("Mark absent"),
        "q_pending": _("Awaiting approval"),
        "q_approved": _("On screen"),
        "q_hidden": _("Hidden"),
        "q_answered": _("Answered"),
        "approve": _("Approve"),
        "hide": _("Hide"),
        "restore": _("Restore"),
        "mark_answered": _("Mark answered"),
        "answer_summary": _("Answer summary (secretary's notes)"),
        "save_answer": _("Save answer"),
        "no_questions_yet": _("No questions on this item yet"),
        "revote_reason": _("Why is the vote being re-run? (recorded in the minutes)"),
        "finish_confirm": _("Finish the meeting? Nobody can vote or ask after this."),
        "finish_pending": _(
            "{n} items are still to be evaluated. Finish the meeting anyway? Nobody can vote or ask after this."  # noqa: E501
        ),
        "close_unvoted": _("{n} present have not voted yet. Close voting anyway?"),
        "close_small_groups": _(
            "Fewer than 3 ballots in {groups}: the result shows each group's figures, which could reveal how its few members voted."  # noqa: E501
        ),
        "close_anyway": _("Close voting anyway?"),
        "open_confirm": _(
            "Open voting on “{title}”? Its questions close, and the vote cannot be taken back."
        ),
        "absent_confirm": _(
            "Mark {name} absent? Their phone can no longer vote until they are marked present."
        ),
        "start_confirm": _("Start the meeting now? Representatives can then check in with their links."),
        "start_no_items": _(
            "This meeting has no items yet. Start it anyway? Items can still be added while it runs."
        ),
        "next_title": _("The meeting has ended. What comes next"),
        "next_minutes": _("Minutes: download them, print and sign them."),
        "next_minutes_pdf": _("Minutes (PDF)"),
        "next_minutes_xlsx": _("Minutes (Excel)"),
        "next_followup": _("Follow-up: record an action for each failed item, then track it."),
        "next_followup_items": _("Items and their actions"),
        "next_followup_register": _("Follow-up register"),
        "next_publish": _("Publishing: publish the results and actions for every employee to read."),
        "next_publish_link": _("Publish from the meeting page"),
        "cancel": _("Cancel"),
        "confirm": _("Confirm"),
        "err_csrf": _("This page has expired: reload it."),
        "err_login": _("Your login has expired: log in again."),
        "err_network": _("Network error: the server could not be reached."),
        "err_failed": _("That did not work"),
        "err_failed_because": _("That did not work: {message}"),
        "saved": _("Saved"),
        "live_connected": _("Connected"),
        "recusals": _("Recusals"),
        "no_recusals": _("Nobody has recused from this item"),
        "recusal_who": _("Representative who recuses"),
        "declare_recusal": _("Record a recusal"),
        "recusal_reason": _("Why does {name} recuse from this item? (shown in the minutes)"),
        "support": _("Representatives who support this question"),
        "support_n": _("Support {n}"),
        "paper_title": _("Paper ballots (counted by the scrutineers)"),
        "paper_present": _("Paper voters present: {n}"),
        "paper_entered": _("entered: {n} valid, {invalid} invalid"),
        "paper_none": _("no count entered yet"),
        "paper_invalid_label": _("Invalid"),
        "paper_group": _("Rater group"),
        "paper_sheets": _("Paper sheets"),
        "scrutineers": _("Scrutineers"),
        "scrutineers_hint": _("names, separated by commas"),
        "paper_submit": _("Enter the paper count"),
        "paper_saved": _("Paper count entered"),
        "paper_badge": _("Paper"),
        "paper_voter": _("Votes on a paper ballot"),
    }


@bp.get("/meetings/<int:meeting_id>/console")
@moderator_page
def console(meeting_id: int) -> Any:
    """The live console of one meeting."""
    view = console_service.console_view(db.session, meeting_id).json_dict()
    helpers = page_helpers()
    return render_template(
        "console/console.html",
        view=view,
        state=view["state"],
        progress=view["progress"],
        C=console_strings(),
        projector_url=url_for("projector.screen", token=view["meeting"]["display_token"]),
        slips_url=url_for("moderator.slips", meeting_id=meeting_id),
        meeting_url=url_for("moderator.meeting", meeting_id=meeting_id),
        data_url=url_for("console.data", meeting_id=meeting_id),
        next_urls={
            "minutes_pdf": url_for("exports.minutes_pdf", meeting_id=meeting_id),
            "minutes_xlsx": url_for("exports.minutes_xlsx", meeting_id=meeting_id),
            "items": url_for("moderator.meeting", meeting_id=meeting_id) + "#items",
            "register": url_for("followup.actions"),
            "publish": url_for("moderator.meeting", meeting_id=meeting_id),
        },
        **helpers,
    )


@bp.get("/meetings/<int:meeting_id>/console/data")
@moderator_page
def data(meeting_id: int) -> Any:
    """The console's data as JSON: snapshot, running order, roster, questions on the floor."""
    return jsonify(console_service.console_view(db.session, meeting_id).json_dict())
