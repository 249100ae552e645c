"""The archive's headline totals (``GET /api/v1/stats``)."""

from __future__ import annotations

from pydantic import Field

from evalmeet.schemas.base import Out


class StatsOut(Out):
    """Totals over closed meetings."""

    meetings: int
    attendances: int
    items: int
    items_passed: int
    items_failed: int
    people_disciplined: int
    actions_open: int
    actions_overdue: int
    appeals_pending: int
    # what verified re-tenders saved (yuan, two decimals, negative when dearer)
    savings: str = Field(pattern=r"^-?\d+\.\d{2}$", examples=["12500.00", "-300.00"])
