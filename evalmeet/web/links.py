"""Links shared by several edges: a representative's join link."""

from __future__ import annotations

from flask import url_for


def join_url(token: str) -> str:
    """The absolute join link of a token: PUBLIC_URL when configured, else an address phones on
    the same network can open whenever there is one (see ``reach.py``)."""
    from evalmeet.web.reach import join_base

    return join_base().url + url_for("representative.join", token=token)
