"""The live channel (``/live``): what phones and screens send, and what every screen is sent.

Payloads (``Body`` models) are checked in two steps, so that the acks keep the refusal order of
contract.md:

1. the **envelope** (:meth:`LiveBody.envelope`, also run first by every model): an object that
   holds the event's fields, no string field longer than ``MAX_TEXT_FIELD``, no lone surrogate
   anywhere — else ``invalid_payload`` (``missing_fields``, ``too_long``, ``not_unicode``);
2. the **fields**. A ballot's fields are refused by the cast engine in contract order (a revoked
   link before a bad key, a resend's receipt before an invalid choice), so :class:`CastVoteBody`
   never refuses a field: it types what was sent, and what cannot be used reads as ``None``
   (``round``: ``-1``), which the engine then refuses in its place (``invalid_item``,
   ``invalid_key``, ``invalid_choice``, ``invalid_round``). A question's item id is refused
   ``invalid_item`` before its text is read, and the text as every form's text is.

Answers (``Out`` models): the ``state`` snapshot (:class:`LiveStateOut`), ``progress``, the
``alert`` event, the acks, and the console's and the projector's first view.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, WithJsonSchema, model_validator

from evalmeet.domain.errors import DomainError, ValidationFailed
from evalmeet.schemas.base import Body, Out
from evalmeet.schemas.meetings import AttendanceOut, ItemOut
from evalmeet.schemas.questions import QuestionListOut, QuestionOut
from evalmeet.schemas.recusals import MAX_REASON, RecusalOut
from evalmeet.schemas.sheets import ChoiceOut, CriterionOut, GroupOut, choices_out, criteria_out, groups_out
from evalmeet.schemas.timer import TimerOut
from evalmeet.schemas.types import MAX_ID, Text, When, is_id
from evalmeet.schemas.voting import PaperCountOut, ResultOut

MAX_TEXT_FIELD = 4000
KEY_MIN, KEY_MAX = 16, 128
NOT_A_ROUND = -1


class InvalidPayload(DomainError):
    """The event's payload is not the object the contract describes."""

    status = 400
    code = "invalid_payload"


def _utf8(value: Any, depth: int = 0) -> bool:
    """Whether every string in ``value`` can be written as UTF-8 (no lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if depth > 20:
        return False
    if isinstance(value, dict):
        return all(_utf8(k, depth + 1) and _utf8(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_utf8(v, depth + 1) for v in value)
    return True


# --- payloads ------------------------------------------------------------------------------------


class LiveBody(Body):
    """A socket event's payload: its envelope is checked before any of its fields."""

    # The fields the event must carry (present, even if null); the envelope's too_long applies
    # to these. ``reads_text``: the event reads text from its payload (no lone surrogates).
    required: ClassVar[tuple[str, ...]] = ()
    reads_text: ClassVar[bool] = True

    @classmethod
    def envelope(cls, payload: Any) -> dict[str, Any]:
        """``payload`` as the object this event takes, or ``invalid_payload``.

        Values are not looked at, except that over-long strings are refused here so nothing huge
        reaches a service or a log line.
        """
        if not isinstance(payload, dict):
            raise InvalidPayload("the event needs a JSON object")
        missing = [name for name in cls.required if name not in payload]
        if missing:
            raise InvalidPayload(
                f"missing field(s): {', '.join(missing)}", reason="missing_fields", fields=missing
            )
        for name in cls.required:
            value = payload[name]
            if isinstance(value, str) and len(value) > MAX_TEXT_FIELD:
                raise InvalidPayload(f"{name} is too long", reason="too_long", field=name, max=MAX_TEXT_FIELD)
        if cls.reads_text and not _utf8(payload):
            raise InvalidPayload(
                "the event holds text that is not valid Unicode (a lone surrogate)", reason="not_unicode"
            )
        return payload

    @model_validator(mode="before")
    @classmethod
    def _check_envelope(cls, data: Any) -> Any:
        return cls.envelope(data)


def _item_ref(value: Any) -> int | None:
    return value if is_id(value) else None


def _text_ref(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _key_ref(value: Any) -> str | None:
    usable = isinstance(value, str) and KEY_MIN <= len(value) <= KEY_MAX and value.isprintable()
    return value if usable else None


def _round_ref(value: Any) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else NOT_A_ROUND


_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ItemRef = Annotated[int | None, BeforeValidator(_item_ref), WithJsonSchema(_ID_SCHEMA)]
"""An item id as sent; ``None`` when it cannot be one (refused ``invalid_item`` in its turn)."""
ChoiceRef = Annotated[str | None, BeforeValidator(_text_ref), WithJsonSchema({"type": "string"})]
"""A choice as sent; ``None`` when it is not text (refused ``invalid_choice`` in its turn)."""
SheetRef = Annotated[
    dict[str, Any] | None,
    BeforeValidator(lambda value: value if isinstance(value, dict) and len(value) <= 20 else None),
    WithJsonSchema({"type": "object", "additionalProperties": {"type": "string"}}),
]
"""A rating sheet as sent, ``{criterion: choice}``; ``None`` when it is not an object."""
KeyRef = Annotated[
    str | None,
    BeforeValidator(_key_ref),
    WithJsonSchema({"type": "string", "minLength": KEY_MIN, "maxLength": KEY_MAX}),
]
"""The phone's random key; ``None`` when it cannot be one (refused ``invalid_key`` in its turn)."""
RoundRef = Annotated[
    int | None, BeforeValidator(_round_ref), WithJsonSchema({"anyOf": [_ID_SCHEMA, {"type": "null"}]})
]
"""The round the phone means, or ``None``; anything but a whole number reads as ``NOT_A_ROUND``."""


class CastVoteBody(LiveBody):
    """``cast_vote {item_id, choice, key, round?}``: one secret ballot (see the module doc).

    A meeting with criteria rates each on one sheet: ``choices: {criterion: choice}`` instead of
    ``choice`` (one of the two must be sent)."""

    required: ClassVar[tuple[str, ...]] = ("item_id", "key")

    item_id: ItemRef
    choice: ChoiceRef = None
    choices: SheetRef = None
    key: KeyRef
    round: RoundRef = None

    @classmethod
    def envelope(cls, payload: Any) -> dict[str, Any]:
        """As every event's, and a ballot carries ``choice`` or ``choices``."""
        data = super().envelope(payload)
        if "choice" not in data and "choices" not in data:
            raise InvalidPayload("missing field(s): choice", reason="missing_fields", fields=["choice"])
        sheet = data.get("choices")
        texts = [data.get("choice"), *(sheet.values() if isinstance(sheet, dict) else ())]
        if any(isinstance(t, str) and len(t) > MAX_TEXT_FIELD for t in texts):
            raise InvalidPayload("choice is too long", reason="too_long", field="choice", max=MAX_TEXT_FIELD)
        return data


def _item_id(value: Any) -> int:
    if not is_id(value):
        raise ValidationFailed("item_id must be an item id", code="invalid_item")
    return int(value)


MAX_QUESTION = 500


class AskQuestionBody(LiveBody):
    """``ask_question {item_id, text}``: a question about the item on the floor."""

    required: ClassVar[tuple[str, ...]] = ("item_id", "text")

    item_id: Annotated[int, BeforeValidator(_item_id), WithJsonSchema(_ID_SCHEMA)]
    text: Annotated[str, Text(MAX_QUESTION, multiline=True)]


class DeclareRecusalBody(LiveBody):
    """``declare_recusal {item_id, reason}``: a phone declares its own representative's recusal
    from an item before its voting opens (the reason is public, like the recusal)."""

    required: ClassVar[tuple[str, ...]] = ("item_id", "reason")

    item_id: Annotated[int, BeforeValidator(_item_id), WithJsonSchema(_ID_SCHEMA)]
    reason: Annotated[str, Text(MAX_REASON, multiline=True)]


def _question_id(value: Any) -> int:
    if not is_id(value):
        raise ValidationFailed("question_id must be a question id", code="invalid_question")
    return int(value)


class SupportQuestionBody(LiveBody):
    """``support_question {question_id}``: back an approved question of the item on the floor."""

    required: ClassVar[tuple[str, ...]] = ("question_id",)
    reads_text: ClassVar[bool] = False

    question_id: Annotated[int, BeforeValidator(_question_id), WithJsonSchema(_ID_SCHEMA)]


class SyncBody(LiveBody):
    """``sync`` takes nothing (an empty object, or no payload at all); it reads none of it."""

    reads_text: ClassVar[bool] = False


class LiveAuth(Body):
    """The ``auth`` object of a connection: which screen this is, and its credential.

    The credentials are looked up (and refused) by the services as they were sent: a token of
    the wrong type is an invalid link like any other (and counts as a guess).
    """

    token: Any = None  # a phone's join token
    device: Any = None  # the random id a phone keeps (second-device alarm)
    display: Any = None  # the projector's display token
    meeting_id: Any = None  # a moderator's console
    api_token: Any = None  # a console without a browser session

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if data is None:
            return {}
        if not isinstance(data, dict) or not _utf8(data):
            raise InvalidPayload("auth must be an object")
        return data

    @property
    def kind(self) -> str:
        """``projector``, ``moderator`` or ``rep``, by the keys that were sent."""
        given = self.given()
        if "display" in given:
            return "projector"
        if "meeting_id" in given or "api_token" in given:
            return "moderator"
        return "rep"


# --- answers -------------------------------------------------------------------------------------


class ProgressOut(Out):
    """``progress``: how many have voted, of those present; never the counts."""

    item_id: int
    ballots: int
    present: int


class MyQuestionOut(Out):
    """``my_question``: to the author's phone only, what became of their question."""

    question_id: int
    item_id: int
    status: str


class LiveMeetingOut(Out):
    """The meeting as every live screen shows it."""

    id: int
    title: str
    status: str
    scale: str
    quorum: str
    pass_threshold: str
    # The rules' parts with their labels, so a screen can name a result's figures (a custom
    # choice, a criterion, a rater group) in any phase: fixed once the meeting has started.
    choices: list[ChoiceOut] = []
    criteria: list[CriterionOut] | None = None
    groups: list[GroupOut] | None = None
    pass_rule: str = "overall"

    @classmethod
    def of(cls, meeting: Any) -> LiveMeetingOut:
        """The live screens' view of ``meeting`` (a :class:`~evalmeet.models.Meeting`)."""
        rules = meeting.rules
        return cls.model_validate(
            {
                **{
                    f: getattr(meeting, f)
                    for f in ("id", "title", "status", "scale", "quorum", "pass_threshold")
                },
                "choices": choices_out(rules),
                "criteria": criteria_out(rules),
                "groups": groups_out(rules),
                "pass_rule": rules.pass_rule,
            }
        )


class LiveItemOut(ItemOut):
    """The item on the floor, with its approved questions and whether questions are open, and
    who recused from it (public, like the minutes)."""

    questions: list[QuestionOut]
    questions_open: bool
    recusals: list[RecusalOut] = []


class VotingOut(Out):
    """The vote that is open. ``has_voted``: exact on a phone's own snapshot; in the phones'
    shared one ``false`` while nobody has voted, else ``null`` (keep what you know)."""

    item_id: int
    round: int
    choices: list[str]
    # every choice with its label and flags, and the sheet's criteria (null: one verdict)
    scale: list[ChoiceOut] = []
    criteria: list[CriterionOut] | None = None
    has_voted: bool | None
    # Why this round re-runs the vote (the reason recorded with the re-vote); null in round 1.
    revote_reason: str | None = None


class MeOut(Out):
    """The representative a phone's own snapshot is for."""

    id: int
    name: str
    present: bool
    ballot: str


class AlertPersonOut(Out):
    """Whose link an alert is about."""

    id: int | None
    name: str | None


class AlertOut(Out):
    """A second device, a re-issued link: ``at`` (ISO 8601) and ``time`` (HH:MM, China)."""

    id: int
    kind: str
    representative: AlertPersonOut
    at: When
    time: str


class AlertsOut(Out):
    """The ``alert`` event: the meeting's newest alerts, newest first."""

    alerts: list[AlertOut]


class SummaryRowOut(Out):
    """One item of a finished meeting as its closing summary shows it: its latest result."""

    id: int
    position: int
    title: str
    status: str
    result: ResultOut | None


class LiveStateOut(Out):
    """``state``: the full snapshot of a live meeting (contract.md), sent on connect and after
    every change. ``me`` only on a phone's own snapshot; ``alerts`` only on the console's and the
    projector's while the meeting is live (both keys are left out otherwise). ``timer``: the
    meeting's countdown while it is live, else null; ``now``: the server's clock (ISO 8601, UTC)
    when the snapshot was made, so a phone whose own clock is wrong still counts down right;
    ``summary`` (every item's result) once the meeting has closed (left out otherwise)."""

    meeting: LiveMeetingOut
    item: LiveItemOut | None
    phase: str
    voting: VotingOut | None
    attendance: AttendanceOut
    result: ResultOut | None
    me: MeOut | None = None
    alerts: list[AlertOut] | None = None
    # the countdown (or null), and the server's clock the screens count it down against
    timer: TimerOut | None = None
    now: When = None
    # Once the meeting has closed: every item's result, for the closing screens.
    summary: list[SummaryRowOut] | None = None

    def json_dict(self) -> dict[str, Any]:
        """The snapshot as sent: without ``me``, ``alerts`` and ``summary`` where they do not
        apply."""
        data = super().json_dict()
        for key in ("me", "alerts", "summary"):
            if getattr(self, key) is None:
                del data[key]
        return data

    def for_phones(self, ballots_in_round: int) -> LiveStateOut:
        """The one copy every phone shares: no ``me`` and no alerts, and ``has_voted`` exact only
        while nobody has voted in the round (see :class:`VotingOut`)."""
        voting = self.voting
        if voting is not None:
            voting = voting.model_copy(update={"has_voted": False if ballots_in_round == 0 else None})
        return self.model_copy(update={"me": None, "alerts": None, "voting": voting})


class VoteAck(Out):
    """``cast_vote``'s ack: the ballot's receipt (the same for a resend of the same key)."""

    ok: bool = True
    receipt: str
    item_id: int

    @staticmethod
    def sent(receipt: str, item_id: int) -> dict[str, Any]:
        """The ack as sent, built as the plain dict this model dumps to: it goes out for every
        ballot, and a model's validation and dump would cost more than the rest of the ack."""
        return {"ok": True, "receipt": receipt, "item_id": item_id}


class QuestionAck(Out):
    """``ask_question``'s ack: the new question's id."""

    ok: bool = True
    question_id: int


class SupportAck(Out):
    """``support_question``'s ack: how many back the question now (the same for a repeat)."""

    ok: bool = True
    support: int


class SyncAck(Out):
    """``sync``'s ack: this socket's own snapshot (and a moderator's questions on the floor)."""

    ok: bool = True
    state: LiveStateOut
    progress: ProgressOut | None
    questions: QuestionListOut | None = None

    def json_dict(self) -> dict[str, Any]:
        """The ack as sent: ``questions`` only for a moderator's console."""
        data = super().json_dict()
        data["state"] = self.state.json_dict()
        if self.questions is None:
            del data["questions"]
        return data


# --- the first view of the console and the projector ---------------------------------------------


class ProjectorViewOut(Out):
    """What the projector page renders before its socket connects."""

    state: LiveStateOut
    progress: ProgressOut | None

    def json_dict(self) -> dict[str, Any]:
        """The view, its snapshot as the live channel sends it."""
        return {"state": self.state.json_dict(), "progress": _maybe(self.progress)}


class ConsoleMeetingOut(LiveMeetingOut):
    """The meeting as the console shows it (with the projector's link)."""

    location: str | None
    display_token: str


class ConsoleItemOut(ItemOut):
    """An item of the running order with its latest frozen result."""

    result: ResultOut | None


class RosterRowOut(Out):
    """A roster entry on the console: no join token (a credential, and not needed there)."""

    id: int
    name: str
    employee_no: str | None
    department: str | None
    present: bool
    revoked: bool
    checked_in_by: str | None
    ballot: str


class PaperStatusOut(Out):
    """The open vote's paper ballots on the console: the paper voters present (the most sheets
    there can be) and the scrutineers' count entered so far (null before the first entry)."""

    item_id: int
    round: int
    paper_present: int
    entered: PaperCountOut | None
    # every count entered so far, one per rater group (the one above: the meeting's without groups)
    entries: list[PaperCountOut] = []


class GroupBallotsOut(Out):
    """A rater group's ballots so far in the open vote, phone and paper: a count, never a choice
    (the console warns before closing while a group has fewer than 3)."""

    key: str
    label: str
    ballots: int


class ConsoleViewOut(Out):
    """``GET /meetings/{id}/console/data``: snapshot, running order, roster, questions on the
    floor, and while a vote is open its paper ballots."""

    meeting: ConsoleMeetingOut
    state: LiveStateOut
    progress: ProgressOut | None
    items: list[ConsoleItemOut]
    roster: list[RosterRowOut]
    questions: QuestionListOut
    paper: PaperStatusOut | None = None
    # while a vote of a meeting with rater groups is open: each group's ballots so far
    group_ballots: list[GroupBallotsOut] | None = None

    def json_dict(self) -> dict[str, Any]:
        """The view as the console reads it, its snapshot as the live channel sends it."""
        data = super().json_dict()
        data["state"] = self.state.json_dict()
        return data


def _maybe(out: Out | None) -> dict[str, Any] | None:
    return None if out is None else out.json_dict()
