"""Public disclosure (厂务公开): publishing closed meetings."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict
from evalmeet.models import Meeting, utcnow
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, done
from evalmeet.services.meetings.meeting import get_meeting


def publish(session: Session, meeting_id: int, actor: str) -> Done[Meeting]:
    """Publish a closed, non-rehearsal meeting; publishing twice is harmless.

    No event: nothing live shows whether a meeting is published (the public pages are read
    when asked for).
    """
    meeting = get_meeting(session, meeting_id)
    if meeting.status != "closed":
        raise Conflict(
            f"meeting {meeting.id} is {meeting.status}; only closed meetings can be published",
            code=f"meeting_{meeting.status}",
            reason="publish",
            meeting_id=meeting.id,
        )
    if meeting.rehearsal:
        raise Conflict("a rehearsal is never published", code="rehearsal", meeting_id=meeting.id)
    if not meeting.published:
        meeting.published = True
        meeting.published_at = utcnow()
        session.flush()
        audit.append(session, actor, "meeting.published", {}, meeting.id)
    return done(meeting)
