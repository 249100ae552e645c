"""Agenda items: what clients send to add, change or reorder items (answers: schemas/meetings.py).

The fields are declared in the order they were always checked in, so the first problem a
body has is still the one its refusal names.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from evalmeet.domain.states import PROCUREMENT_METHODS
from evalmeet.schemas.base import Body
from evalmeet.schemas.types import Ids, Money, OneOf, Text, Whole, refuse

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
    """The person responsible for an item, matched in the registry by name + department."""

    name: Annotated[str, Text(100)]
    department: Annotated[str, Text(100, required=False)] = ""
    position: Annotated[str, Text(100, required=False)] = ""


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
