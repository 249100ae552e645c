"""Files in and out: the filters of the archive exports."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from evalmeet.domain.errors import ValidationFailed
from evalmeet.schemas.archive import MAX_YEAR, MIN_YEAR
from evalmeet.schemas.base import Body
from evalmeet.schemas.query import QueryDate
from evalmeet.schemas.types import Text


class ExportQuery(Body):
    """``?q=&from=&to=`` of the archive exports, as in the archive's search (inclusive China days).

    Unlike the archive's pages, a bad value is refused (422): a download names what it holds.
    """

    q: Annotated[str, Text(200, required=False)] = ""
    # the archive's years (a day outside them, 9999-12-31 say, has no next day to end at)
    date_from: Annotated[date | None, QueryDate(MIN_YEAR, MAX_YEAR)] = Field(default=None, alias="from")
    date_to: Annotated[date | None, QueryDate(MIN_YEAR, MAX_YEAR)] = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _in_order(self) -> ExportQuery:
        # Raised as our refusal itself (pydantic lets it through): it belongs to ``from``.
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationFailed("from must not be after to", field="from", reason="after_end")
        return self
