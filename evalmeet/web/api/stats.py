"""Totals over the archive, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from evalmeet.extensions import db
from evalmeet.schemas.stats import StatsOut
from evalmeet.services.archive import stats
from evalmeet.web.api.base import answer, bp, document, documented, reader, route


@route("GET", "/stats", who=reader)
@documented("200", StatsOut)
def get_stats() -> Any:
    """Totals over closed meetings."""
    return answer(StatsOut.model_validate(stats.totals(db.session)))


@bp.get("/openapi.json")
def openapi() -> Any:  # (not itself in the document)
    """The OpenAPI 3 document of this API."""
    return jsonify(document())
