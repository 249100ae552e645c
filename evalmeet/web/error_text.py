"""Refusals in the request's language, by code: the one table every edge translates errors with.

A :class:`~evalmeet.domain.errors.DomainError` carries a snake_case ``code`` and its
parameters (``details``); nothing here ever looks at its English ``message``. The API's
``{"error": {"code", "message"}}``, the error pages, the forms' field errors, the import
previews and the socket acks all take their sentence from :func:`error_message`:

- a code with an entry in :func:`_messages` gets that sentence, its ``%(name)s`` filled from
  the error's parameters (a few codes have variants, ``"<code>.<reason>"``, chosen by the
  error's ``reason`` parameter);
- a validation error (``field`` + ``reason``) becomes "<field label>: <problem>", the problem
  from :func:`_problems`;
- an HTTP error (404, 405, 413, ...) gets our title and sentence for its status, never
  werkzeug's English (:func:`status_title`, :func:`http_message`).

Flask-Babel translates in the request's language (Chinese unless ``?lang=en`` or the language
cookie). Socket events run in the request context of the socket's handshake, so the same
applies to acks. ``tests/web/test_error_text.py`` checks that every code raised anywhere in
``evalmeet/`` has an entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import pgettext, refresh
from werkzeug.exceptions import HTTPException

from evalmeet.domain.errors import DomainError

# The subject of a form whose fields have their own labels (the follow-up pages' action forms).
ACTION = "action"


class _Params(dict[str, Any]):
    """Parameters for ``%`` formatting: a value a sentence names but the error lacks shows as …"""

    def __missing__(self, key: str) -> str:
        return "…"


def _messages() -> dict[str, str]:
    """``code`` (or ``code.reason``) → the translated sentence, with ``%(param)s`` placeholders."""
    return {
        # --- generic codes of the error classes and of the HTTP layer
        "bad_request": _("The request could not be understood."),
        "validation_error": _("Please check what you entered."),
        "not_found": _("Not found."),
        "conflict": _("Not possible right now."),
        "not_allowed": _("You cannot do this."),
        "not_allowed.not_on_roster": _("You are not on the roster of this item's meeting."),
        "not_allowed.link_revoked": _(
            "Your join link was revoked. Please ask the meeting staff for a new one."
        ),
        "not_allowed.link_invalid": _("Your join link is no longer valid. Please scan your current slip."),
        "not_allowed.not_entitled": _(
            "You joined the roster after this round of voting opened; you can vote in the next one."
        ),
        "not_allowed.wrong_screen": _("“%(event)s” is not available on this screen."),
        "unauthorized": _("Please log in (or send an API token: Authorization: Bearer <token>)."),
        "account_disabled": _("Account %(username)s is disabled (evalmeet enable-user %(username)s)."),
        "forbidden": _("This needs a moderator or administrator account."),
        "csrf_failed": _(
            "This form has expired or did not come from this site: reload the page and try again."
        ),
        "internal_error": _("Something went wrong on our side; please try again."),
        "invalid_json": _("The request body must be a JSON object (Content-Type: application/json)."),
        "invalid_cursor": _(
            "This page link (its cursor) is damaged or belongs to another list: start again from the "
            "first page and follow the next-page links as they are."
        ),
        # --- meetings, items, roster
        "meeting_not_found": _("Meeting %(meeting_id)s was not found."),
        "meeting_not_found.not_archived": _("Meeting %(meeting_id)s is not in the archive."),
        "meeting_not_found.not_published": _("Meeting %(meeting_id)s has not been published."),
        "item_not_found": _("Item %(item_id)s was not found."),
        "representative_not_found": _("Representative %(representative_id)s was not found."),
        "person_not_found.registry": _(
            "Responsible person %(person_id)s was not found: choose one from the list, or leave the "
            "choice empty and enter a new person."
        ),
        "person_mismatch": _(
            "The chosen responsible person is %(name)s (%(department)s); the name or department "
            "entered differs. Choose again, or leave the choice empty to enter a new person."
        ),
        "meeting_draft": _("Not possible while the meeting is still a draft."),
        "meeting_draft.minutes": _("The minutes are ready once the meeting has finished."),
        "meeting_live": _("Not possible while the meeting is in progress."),
        "meeting_live.voting_rules": _("The voting rules can only be changed while the meeting is a draft."),
        "meeting_live.import_items": _("Items can only be imported while the meeting is a draft."),
        "meeting_live.minutes": _("The minutes are ready once the meeting has finished."),
        "meeting_closed": _("Not possible: the meeting has finished."),
        "meeting_closed.import_roster": _("The roster can no longer be changed: the meeting has finished."),
        "meeting_closed.import_items": _("Items can only be imported while the meeting is a draft."),
        "meeting_closed.voting_rules": _("This meeting has finished; it can no longer be edited."),
        "meeting_closed.edit_meeting": _("This meeting has finished; it can no longer be edited."),
        "meeting_live.delete": _("Only drafts and rehearsals can be deleted."),
        "meeting_closed.delete": _("Only drafts and rehearsals can be deleted."),
        "meeting_draft.publish": _("Only finished meetings can be published."),
        "meeting_live.publish": _("Only finished meetings can be published."),
        "invalid_transition": _("Not possible in the meeting's current state."),
        "invalid_transition.meeting_status": _("Not possible in the meeting's current state."),
        "invalid_transition.action_status": _("The action cannot move from “%(current)s” to “%(target)s”."),
        "invalid_transition.question_status": _(
            "The question cannot move from “%(current)s” to “%(target)s”."
        ),
        "rehearsal": _("A rehearsal is never published."),
        "not_rehearsal": _("Only rehearsals (and drafts) can be wiped; a real meeting's record stays."),
        "roster_full": _("The roster is full (at most %(max)s representatives)."),
        "roster_full.import_capacity": _(
            "The meeting can take %(room)s more, but the file has %(rows)s rows."
        ),
        "too_many_items": _("This meeting has the maximum number of items (%(max)s)."),
        "too_many_items.import_capacity": _(
            "The meeting can take %(room)s more, but the file has %(rows)s rows."
        ),
        "duplicate_employee_no": _("Employee number %(employee_no)s is already on the roster."),
        "item_decided": _("This item has been voted on; it can no longer be changed."),
        "revoked": _("This representative's link was revoked."),
        "invalid_token": _("This join link is not valid."),
        "invalid_display_token": _("This screen link is not valid."),
        "no_credentials": _("Open your personal join link first (scan the QR code on your slip)."),
        "too_many_attempts": _(
            "This link is not valid, and too many invalid links came from your network, so they are "
            "answered slowly. The valid link on your slip still works at once."
        ),
        # --- running the meeting, voting
        "voting_open": _("Voting is still open; close it first."),
        "voting_closed": _("Voting on this item is closed."),
        "voting_closed.revote_needed": _("Voting on this item is closed; re-run it with a recorded reason."),
        "voting_not_open": _("Voting on this item is not open."),
        "empty_roster": _("The meeting has no representatives: add its roster before starting it."),
        "voting_open.ballot_switch": _(
            "Voting is open: switch between phone and paper ballot after it closes."
        ),
        "voting_open.group_switch": _(
            "Voting is open: change a representative's rater group after it closes."
        ),
        "group_too_small": _(
            "Voting cannot open: rater group %(label)s has only %(present)s present; "
            "at least %(needed)s of a group must be present, so no group's tally is one person's vote."
        ),
        "group_missing": _(
            "Voting cannot open: %(count)s representative(s) belong to none of this meeting's rater groups."
        ),
        "paper_voter": _("You vote on paper: please hand your ballot to the scrutineers."),
        "too_many_paper_ballots": _(
            "%(sheets)s paper ballots entered, but only %(paper_present)s paper voters are present."
        ),
        "quorum_not_met": _(
            "Voting cannot open: quorum not met (%(present)s present of %(roster)s, %(needed)s needed)."
        ),
        "not_voted": _("This item has not been voted on yet."),
        "no_pending_item": _("Every item has been voted on."),
        "no_current_item": _("No item is on the floor; present one first."),
        "not_present": _("You are not checked in. Please tell the meeting staff."),
        "already_voted": _("You have already voted on this item."),
        "invalid_choice": _("That choice is not on the ballot. Please choose again."),
        "invalid_item": _("That is not an item of this meeting."),
        "invalid_key": _("The ballot key must be a random text of %(min)s to %(max)s characters."),
        "invalid_key.reused": _(
            "This ballot key was already used for another ballot; send it with a new random key."
        ),
        "receipt_not_found": _(
            "No counted ballot has this receipt (yet): check the code, or wait until voting on that "
            "item has closed."
        ),
        "invalid_round": _("This is not the item's current voting round."),
        "questions_closed": _("Questions on this item are closed."),
        "too_many_questions": _("Please wait until your earlier questions are handled."),
        "question_not_found": _("Question %(question_id)s was not found."),
        # --- the live channel
        "invalid_payload": _("The event's data is not what this event takes."),
        "invalid_payload.missing_fields": _("The event's data lacks: %(fields)s"),
        "invalid_payload.too_long": _("“%(field)s” is too long (at most %(max)s characters)."),
        "invalid_payload.not_unicode": _("The event holds text that is not valid Unicode."),
        "invalid_payload.unparseable": _("The event is not valid JSON."),
        "rate_limited": _("Too many attempts. Please wait a moment."),
        "rate_limited.question_interval": _("One question every %(seconds)s seconds, please."),
        "not_connected": _("Not connected: reconnect to the live channel."),
        "temporarily_unavailable": _(
            "The database is busy or unreachable; nothing was saved. Please send it again."
        ),
        "temporarily_unavailable.page": _("The database is busy. Please try again in a moment."),
        # --- jobs (minutes, exports made in a worker process)
        "job_failed": _(
            "The file could not be made. Please try again; if it fails again, tell the administrator."
        ),
        "worker_lost": _("The process making the file stopped before it was done. Please try again."),
        "job_timeout": _("The file was not ready in time. Please try again in a moment."),
        # --- follow-up, evidence
        "action_not_found": _("Action %(action_id)s was not found."),
        "attachment_not_found": _("Evidence file %(attachment_id)s was not found."),
        "attachment_missing": _("The file of this evidence is missing."),
        "action_verified": _("The action is verified; its evidence can no longer be removed."),
        "nothing_selected": _("Tick at least one action."),
        "too_many_actions": _("One report-back item takes at most %(max)s actions."),
        "not_reportable": _(
            "One of the ticked actions can no longer be reported back on here; the list has been refreshed."
        ),
        "person_not_found": _("Person %(person_id)s has no items in the archive."),
        # --- appeals against a sanction, corrections after close
        "appeal_not_found": _("Appeal %(appeal_id)s was not found."),
        "appeal_not_allowed": _(
            "Only a warning, a party or administrative discipline or a reassignment can be appealed against."
        ),
        "appeal_pending": _("An appeal on this action is already pending; decide it first."),
        "appeal_too_late": _(
            "Too late to appeal: appeals were due by %(deadline)s (%(days)s days after the meeting ended)."
        ),
        "appeal_decided": _("This appeal has already been decided; a decision is final."),
        "appeal_decided.overturned": _("The sanction was already overturned on appeal."),
        "forbidden.admin": _("This needs an administrator account."),
        "not_correctable": _(
            "Only texts can be corrected after the meeting (titles, descriptions, questions, answers, "
            "names); results, ballots and attendance never change."
        ),
        "meeting_draft.correct": _("Corrections are for finished meetings; edit this one directly."),
        "meeting_live.correct": _("Corrections are for finished meetings; edit this one directly."),
        "correction_target_not_found": _("That text is not part of meeting %(meeting_id)s."),
        "person_exists": _("Another responsible person of %(department)s is already called %(name)s."),
        # --- files: evidence uploads and imports
        "no_file": _("Choose a file to upload."),
        "file_missing": _("Choose a file to upload."),
        "empty_file": _("The file is empty."),
        "file_empty": _("The file is empty."),
        "file_too_large": _("The file is larger than %(max_mb)s MB."),
        "file_too_large.unpacked": _("The workbook unpacks to too much data."),
        "unsupported_file_type": _("Only .xlsx and .csv files can be imported."),
        "unsupported_file_type.xls": _(
            "Old .xls workbooks cannot be read: save the file as an .xlsx workbook and upload it again."
        ),
        "unsupported_file_type.attachment": _(
            "Only PDF, PNG, JPEG, Excel (.xlsx), Word (.docx), TXT and CSV files are accepted, "
            "and the content must match the file name."
        ),
        "file_unreadable": _("The file could not be read; it may be damaged."),
        "file_encoding": _("The CSV file must be saved as UTF-8 or GBK text."),
        "no_header": _("The file has no header row."),
        "missing_columns": _("Required columns are missing: %(columns)s"),
        "duplicate_columns": _("Two columns mean the same thing: %(columns)s"),
        "no_rows": _("The file has a header row but no data rows."),
        "too_many_rows": _("The file has more than %(limit)s rows."),
        "import_expired": _("This preview has expired or was already imported; upload the file again."),
        "invalid_kind": _("Only a roster or an item list can be imported."),
        # the import preview's cells
        "already_on_roster": _("employee number %(value)s is already on this meeting's roster"),
        "duplicate_in_file": _("employee number %(value)s is also in row %(other_row)s"),
        "unknown_method": _("must be one of: %(allowed)s"),
        "item_exists": _("the same item is already on this meeting (it will be added again)"),
        "item_repeated": _("the same item is also in row %(other_row)s"),
        "single_source_several_suppliers": _(
            "Single-source purchase, yet %(count)s suppliers are stated: check the procurement method "
            "or the number of suppliers."
        ),
        # --- accounts (the command line speaks English; these are for completeness)
        "user_exists": _("User %(username)s already exists."),
        "user_not_found": _("There is no user %(username)s."),
        # --- recusal (回避), question support
        "recused": _("You recused from this item; you do not vote on it."),
        "already_recused": _("This representative has already recused from this item."),
        "invalid_question": _("Only approved questions on the item on the floor can be supported."),
    }


def _problems() -> dict[str, str]:
    """A validation ``reason`` → what is wrong, as the second half of "<field>: <problem>"."""
    return {
        "required": _("is required"),
        "too_long": _("must be at most %(max)s characters"),
        "too_short": _("must have at least %(min)s characters"),
        "not_text": _("must be text"),
        "nul_character": _("contains a character that is not allowed"),
        "not_single_line": _("must be a single line"),
        "not_whole_number": _("must be a whole number"),
        "out_of_range": _("must be between %(low)s and %(high)s"),
        "not_amount": _("must be an amount of 0 or more"),
        "too_many_decimals": _("has more than two decimals"),
        "not_date": _("must be a date like 2026-12-31"),
        "not_datetime": _("must be a date and time"),
        # (API clients find the choices in details.allowed; a form offers them in its select box)
        "not_one_of": _("is not one of the choices"),
        "not_fraction": _('must be a fraction like "2/3"'),
        "fraction_out_of_range": _("must be more than 0 and at most 1"),
        "not_object": _("must be a JSON object"),
        "not_yes_no": _("must be yes or no"),
        "not_ids": _("must be a list of ids"),
        "incomplete_order": _("must list every item of the meeting exactly once"),
        "after_end": _("must not be after the end date"),
        "negative": _("cannot be negative"),
        "not_on_roster": _("is not on this meeting's roster"),
        "unchanged": _("is the same as now: nothing to correct"),
        "not_email": _("must be an e-mail address like name@example.com"),
        "not_retender": _("can only be recorded on a re-tender"),
        "invalid_cursor": _("is not a page link of this list"),
        "not_list": _("must be a list"),
        "not_key": _("needs keys in lower case letters, digits and _ (like good_price)"),
        "not_entry": _("needs an entry with %(fields)s for each line"),
        "duplicate_key": _("uses the key %(key)s twice"),
        "not_score": _('needs scores written as decimals, like "80"'),
        "not_scale": _("must be a preset or a list of choices"),
        "no_satisfied_choice": _("needs at least one choice that counts as satisfied"),
        "weights_not_one": _("must have weights that add up to 1"),
        "no_groups": _("cannot be set: this meeting has no rater groups"),
        "not_counts": _("must give a number for each choice"),
        "uneven_sheets": _("must count the same number of sheets for every criterion"),
    }


def _field_labels(subject: str | None) -> dict[str, str]:
    """A service's field name → its label on the form (the follow-up forms name theirs apart)."""
    labels = {
        "limit": _("Rows per page"),
        "title": _("Title"),
        "scheduled_at": _("Date and time"),
        "location": _("Location"),
        "scale": _("Rating scale"),
        "criteria": _("Criteria"),
        "groups": _("Rater groups"),
        "group": _("Rater group"),
        "pass_rule": _("Pass rule"),
        "pass_threshold": _("Pass threshold"),
        "quorum": _("Quorum"),
        "rehearsal": _("Rehearsal"),
        "name": _("Name"),
        "employee_no": _("Employee no."),
        "department": _("Department"),
        "responsible_person": _("Responsible person"),
        "responsible_person.name": _("Responsible person"),
        "responsible_person.position": _("Position"),
        "responsible_person.department": _("Responsible person's department"),
        "procurement_method": _("Procurement method"),
        "supplier_count": _("Number of suppliers"),
        "amount": _("Amount (yuan)"),
        "benchmark_price": _("Benchmark price (yuan)"),
        "unit_price": _("Unit price (yuan)"),
        "description": _("Description"),
        "present": pgettext("field", "Present"),
        "order": _("Running order"),
        "status": _("Status"),
        "note": pgettext("followup field", "Progress note"),
        "kind": _("Kind"),
        "owner": _("Owner"),
        "owner_email": _("Owner's e-mail"),
        "outcome_amount": _("Re-tender price (yuan)"),
        "due_date": _("Due date"),
        "text": pgettext("field", "Question"),
        "answer": _("Answer summary (secretary's notes)"),
        "reason": pgettext("field", "Reason"),
        "from": _("From"),
        "to": _("To"),
        "q": _("Text"),
        "file": pgettext("followup field", "File"),
        "action_id": pgettext("followup field", "Actions"),
        "body": pgettext("field", "Request body"),
        "counts": pgettext("field", "Counts"),
        "invalid": _("Invalid ballots"),
        "scrutineers": _("Scrutineers"),
        "ballot": _("Ballot"),
        "roster": pgettext("field", "Roster size"),
        "username": _("Username"),
        "password": _("Password"),
        "role": pgettext("field", "Role"),
        "representative_id": _("Representative"),
        "seconds": pgettext("timer field", "Seconds"),
        "label": pgettext("timer field", "Label"),
        "statement": _("Statement of the appeal"),
        "filed_on": _("Filed on"),
        "decision": _("Decision"),
        "value": _("Corrected text"),
        "target": _("What to correct"),
        "target_id": _("What to correct"),
        "field": _("What to correct"),
    }
    if subject == ACTION:
        labels.update(
            {
                "kind": pgettext("followup field", "Kind"),
                "description": pgettext("followup field", "Description"),
                "owner": pgettext("followup field", "Owner"),
                "due_date": pgettext("followup field", "Due date"),
                "status": pgettext("followup field", "Status"),
                "title": pgettext("followup field", "Title"),
            }
        )
    return labels


def _status_label(reason: str, value: Any) -> str:
    """The name of a status a refused transition names (``current``/``target``)."""
    if reason == "action_status":
        from evalmeet.web.followup import status_label

        return status_label(str(value))
    if reason == "question_status":
        names = {
            "pending": _("Awaiting approval"),
            "approved": _("On screen"),
            "hidden": _("Hidden"),
            "answered": _("Answered"),
        }
        return names.get(str(value), str(value))
    return str(value)


def _params(code: str, details: Mapping[str, Any]) -> _Params:
    """The error's parameters as its sentence shows them: lists joined, statuses named."""
    params = _Params()
    for key, value in details.items():
        params[key] = "、".join(str(v) for v in value) if isinstance(value, list | tuple) else value
    reason = details.get("reason")
    if code == "invalid_transition" and isinstance(reason, str):
        for key in ("current", "target"):
            if key in details:
                params[key] = _status_label(reason, details[key])
    return params


def message_for(code: str, details: Mapping[str, Any] | None = None) -> str:
    """The sentence of ``code`` (its ``reason`` variant when it has one), filled from ``details``."""
    details = details or {}
    messages = _messages()
    reason = details.get("reason")
    template = messages.get(f"{code}.{reason}") if isinstance(reason, str) else None
    template = template or messages.get(code)
    if template is None:
        return _("Something went wrong; error code: %(code)s", code=code)
    return template % _params(code, details)


def problem_text(reason: str | None, details: Mapping[str, Any] | None = None) -> str:
    """What is wrong with a value (``reason`` of a validation error), without the field's name."""
    template = _problems().get(reason or "")
    if template is None:
        return _("is not valid")
    return template % _params("", details or {})


def field_label(name: str, subject: str | None = None) -> str:
    """The label of a service's field name (the name itself when there is none)."""
    return _field_labels(subject).get(name, name)


def error_message(err: DomainError, subject: str | None = None) -> str:
    """The refusal as one sentence in the request's language (``subject``: whose field labels)."""
    details = err.details or {}
    field = details.get("field")
    reason = details.get("reason")
    if err.code == "validation_error" and isinstance(reason, str):
        problem = problem_text(reason, details)
        if isinstance(field, str):
            return _("%(field)s: %(problem)s", field=field_label(field, subject), problem=problem)
        return problem
    return message_for(err.code, details)


def error_body(err: DomainError) -> dict[str, Any]:
    """``{"code", "message"}`` (and ``details`` when there are any) for the API and socket acks."""
    body: dict[str, Any] = {"code": err.code, "message": error_message(err)}
    if err.details:
        body["details"] = dict(err.details)
    return body


def socket_locale() -> None:
    """Read the language of this socket's handshake afresh before translating an ack.

    Flask-Babel caches the locale on ``g``; when the event runs inside an app context that
    served another request before (the test suite's), that request's language would win.
    """
    if has_request_context():
        refresh()


# --- HTTP errors ---------------------------------------------------------------------------------


def status_title(status: int) -> str:
    """The heading of an error page for an HTTP status."""
    titles = {
        400: _("The request could not be understood"),
        401: _("Please log in"),
        403: _("You are not allowed to see this page"),
        404: _("Not found"),
        405: _("This action is not available here"),
        409: _("Not possible right now"),
        413: _("What you sent is too large"),
        415: _("This kind of file is not accepted"),
        422: _("Please check what you entered"),
        429: _("Too many requests; please wait a moment"),
        500: _("Something went wrong on our side"),
        503: _("Busy right now; please try again"),
    }
    return titles.get(status, _("Error"))


def _status_sentences() -> dict[int, str]:
    return {
        400: _("The server could not understand the request. Check the address or the form and try again."),
        401: _("Please log in first."),
        403: _("Your account may not open this page."),
        404: _("There is no page at this address. Check the address, or go back and follow a link."),
        405: _("This address does not take that kind of request."),
        406: _("The server cannot answer in a form your browser accepts."),
        409: _("Not possible right now."),
        410: _("This page is no longer available."),
        413: _("The upload or form is larger than the server accepts."),
        414: _("The address is too long."),
        415: _("This kind of content is not accepted here."),
        422: _("Please check what you entered."),
        429: _("Too many requests in a short time. Please wait a moment and try again."),
        431: _("The request's headers are too large."),
        500: _("Something went wrong on our side; please try again."),
        501: _("This is not supported."),
        503: _("The service is busy or down for a moment; please try again shortly."),
    }


def http_code(err: HTTPException) -> str:
    """The snake_case code of an HTTP error (``not_found``, ``method_not_allowed``, ...)."""
    return (err.name or "error").lower().replace(" ", "_").replace("'", "")


def http_message(err: HTTPException) -> str:
    """werkzeug's English description replaced by our sentence; a description our own code
    gave (``abort(403, description=_("…"))``, already translated) is kept."""
    default = type(err).description
    if err.description and err.description != default:
        return str(err.description)
    status = err.code or 500
    return _status_sentences().get(status) or status_title(status)


def known_codes() -> set[str]:
    """Every code (and ``code.reason`` variant) with a sentence (for the coverage test)."""
    return set(_messages())


def known_reasons() -> set[str]:
    """Every validation reason with a problem text (for the coverage test)."""
    return set(_problems())
