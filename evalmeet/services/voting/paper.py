"""Paper ballots: representatives without a phone vote on paper sheets, which the scrutineers
(监票人) count while the round is open; the moderator enters their count (a later entry replaces
the earlier one). At close, :func:`freeze_channels` merges it with the phone ballots and keeps,
in the frozen result, each channel as it may be shown: a channel of fewer than three ballots
gives how many, never its counts (secrecy.md). The entered count itself is then removed.

Nothing here names a person: the count is per choice, and the sheets are bounded by the round's
paper voters who are present (its electorate as fixed at opening, see ``Entitlement``; a
representative switched between phone and paper cannot be, while any vote is open).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, ValidationFailed
from evalmeet.domain.rules import choices_for
from evalmeet.domain.states import check_item_can_close
from evalmeet.models import Entitlement, Item, PaperCount, Representative, utcnow
from evalmeet.schemas.voting import (
    CHANNEL_MIN,
    ChannelsOut,
    PaperChannelOut,
    PaperCountBody,
    PaperCountOut,
    PhoneChannelOut,
)
from evalmeet.services.accounts import audit
from evalmeet.services.events import BallotCounted, Done, MeetingChanged
from evalmeet.services.meetings.meeting import get_item

PAPER = "paper"


def paper_present(session: Session, item_id: int, vote_round: int) -> int:
    """The paper voters of a round's electorate who are present: the most sheets it can have."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Entitlement)
            .join(Representative, Representative.id == Entitlement.representative_id)
            .where(
                Entitlement.item_id == item_id,
                Entitlement.vote_round == vote_round,
                Representative.ballot == PAPER,
                Representative.present.is_(True),
            )
        )
        or 0
    )


def _entered(session: Session, item_id: int, vote_round: int) -> PaperCount | None:
    return session.get(PaperCount, (item_id, vote_round))


def paper_ballots(session: Session, item_id: int, vote_round: int) -> int:
    """The valid paper ballots entered so far for a round (0 before any entry)."""
    row = _entered(session, item_id, vote_round)
    return sum(row.counts.values()) if row is not None else 0


def _checked_counts(scale: str, counts: Mapping[str, int]) -> dict[str, int]:
    """Every choice of the scale with its count (missing ones are 0); unknown choices refused."""
    allowed = choices_for(scale)
    for choice in counts:
        if choice not in allowed:
            raise ValidationFailed(
                f"{choice!r} is not a choice of the {scale} scale",
                field="counts",
                choice=choice[:40],
                reason="not_one_of",
                allowed=", ".join(allowed),
            )
    return {choice: int(counts.get(choice, 0)) for choice in allowed}


def enter_paper_count(
    session: Session, item_id: int, body: PaperCountBody, actor: str
) -> Done[PaperCountOut]:
    """Record (or replace) the scrutineers' count of an open round's paper ballots.

    409 ``voting_not_open`` / ``voting_closed`` outside the open round; 409
    ``too_many_paper_ballots`` when the sheets (valid + invalid) exceed the paper voters present.
    """
    item = get_item(session, item_id, for_update=True)
    check_item_can_close(item.id, item.status)  # the same refusals: the round must be open
    counts = _checked_counts(item.meeting.scale, body.counts)
    sheets = sum(counts.values()) + body.invalid
    most = paper_present(session, item.id, item.vote_round)
    if sheets > most:
        raise Conflict(
            f"{sheets} paper ballots, but only {most} paper voters are present",
            code="too_many_paper_ballots",
            sheets=sheets,
            paper_present=most,
        )
    scrutineers = [name for name in body.scrutineers if name]
    row = _entered(session, item.id, item.vote_round)
    if row is None:
        row = PaperCount(item_id=item.id, vote_round=item.vote_round)
        session.add(row)
    row.counts = counts
    row.invalid = body.invalid
    row.scrutineers = scrutineers
    row.entered_at = utcnow()
    session.flush()
    # No counts in the log while the vote is open (secrecy.md): the close records the channels.
    audit.append(
        session,
        actor,
        "paper_count.entered",
        {
            "item_id": item.id,
            "round": item.vote_round,
            "sheets": sheets,
            "invalid": body.invalid,
            "scrutineers": scrutineers,
        },
        item.meeting_id,
    )
    out = PaperCountOut.of(row, most)
    return Done(out, (BallotCounted(item.meeting_id, item.id), MeetingChanged(item.meeting_id, phones=False)))


def current_paper_count(session: Session, item: Item) -> tuple[PaperCountOut | None, int]:
    """For the console while a round is open: the count entered so far (or None) and the paper
    voters present."""
    most = paper_present(session, item.id, item.vote_round)
    row = _entered(session, item.id, item.vote_round)
    return (PaperCountOut.of(row, most) if row is not None else None), most


def freeze_channels(
    session: Session, item: Item, phone_counts: Mapping[str, int]
) -> tuple[dict[str, int], dict[str, Any]]:
    """At close: the merged valid counts of the round, and its ``channels`` as the frozen result
    keeps them. Removes the entered paper count (what may be shown of it is in the result)."""
    scale = item.meeting.scale
    phone = {choice: int(phone_counts.get(choice, 0)) for choice in choices_for(scale)}
    row = _entered(session, item.id, item.vote_round)
    paper = dict(row.counts) if row is not None else dict.fromkeys(phone, 0)
    merged = {choice: phone[choice] + int(paper.get(choice, 0)) for choice in phone}
    phone_ballots, paper_ballots_ = sum(phone.values()), sum(paper.values())
    channels = ChannelsOut(
        phone=PhoneChannelOut(counts=phone if phone_ballots >= CHANNEL_MIN else None, ballots=phone_ballots),
        paper=PaperChannelOut(
            counts=paper if paper_ballots_ >= CHANNEL_MIN else None,
            ballots=paper_ballots_,
            invalid=row.invalid if row is not None else 0,
            scrutineers=list(row.scrutineers) if row is not None else [],
        ),
    )
    if row is not None:
        session.delete(row)
    return merged, channels.json_dict()
