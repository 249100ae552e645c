"""The JSON API under ``/api/v1`` (contract.md): thin views over the services, one module per area.

Importing the package registers every view on :data:`bp`; ``base`` holds what they share.
"""

from evalmeet.web.api import (
    actions,
    appeals,
    conduct,
    corrections,
    items,
    meetings,
    questions,
    recusals,
    roster,
    stats,
    timer,
    voting,
)
from evalmeet.web.api.base import bp, document, reader, spec, tender_threshold

__all__ = [
    "actions",
    "appeals",
    "bp",
    "conduct",
    "corrections",
    "document",
    "items",
    "meetings",
    "questions",
    "reader",
    "recusals",
    "roster",
    "spec",
    "stats",
    "tender_threshold",
    "timer",
    "voting",
]
