"""Meetings set up over the HTTP API, as a moderator's script would (live servers and clusters)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import requests


class Moderator(Protocol):
    """Anything with the moderator's ``api(method, path, json)``: a LiveServer or a Cluster."""

    def api(self, method: str, path: str, json: Any = None, **kw: Any) -> requests.Response: ...


def created(server: Moderator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``path``, check for 201 Created and return the new record."""
    response = server.api("POST", path, body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def started_meeting(
    server: Moderator, meeting: dict[str, Any], reps: list[dict[str, Any]], items: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Create ``meeting``, its roster and items, then start it: (meeting, roster entries, items)."""
    made = created(server, "meetings", meeting)
    roster = [created(server, f"meetings/{made['id']}/representatives", rep) for rep in reps]
    rows = [created(server, f"meetings/{made['id']}/items", item) for item in items]
    assert server.api("POST", f"meetings/{made['id']}/start").status_code == 200
    return made, roster, rows


def started_with_one_representative(server: Moderator, meeting_id: int) -> requests.Response:
    """Put one representative (张三, E1) on a draft meeting's roster and start it: the least a
    meeting needs to be started; the start's response."""
    server.api("POST", f"meetings/{meeting_id}/representatives", {"name": "张三", "employee_no": "E1"})
    return server.api("POST", f"meetings/{meeting_id}/start")


def closed_afterwards() -> Iterator[list[Any]]:
    """For a fixture: the list the test puts its clients in, each ``close()``d afterwards."""
    made: list[Any] = []
    yield made
    for client in made:
        client.close()
