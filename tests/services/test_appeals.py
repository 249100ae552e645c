"""Appeals (申诉): who may appeal, the deadline in China days, one pending at a time, final
decisions, their notes and audit entries, and what they do to the statistics."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from evalmeet.domain import clock
from evalmeet.domain.errors import Conflict, NotFound, ValidationFailed
from evalmeet.models import ActionNote, AuditEntry
from evalmeet.schemas.appeals import AppealCreate, AppealDecide
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate
from evalmeet.services.accounts import audit
from evalmeet.services.archive import people, stats
from evalmeet.services.followup import actions, appeals
from evalmeet.services.meetings import conduct
from tests.conftest import both_databases

pytestmark = both_databases


def sanction(session, item_id, kind="party_discipline"):
    return actions.add_action(
        session, item_id, parse(ActionCreate, {"kind": kind, "description": "党内警告处分"}), "mod"
    ).value


def appeal(session, action_id, statement="处分过重，请求复核", filed_on=None, days=15):
    body = {"statement": statement}
    if filed_on is not None:
        body["filed_on"] = filed_on
    return appeals.file_appeal(session, action_id, parse(AppealCreate, body), "secretary", days).value


def decide(session, appeal_id, decision, reason="经复核"):
    body = parse(AppealDecide, {"decision": decision, "reason": reason})
    return appeals.decide_appeal(session, appeal_id, body, "chair").value


@pytest.fixture
def closed(session, meeting_factory):
    """A finished meeting with two items (two responsible persons)."""
    made = meeting_factory(reps=3, items=2)
    conduct.finish_meeting(session, made.id, "mod")
    session.commit()
    return made


def test_an_appeal_is_pending_with_a_note_and_an_audit_entry(session, closed):
    action = sanction(session, closed.items[0].id)
    filed = appeal(session, action.id)
    session.commit()
    assert (filed.status, filed.filed_on, filed.filed_by) == ("pending", clock.today(), "secretary")
    notes = session.scalars(select(ActionNote.note).where(ActionNote.action_id == action.id)).all()
    assert any("处分过重" in note for note in notes)
    events = session.scalars(select(AuditEntry.event).order_by(AuditEntry.id)).all()
    assert events[-1] == "appeal.filed"
    assert audit.verify(session).ok


@pytest.mark.parametrize("kind", ["warning", "party_discipline", "administrative_discipline", "reassignment"])
def test_sanctions_can_be_appealed(session, closed, kind):
    assert appeal(session, sanction(session, closed.items[0].id, kind).id).status == "pending"


@pytest.mark.parametrize("kind", ["rectification", "retender", "other"])
def test_other_kinds_cannot(session, closed, kind):
    with pytest.raises(Conflict) as err:
        appeal(session, sanction(session, closed.items[0].id, kind).id)
    assert err.value.code == "appeal_not_allowed"


def test_one_pending_appeal_at_a_time_and_a_decision_is_final(session, closed):
    action = sanction(session, closed.items[0].id)
    first = appeal(session, action.id)
    with pytest.raises(Conflict) as err:
        appeal(session, action.id)
    assert err.value.code == "appeal_pending"
    decided = decide(session, first.id, "upheld", "事实清楚")
    assert (decided.status, decided.reason, decided.decided_by) == ("upheld", "事实清楚", "chair")
    assert decided.decided_at is not None
    with pytest.raises(Conflict) as err:
        decide(session, first.id, "overturned")
    assert err.value.code == "appeal_decided"
    second = appeal(session, action.id, "补充新证据")  # after an upheld decision: a new appeal
    decide(session, second.id, "overturned")
    with pytest.raises(Conflict) as err:  # nothing left to appeal against
        appeal(session, action.id)
    assert (err.value.code, err.value.details["reason"]) == ("appeal_decided", "overturned")


def test_the_deadline_counts_china_days_from_the_later_of_the_end_and_the_action(session, meeting_factory):
    made = meeting_factory(reps=3, items=1)
    # the meeting ends at 23:30 China time on 14 May (15:30 UTC): its China day is the 14th
    with clock.pinned(datetime(2031, 5, 14, 23, 30, tzinfo=clock.CHINA)):
        conduct.finish_meeting(session, made.id, "mod")
        early = sanction(session, made.items[0].id)
    session.commit()
    meeting = appeals.meeting_of(session, early)
    assert appeals.deadline(early, meeting, 15).isoformat() == "2031-05-29"
    with clock.pinned(datetime(2031, 5, 20, 0, 10, tzinfo=clock.CHINA)):  # an action recorded later
        late = sanction(session, made.items[0].id, "warning")
    assert appeals.deadline(late, meeting, 15).isoformat() == "2031-06-04"
    assert appeal(session, early.id, filed_on="2031-05-29").status == "pending"  # the last day
    with pytest.raises(Conflict) as err:
        appeal(session, late.id, filed_on="2031-06-05")
    assert err.value.code == "appeal_too_late"
    assert err.value.details["deadline"] == "2031-06-04"
    assert appeal(session, late.id, filed_on="2031-06-04", days=15).status == "pending"


def test_filed_on_defaults_to_the_clocks_china_day_and_the_days_are_configurable(session, closed):
    action = sanction(session, closed.items[0].id)
    with clock.pinned(clock.now() + timedelta(days=4)):
        with pytest.raises(Conflict) as err:
            appeal(session, action.id, days=3)
        assert err.value.code == "appeal_too_late"
        assert appeal(session, action.id, days=4).filed_on == clock.today()


def test_bad_input_is_refused_by_field(session, closed):
    with pytest.raises(ValidationFailed) as err:
        parse(AppealCreate, {"statement": "  "})
    assert err.value.field == "statement"
    with pytest.raises(ValidationFailed) as err:
        parse(AppealCreate, {"statement": "x", "filed_on": "2031-02-30"})
    assert err.value.field == "filed_on"
    with pytest.raises(ValidationFailed) as err:
        parse(AppealDecide, {"decision": "pending", "reason": "x"})
    assert err.value.field == "decision"
    with pytest.raises(ValidationFailed) as err:
        parse(AppealDecide, {"decision": "upheld"})
    assert err.value.field == "reason"
    with pytest.raises(NotFound) as missing:
        decide(session, 999, "upheld")
    assert missing.value.code == "appeal_not_found"


def test_only_an_overturned_appeal_takes_a_sanction_out_of_the_statistics(session, closed):
    first, second = closed.items
    a = sanction(session, first.id, "party_discipline")
    b = sanction(session, second.id, "reassignment")
    sanction(session, second.id, "warning")  # warnings never count
    session.commit()
    assert stats.totals(session)["people_disciplined"] == 2
    pending_a = appeal(session, a.id)
    pending_b = appeal(session, b.id)
    session.commit()
    totals = stats.totals(session)
    assert (totals["people_disciplined"], totals["appeals_pending"]) == (2, 2)
    decide(session, pending_b.id, "modified", "改为警告")
    session.commit()
    totals = stats.totals(session)
    assert (totals["people_disciplined"], totals["appeals_pending"]) == (2, 1)
    decide(session, pending_a.id, "overturned", "证据不足")
    session.commit()
    totals = stats.totals(session)
    assert (totals["people_disciplined"], totals["appeals_pending"]) == (1, 0)
    disciplined = people.people_index(session, parse_filters(disciplined=True))
    assert [s.person.id for s in disciplined] == [second.responsible_person_id]
    history = people.person_history(session, first.responsible_person_id)
    assert [ap.status for ap in history.appeals[a.id]] == ["overturned"]


def test_appeals_in_live_or_rehearsal_meetings_are_not_counted(session, meeting_factory):
    live = meeting_factory(reps=3, items=1)
    rehearsal = meeting_factory(reps=3, items=1, rehearsal=True)
    conduct.finish_meeting(session, rehearsal.id, "mod")
    for made in (live, rehearsal):
        appeal(session, sanction(session, made.items[0].id).id)
    session.commit()
    totals = stats.totals(session)
    assert (totals["people_disciplined"], totals["appeals_pending"]) == (0, 0)


def parse_filters(**kw):
    from evalmeet.schemas.archive import PeopleFilters

    return PeopleFilters(disciplined_only=kw.get("disciplined", False))


def test_the_minutes_list_each_appeal_and_its_decision(session, closed):
    import io

    from openpyxl import load_workbook

    from evalmeet.services.files import exports, minutes

    action = sanction(session, closed.items[0].id)
    decide(session, appeal(session, action.id, "处分依据不足").id, "modified", "改为诫勉谈话")
    appeal(session, action.id, "再次申诉")
    session.commit()
    record = minutes.build_minutes(session, closed.id)
    (entry,) = [a for a in record.items[0].actions]
    assert [(a.status, a.statement, a.reason) for a in entry.appeals] == [
        ("modified", "处分依据不足", "改为诫勉谈话"),
        ("pending", "再次申诉", ""),
    ]
    book = load_workbook(io.BytesIO(exports.minutes_xlsx(record)), read_only=True)
    rows = [list(r) for r in book["Appeals"].iter_rows(values_only=True)]
    assert rows[0][:4] == ["No.", "Item title", "Responsible person", "Sanction"]
    assert [(r[5], r[6], r[7]) for r in rows[1:]] == [
        ("处分依据不足", "Sanction modified", "改为诫勉谈话"),
        ("再次申诉", "Under review", None),
    ]
