"""Files in and out: the filters of the archive exports."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from evalmeet.schemas.base import Body
from evalmeet.schemas.types import OptionalDate, Text


class ExportQuery(Body):
    """``?q=&from=&to=`` of the archive exports, as in the archive's search."""

    q: Annotated[str, Text(200, required=False)] = ""
    date_from: OptionalDate = Field(default=None, alias="from")
    date_to: OptionalDate = Field(default=None, alias="to")
