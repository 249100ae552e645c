"""The JSON of the live channel's Socket.IO packets (``LivePacket``, python-socketio's ``serializer``).

The standard library's parser, with two differences for what a client can send:

- a packet that is not JSON, or is nested too deep to parse (``RecursionError``), becomes the
  event ``UNPARSEABLE``, which ``/live`` answers with ``invalid_payload`` — python-socketio would
  otherwise log a traceback for every such packet (a cheap way to flood the log);
- what we send is UTF-8 (``ensure_ascii=False``): Chinese text costs 3 bytes a character on the
  hall's Wi-Fi instead of 6 for ``\\uXXXX``.

Only Socket.IO packets use it, never Engine.IO's (so no ``json=`` option, which sets both):
Engine.IO tells JSON from plain text (the ``probe`` of a transport upgrade) by whether
``loads`` raises, and a ``loads`` that never raises broke every upgrade from long-polling to
WebSocket (tests/e2e/test_transports_live.py).

Strings with lone surrogates still parse (JSON allows ``"\\ud800"``); the namespace refuses them
per event (``schemas.live.LiveBody.envelope``), since no UTF-8 text — no database row — can hold them.
"""

from __future__ import annotations

import json
from typing import Any

from socketio import packet

# An event name no client can choose by accident: a packet that did not parse.
UNPARSEABLE = "\x00unparseable"


def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
    """``json.loads``; a packet that does not parse is the ``UNPARSEABLE`` event."""
    try:
        return json.loads(text, *args, **kwargs)
    except (ValueError, RecursionError):
        return [UNPARSEABLE]


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    """``json.dumps`` to UTF-8 text."""
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(obj, *args, **kwargs)


class _Codec:
    """What ``packet.Packet.json`` expects: an object with ``loads`` and ``dumps``."""

    loads = staticmethod(loads)
    dumps = staticmethod(dumps)


class LivePacket(packet.Packet):
    """Socket.IO packets of ``/live``, read and written with this module's JSON."""

    json = _Codec
