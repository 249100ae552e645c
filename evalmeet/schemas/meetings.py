"""Meetings, their items and roster: what clients send and what the API and screens answer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, RootModel

from evalmeet.models import Item, Meeting, Representative
from evalmeet.schemas.base import Body, Out
from evalmeet.schemas.sheets import (
    ChoiceOut,
    CriteriaIn,
    CriterionOut,
    GroupOut,
    GroupsIn,
    OptionalPassRuleIn,
    OptionalScaleIn,
    PassRuleIn,
    ScaleIn,
    choices_out,
    criteria_out,
    groups_out,
    scale_out,
    stored_rules,
)
from evalmeet.schemas.types import Fraction, MoneyText, OptionalDateTime, Text, When, YesNo


class MeetingCreate(Body):
    """``POST /meetings``: a new draft meeting (only the title is required)."""

    title: Annotated[str, Text(200)]
    scheduled_at: OptionalDateTime = None
    location: Annotated[str, Text(200, required=False)] = ""
    scale: ScaleIn = "three_level"
    criteria: CriteriaIn = None
    groups: GroupsIn = None
    pass_rule: PassRuleIn = "overall"
    pass_threshold: Fraction = "2/3"
    quorum: Fraction = "2/3"
    rehearsal: YesNo = False

    def columns(self) -> dict[str, Any]:
        """The meeting's column values."""
        data = self.model_dump(exclude={"scale", "groups"})
        return {**data, **stored_rules(self.scale), "rater_groups": self.groups}


class MeetingUpdate(Body):
    """``PATCH /meetings/{id}``: the fields sent are changed (rules only while draft)."""

    title: Annotated[str | None, Text(200)] = None  # sent as null: "is required"
    scheduled_at: OptionalDateTime = None
    location: Annotated[str | None, Text(200, required=False)] = None
    scale: OptionalScaleIn = None
    # [] (or null) removes the criteria / the groups
    criteria: CriteriaIn = None
    groups: GroupsIn = None
    pass_rule: OptionalPassRuleIn = None
    pass_threshold: Fraction | None = None
    quorum: Fraction | None = None
    rehearsal: YesNo | None = None

    def changes(self) -> dict[str, Any]:
        """The columns to change, with their parsed values (a null rule keeps the current one;
        criteria and groups sent as null or [] are removed)."""
        rules = {"scale", "pass_rule", "pass_threshold", "quorum", "rehearsal"}
        fields = {
            name: getattr(self, name)
            for name in self.given()
            if not (name in rules and getattr(self, name) is None)
        }
        if "scale" in fields:
            fields.update(stored_rules(fields.pop("scale")))
        if "groups" in fields:
            fields["rater_groups"] = fields.pop("groups")
        return fields


class AttendanceOut(Out):
    """Who is in the hall against the roster, and whether that is a quorum."""

    present: int
    roster: int
    needed: int
    quorum_met: bool


class PersonOut(Out):
    """The person responsible for an item."""

    id: int
    name: str
    position: str | None
    department: str | None


class RiskFlagOut(Out):
    """Something representatives should ask about: a code, and its sentence in Chinese and English."""

    code: str
    message: str
    message_en: str


class ItemOut(Out):
    """An item as the API and the phones see it."""

    id: int
    meeting_id: int
    position: int
    title: str
    kind: str
    responsible_person: PersonOut
    procurement_method: str | None
    supplier_count: int | None
    amount: MoneyText
    benchmark_price: MoneyText
    unit_price: MoneyText
    description: str | None
    status: str
    vote_round: int
    risk_flags: list[RiskFlagOut] = Field(default_factory=list)

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        """The answer for ``item``."""
        return cls.from_row(
            item,
            responsible_person=PersonOut.model_validate(item.responsible_person),
            risk_flags=list(item.risk_flags or []),
        )


class MeetingOut(Out):
    """A meeting in a list."""

    id: int
    title: str
    status: str
    scheduled_at: When
    location: str | None
    # a preset's name, or {"choices": [...]} for a custom scale
    scale: str | dict[str, Any]
    choices: list[str]
    # every choice with its label, whether it counts as satisfied, and its score
    scale_choices: list[ChoiceOut]
    criteria: list[CriterionOut] | None
    groups: list[GroupOut] | None
    pass_rule: str
    pass_threshold: str
    quorum: str
    published: bool
    rehearsal: bool
    phase: str
    current_item_id: int | None
    created_at: When
    started_at: When
    finished_at: When

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingOut:
        """The list entry for ``meeting``."""
        return cls.model_validate(_meeting_fields(cls, meeting))


class MeetingList(RootModel[list[MeetingOut]]):
    """``GET /meetings``: every meeting, newest first (an array)."""


class MeetingDetailOut(MeetingOut):
    """One meeting with its attendance and items."""

    attendance: AttendanceOut
    items: list[ItemOut]

    @classmethod
    def with_items(cls, meeting: Meeting, attendance: AttendanceOut) -> MeetingDetailOut:
        """The whole answer for ``meeting``."""
        fields = _meeting_fields(MeetingOut, meeting)
        return cls.model_validate(
            {**fields, "attendance": attendance, "items": [ItemOut.of(item) for item in meeting.items]}
        )


_RULE_FIELDS = {"scale", "choices", "scale_choices", "criteria", "groups"}


def _meeting_fields(model: type[MeetingOut], meeting: Meeting) -> dict[str, Any]:
    fields = {name: getattr(meeting, name) for name in model.model_fields if name not in _RULE_FIELDS}
    rules = meeting.rules
    fields.update(
        scale=scale_out(rules),
        choices=list(rules.scale.keys),
        scale_choices=choices_out(rules),
        criteria=criteria_out(rules),
        groups=groups_out(rules),
    )
    return fields


class RepresentativeOut(Out):
    """A roster entry with its join link (only moderators see this)."""

    id: int
    meeting_id: int
    name: str
    employee_no: str | None
    department: str | None
    join_token: str
    present: bool
    revoked: bool
    checked_in_at: When
    ballot: str
    # the rater group's key (meetings with groups), else null
    group: str | None = None
    join_url: str | None = None

    @classmethod
    def of(cls, rep: Representative, join_url: str | None = None) -> RepresentativeOut:
        """The answer for ``rep`` (``join_url``: the link its slip carries)."""
        return cls.from_row(rep, group=rep.rater_group, join_url=join_url)


class RosterOut(Out):
    """``GET /meetings/{id}/representatives``."""

    representatives: list[RepresentativeOut]


class ItemListOut(Out):
    """The items of a meeting in running order."""

    items: list[ItemOut]
