"""Names of the ``/live`` namespace and its rooms (one place, so emitters and joiners agree).

Every socket of a meeting is in ``meeting_room`` (``progress`` and ``result`` go there). Phones are
also in ``reps_room`` (their shared ``state``) and in their own ``rep_room`` (so a revoked link can
be reached). The projector and moderators are in ``staff_room`` (their ``state``); moderators are
also in ``mods_room`` (the ``questions`` event, which includes pending and hidden questions).
"""

from __future__ import annotations

NAMESPACE = "/live"


def meeting_room(meeting_id: int) -> str:
    """Every screen of a meeting."""
    return f"meeting:{meeting_id}"


def reps_room(meeting_id: int) -> str:
    """The representatives' phones of a meeting."""
    return f"meeting:{meeting_id}:reps"


def staff_room(meeting_id: int) -> str:
    """The projector and the moderators' consoles of a meeting."""
    return f"meeting:{meeting_id}:staff"


def mods_room(meeting_id: int) -> str:
    """The moderators' consoles of a meeting (they see every question)."""
    return f"meeting:{meeting_id}:mods"


def rep_room(rep_id: int) -> str:
    """The sockets of one representative (usually one phone)."""
    return f"rep:{rep_id}"
