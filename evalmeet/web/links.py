"""Links shared by several edges: a representative's join link and the pages of other areas."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from werkzeug.routing import BuildError


def join_url(token: str) -> str:
    """The absolute join link of a token: PUBLIC_URL when configured, else an address phones on
    the same network can open whenever there is one (see ``reach.py``)."""
    from evalmeet.web.reach import join_base

    return join_base().url + url_for("representative.join", token=token)


def optional_url(endpoint: str, **values: Any) -> str | None:
    """``url_for(endpoint)``, or None while that endpoint does not exist (yet)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
