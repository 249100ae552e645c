"""The one place a request's work is committed and its after-commit steps run.

Views and socket handlers call a service, which returns :class:`~evalmeet.services.events.Done`;
``commit(done)`` commits the session and then acts on each event (broadcasts, the secrecy scrub,
file removal), in order, and gives back the value. Nothing is sent before the commit: a screen
never shows what could still roll back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app, flash, redirect

from evalmeet.db import scrub_sqlite_wal
from evalmeet.domain.errors import DomainError
from evalmeet.extensions import db
from evalmeet.realtime import broadcast
from evalmeet.services import events as ev
from evalmeet.services.followup.evidence import remove_stored_files

T = TypeVar("T")


def upload_dir() -> Path:
    """Where evidence files live: ``<instance>/uploads``."""
    return Path(current_app.instance_path) / "uploads"


def commit(done: ev.Done[T]) -> T:
    """Commit, then run the after-commit steps of ``done``'s events; return its value.

    When the commit fails, it is rolled back and the files written for it are removed.
    """
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for event in done.events:
            if isinstance(event, ev.FilesWritten):
                remove_stored_files(upload_dir(), event.names)
        raise
    after_commit(done.events)
    return done.value


def form_post(
    work: Callable[[], ev.Done[T]],
    *,
    again: Callable[[DomainError], Any],
    then: Callable[[T], str],
    message: str | None = None,
) -> Any:
    """A form's POST: do the work; on a refusal roll back and show the form ``again`` with it;
    else commit (and the after-commit steps), flash ``message`` and redirect to ``then(value)``."""
    try:
        outcome = work()
    except DomainError as err:
        db.session.rollback()
        return again(err)
    value = commit(outcome)
    if message:
        flash(message, "success")
    return redirect(then(value))


def after_commit(events: tuple[ev.Event, ...]) -> None:
    """Act on committed events: what each one means for the screens and the files."""
    for event in events:
        match event:
            case ev.MeetingChanged(meeting_id, phones):
                broadcast.state_changed(meeting_id, phones=phones)
            case ev.VotingOpened(meeting_id, item_id):
                broadcast.state_changed(meeting_id)
                broadcast.progress(item_id, meeting_id)
            case ev.BallotCounted(meeting_id, item_id):
                broadcast.progress(item_id, meeting_id)
            case ev.VotingClosed(meeting_id, result):
                scrub_sqlite_wal(db.engine)  # the log's commit order must not outlive the vote
                broadcast.result(meeting_id, result)
                broadcast.state_changed(meeting_id)
            case ev.QuestionAsked(meeting_id, item_id):
                broadcast.question_asked(meeting_id, item_id)
            case ev.QuestionsChanged(meeting_id, item_id):
                broadcast.questions_changed(meeting_id, item_id)
            case ev.LinkRevoked(meeting_id, rep_id):
                broadcast.token_revoked(meeting_id, rep_id)
            case ev.RepresentativeChanged(meeting_id, rep_id):
                broadcast.rep_state(meeting_id, rep_id)
            case ev.QuestionModerated(_meeting_id, rep_id, question_id, item_id, status):
                broadcast.my_question(rep_id, question_id, item_id, status)
            case ev.AlertRaised(meeting_id):
                broadcast.alert(meeting_id)
            case ev.FilesRemoved(names):
                remove_stored_files(upload_dir(), names)
            case ev.FilesWritten():
                pass  # committed: the files stay
