"""A lean Socket.IO client for the benchmarks' phones: Socket.IO v5 over Engine.IO v4, WebSocket
only, on aiohttp, a few hundred lines of protocol instead of python-socketio's general client.

Why our own: the benchmarks play thousands of phones from one process that shares this 2-core
machine with the server. python-socketio's ``AsyncClient`` opens an aiohttp session of its own per
client and runs each packet through layers of generality (binary attachments, reconnection,
polling, namespaces' handshakes, event loops per call): at 2,000 phones it took 0.7–0.8 s of CPU
per burst, so even a bare echo server's p99 ack was past a second (docs/performance.md, "Reading
the figures"). This one shares one aiohttp session per process and handles the few packets a
phone exchanges — the Engine.IO open, ping/pong and close; the Socket.IO CONNECT, CONNECT_ERROR,
EVENT, ACK and DISCONNECT of one namespace — as plain text frames, which is all the server sends
a phone (no binary attachments). It speaks the same protocol the browser's socket.io-client does
over WebSocket; ``--client socketio`` in ``bench/vote_load.py`` keeps python-socketio for
comparison.

The interface is the slice of ``socketio.AsyncClient`` that ``bench/phones.py`` uses: ``on``,
``connect``, ``call``, ``disconnect``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

Handler = Callable[..., Awaitable[None]]

# Engine.IO packet types (text frames)
_OPEN, _CLOSE, _PING, _PONG, _MESSAGE = "0", "1", "2", "3", "4"
# Socket.IO packet types (inside an Engine.IO MESSAGE)
_CONNECT, _DISCONNECT, _EVENT, _ACK, _CONNECT_ERROR = "0", "1", "2", "3", "4"


class ConnectionError(Exception):  # noqa: A001 - the name python-socketio's client raises
    """The server refused the namespace connection, or the socket could not be opened."""


def websocket_url(url: str, path: str = "socket.io") -> str:
    """``http://host:port`` → ``ws://host:port/socket.io/?EIO=4&transport=websocket``; the URL's
    own query (``?lang=en``) goes along with the handshake, as socket.io-client's ``query`` does."""
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = "&".join(q for q in (parts.query, "EIO=4&transport=websocket") if q)
    return urlunsplit((scheme, parts.netloc, f"/{path.strip('/')}/", query, ""))


def parse_packet(text: str) -> tuple[str, str, int | None, Any]:
    """A Socket.IO packet's (type, namespace, ack id, data) from its text (after the Engine.IO
    ``4``): ``2/live,17["event",{...}]`` → ``("2", "/live", 17, ["event", {...}])``."""
    kind, rest = text[0], text[1:]
    namespace = "/"
    if rest.startswith("/"):
        namespace, _, rest = rest.partition(",")
    digits = 0
    while digits < len(rest) and rest[digits].isdigit():
        digits += 1
    ack_id = int(rest[:digits]) if digits else None
    body = rest[digits:]
    return kind, namespace, ack_id, json.loads(body) if body else None


def encode_packet(kind: str, namespace: str, data: Any = None, ack_id: int | None = None) -> str:
    """The Engine.IO MESSAGE text of a Socket.IO packet (the inverse of ``parse_packet``)."""
    head = _MESSAGE + kind + ("" if namespace == "/" else namespace + ",")
    if ack_id is not None:
        head += str(ack_id)
    if data is None:
        return head
    return head + json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class WireClient:
    """One phone's socket: a WebSocket to ``/socket.io/``, one namespace."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.namespace = "/"
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.connected: asyncio.Future[None] | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.auth: Any = None

    def on(self, event: str, handler: Handler, namespace: str = "/") -> None:
        """Call ``handler(*args)`` for ``event`` (``"disconnect"``: with the reason)."""
        self.handlers[(namespace, event)] = handler

    async def connect(
        self,
        url: str,
        namespaces: list[str],
        auth: Any = None,
        transports: list[str] | None = None,
        wait_timeout: float = 60,
    ) -> None:
        """Open the socket and connect ``namespaces[0]`` with ``auth``; raises ``ConnectionError``
        when the server refuses it (its message and data) or does not answer in time."""
        if transports and transports != ["websocket"]:
            raise ValueError("the wire client speaks WebSocket only")
        (self.namespace,) = namespaces
        self.auth = auth
        loop = asyncio.get_running_loop()
        self.connected = loop.create_future()
        try:
            self.ws = await asyncio.wait_for(
                self.session.ws_connect(websocket_url(url), autoping=True, compress=0, max_msg_size=0),
                wait_timeout,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ConnectionError(f"websocket: {type(exc).__name__}: {exc}") from None
        self.reader = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(self.connected, wait_timeout)
        except TimeoutError:
            await self.disconnect()
            raise ConnectionError("no answer to the namespace connect") from None
        except ConnectionError:  # refused: the reader closes the socket on its way out
            await asyncio.gather(self.reader, return_exceptions=True)
            raise

    async def call(self, event: str, data: Any, namespace: str = "/", timeout: float = 60) -> Any:
        """Emit ``event`` with ``data`` and wait for its acknowledgement (its first argument)."""
        if self.ws is None or self.ws.closed:
            raise ConnectionError("not connected")
        self.next_id += 1
        ack_id = self.next_id
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[ack_id] = answer
        try:
            await self.ws.send_str(encode_packet(_EVENT, namespace, [event, data], ack_id))
            return await asyncio.wait_for(answer, timeout)
        finally:
            self.pending.pop(ack_id, None)

    async def disconnect(self) -> None:
        """Leave the namespace and close the socket."""
        ws = self.ws
        if ws is not None and not ws.closed:
            try:
                await ws.send_str(encode_packet(_DISCONNECT, self.namespace))
            finally:
                await ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    async def _read(self) -> None:
        assert self.ws is not None
        reason = "transport close"
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                text: str = message.data
                kind = text[:1]
                if kind == _MESSAGE:
                    if not await self._packet(text[1:]):
                        reason = "io server disconnect"
                        break
                elif kind == _PING:
                    await self.ws.send_str(_PONG + text[1:])
                elif kind == _OPEN:
                    await self.ws.send_str(encode_packet(_CONNECT, self.namespace, self.auth))
                elif kind == _CLOSE:
                    reason = "io server disconnect"
                    break
        finally:
            if not self.ws.closed:
                await self.ws.close()
            self._ended(reason)

    async def _packet(self, text: str) -> bool:
        """Handle one Socket.IO packet; False when the server ended the namespace."""
        kind, namespace, ack_id, data = parse_packet(text)
        if kind == _EVENT and isinstance(data, list) and data:
            handler = self.handlers.get((namespace, data[0]))
            if handler is not None:
                await handler(*data[1:])
        elif kind == _ACK and ack_id is not None:
            answer = self.pending.get(ack_id)
            if answer is not None and not answer.done():
                answer.set_result(data[0] if data else None)
        elif kind == _CONNECT and self.connected is not None and not self.connected.done():
            self.connected.set_result(None)
        elif kind == _CONNECT_ERROR and self.connected is not None and not self.connected.done():
            given = data if isinstance(data, dict) else {"message": data}
            self.connected.set_exception(ConnectionError(given.get("message"), given.get("data")))
            return False
        elif kind == _DISCONNECT:
            return False
        return True

    def _ended(self, reason: str) -> None:
        if self.connected is not None and not self.connected.done():
            self.connected.set_exception(ConnectionError(f"closed before connecting ({reason})"))
        for answer in self.pending.values():
            if not answer.done():
                answer.set_exception(ConnectionError(f"disconnected ({reason})"))
        handler = self.handlers.get((self.namespace, "disconnect"))
        if handler is not None:
            asyncio.ensure_future(handler(reason))
