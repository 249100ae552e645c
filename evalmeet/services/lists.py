"""Pages of the API's smaller lists: a roster, an item's receipts, actions, questions and
recusals, an action's appeals, a meeting's corrections.

Each keeps the order it always had and answers whole when the request names no ``limit`` (the
answer clients have always had); with ``limit`` (and then ``cursor``) it is paged by keyset
like the meetings (:mod:`evalmeet.services.paging`). The lookups that refuse an unknown id stay
in the views, before the page is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from evalmeet.models import Action, Appeal, Ballot, Correction, Question, Recusal, Representative
from evalmeet.schemas.query import PageQuery
from evalmeet.schemas.recusals import RecusalOut
from evalmeet.services import paging
from evalmeet.services.paging import Keyset, Page, keys
from evalmeet.services.voting import round as rounds


def _oldest_first(name: str, model: Any) -> Keyset[Any]:
    """A list in the order its rows were made (by id)."""
    return Keyset(name, keys((model.id, int)), key_of=lambda row: (row.id,), descending=False)


REPRESENTATIVES: Keyset[Representative] = _oldest_first("representatives", Representative)
ACTIONS: Keyset[Action] = _oldest_first("actions", Action)
APPEALS: Keyset[Appeal] = _oldest_first("appeals", Appeal)
CORRECTIONS: Keyset[Correction] = _oldest_first("corrections", Correction)
RECUSALS: Keyset[Recusal] = _oldest_first("recusals", Recusal)
QUESTIONS: Keyset[Question] = _oldest_first("questions", Question)
# Receipt codes are unique: sorted, they are their own key.
RECEIPTS: Keyset[str] = Keyset(
    "receipts", keys((Ballot.receipt, str)), key_of=lambda code: (code,), descending=False
)


def _page(
    session: Session,
    stmt: Select[Any],
    keyset: Keyset[paging.T],
    query: PageQuery,
    default: int | None = None,
) -> Page[paging.T]:
    return paging.page(session, stmt, keyset, limit=query.limit, cursor=query.cursor, default=default)


def representatives_page(
    session: Session, meeting_id: int, query: PageQuery, *, default: int | None = None
) -> Page[Representative]:
    """The roster in the order it was entered (``default``: the rows of a page that names no
    ``limit``; None, the API's: the whole roster)."""
    stmt = select(Representative).where(Representative.meeting_id == meeting_id)
    return _page(session, stmt, REPRESENTATIVES, query, default)


def receipts_page(session: Session, item_id: int, query: PageQuery) -> Page[str]:
    """The sorted receipt codes of the item's latest closed round (no choices)."""
    result = rounds.get_result(session, item_id)
    stmt = select(Ballot.receipt).where(
        Ballot.item_id == result.item_id, Ballot.vote_round == result.vote_round
    )
    return _page(session, stmt, RECEIPTS, query)


def actions_page(session: Session, item_id: int, query: PageQuery) -> Page[Action]:
    """An item's actions, oldest first."""
    return _page(session, select(Action).where(Action.item_id == item_id), ACTIONS, query)


def appeals_page(session: Session, action_id: int, query: PageQuery) -> Page[Appeal]:
    """An action's appeals, oldest first."""
    return _page(session, select(Appeal).where(Appeal.action_id == action_id), APPEALS, query)


def corrections_page(session: Session, meeting_id: int, query: PageQuery) -> Page[Correction]:
    """A meeting's revision history, oldest first."""
    return _page(session, select(Correction).where(Correction.meeting_id == meeting_id), CORRECTIONS, query)


def questions_page(session: Session, item_id: int, query: PageQuery) -> Page[Question]:
    """Every question of an item (pending and hidden too: the moderators' list), oldest first."""
    return _page(session, select(Question).where(Question.item_id == item_id), QUESTIONS, query)


def recusals_page(session: Session, item_id: int, query: PageQuery) -> Page[RecusalOut]:
    """An item's recusals with the representatives' names, in the order they were declared."""
    found = _page(session, select(Recusal).where(Recusal.item_id == item_id), RECUSALS, query)
    ids = {r.representative_id for r in found.rows}
    who = select(Representative.id, Representative.name).where(Representative.id.in_(ids))
    names: dict[int, str] = {rep_id: name for rep_id, name in session.execute(who)}
    return Page([RecusalOut.of(r, names[r.representative_id]) for r in found.rows], found.next, found.prev)
