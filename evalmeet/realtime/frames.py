"""gevent-websocket's two per-byte loops in Python, done in C: the UTF-8 check of every text
message and the unmasking of every frame a client sends.

gevent-websocket (the WebSocket server under ``evalmeet serve``) checks that a text message is
UTF-8 with a pure-Python DFA, once per frame and once more for the whole message, and unmasks
each client frame (RFC 6455 §5.3: every client frame is XOR-masked) one byte at a time. For a
phone's ballot, ~120 bytes, that was 6–7% of the server's time in a 2,000-phone vote
(py-spy, docs/performance.md) — more than the ballot's own SQL statements cost per ballot.
The library has no switch for a faster path (its 0.10 release predates wsaccel support), so
``install()`` replaces the two pieces with equivalents built on CPython's C code: the
``utf-8`` incremental decoder (the same verdicts, a multi-byte character split across frames
included) and one big-integer XOR. Called once by ``init_realtime``; idempotent.
"""

from __future__ import annotations

import codecs
from typing import Any

_UTF8 = codecs.getincrementaldecoder("utf-8")


class Utf8Validator:
    """gevent-websocket's ``Utf8Validator`` interface on CPython's incremental UTF-8 decoder.

    ``validate(payload)`` returns ``(valid, ends_on_codepoint, index_in_payload, total_index)``
    for the stream so far, like the original; ``reset()`` starts a new message.
    """

    __slots__ = ("_decoder", "_total")

    def __init__(self) -> None:
        self._decoder = _UTF8()
        self._total = 0

    def reset(self) -> None:
        self._decoder.reset()
        self._total = 0

    def validate(self, payload: Any) -> tuple[bool, bool, int, int]:
        try:
            self._decoder.decode(bytes(payload), False)
        except UnicodeDecodeError as exc:
            return False, False, exc.start, self._total + exc.start
        self._total += len(payload)
        pending, _flags = self._decoder.getstate()
        return True, not pending, len(payload), self._total


def unmask(header: Any, payload: Any) -> bytearray:
    """The frame's payload XOR its 4-byte mask, repeated (``Header.mask_payload``)."""
    size = len(payload)
    if size == 0:
        return bytearray()
    key = (bytes(header.mask) * (size // 4 + 1))[:size]
    mixed = int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")
    return bytearray(mixed.to_bytes(size, "little"))


def install() -> None:
    """Put the C-backed pieces into gevent-websocket (new sockets use them)."""
    from geventwebsocket import websocket

    websocket.Utf8Validator = Utf8Validator
    websocket.Header.mask_payload = unmask
    websocket.Header.unmask_payload = unmask
