"""The projector screen, opened with the meeting's display link."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projector", __name__)
