"""Downloads and uploads: minutes (PDF, Excel), archive and action exports, roster/item imports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__)
