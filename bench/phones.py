"""A swarm of phones: many asyncio Socket.IO clients in one process, driven over a pipe.

Each phone is a ``bench.wire.WireClient`` (the lean WebSocket client; ``client="wire"``, the
default) or a python-socketio ``AsyncClient`` (``client="socketio"``, also for polling).

The benchmark starts one or more swarm processes (``multiprocessing``, spawn) and sends each a
few commands; every command is answered with one reply:

- ``("connect", concurrency)`` → ``{"connected", "failed", "errors", "seconds"}``
- ``("vote", go_at, item_id)`` → every client sends ``cast_vote`` at the monotonic instant
  ``go_at`` (CLOCK_MONOTONIC is machine-wide on Linux, so every process agrees on it);
  → ``{"acks": [(ok, receipt_or_error_code, sent_at, acked_at)]}``
- ``("wait", what, item_id, timeout)`` with ``what`` = ``"voting"`` (a ``state`` opening voting
  on the item), ``"result"`` or ``"progress:<n>"`` → ``{"missing", "times"}`` (arrival times)
- ``("disconnect",)`` → ``{"disconnected"}``, and the process ends.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

NAMESPACE = "/live"
CHOICES = ("satisfied", "basically_satisfied", "dissatisfied")


@dataclass
class Phone:
    """One client and what it has seen (monotonic arrival times)."""

    client: Any
    auth: dict[str, Any]
    url: str
    voting_at: dict[int, float] = field(default_factory=dict)
    result_at: dict[int, float] = field(default_factory=dict)
    progress: dict[int, tuple[int, float]] = field(default_factory=dict)  # item -> (ballots, first seen)
    dropped: str | None = None  # why the connection ended, when it did

    def on_state(self, state: Any) -> None:
        voting = state.get("voting") if isinstance(state, dict) else None
        if voting and state.get("phase") == "voting":
            self.voting_at.setdefault(voting["item_id"], time.monotonic())

    def on_progress(self, data: Any) -> None:
        item, ballots = data["item_id"], data["ballots"]
        known = self.progress.get(item)
        if known is None or ballots > known[0]:
            self.progress[item] = (ballots, time.monotonic())

    def on_result(self, data: Any) -> None:
        self.result_at.setdefault(data["item_id"], time.monotonic())


def _make_phone(url: str, auth: dict[str, Any], session: Any = None) -> Phone:
    """A phone on ``session`` (an aiohttp session: the wire client), else on python-socketio."""
    if session is not None:
        from bench.wire import WireClient

        client: Any = WireClient(session)
    else:
        import socketio

        client = socketio.AsyncClient(reconnection=False, request_timeout=30)
    phone = Phone(client, auth, url)

    async def state(data: Any) -> None:
        phone.on_state(data)

    async def progress(data: Any) -> None:
        phone.on_progress(data)

    async def result(data: Any) -> None:
        phone.on_result(data)

    client.on("state", state, namespace=NAMESPACE)
    client.on("progress", progress, namespace=NAMESPACE)
    client.on("result", result, namespace=NAMESPACE)

    async def disconnect(reason: Any = None) -> None:
        phone.dropped = str(reason)

    client.on("disconnect", disconnect, namespace=NAMESPACE)
    return phone


async def _connect_all(phones: list[Phone], transports: list[str], concurrency: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    errors: dict[str, int] = {}
    durations: list[float] = []
    started = time.monotonic()

    async def one(phone: Phone) -> bool:
        async with gate:
            begun = time.monotonic()
            try:
                await phone.client.connect(
                    phone.url, namespaces=[NAMESPACE], auth=phone.auth, transports=transports, wait_timeout=60
                )
                durations.append(time.monotonic() - begun)
                return True
            except Exception as exc:  # noqa: BLE001 - counted and reported
                key = f"{type(exc).__name__}: {exc}"[:120]
                errors[key] = errors.get(key, 0) + 1
                return False

    done = await asyncio.gather(*(one(p) for p in phones))
    return {
        "connected": sum(done),
        "failed": len(done) - sum(done),
        "errors": errors,
        "seconds": time.monotonic() - started,
        "durations": durations,
    }


async def _vote_all(phones: list[Phone], go_at: float, item_id: int) -> dict[str, Any]:
    payloads = [
        {"item_id": item_id, "choice": CHOICES[n % 3], "key": uuid.uuid4().hex} for n in range(len(phones))
    ]
    # The harness measures the server, not its own garbage collector: a full collection of
    # thousands of clients' objects took up to 250 ms here, inside a burst. Collect what is
    # there, freeze it, and collect nothing until the burst is over.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return await _burst(phones, payloads, go_at)
    finally:
        gc.enable()


async def _burst(phones: list[Phone], payloads: list[dict[str, Any]], go_at: float) -> dict[str, Any]:
    delay = go_at - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)

    async def one(phone: Phone, payload: dict[str, Any]) -> tuple[bool, str, float, float]:
        sent = time.monotonic()
        try:
            ack = await phone.client.call("cast_vote", payload, namespace=NAMESPACE, timeout=120)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            return False, type(exc).__name__, sent, time.monotonic()
        now = time.monotonic()
        if isinstance(ack, dict) and ack.get("ok") is True:
            return True, str(ack.get("receipt")), sent, now
        code = ack.get("error", {}).get("code", "?") if isinstance(ack, dict) else repr(ack)
        return False, str(code), sent, now

    acks = await asyncio.gather(*(one(p, d) for p, d in zip(phones, payloads, strict=True)))
    return {"acks": list(acks)}


async def _wait(phones: list[Phone], what: str, item_id: int, timeout: float) -> dict[str, Any]:
    def seen(phone: Phone) -> float | None:
        if what == "voting":
            return phone.voting_at.get(item_id)
        if what == "result":
            return phone.result_at.get(item_id)
        wanted = int(what.split(":", 1)[1])
        got = phone.progress.get(item_id)
        return got[1] if got is not None and got[0] >= wanted else None

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(seen(p) is not None for p in phones):
            break
        await asyncio.sleep(0.02)
    times = [t for t in (seen(p) for p in phones) if t is not None]
    reasons: dict[str, int] = {}
    for phone in phones:
        if phone.dropped is not None:
            reasons[phone.dropped] = reasons.get(phone.dropped, 0) + 1
    return {"missing": len(phones) - len(times), "times": times, "dropped": reasons}


async def _disconnect_all(phones: list[Phone]) -> dict[str, Any]:
    async def one(phone: Phone) -> None:
        try:
            await asyncio.wait_for(phone.client.disconnect(), 10)
        except Exception:  # noqa: BLE001, S110 - the server may already be gone
            pass

    await asyncio.gather(*(one(p) for p in phones))
    return {"disconnected": len(phones)}


async def _serve(
    conn: Connection, urls: list[str], auths: list[dict[str, Any]], transports: list[str], client: str
) -> None:
    session = None
    if client == "wire":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        await _commands(
            conn, [_make_phone(u, a, session) for u, a in zip(urls, auths, strict=True)], transports
        )
    finally:
        if session is not None:
            await session.close()


async def _commands(conn: Connection, phones: list[Phone], transports: list[str]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        name = command[0]
        if name == "connect":
            reply = await _connect_all(phones, transports, command[1])
        elif name == "vote":
            reply = await _vote_all(phones, command[1], command[2])
        elif name == "wait":
            reply = await _wait(phones, command[1], command[2], command[3])
        elif name == "disconnect":
            conn.send(await _disconnect_all(phones))
            return
        else:
            reply = {"error": f"unknown command {name!r}"}
        conn.send(reply)


def swarm_main(
    conn: Connection,
    urls: list[str],
    auths: list[dict[str, Any]],
    transports: list[str],
    client: str = "wire",
) -> None:
    """Entry point of a swarm process (``multiprocessing`` target)."""
    from bench.common import raise_fd_limit

    raise_fd_limit()
    # A refused or dropped client is counted and reported, not logged (engineio's client logger has
    # a handler of its own, so it needs its own level).
    logging.basicConfig(level=logging.CRITICAL)
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    asyncio.run(_serve(conn, urls, auths, transports, client))


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in counts:
        for key, count in part.items():
            merged[key] = merged.get(key, 0) + count
    return merged


class Swarm:
    """The benchmark's handle on several swarm processes that act as one."""

    def __init__(
        self,
        urls: list[str],
        auths: list[dict[str, Any]],
        transports: list[str],
        processes: int = 1,
        client: str = "wire",
    ) -> None:
        import multiprocessing

        if transports != ["websocket"]:
            client = "socketio"  # the wire client speaks WebSocket only

        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        size = -(-len(auths) // processes)
        for n in range(processes):
            part = slice(n * size, (n + 1) * size)
            if not auths[part]:
                continue
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(
                target=swarm_main, args=(theirs, urls[part], auths[part], transports, client), daemon=True
            )
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    def ask(self, *command: Any) -> list[dict[str, Any]]:
        """Send a command to every process; their replies, in order."""
        for pipe in self.pipes:
            pipe.send(command)
        return [pipe.recv() for pipe in self.pipes]

    def connect(self, concurrency: int = 100) -> dict[str, Any]:
        """Connect every client; merged counts."""
        replies = self.ask("connect", max(1, concurrency // max(1, len(self.pipes))))
        errors = _merge([r["errors"] for r in replies])
        durations = [d for r in replies for d in r["durations"]]
        return {
            "durations": durations,
            "connected": sum(r["connected"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": errors,
            "seconds": max(r["seconds"] for r in replies),
        }

    def vote(self, go_at: float, item_id: int) -> list[tuple[bool, str, float, float]]:
        """Every client votes at ``go_at``; all acks."""
        return [ack for reply in self.ask("vote", go_at, item_id) for ack in reply["acks"]]

    def wait(self, what: str, item_id: int, timeout: float) -> dict[str, Any]:
        """Wait until every client saw ``what``; missing count and arrival times."""
        replies = self.ask("wait", what, item_id, timeout)
        return {
            "missing": sum(r["missing"] for r in replies),
            "times": [t for r in replies for t in r["times"]],
            "dropped": _merge([r["dropped"] for r in replies]),
        }

    def cpu(self) -> float:
        """CPU seconds the swarm processes have used so far."""
        from bench.common import cpu_seconds

        return sum(cpu_seconds(p.pid) for p in self.procs)

    def close(self) -> None:
        """Disconnect every client and end the processes."""
        try:
            self.ask("disconnect")
        except (EOFError, OSError, BrokenPipeError):
            pass
        for proc in self.procs:
            proc.join(15)
            if proc.is_alive():
                proc.kill()
