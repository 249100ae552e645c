"""Totals over the archive, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from evalmeet.extensions import db
from evalmeet.services.archive import stats
from evalmeet.web.api.base import (
    bp,
    reader,
)


@bp.get("/stats")
@reader
def get_stats() -> Any:
    """Totals over closed meetings."""
    return jsonify(stats.totals(db.session))


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    from evalmeet.web.openapi import document

    return jsonify(document())
