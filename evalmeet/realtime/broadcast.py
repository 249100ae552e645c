"""The only place that emits. Called by the edges after commit, never inside a transaction."""

from __future__ import annotations

from typing import Any


def state_changed(meeting_id: int) -> None:
    """Send every screen of the meeting a fresh ``state`` snapshot."""


def progress(item_id: int, meeting_id: int) -> None:
    """Send ``{item_id, ballots, present}`` (rate-limited)."""


def result(meeting_id: int, payload: dict[str, Any]) -> None:
    """Send the frozen result to the meeting's room."""


def questions_changed(meeting_id: int) -> None:
    """Tell moderators and the projector that questions changed."""


def token_revoked(meeting_id: int, rep_id: int) -> None:
    """Disconnect the sockets of a representative whose link was revoked."""
