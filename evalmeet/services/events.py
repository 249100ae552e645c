"""What a use case says happened: its result and its events, for the edge to act on after commit.

A service never commits and never emits. It returns ``Done(value, events)``; the edge
(``evalmeet.web.edge.commit``) commits, then runs each event's after-commit step — a fresh
snapshot to the meeting's screens, the frozen result to the room, the secrecy scrub of the
write-ahead log after a close, disconnecting a revoked link's sockets, removing files whose rows
are gone. So "revoke → snapshot + disconnect" is written once, here, and not in every view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class MeetingEvent:
    """Something happened in one meeting (every event below but the files' says which)."""

    meeting_id: int


@dataclass(frozen=True)
class MeetingChanged(MeetingEvent):
    """Something every screen of the meeting shows changed: send them a fresh snapshot.

    ``phones=False``: only the staff screens show it (attendance).
    """

    phones: bool = True


@dataclass(frozen=True)
class ItemEvent(MeetingEvent):
    """Something happened to one item of the meeting."""

    item_id: int


@dataclass(frozen=True)
class VotingOpened(ItemEvent):
    """Voting on an item opened: snapshot plus the first progress figures."""


@dataclass(frozen=True)
class BallotCounted(ItemEvent):
    """A ballot was committed: the progress figures moved (throttled)."""


@dataclass(frozen=True)
class VotingClosed(MeetingEvent):
    """Voting closed and the tally is frozen: scrub the log, send the result and a snapshot."""

    result: dict[str, Any]


@dataclass(frozen=True)
class QuestionAsked(ItemEvent):
    """A new pending question: only the moderators' list changes."""


@dataclass(frozen=True)
class QuestionsChanged(MeetingEvent):
    """Questions were moderated: the moderators' list and every screen's snapshot."""

    item_id: int | None = None


@dataclass(frozen=True)
class RepresentativeEvent(MeetingEvent):
    """Something happened to one representative of the meeting."""

    rep_id: int


@dataclass(frozen=True)
class LinkRevoked(RepresentativeEvent):
    """A representative's link stopped working: disconnect its sockets."""


@dataclass(frozen=True)
class RepresentativeChanged(RepresentativeEvent):
    """One representative's own view changed (attendance taken by hand, ballot channel): their
    phone gets its own exact snapshot at once (the shared one carries no ``me``)."""


@dataclass(frozen=True)
class QuestionModerated(RepresentativeEvent):
    """A question was approved, hidden or answered: its author's phone is told its status."""

    question_id: int
    item_id: int
    status: str


@dataclass(frozen=True)
class AlertRaised(MeetingEvent):
    """A new alert for the console and the projector."""


@dataclass(frozen=True)
class FilesRemoved:
    """Rows naming stored files were deleted: remove the files once that is committed."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class FilesWritten:
    """Files were stored for rows not yet committed: remove them if the commit fails."""

    names: tuple[str, ...]


Event = (
    MeetingChanged
    | VotingOpened
    | BallotCounted
    | VotingClosed
    | QuestionAsked
    | QuestionsChanged
    | LinkRevoked
    | RepresentativeChanged
    | QuestionModerated
    | AlertRaised
    | FilesRemoved
    | FilesWritten
)


@dataclass(frozen=True)
class Done(Generic[T]):
    """A use case's answer: what it made or changed, and what the edge must do after commit."""

    value: T
    events: tuple[Event, ...] = field(default=())

    def then(self, *more: Event) -> Done[T]:
        """The same answer with more events."""
        return Done(self.value, self.events + more)


def done(value: T, *events: Event) -> Done[T]:
    """``Done(value, events)``."""
    return Done(value, tuple(events))
