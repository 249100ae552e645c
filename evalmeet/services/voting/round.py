"""A round of voting on an item: opening it, closing it, and what stays of it afterwards.

Opening checks the meeting's state and the quorum and fixes the round's electorate (the roster
as it is then). Closing locks the item, tallies with one aggregate query, rewrites the round's
ballots in shuffled order under fresh random ids, freezes the result, and writes one audit entry
with the sorted receipts — a fixed number of statements whatever the number of ballots. Its
:class:`~evalmeet.services.events.VotingClosed` tells the edge to scrub the SQLite write-ahead
log once that is committed (secrecy.md), whichever edge closed it. The ballots themselves are
cast by :mod:`evalmeet.services.voting.ballots`.
"""

from __future__ import annotations

import random
from typing import Any, cast

from sqlalchemy import String, Table, Text, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from evalmeet.domain.errors import Conflict, NotFound
from evalmeet.domain.rules import format_fraction, parse_fraction, quorum_met, quorum_needed
from evalmeet.domain.sheets import GROUP_MIN, Evaluation, evaluate
from evalmeet.domain.states import check_item_can_close, check_item_can_open, require_meeting_status
from evalmeet.models import (
    ActionNote,
    Ballot,
    Entitlement,
    Item,
    ItemResult,
    Meeting,
    Participation,
    ReportBackLink,
    Representative,
    utcnow,
)
from evalmeet.models.base import UTCDateTime, random_id
from evalmeet.schemas.live import ProgressOut
from evalmeet.schemas.voting import ReceiptCheckOut, ResultOut, RevoteBody
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, VotingClosed, VotingOpened, done
from evalmeet.services.meetings.meeting import get_item, get_meeting, present_count, roster_size
from evalmeet.services.meetings.recusals import recusal_count, recused_counts, recused_reps
from evalmeet.services.voting.paper import freeze_channels, paper_ballots

_shuffle = random.SystemRandom().shuffle
_ballots_t = cast(Table, Ballot.__table__)


# --- open -------------------------------------------------------------------------------------


def open_voting(session: Session, item_id: int, actor: str, revote_reason: str | None = None) -> Done[Item]:
    """Open voting on an item of a live meeting once the quorum is present.

    ``revote_reason`` re-runs the vote on a decided item; the earlier result stays on record.
    """
    item = get_item(session, item_id, for_update=True)
    meeting = get_meeting(session, item.meeting_id, for_update=True)
    require_meeting_status(meeting.id, meeting.status, "live", doing="open voting")
    check_item_can_open(item.id, item.status, revote=revote_reason is not None)
    other = session.scalar(
        select(Item.id).where(Item.meeting_id == meeting.id, Item.status == "voting", Item.id != item.id)
    )
    if other is not None:
        raise Conflict(
            f"voting on item {other} is still open; close it first", code="voting_open", item_id=other
        )
    # The item's roster and present leave out who recused from it (contract: who counts).
    recused_roster, recused_present = recused_counts(session, item.id)
    present = present_count(session, meeting.id) - recused_present
    roster = roster_size(session, meeting.id) - recused_roster
    quorum = parse_fraction(meeting.quorum, "quorum")
    if not quorum_met(present, roster, quorum):
        needed = quorum_needed(roster, quorum)
        raise Conflict(
            f"quorum not met: {present} of {roster} present, {needed} needed",
            code="quorum_not_met",
            present=present,
            roster=roster,
            needed=needed,
        )
    _check_groups(session, meeting, item.id)
    if revote_reason is not None:
        if item.status == "pending":
            raise Conflict(f"item {item.id} has not been voted on yet", code="not_voted", item_id=item.id)
        previous = session.scalar(
            select(ItemResult).where(ItemResult.item_id == item.id, ItemResult.vote_round == item.vote_round)
        )
        if previous is not None:
            previous.superseded_reason = revote_reason
    item.status = "voting"
    item.vote_round += 1
    item.voting_opened_at = utcnow()
    meeting.current_item_id = item.id
    meeting.phase = "voting"
    meeting.questions_open = False
    session.flush()
    _freeze_electorate(session, item.id, item.vote_round, meeting.id)
    audit.append(
        session,
        actor,
        "voting.opened",
        {
            "item_id": item.id,
            "round": item.vote_round,
            "present": present,
            "roster": roster,
            "recused": recused_roster,
            "revote_reason": revote_reason,
        },
        meeting.id,
    )
    return done(item, VotingOpened(meeting.id, item.id))


def _check_groups(session: Session, meeting: Meeting, item_id: int) -> None:
    """With rater groups: no group with members present has fewer than three of them present
    (recused members left out), so no group's tally is one or two persons' votes; and everyone
    on the roster belongs to one of the meeting's groups."""
    keys = meeting.rules.group_keys
    if not keys:
        return
    on_roster = (
        Representative.meeting_id == meeting.id,
        Representative.revoked.is_(False),
        Representative.id.not_in(recused_reps(item_id)),
    )
    present = session.execute(
        select(Representative.rater_group, func.count())
        .where(*on_roster, Representative.present.is_(True))
        .group_by(Representative.rater_group)
    ).all()
    for group, n in sorted(present, key=lambda row: keys.index(row[0]) if row[0] in keys else len(keys)):
        if group in keys and 0 < n < GROUP_MIN:
            raise Conflict(
                f"rater group {group} has {n} present; voting needs at least {GROUP_MIN} of a group",
                code="group_too_small",
                group=group,
                label=next(g.label for g in meeting.rules.groups if g.key == group),
                present=n,
                needed=GROUP_MIN,
            )
    outside = session.scalar(
        select(func.count())
        .select_from(Representative)
        .where(*on_roster, (Representative.rater_group.is_(None)) | Representative.rater_group.not_in(keys))
    )
    if outside:
        raise Conflict(
            f"{outside} representative(s) belong to no rater group of this meeting",
            code="group_missing",
            count=outside,
        )


def revote(session: Session, item_id: int, body: RevoteBody, actor: str) -> Done[Item]:
    """Re-run a decided item's vote with a recorded reason."""
    return open_voting(session, item_id, actor, revote_reason=body.reason)


def _freeze_electorate(session: Session, item_id: int, vote_round: int, meeting_id: int) -> None:
    """Who may vote in this round: the roster as it is now, less who recused from the item, in
    one statement (see Entitlement)."""
    session.execute(
        insert(Entitlement).from_select(
            ["item_id", "vote_round", "representative_id"],
            select(literal(item_id), literal(vote_round), Representative.id).where(
                Representative.meeting_id == meeting_id,
                Representative.revoked.is_(False),
                Representative.id.not_in(recused_reps(item_id)),
            ),
        )
    )


# --- while it is open -------------------------------------------------------------------------


def electorate_counts(session: Session, item_id: int, vote_round: int) -> tuple[int, int]:
    """``(roster, present)`` of one round: its electorate, and those of it who are present or
    have voted in it (someone marked absent after voting still took part)."""
    voted = select(Participation.representative_id).where(
        Participation.item_id == item_id, Participation.vote_round == vote_round
    )
    row = session.execute(
        select(
            func.count(),
            func.count().filter((Representative.present.is_(True)) | Representative.id.in_(voted)),
        )
        .select_from(Entitlement)
        .join(Representative, Representative.id == Entitlement.representative_id)
        .where(Entitlement.item_id == item_id, Entitlement.vote_round == vote_round)
    ).one()
    return int(row[0]), int(row[1])


def has_voted(session: Session, item: Item, rep_id: int) -> bool:
    """Whether the representative voted in the item's current round."""
    if not item.vote_round:
        return False
    return (
        session.scalar(
            select(Participation.id).where(
                Participation.item_id == item.id,
                Participation.vote_round == item.vote_round,
                Participation.representative_id == rep_id,
            )
        )
        is not None
    )


def ballots_cast(session: Session, item_id: int, vote_round: int) -> int:
    """How many have voted in a round (from participation: no choices involved)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Participation)
            .where(Participation.item_id == item_id, Participation.vote_round == vote_round)
        )
        or 0
    )


def progress(session: Session, item_id: int) -> ProgressOut:
    """``{item_id, ballots, present}`` while voting: never the counts. ``ballots``: the phone
    ballots plus the paper ballots entered so far."""
    item = get_item(session, item_id)
    return ProgressOut(
        item_id=item.id,
        ballots=ballots_cast(session, item.id, item.vote_round)
        + paper_ballots(session, item.id, item.vote_round),
        present=electorate_counts(session, item.id, item.vote_round)[1],
    )


# --- close ------------------------------------------------------------------------------------


def close_voting(session: Session, item_id: int, actor: str) -> Done[ItemResult]:
    """Close the vote: freeze the tally, shuffle the ballots, record one audit entry.

    Its event makes the edge scrub the write-ahead log after the commit, then send the result.
    """
    item = get_item(session, item_id, for_update=True)
    check_item_can_close(item.id, item.status)
    meeting = item.meeting
    vote_round = item.vote_round
    phone_rows = session.execute(
        select(Ballot.rater_group, Ballot.choice, func.count())
        .where(Ballot.item_id == item.id, Ballot.vote_round == vote_round)
        .group_by(Ballot.rater_group, Ballot.choice)
    ).all()
    # Phone and paper merged: the valid ballots decide; each channel is kept as it may be shown.
    tallies, channels = freeze_channels(session, item, [(g, c, int(n)) for g, c, n in phone_rows])
    threshold = parse_fraction(meeting.pass_threshold, "pass_threshold")
    outcome = evaluate(meeting.rules, tallies, threshold)
    roster, present = electorate_counts(session, item.id, vote_round)

    # Rewrite the round's ballots in random order under new ids, inside this transaction, so
    # neither physical order nor transaction ids link a ballot to a participation row; the
    # rewritten rows carry no rater group (it only weighed the tally, now frozen).
    # Core statements on the session's connection: thousands of plain rows need no ORM.
    conn = session.connection()
    in_round = (_ballots_t.c.item_id == item.id) & (_ballots_t.c.vote_round == vote_round)
    rows = conn.execute(select(_ballots_t.c.choice, _ballots_t.c.receipt).where(in_round)).all()
    fresh = [
        {"id": random_id(), "item_id": item.id, "vote_round": vote_round, "choice": c, "receipt": r}
        for c, r in rows
    ]
    _shuffle(fresh)
    conn.execute(delete(_ballots_t).where(in_round))
    if fresh and conn.dialect.name == "postgresql":
        _copy_ballots(conn, fresh)
    elif fresh:
        conn.execute(insert(_ballots_t), fresh)

    status = "passed" if outcome.passed else "failed"
    won = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.status == "voting")
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"voting on item {item.id} is already closed", code="voting_closed", item_id=item.id)
    item.status = status
    result = ItemResult(
        item_id=item.id,
        vote_round=vote_round,
        scale=meeting.scale,
        counts=outcome.counts,
        ballots=outcome.ballots,
        present=present,
        roster=roster,
        recused=recusal_count(session, item.id),
        satisfaction_num=outcome.satisfaction[0],
        satisfaction_den=outcome.satisfaction[1],
        pass_threshold=format_fraction(threshold),
        passed=outcome.passed,
        channels=channels,
        criteria=outcome.criteria,
        groups=outcome.groups,
        average_score=outcome.average_score,
    )
    session.add(result)
    if meeting.current_item_id == item.id:
        meeting.phase = "result"
    session.flush()
    if item.kind == "report_back" and not meeting.rehearsal:
        _note_report_back(session, item.id, meeting.title, vote_round, outcome, actor)
    audit.append(
        session,
        actor,
        "voting.closed",
        {
            "item_id": item.id,
            "round": vote_round,
            "counts": outcome.counts,
            "ballots": outcome.ballots,
            "present": present,
            "passed": outcome.passed,
            "channels": channels,
            "receipts": sorted(r for _c, r in rows),
        },
        meeting.id,
    )
    return done(result, VotingClosed(meeting.id, ResultOut.of(result).json_dict()))


def _copy_ballots(conn: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: write the rows, in their order, with one ``COPY`` in this transaction."""
    columns = ("id", "item_id", "vote_round", "choice", "receipt")
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY ballots ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    finally:
        cursor.close()


def _note_report_back(
    session: Session, item_id: int, meeting_title: str, vote_round: int, outcome: Evaluation, actor: str
) -> None:
    """Write the report-back result into the history of every linked action: ONE statement.

    Rehearsals write nothing: their votes are not part of any real action's record.
    """
    verdict = "通过" if outcome.passed else "未通过"
    again = f"（第{vote_round}轮）" if vote_round > 1 else ""
    note = f"回头看表决（{meeting_title}）{again}：{verdict} {outcome.satisfaction_text}"
    session.execute(
        insert(ActionNote).from_select(
            ["action_id", "author", "note", "created_at"],
            select(
                ReportBackLink.action_id,
                literal(actor[:64], String()),
                literal(note, Text()),
                literal(utcnow(), UTCDateTime()),
            ).where(ReportBackLink.item_id == item_id),
        )
    )


# --- after it closed --------------------------------------------------------------------------


def revote_reason(session: Session, item: Item) -> str | None:
    """Why the item's current round re-runs its vote: the reason recorded on the round before
    (None in the first round)."""
    if item.vote_round <= 1:
        return None
    return session.scalar(
        select(ItemResult.superseded_reason).where(
            ItemResult.item_id == item.id, ItemResult.vote_round == item.vote_round - 1
        )
    )


def latest_result(session: Session, item_id: int) -> ItemResult | None:
    """The result of the item's newest closed round, or None."""
    return session.scalar(
        select(ItemResult)
        .where(ItemResult.item_id == item_id)
        .order_by(ItemResult.vote_round.desc())
        .limit(1)
    )


def result_history(session: Session, item_id: int) -> list[ItemResult]:
    """Every frozen result of an item, oldest round first."""
    return list(
        session.scalars(
            select(ItemResult).where(ItemResult.item_id == item_id).order_by(ItemResult.vote_round)
        )
    )


def get_result(session: Session, item_id: int) -> ItemResult:
    """The frozen result; refused while voting is open (no live counts, ever)."""
    item = get_item(session, item_id)
    if item.status == "voting":
        raise Conflict(f"voting on item {item.id} is still open", code="voting_open", item_id=item.id)
    result = latest_result(session, item.id)
    if result is None:
        raise Conflict(f"item {item.id} has not been voted on", code="not_voted", item_id=item.id)
    return result


def receipts(session: Session, item_id: int) -> list[str]:
    """Sorted receipt codes of the item's latest closed round (no choices)."""
    result = get_result(session, item_id)
    return sorted(
        session.scalars(
            select(Ballot.receipt).where(
                Ballot.item_id == result.item_id, Ballot.vote_round == result.vote_round
            )
        )
    )


_RECEIPT_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def normalise_receipt(code: object) -> str | None:
    """``abcd efgh-jklm`` as typed or scanned -> ``ABCD-EFGH-JKLM``; None when it cannot be one."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    plain = "".join(ch for ch in code.upper() if ch not in " -\t")
    if len(plain) != 12 or not set(plain) <= _RECEIPT_ALPHABET:
        return None
    return f"{plain[0:4]}-{plain[4:8]}-{plain[8:12]}"


def check_receipt(session: Session, code: object) -> ReceiptCheckOut:
    """Whether a receipt was counted: ``{receipt, item_id, round, counted: true}`` once the round
    that holds it has closed; NotFound for an unknown code or one whose round is still open.
    Never the choice."""
    receipt = normalise_receipt(code)
    row = None
    if receipt is not None:
        row = session.execute(
            select(Ballot.item_id, Ballot.vote_round, Item.status, Item.vote_round)
            .join(Item, Item.id == Ballot.item_id)
            .where(Ballot.receipt == receipt)
        ).first()
    if receipt is None or row is None or (row[2] == "voting" and row[3] == row[1]):
        raise NotFound("no counted ballot has this receipt (yet)", code="receipt_not_found")
    return ReceiptCheckOut(receipt=receipt, item_id=row[0], round=row[1], counted=True)
