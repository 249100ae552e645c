"""Agenda items: what clients send to add, change or reorder items (answers: schemas/meetings.py).

The fields are declared in the order they were always checked in, so the first problem a
body has is still the one its refusal names.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from evalmeet.domain.states import PROCUREMENT_METHODS
from evalmeet.schemas.base import Body
from evalmeet.schemas.types import MAX_ID, Ids, Money, OneOf, Text, Whole, refuse

ITEM_KINDS = ("procurement", "report_back")
# An item's own columns, as a body names them (the person and the kind are set apart).
ITEM_FIGURES = (
    "title",
    "procurement_method",
    "supplier_count",
    "amount",
    "benchmark_price",
    "unit_price",
    "description",
)


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


# A form's empty select box means "not given", like null.
Method = Annotated[str | None, OneOf(PROCUREMENT_METHODS, optional=True), BeforeValidator(_blank_is_none)]
SupplierCount = Annotated[int | None, Whole(0, 10_000, optional=True)]


class PersonIn(Body):
    """The person responsible for an item: an existing entry of the registry named by ``id``
    (so a typo makes no new person and namesakes stay apart), or else the entry matched by
    name + department, created when new. With an ``id`` the name may be left out; a name or
    department sent with it must be that person's, and a position sent updates theirs."""

    id: Annotated[int | None, Whole(1, MAX_ID, optional=True)] = Field(
        default=None,
        description="a person already in the registry (as an item's `responsible_person.id` names them)",
    )
    name: Annotated[str, Text(100, required=False)] = Field(
        default="", validate_default=True, description="required unless `id` is given"
    )
    department: Annotated[str, Text(100, required=False)] = ""
    position: Annotated[str, Text(100, required=False)] = ""

    @field_validator("name")
    @classmethod
    def _named_unless_chosen(cls, value: str, info: ValidationInfo) -> str:
        # ``id`` is declared first, so it has been read (or refused) by now.
        if not value and info.data.get("id") is None:
            raise refuse("required", "is required")
        return value


def _an_object(value: Any) -> Any:
    if not isinstance(value, dict | PersonIn):  # null included: a person cannot be taken away
        raise refuse("not_object", "must be an object")
    return value


Person = Annotated[PersonIn, BeforeValidator(_an_object)]


class ItemCreate(Body):
    """``POST /meetings/{id}/items``, the item form and an item file's row."""

    title: Annotated[str, Text(200)]
    procurement_method: Method = None
    supplier_count: SupplierCount = None
    amount: Money = None
    benchmark_price: Money = None
    unit_price: Money = None
    description: Annotated[str, Text(10_000, required=False, multiline=True)] = ""
    responsible_person: Person
    kind: Annotated[str | None, OneOf(ITEM_KINDS, optional=True)] = None

    def figures(self) -> dict[str, Any]:
        """The item's own columns (everything but the person and the kind)."""
        return self.model_dump(include=set(ITEM_FIGURES))


def _not_null(schema: dict[str, Any]) -> None:
    """Document an optional nested object without the ``null`` its validator refuses."""
    schema.update(next(s for s in schema.pop("anyOf") if s.get("type") != "null"))


class ItemUpdate(Body):
    """``PATCH /items/{id}`` and the edit form: the fields sent are changed."""

    title: Annotated[str | None, Text(200)] = None  # sent as null: "is required"
    procurement_method: Method = None
    supplier_count: SupplierCount = None
    amount: Money = None
    benchmark_price: Money = None
    unit_price: Money = None
    description: Annotated[str | None, Text(10_000, required=False, multiline=True)] = None
    responsible_person: Annotated[PersonIn | None, BeforeValidator(_an_object)] = Field(
        default=None, json_schema_extra=_not_null
    )

    def changes(self) -> dict[str, Any]:
        """The item's own columns that were sent, with their parsed values."""
        return {name: getattr(self, name) for name in ITEM_FIGURES if name in self.given()}


class ReorderBody(Body):
    """``PUT /meetings/{id}/items/order``: every item id of the meeting once, in the new order."""

    # Checked when missing too, so a body without it is refused as "not_ids", as it always was.
    order: Ids = Field(default=None, validate_default=True)
