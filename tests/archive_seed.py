"""A small history of meetings for the archive, dashboard and public-page tests, built through the
services (as moderators would) — with hand-counted expectations next to it.

Meetings (China time, three-level scale, threshold 2/3):

M1 一月评价会 2026-01-31 23:30, roster 4, present 3, PUBLISHED
  I1 钢材采购   王采购/供应处 single_source ¥350,000  S S D → passed 2/3
     questions: approved+answered, hidden, pending
  I2 焦炭采购   李四/设备处   tender        ¥120,000  D D S → failed 1/3
     actions: rectification due 2020-01-01 open (overdue); party_discipline open
M2 二月评价会 2026-02-01 07:00 (= 2026-01-31 23:00 UTC), roster 3, present 3, not published
  I3 耐火材料   王采购/供应处 inquiry       ¥80,000   D D D → failed 0/3
     actions: retender due 2099-01-01 in_progress; administrative_discipline done
  I4 备件采购   张三/供应处   negotiation   ¥50,000   S B S → passed 3/3   (description mentions 轴承)
  I7 润滑油     张三/供应处   tender        ¥30,000   S S S → passed 3/3
M3 XSS-titled 三月评价会 2026-03-05, roster 3 (one XSS name), present 3, PUBLISHED
  I5 XSS title  XSS person/XSS department, no method, no amount  S S S → passed (XSS question approved)
  I6 电极采购   王采购/供应处 single_source ¥500,000  round 1 S S D passed, re-vote "计票有异议",
                round 2 D D S → failed 1/3
     actions: warning verified; rectification due 2020-06-01 in_progress (overdue)
  I8 办公用品   赵六/(no department) other ¥2,000  B B D → passed 2/3
R  彩排会 2026-03-20, REHEARSAL, closed: 彩排项目 李四/设备处 D D D failed, party_discipline
L  进行中会议 2026-03-25, live (never finished): 进行中项目 张三/供应处 D D D failed, reassignment
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from evalmeet.extensions import db
from evalmeet.models import Item, Meeting, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate, ActionUpdate
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.schemas.voting import RevoteBody
from evalmeet.services.archive import publishing
from evalmeet.services.followup import actions
from evalmeet.services.meetings import conduct, questions, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds
from tests.factories import asked, ballot, moderation

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
XSS_DEPARTMENT = '<img src=x onerror="alert(2)">'
S, B, D = "satisfied", "basically_satisfied", "dissatisfied"
# The representatives' names start with this, so tests can tell they never leak to public pages.
REP_PREFIX = "代表甲"


@dataclass
class ItemSpec:
    """One item to put on a meeting and vote on."""

    key: str
    title: str
    person: tuple[str, str]
    method: str | None
    amount: str | None
    votes: list[str]
    description: str = ""
    questions: list[tuple[str, str, str]] = field(default_factory=list)  # (text, status, answer)
    revote: tuple[str, list[str]] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)  # add_action data + "status": [moves]


@dataclass
class Seed:
    """What was built, as ids (usable from any session): meetings, items, people, representatives."""

    meeting: dict[str, int] = field(default_factory=dict)
    item: dict[str, int] = field(default_factory=dict)
    person: dict[str, int] = field(default_factory=dict)  # by item key: that item's person
    rep_names: dict[str, list[str]] = field(default_factory=dict)
    join_tokens: dict[str, list[str]] = field(default_factory=dict)
    display_tokens: dict[str, str] = field(default_factory=dict)

    def item_ids(self, *keys: str) -> set[int]:
        """The ids of the items with these keys."""
        return {self.item[k] for k in keys}


def _vote(session: Session, item: Item, reps: list[Representative], votes: list[str], tag: str) -> None:
    rounds.open_voting(session, item.id, "test")
    for n, (rep, choice) in enumerate(zip(reps, votes, strict=False)):
        voting.cast_ballot(session, rep, ballot(item.id, choice, f"seed-key-{tag}-{item.id}-{n:04d}"))
    rounds.close_voting(session, item.id, "test")


def build_meeting(
    session: Session,
    seed: Seed,
    key: str,
    *,
    title: str,
    when: str,
    specs: list[ItemSpec],
    roster_size: int = 3,
    present: int = 3,
    rep_names: list[str] | None = None,
    rehearsal: bool = False,
    finish: bool = True,
    publish: bool = False,
) -> Meeting:
    """Create, run, finish (and maybe publish) one meeting; then record its actions."""
    meeting = meetings.create_meeting(
        session,
        parse(
            MeetingCreate,
            {"title": title, "scheduled_at": when, "rehearsal": rehearsal, "location": "三楼会议室"},
        ),
        "test",
    ).value
    names = rep_names or [f"{REP_PREFIX}{key}{i}" for i in range(1, roster_size + 1)]
    reps = [
        roster.add_representative(
            session,
            meeting.id,
            parse(
                RepresentativeCreate, {"name": name, "employee_no": f"{key}-{i:03d}", "department": "炼钢厂"}
            ),
            "test",
        ).value
        for i, name in enumerate(names, start=1)
    ]
    items = []
    for spec in specs:
        data: dict[str, Any] = {
            "title": spec.title,
            "responsible_person": {"name": spec.person[0], "department": spec.person[1]},
            "description": spec.description,
        }
        if spec.method:
            data["procurement_method"] = spec.method
        if spec.amount:
            data["amount"] = spec.amount
        item = agenda.add_item(session, meeting.id, parse(ItemCreate, data), "test").value
        seed.item[spec.key] = item.id
        seed.person[spec.key] = item.responsible_person_id
        items.append(item)
    conduct.start_meeting(session, meeting.id, "test")
    for rep in reps[:present]:
        conduct.check_in(session, rep, "link")
    for spec, item in zip(specs, items, strict=True):
        if spec.questions:
            conduct.present_item(session, item.id, "test")
            for n, (text, status, answer) in enumerate(spec.questions):
                question = questions.ask_question(session, reps[n % present], asked(item.id, text)).value
                if status != "pending":
                    questions.moderate_question(
                        session, question.id, moderation(status, answer=answer or None), "test"
                    )
        _vote(session, item, reps[:present], spec.votes, "r1")
        if spec.revote:
            reason, votes = spec.revote
            rounds.revote(session, item.id, RevoteBody(reason=reason), "test")
            for n, (rep, choice) in enumerate(zip(reps[:present], votes, strict=False)):
                voting.cast_ballot(session, rep, ballot(item.id, choice, f"seed-key-r2-{item.id}-{n:04d}"))
            rounds.close_voting(session, item.id, "test")
    if finish:
        conduct.finish_meeting(session, meeting.id, "test")
    for spec, item in zip(specs, items, strict=True):
        for action_spec in spec.actions:
            moves = action_spec.pop("moves", [])
            action = actions.add_action(session, item.id, parse(ActionCreate, action_spec), "test").value
            for status in moves:
                actions.update_action(session, action.id, parse(ActionUpdate, {"status": status}), "test")
    if publish:
        publishing.publish(session, meeting.id, "test")
    seed.meeting[key] = meeting.id
    seed.rep_names[key] = [rep.name for rep in reps]
    seed.join_tokens[key] = [rep.join_token for rep in reps]
    seed.display_tokens[key] = meeting.display_token
    session.commit()
    return meeting


def build_seed(session: Session) -> Seed:
    """The whole history described in the module docstring."""
    seed = Seed()
    wang, li, zhang, zhao = ("王采购", "供应处"), ("李四", "设备处"), ("张三", "供应处"), ("赵六", "")
    build_meeting(
        session,
        seed,
        "M1",
        title="一月评价会",
        when="2026-01-31T23:30",
        roster_size=4,
        present=3,
        publish=True,
        specs=[
            ItemSpec(
                "I1",
                "钢材采购",
                wang,
                "single_source",
                "350000",
                [S, S, D],
                questions=[
                    ("为什么只有一家供应商？", "approved", "因为只有一家有资质"),
                    ("隐藏的问题XYZ", "hidden", ""),
                    ("待审问题ABC", "pending", ""),
                ],
            ),
            ItemSpec(
                "I2",
                "焦炭采购",
                li,
                "tender",
                "120000",
                [D, D, S],
                actions=[
                    {"kind": "rectification", "description": "限期整改", "due_date": "2020-01-01"},
                    {"kind": "party_discipline", "description": "党内警告"},
                ],
            ),
        ],
    )
    build_meeting(
        session,
        seed,
        "M2",
        title="二月评价会",
        when="2026-02-01T07:00",
        specs=[
            ItemSpec(
                "I3",
                "耐火材料",
                wang,
                "inquiry",
                "80000",
                [D, D, D],
                actions=[
                    {
                        "kind": "retender",
                        "description": "重新招标",
                        "due_date": "2099-01-01",
                        "moves": ["in_progress"],
                    },
                    {
                        "kind": "administrative_discipline",
                        "description": "行政记过",
                        "moves": ["in_progress", "done"],
                    },
                ],
            ),
            ItemSpec("I4", "备件采购", zhang, "negotiation", "50000", [S, B, S], description="含备用轴承"),
            ItemSpec("I7", "润滑油", zhang, "tender", "30000", [S, S, S]),
        ],
    )
    build_meeting(
        session,
        seed,
        "M3",
        title=f"三月评价会 {XSS}",
        when="2026-03-05T09:00",
        rep_names=[f"{REP_PREFIX}M31", XSS + "代表", f"{REP_PREFIX}M33"],
        publish=True,
        specs=[
            ItemSpec(
                "I5",
                f"{XSS}运输",
                (XSS, XSS_DEPARTMENT),
                None,
                None,
                [S, S, S],
                description=f"说明 {XSS}",
                questions=[(f"问题 {XSS}", "approved", f"回答 {XSS}")],
            ),
            ItemSpec(
                "I6",
                "电极采购",
                wang,
                "single_source",
                "500000",
                [S, S, D],
                revote=("计票有异议", [D, D, S]),
                actions=[
                    {"kind": "warning", "description": "书面警告", "moves": ["done", "verified"]},
                    {
                        "kind": "rectification",
                        "description": f"整改 {XSS}",
                        "due_date": "2020-06-01",
                        "owner": "供应处",
                        "moves": ["in_progress"],
                    },
                ],
            ),
            ItemSpec("I8", "办公用品", zhao, "other", "2000", [B, B, D]),
        ],
    )
    build_meeting(
        session,
        seed,
        "R",
        title="彩排会",
        when="2026-03-20T09:00",
        rehearsal=True,
        specs=[
            ItemSpec(
                "IR",
                "彩排项目",
                li,
                "tender",
                "1000",
                [D, D, D],
                actions=[{"kind": "party_discipline", "description": "彩排处分"}],
            )
        ],
    )
    build_meeting(
        session,
        seed,
        "L",
        title="进行中会议",
        when="2026-03-25T09:00",
        finish=False,
        specs=[
            ItemSpec(
                "IL",
                "进行中项目",
                zhang,
                "tender",
                "1000",
                [D, D, D],
                actions=[{"kind": "reassignment", "description": "调离", "due_date": "2020-01-01"}],
            )
        ],
    )
    return seed


# Hand-counted from the docstring.
EXPECTED_TOTALS = {
    "meetings": 3,
    "attendances": 9,
    "items": 8,
    "items_passed": 5,
    "items_failed": 3,
    "people_disciplined": 2,
    "actions_open": 4,
    "actions_overdue": 2,
    "appeals_pending": 0,
    "savings": "0.00",
}


def seeded_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Seed]]:
    """An app whose database holds the seed, built once (module-scoped fixtures use this).

    Tests on it must not commit: the ``seeded_session`` fixtures roll back after each test.
    """
    from tests.conftest import drop_postgres_schema, make_test_app, postgres_schema_url

    tmp = tmp_path_factory.mktemp("archive")
    url = postgres_schema_url() if kind == "postgres" else f"sqlite:///{tmp / 'test.db'}"
    app = make_test_app(url, tmp / "instance")
    try:
        with app.app_context():
            seed = build_seed(db.session)
            db.session.remove()
        yield app, seed
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if kind == "postgres":
            drop_postgres_schema(url)


def seeded_session(seeded: tuple[Flask, Seed]) -> Iterator[Session]:
    """For a ``session`` fixture on a seeded app: its session, rolled back after the test."""
    app, _seed = seeded
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()
