"""The address a page links for a static file: its content-hashed copy (evalmeet/static_build.py)."""

from __future__ import annotations

from pathlib import Path

from evalmeet import _asset_dir
from evalmeet.static_build import current_manifest


def static(name: str) -> str:
    """``static("js/phone.js")`` → ``/static/dist/js/phone.<hash>.js``, as ``url_for`` names it."""
    manifest = current_manifest(Path(_asset_dir("static")))
    return "/static/" + manifest[name]
