"""Demo data: a realistic procurement review at a steel works, for ``evalmeet demo``.

Modelled on the Changzhi steel works' democratic evaluation meetings (see the seed article): the
representatives question the buyers of coke, refractories and spare parts, and single-source or
untendered purchases above the threshold carry risk flags. Two meetings are made:

- a **closed** meeting from last quarter, produced by running the real use cases (start, check
  in, questions, open voting, secret ballots through ``voting.cast_ballot``, close, follow-up
  actions, finish, publish), so the archive, the statistics and the audit log are meaningful;
- a **draft** meeting for the coming week, ready to be started from the console;
- a **closed** yearly democratic evaluation (民主测评) of middle managers: a rating sheet of five
  criteria (德、能、勤、绩、廉) on the four-grade scale (优秀/称职/基本称职/不称职), three rater
  groups weighted 2/5, 2/5 and 1/5, every sheet cast through ``voting.cast_ballot`` and every
  round closed, so its results per criterion and per group exist.

Everything happens in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.models import Meeting, Representative
from evalmeet.schemas.base import parse
from evalmeet.schemas.followup import ActionCreate, ActionUpdate
from evalmeet.schemas.items import ItemCreate
from evalmeet.schemas.live import AskQuestionBody, CastVoteBody
from evalmeet.schemas.meetings import MeetingCreate
from evalmeet.schemas.questions import QuestionModerate
from evalmeet.schemas.roster import RepresentativeCreate
from evalmeet.services.archive import publishing
from evalmeet.services.followup import actions
from evalmeet.services.meetings import conduct, questions, roster
from evalmeet.services.meetings import items as agenda
from evalmeet.services.meetings import meeting as meetings
from evalmeet.services.voting import ballots as voting
from evalmeet.services.voting import round as rounds

ACTOR = "demo"

REPRESENTATIVES: list[dict[str, str]] = [
    {"name": "郝建军", "employee_no": "CG10231", "department": "炼铁厂"},
    {"name": "屈晓燕", "employee_no": "CG10457", "department": "炼钢厂"},
    {"name": "申志刚", "employee_no": "CG10588", "department": "轧钢厂"},
    {"name": "李秀英", "employee_no": "CG10612", "department": "焦化厂"},
    {"name": "王海涛", "employee_no": "CG10734", "department": "动力厂"},
    {"name": "陈立新", "employee_no": "CG10809", "department": "运输部"},
    {"name": "张淑芬", "employee_no": "CG10866", "department": "质检中心"},
    {"name": "杨卫国", "employee_no": "CG10925", "department": "机修厂"},
    {"name": "赵春燕", "employee_no": "CG11043", "department": "烧结厂"},
    {"name": "刘志强", "employee_no": "CG11108", "department": "炼铁厂"},
]

PEOPLE: dict[str, dict[str, str]] = {
    "wang": {"name": "王建国", "department": "供应处", "position": "燃料采购员"},
    "li": {"name": "李志鹏", "department": "供应处", "position": "耐火材料采购员"},
    "zhang": {"name": "张丽华", "department": "设备处", "position": "备件采购员"},
    "zhao": {"name": "赵红梅", "department": "物资供应公司", "position": "综合采购员"},
    "liu": {"name": "刘卫东", "department": "设备处", "position": "副处长"},
    "sun": {"name": "孙国庆", "department": "供应处", "position": "原料采购主管"},
}

# Last quarter's items: figures, who answered for them, and how the room voted
# (satisfied, basically satisfied, dissatisfied among the nine present).
PAST_ITEMS: list[dict[str, Any]] = [
    {
        "title": "高炉喷吹煤采购（7—9月，4.2万吨）",
        "person": "sun",
        "procurement_method": "tender",
        "supplier_count": 4,
        "amount": "37800000.00",
        "unit_price": "900.00",
        "benchmark_price": "915.00",
        "description": "公开招标，4家供应商投标，按综合评分选定两家中标，分批到货。",
        "votes": (6, 2, 1),
        "questions": [],
        "actions": [],
    },
    {
        "title": "连铸结晶器铜板采购",
        "person": "li",
        "procurement_method": "single_source",
        "supplier_count": 1,
        "amount": "980000.00",
        "unit_price": "49000.00",
        "benchmark_price": "41500.00",
        "description": "以“原厂配套”为由单一来源采购20块，未做市场询价，单价高于同类产品市场价。",
        "votes": (1, 2, 6),
        "questions": [
            (
                "为什么只有一个供货商？别的厂家的铜板为什么不能用？",
                "原厂配套件，担心更换厂家影响连铸机运行。",
            ),
            (
                "近百万的采购量，为什么不实行招投标？有没有“潜规则”？",
                "当时认为属于专有配件，没有按规定论证单一来源理由。",
            ),
        ],
        "actions": [
            {
                "kind": "retender",
                "description": "结晶器铜板下批采购实行公开招标，邀请不少于3家供应商。",
                "owner": "供应处",
                "due_days": -40,
                "outcome_amount": "846000.00",  # the open tender's price: 134,000 yuan saved
                "moves": ["in_progress", "done", "verified"],
            },
            {
                "kind": "administrative_discipline",
                "description": "对未经论证擅自单一来源采购的责任人给予行政警告处分。",
                "owner": "人力资源处",
                "due_days": -30,
                "moves": ["done"],
            },
        ],
    },
    {
        "title": "轧机液压阀组备件采购",
        "person": "zhang",
        "procurement_method": "inquiry",
        "supplier_count": 2,
        "amount": "386000.00",
        "unit_price": "19300.00",
        "benchmark_price": "16800.00",
        "description": "询价采购，仅两家报价，金额超过招标限额未招标，单价高于基准价。",
        "votes": (2, 2, 5),
        "questions": [
            ("询价只找了两家，单价比基准价高出近15%，怎么解释？", "供货周期紧，只联系了长期合作的两家。"),
        ],
        "actions": [
            {
                "kind": "rectification",
                "description": "补充市场询价记录，与供应商重新议价，差价部分追回。",
                "owner": "设备处",
                "due_days": -20,
                "moves": [],
            },
            {
                "kind": "party_discipline",
                "description": "责任人违反采购管理规定，移交纪委按党纪处理。",
                "owner": "纪委",
                "due_days": 15,
                "moves": ["in_progress"],
            },
        ],
    },
    {
        "title": "职工劳保用品年度采购（工作服、劳保鞋）",
        "person": "zhao",
        "procurement_method": "tender",
        "supplier_count": 5,
        "amount": "612000.00",
        "unit_price": "255.00",
        "benchmark_price": "268.00",
        "description": "公开招标，5家投标，样品经职工代表试穿评议后定标。",
        "votes": (5, 3, 1),
        "questions": [],
        "actions": [],
    },
]

# The coming meeting's items: prepared, not yet voted on.
NEXT_ITEMS: list[dict[str, Any]] = [
    {
        "title": "冶金焦炭采购（1—3月，3.6万吨）",
        "person": "wang",
        "procurement_method": "tender",
        "supplier_count": 4,
        "amount": "82800000.00",
        "unit_price": "2300.00",
        "benchmark_price": "2250.00",
        "description": "公开招标，4家焦化企业投标，两家中标；中标价略高于本季度市场基准价。",
    },
    {
        "title": "高炉用耐火材料（铝碳砖）采购",
        "person": "li",
        "procurement_method": "single_source",
        "supplier_count": 1,
        "amount": "1860000.00",
        "unit_price": "7800.00",
        "benchmark_price": "6900.00",
        "description": "以“技术参数唯一”为由单一来源采购240吨，未公开招标。",
    },
    {
        "title": "轧机轴承备件采购",
        "person": "zhang",
        "procurement_method": "inquiry",
        "supplier_count": 2,
        "amount": "456000.00",
        "unit_price": "38000.00",
        "benchmark_price": "36500.00",
        "description": "询价采购12套四列圆锥滚子轴承，两家报价。",
    },
    {
        "title": "炼钢厂劳保用品（防护手套、防尘口罩）采购",
        "person": "zhao",
        "procurement_method": "tender",
        "supplier_count": 6,
        "amount": "318000.00",
        "unit_price": "85.00",
        "benchmark_price": "90.00",
        "description": "公开招标，6家投标，最低评标价中标。",
    },
    {
        "title": "烧结机台车篦条紧急采购",
        "person": "liu",
        "procurement_method": "negotiation",
        "supplier_count": 2,
        "amount": "152000.00",
        "unit_price": "420.00",
        "benchmark_price": "380.00",
        "description": "设备抢修，竞争性谈判两家，谈判记录不全。",
    },
]

CHOICES = ("satisfied", "basically_satisfied", "dissatisfied")

# --- the yearly evaluation of middle managers (民主测评) ---------------------------------------

YEARLY_TITLE = "2026年度中层管理人员民主测评"
YEARLY_CRITERIA = [
    {"key": "de", "label": "德"},
    {"key": "neng", "label": "能"},
    {"key": "qin", "label": "勤"},
    {"key": "ji", "label": "绩"},
    {"key": "lian", "label": "廉"},
]
YEARLY_GROUPS = [
    {"key": "workers", "label": "职工代表", "weight": "2/5"},
    {"key": "middle", "label": "中层干部", "weight": "2/5"},
    {"key": "leaders", "label": "班子成员", "weight": "1/5"},
]
# (name, employee no., department, group); the last worker was away, so 5 + 4 + 3 are present.
YEARLY_RATERS: list[tuple[str, str, str, str]] = [
    ("郝建军", "CG10231", "炼铁厂", "workers"),
    ("屈晓燕", "CG10457", "炼钢厂", "workers"),
    ("申志刚", "CG10588", "轧钢厂", "workers"),
    ("李秀英", "CG10612", "焦化厂", "workers"),
    ("王海涛", "CG10734", "动力厂", "workers"),
    ("赵春燕", "CG11043", "烧结厂", "middle"),
    ("马永红", "CG20117", "运输部", "middle"),
    ("高卫平", "CG20164", "质检中心", "middle"),
    ("胡振华", "CG20209", "机修厂", "middle"),
    ("常建平", "CG30012", "公司领导班子", "leaders"),
    ("牛继东", "CG30027", "公司领导班子", "leaders"),
    ("程玉梅", "CG30041", "公司领导班子", "leaders"),
    ("陈立新", "CG10809", "运输部", "workers"),
]
YEARLY_ABSENT = {"CG10809"}
# A sheet written as one letter per criterion (德能勤绩廉): E 优秀, C 称职, B 基本称职, I 不称职.
GRADE_OF = {"E": "excellent", "C": "competent", "B": "basically_competent", "I": "incompetent"}
# The managers evaluated, and each group's sheets in the order its present members cast them.
YEARLY_ITEMS: list[dict[str, Any]] = [
    {
        "person": {"name": "周建华", "department": "炼钢厂", "position": "厂长"},
        "sheets": {
            "workers": ["EEEEE", "EECEE", "ECCEE", "CCCCE", "EEECE"],
            "middle": ["EEEEE", "ECEEE", "CCCCC", "EEECE"],
            "leaders": ["EEEEE", "EECEE", "ECEEE"],
        },
    },
    {
        "person": {"name": "吴敏", "department": "财务处", "position": "处长"},
        "sheets": {
            "workers": ["CCCCC", "CBCCE", "CCBCC", "BCCCC", "CCCBC"],
            "middle": ["CCCCE", "CBCCC", "ECCCC", "CCBCC"],
            "leaders": ["CCCCC", "ECCCE", "CCCCC"],
        },
    },
    {
        # capable and hard-working, but 廉 falls short: under "every criterion" that fails
        "person": dict(PEOPLE["liu"]),
        "sheets": {
            "workers": ["ECCCI", "CCCCI", "EECCB", "CCECI", "CECCI"],
            "middle": ["CCCCI", "ECCCB", "CCECI", "CCCCI"],
            "leaders": ["CCCCB", "CCCCI", "ECCCC"],
        },
    },
    {
        "person": {"name": "钱振宇", "department": "供应处", "position": "处长"},
        "sheets": {
            "workers": ["IBIIB", "IIBIC", "BBIIB", "ICIIB", "IIIIB"],
            "middle": ["BBIBC", "IBIIC", "CBBIB", "IIBIB"],
            "leaders": ["CCBCB", "BCIBC", "CBBCC"],
        },
    },
]


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` made."""

    past_meeting_id: int
    next_meeting_id: int
    representatives: int
    items: int
    ballots: int
    yearly_meeting_id: int = 0
    yearly_sheets: int = 0


def is_empty(session: Session) -> bool:
    """No meeting yet (accounts may exist: the admin is often created first)."""
    return session.scalar(select(Meeting.id).limit(1)) is None


def _item_payload(spec: dict[str, Any]) -> dict[str, Any]:
    fields = (
        "title",
        "procurement_method",
        "supplier_count",
        "amount",
        "unit_price",
        "benchmark_price",
        "description",
    )
    payload = {key: spec[key] for key in fields}
    payload["responsible_person"] = PEOPLE[spec["person"]]
    return payload


def _prepare(
    session: Session, title: str, when: date, items: list[dict[str, Any]], threshold: Decimal
) -> tuple[Meeting, list[Representative], list[int]]:
    fields = {
        "title": title,
        "scheduled_at": f"{when.isoformat()}T09:00",
        "location": "公司职工之家三楼会议室",
    }
    meeting = meetings.create_meeting(session, parse(MeetingCreate, fields), ACTOR).value
    reps = [
        roster.add_representative(session, meeting.id, parse(RepresentativeCreate, dict(rep)), ACTOR).value
        for rep in REPRESENTATIVES
    ]
    item_ids = [
        agenda.add_item(
            session, meeting.id, parse(ItemCreate, _item_payload(spec)), ACTOR, threshold
        ).value.id
        for spec in items
    ]
    return meeting, reps, item_ids


def _run_past_meeting(
    session: Session, meeting: Meeting, reps: list[Representative], item_ids: list[int], today: date
) -> int:
    """Conduct last quarter's meeting through the real use cases; returns the ballots cast."""
    conduct.start_meeting(session, meeting.id, ACTOR)
    present = reps[:9]  # one representative was away on shift
    for rep in present:
        conduct.check_in(session, rep, "link")
    cast = 0
    for spec, item_id in zip(PAST_ITEMS, item_ids, strict=True):
        conduct.present_item(session, item_id, ACTOR)
        for number, (asked, answer) in enumerate(spec["questions"]):
            ask = parse(AskQuestionBody, {"item_id": item_id, "text": asked})
            question = questions.ask_question(session, present[number * 3], ask).value
            questions.moderate_question(session, question.id, QuestionModerate(status="approved"), ACTOR)
            questions.moderate_question(session, question.id, QuestionModerate(answer=answer), ACTOR)
        rounds.open_voting(session, item_id, ACTOR)
        ballots = [c for c, n in zip(CHOICES, spec["votes"], strict=True) for _ in range(n)]
        for rep, choice in zip(present, ballots, strict=True):
            vote = {"item_id": item_id, "choice": choice, "key": secrets.token_urlsafe(24)}
            voting.cast_ballot(session, rep, parse(CastVoteBody, vote))
            cast += 1
        rounds.close_voting(session, item_id, ACTOR)
        for plan in spec["actions"]:
            fields = {
                "kind": plan["kind"],
                "description": plan["description"],
                "owner": plan["owner"],
                "due_date": (today + timedelta(days=plan["due_days"])).isoformat(),
            }
            action = actions.add_action(session, item_id, parse(ActionCreate, fields), ACTOR).value
            if "outcome_amount" in plan:
                outcome = parse(ActionUpdate, {"outcome_amount": plan["outcome_amount"]})
                actions.update_action(session, action.id, outcome, ACTOR)
            for status in plan["moves"]:
                actions.update_action(session, action.id, parse(ActionUpdate, {"status": status}), ACTOR)
    conduct.clear_stage(session, meeting.id, ACTOR)
    conduct.finish_meeting(session, meeting.id, ACTOR)
    publishing.publish(session, meeting.id, ACTOR)
    return cast


def _run_yearly_evaluation(session: Session, when: date) -> tuple[Meeting, int, int]:
    """The yearly 民主测评 of middle managers, conducted through the real use cases: a rating
    sheet of five criteria, three weighted rater groups. Returns (meeting, roster size, sheets)."""
    fields = {
        "title": YEARLY_TITLE,
        "scheduled_at": f"{when.isoformat()}T14:30",
        "location": "公司办公楼二楼大会议室",
        "scale": "four_grade",
        "criteria": YEARLY_CRITERIA,
        "groups": YEARLY_GROUPS,
        "pass_rule": "every_criterion",
        "pass_threshold": "2/3",
        "quorum": "2/3",
    }
    meeting = meetings.create_meeting(session, parse(MeetingCreate, fields), ACTOR).value
    raters = [
        roster.add_representative(
            session,
            meeting.id,
            parse(
                RepresentativeCreate,
                {"name": name, "employee_no": number, "department": department, "group": group},
            ),
            ACTOR,
        ).value
        for name, number, department, group in YEARLY_RATERS
    ]
    item_ids = [
        agenda.add_item(
            session,
            meeting.id,
            parse(
                ItemCreate,
                {
                    "title": "{name}（{department}{position}）".format(**spec["person"]),
                    "description": "年度述职述廉后，由职工代表、中层干部和班子成员分组无记名测评。",
                    "responsible_person": spec["person"],
                },
            ),
            ACTOR,
        ).value.id
        for spec in YEARLY_ITEMS
    ]
    conduct.start_meeting(session, meeting.id, ACTOR)
    present = [rep for rep in raters if rep.employee_no not in YEARLY_ABSENT]
    for rep in present:
        conduct.check_in(session, rep, "link")
    keys = [c["key"] for c in YEARLY_CRITERIA]
    cast = 0
    for spec, item_id in zip(YEARLY_ITEMS, item_ids, strict=True):
        conduct.present_item(session, item_id, ACTOR)
        rounds.open_voting(session, item_id, ACTOR)
        for group in (g["key"] for g in YEARLY_GROUPS):
            members = [rep for rep in present if rep.rater_group == group]
            for rep, letters in zip(members, spec["sheets"][group], strict=True):
                sheet = {key: GRADE_OF[letter] for key, letter in zip(keys, letters, strict=True)}
                vote = {"item_id": item_id, "choices": sheet, "key": secrets.token_urlsafe(24)}
                voting.cast_ballot(session, rep, parse(CastVoteBody, vote))
                cast += 1
        rounds.close_voting(session, item_id, ACTOR)
    conduct.clear_stage(session, meeting.id, ACTOR)
    conduct.finish_meeting(session, meeting.id, ACTOR)
    return meeting, len(raters), cast


def load_demo(
    session: Session,
    tender_threshold: Decimal = agenda.DEFAULT_TENDER_THRESHOLD,
    today: date | None = None,
) -> DemoSummary | None:
    """Fill an empty database with the demo meetings; None (and nothing done) when not empty."""
    if not is_empty(session):
        return None
    today = today or clock.today()
    past, past_reps, past_items = _prepare(
        session,
        "第25次物资采购民主评价会（三季度）",
        today - timedelta(days=75),
        PAST_ITEMS,
        tender_threshold,
    )
    ballots = _run_past_meeting(session, past, past_reps, past_items, today)
    upcoming, next_reps, next_items = _prepare(
        session,
        "第26次物资采购民主评价会（四季度）",
        today + timedelta(days=7),
        NEXT_ITEMS,
        tender_threshold,
    )
    yearly, raters, sheets = _run_yearly_evaluation(session, today - timedelta(days=30))
    session.flush()
    return DemoSummary(
        past_meeting_id=past.id,
        next_meeting_id=upcoming.id,
        representatives=len(past_reps) + len(next_reps) + raters,
        items=len(past_items) + len(next_items) + len(YEARLY_ITEMS),
        ballots=ballots + sheets,
        yearly_meeting_id=yearly.id,
        yearly_sheets=sheets,
    )
