"""The moderator's live console for one meeting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__)
