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

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, ValidationFailed, not_one_of
from evalmeet.domain.sheets import Rules, Tally
from evalmeet.domain.states import check_item_can_close
from evalmeet.models import Entitlement, Item, PaperCount, Representative, utcnow
from evalmeet.schemas.voting import (
    CHANNEL_MIN,
    ChannelsOut,
    PaperChannelOut,
    PaperCountBody,
    PaperCountOut,
    PhoneChannelOut,
    valid_sheets,
)
from evalmeet.services.accounts import audit
from evalmeet.services.events import BallotCounted, Done, MeetingChanged
from evalmeet.services.meetings.meeting import get_item

PAPER = "paper"


def paper_present(session: Session, item_id: int, vote_round: int, group: str | None = None) -> int:
    """The paper voters of a round's electorate who are present (of one rater group, when
    given): the most sheets it can have."""
    query = (
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
    if group is not None:
        query = query.where(Representative.rater_group == group)
    return session.scalar(query) or 0


def _entered(session: Session, item_id: int, vote_round: int) -> list[PaperCount]:
    """Every group's entered count of a round (one row without groups)."""
    return list(
        session.scalars(
            select(PaperCount)
            .where(PaperCount.item_id == item_id, PaperCount.vote_round == vote_round)
            .order_by(PaperCount.rater_group)
        )
    )


def paper_ballots(session: Session, item_id: int, vote_round: int) -> int:
    """The valid paper ballots entered so far for a round (0 before any entry)."""
    return sum(valid_sheets(row.counts) for row in _entered(session, item_id, vote_round))


def _not_a_choice(choice: str, allowed: tuple[str, ...], field: str) -> ValidationFailed:
    return ValidationFailed(
        f"{choice!r} is not a choice of this meeting's scale",
        field=field,
        choice=choice[:40],
        reason="not_one_of",
        allowed=", ".join(allowed),
    )


def _line_counts(counts: Any, allowed: tuple[str, ...], field: str) -> dict[str, int]:
    """One line's counts: every choice with its count (missing ones are 0), unknown refused."""
    if not isinstance(counts, Mapping) or not all(isinstance(n, int) for n in counts.values()):
        raise ValidationFailed(f"{field} must be {{choice: n}}", field=field, reason="not_counts")
    for choice in counts:
        if choice not in allowed:
            raise _not_a_choice(choice, allowed, field)
    return {choice: int(counts.get(choice, 0)) for choice in allowed}


def _checked_counts(rules: Rules, counts: Mapping[str, Any], invalid: int) -> dict[str, Any]:
    """The count as stored: ``{choice: n}``, or with criteria ``{criterion: {choice: n}}`` with
    every criterion, each adding up (with ``invalid``) to the same number of sheets."""
    allowed = rules.scale.keys
    if not rules.criteria:
        return _line_counts(counts, allowed, "counts")
    lines = rules.lines
    for line in counts:
        if line not in lines:
            raise not_one_of("counts", lines, f"{line!r} is not a criterion of this meeting")
    out = {line: _line_counts(counts.get(line, {}), allowed, f"counts.{line}") for line in lines}
    sums = {sum(c.values()) for c in out.values()}
    if len(sums) > 1:
        raise ValidationFailed(
            "each criterion must count the same sheets", field="counts", reason="uneven_sheets"
        )
    return out


def _checked_group(rules: Rules, group: str | None) -> str:
    if not rules.groups:
        if group:
            raise ValidationFailed("this meeting has no rater groups", field="group", reason="no_groups")
        return ""
    if not group:
        raise ValidationFailed(
            "group is required: this meeting has rater groups", field="group", reason="required"
        )
    if group not in rules.group_keys:
        raise not_one_of("group", rules.group_keys)
    return group


def enter_paper_count(
    session: Session, item_id: int, body: PaperCountBody, actor: str
) -> Done[PaperCountOut]:
    """Record (or replace) the scrutineers' count of an open round's paper ballots.

    409 ``voting_not_open`` / ``voting_closed`` outside the open round; 409
    ``too_many_paper_ballots`` when the sheets (valid + invalid) exceed the paper voters present.
    """
    item = get_item(session, item_id, for_update=True)
    check_item_can_close(item.id, item.status)  # the same refusals: the round must be open
    rules = item.meeting.rules
    group = _checked_group(rules, body.group)
    counts = _checked_counts(rules, body.counts, body.invalid)
    sheets = valid_sheets(counts) + body.invalid
    most = paper_present(session, item.id, item.vote_round, group or None)
    if sheets > most:
        raise Conflict(
            f"{sheets} paper ballots, but only {most} paper voters are present",
            code="too_many_paper_ballots",
            sheets=sheets,
            paper_present=most,
        )
    scrutineers = [name for name in body.scrutineers if name]
    row = session.get(PaperCount, (item.id, item.vote_round, group))
    if row is None:
        row = PaperCount(item_id=item.id, vote_round=item.vote_round, rater_group=group)
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
            "group": group or None,
            "sheets": sheets,
            "invalid": body.invalid,
            "scrutineers": scrutineers,
        },
        item.meeting_id,
    )
    out = PaperCountOut.of(row, most)
    return Done(out, (BallotCounted(item.meeting_id, item.id), MeetingChanged(item.meeting_id, phones=False)))


def current_paper_count(session: Session, item: Item) -> tuple[list[PaperCountOut], int]:
    """For the console while a round is open: the counts entered so far (one per group) and the
    paper voters present."""
    most = paper_present(session, item.id, item.vote_round)
    return [
        PaperCountOut.of(row, paper_present(session, item.id, item.vote_round, row.rater_group or None))
        for row in _entered(session, item.id, item.vote_round)
    ], most


def freeze_channels(
    session: Session, item: Item, phone_rows: Iterable[tuple[str | None, str, int]]
) -> tuple[dict[str, Tally], dict[str, Any]]:
    """At close: the round's valid ballots as tallies by rater group (``""`` without groups),
    phone and paper merged, and its ``channels`` as the frozen result keeps them (counts by
    choice, over every criterion). ``phone_rows``: ``(group, stored ballot, n)``. Removes the
    entered paper counts (what may be shown of them is in the result)."""
    rules = item.meeting.rules
    tallies: dict[str, Tally] = {}
    phone = dict.fromkeys(rules.scale.keys, 0)
    phone_ballots = 0
    for group, stored, n in phone_rows:
        ratings = rules.ratings_of(stored)
        tallies.setdefault(group or "", Tally()).add(ratings, n)
        phone_ballots += n
        for choice in ratings.values():
            phone[choice] += n
    paper = dict.fromkeys(rules.scale.keys, 0)
    paper_sheets = invalid = 0
    scrutineers: list[str] = []
    for row in _entered(session, item.id, item.vote_round):
        lines = row.counts if rules.criteria else {"": row.counts}
        sheets = valid_sheets(row.counts)
        tallies.setdefault(row.rater_group, Tally()).add_counts(lines, sheets)
        paper_sheets += sheets
        invalid += row.invalid
        scrutineers += [name for name in row.scrutineers if name not in scrutineers]
        for counts in lines.values():
            for choice, n in counts.items():
                paper[choice] += int(n)
        session.delete(row)
    channels = ChannelsOut(
        phone=PhoneChannelOut(counts=phone if phone_ballots >= CHANNEL_MIN else None, ballots=phone_ballots),
        paper=PaperChannelOut(
            counts=paper if paper_sheets >= CHANNEL_MIN else None,
            ballots=paper_sheets,
            invalid=invalid,
            scrutineers=scrutineers,
        ),
    )
    return tallies, channels.json_dict()
