"""Follow-up pages: actions with notes and evidence, the overdue dashboard, report-back."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("followup", __name__)
