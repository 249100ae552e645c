"""The roster: what clients send to add or change a representative (answers: schemas/meetings.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from evalmeet.schemas.base import Body
from evalmeet.schemas.types import OneOf, Text, refuse


def _json_bool(value: Any) -> bool:
    # Only a JSON true or false: an API client sending "yes" or null has made a mistake, and a
    # roster change is no place to guess (the forms never send these fields).
    if isinstance(value, bool):
        return value
    raise refuse("not_yes_no", "must be true or false")


BALLOT_CHANNELS = ("phone", "paper")
"""How a representative votes: on their phone, or on a paper sheet the scrutineers count."""

JsonBool = Annotated[bool | None, BeforeValidator(_json_bool), WithJsonSchema({"type": "boolean"})]
"""``true`` or ``false`` when sent (nothing else, not even null); None when not sent."""


class RepresentativeCreate(Body):
    """``POST /meetings/{id}/representatives``, the roster form and a roster file's row."""

    name: Annotated[str, Text(100)]
    employee_no: Annotated[str, Text(64)]
    department: Annotated[str, Text(100, required=False)] = ""
    ballot: Annotated[str, OneOf(BALLOT_CHANNELS)] = "phone"
    # the rater group's key (required once the meeting has groups)
    group: Annotated[str | None, Text(32, required=False)] = None

    def columns(self) -> dict[str, object]:
        """The roster entry's column values."""
        data = self.model_dump(exclude={"group"})
        return {**data, "rater_group": self.group or None}


class RepresentativeUpdate(Body):
    """``PATCH /representatives/{id}`` and the edit form: the fields sent are changed.

    ``present`` marks attendance by hand (live meetings); ``revoked: true`` stops the join link
    (``false`` changes nothing: a new link is issued instead). ``ballot`` switches between phone
    and paper (refused while any item of the meeting has voting open).
    """

    name: Annotated[str | None, Text(100)] = None  # sent as null: "is required"
    employee_no: Annotated[str | None, Text(64)] = None
    department: Annotated[str | None, Text(100, required=False)] = None
    present: JsonBool = None
    revoked: JsonBool = None
    ballot: Annotated[str | None, OneOf(BALLOT_CHANNELS, optional=True)] = None
    group: Annotated[str | None, Text(32, required=False)] = None

    def changes(self) -> dict[str, str]:
        """The roster entry's own fields that were sent, with their values (``group`` as the
        ``rater_group`` column)."""
        names = ("name", "employee_no", "department", "ballot", "group")
        return {
            ("rater_group" if name == "group" else name): value
            for name in names
            if name in self.given() and (value := getattr(self, name)) is not None
        }
