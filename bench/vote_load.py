"""Vote load benchmark: N phones cast one ballot each at the same moment; prints Markdown tables.

Single worker on SQLite (the issue's main figures), against a bare Flask-SocketIO echo server
driven by the same clients in the same run::

    python bench/vote_load.py --phones 2000 --close-ballots 5000

Two workers + Redis + PostgreSQL behind nginx (nginx, Redis and PostgreSQL as in
docs/deployment.md; this starts its own nginx and workers, on free ports)::

    python bench/vote_load.py --cluster --phones 5000

What is measured (docs/performance.md explains each figure):

- every ballot acked ``ok`` and counted (the close's ``ballots`` equals the acks);
- throughput: ballots / (last ack − the instant every phone sent its ballot);
- ack latency p50 / p99, from that common instant to each phone's ack;
- projector lag: from the last ack until the projector receives ``progress`` with the final count;
- close time: the duration of ``POST /items/{id}/voting/close`` with N ballots, and with
  ``--close-ballots`` ballots (a separate meeting, seeded before the server starts);
- memory per phone: the server's RSS after connecting N phones minus before, divided by N.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
import socketio

from bench.common import (
    REDIS_URL,
    cpu_seconds,
    drop_postgres_schema,
    load_average,
    new_postgres_schema,
    percentile,
    print_table,
    raise_fd_limit,
    rss_kib,
    seed_meeting,
    wait_for,
)
from bench.phones import Swarm
from tests.server import LiveServer, free_port

HERE = Path(__file__).resolve().parent
GO_DELAY = 1.0  # seconds between "everyone is ready" and the shared instant they all vote


class Projector:
    """The projector screen: a python-socketio client that notes when each count arrives."""

    def __init__(self, url: str, display_token: str, transports: list[str]) -> None:
        self.lock = threading.Lock()
        self.present = 0
        self.progress: list[tuple[int, float]] = []  # (ballots, arrival)
        self.result_at: float | None = None
        self.client = socketio.Client(reconnection=False)
        self.client.on("state", self._state, namespace="/live")
        self.client.on("progress", self._progress, namespace="/live")
        self.client.on("result", self._result, namespace="/live")
        self.client.connect(
            url, namespaces=["/live"], auth={"display": display_token}, transports=transports, wait_timeout=30
        )

    def _state(self, state: Any) -> None:
        with self.lock:
            self.present = int((state.get("attendance") or {}).get("present", 0))

    def _progress(self, data: Any) -> None:
        with self.lock:
            self.progress.append((int(data["ballots"]), time.monotonic()))

    def _result(self, _data: Any) -> None:
        with self.lock:
            self.result_at = self.result_at or time.monotonic()

    def first_seen(self, ballots: int) -> float | None:
        """When a progress with at least ``ballots`` first arrived."""
        with self.lock:
            return next((t for b, t in self.progress if b >= ballots), None)

    def close(self) -> None:
        """Disconnect."""
        with contextlib.suppress(Exception):
            self.client.disconnect()


def summarise(acks: list[tuple[bool, str, float, float]], go_at: float) -> dict[str, Any]:
    """Counts, throughput and latency of one burst of acks."""
    good = [a for a in acks if a[0]]
    errors: dict[str, int] = {}
    for a in acks:
        if not a[0]:
            errors[a[1]] = errors.get(a[1], 0) + 1
    latencies = [a[3] - go_at for a in good]
    last = max((a[3] for a in good), default=go_at)
    span = last - go_at
    return {
        "ok": len(good),
        "errors": errors,
        "receipts": {a[1] for a in good},
        "last_ack": last,
        "throughput": len(good) / span if span > 0 else float("nan"),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies, default=0.0),
        "send_spread": max((a[2] for a in acks), default=go_at) - go_at,
    }


def typical(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The burst of median throughput among ``runs`` (one burst on a shared 2-core machine is a
    fraction of a second: one scheduling hiccup moves it by half), with every burst's figure."""
    ordered = sorted(runs, key=lambda r: r["throughput"])
    out = dict(ordered[len(ordered) // 2])
    out["throughputs"] = [r["throughput"] for r in runs]
    out["p99s"] = [r["p99"] for r in runs]
    return out


# --- the echo server -----------------------------------------------------------------------------


def run_echo(args: argparse.Namespace, transports: list[str], defaults: bool = False) -> dict[str, Any]:
    """Start a bare echo server (``defaults``: Flask-SocketIO's default settings), drive it with the
    same swarm and pattern, stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    name = "echo-defaults" if defaults else "echo"
    log = open(Path(args.workdir) / f"{name}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "echo_server.py"),
            "--port",
            str(port),
            *(["--defaults"] if defaults else []),
        ],
        stdout=log,
        stderr=log,
    )
    swarm = None
    try:
        wait_for(lambda: _answers(url + "/ping"), "the echo server", 30, 0.1)
        rss_before = rss_kib(proc.pid)
        swarm = Swarm(
            [url] * args.phones, [{"token": "echo"}] * args.phones, transports, args.procs, args.client
        )
        connected = swarm.connect(args.concurrency)
        time.sleep(1.0)
        rss_after = rss_kib(proc.pid)
        cpu0, client0 = cpu_seconds(proc.pid), swarm.cpu()
        runs = []
        for _ in range(args.bursts):
            go_at = time.monotonic() + GO_DELAY
            runs.append(summarise(swarm.vote(go_at, 1), go_at))
        out = typical(runs)
        out.update(
            connected=connected,
            cpu=(cpu_seconds(proc.pid) - cpu0) / args.bursts,
            client_cpu=(swarm.cpu() - client0) / args.bursts,
            kib_per_phone=(rss_after - rss_before) / max(1, connected["connected"]),
        )
        return out
    finally:
        if swarm is not None:
            swarm.close()
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


# --- evalmeet on one worker ----------------------------------------------------------------------


def run_single(args: argparse.Namespace, transports: list[str]) -> dict[str, Any]:
    """One `evalmeet serve` on SQLite: connect, open, vote, final count, close; and a big close."""
    server = LiveServer(Path(args.workdir) / "single", server_env(args))
    server.bootstrap()
    print(f"seeding a meeting of {args.phones} and two of {args.close_ballots} cast ballots ...", flush=True)
    main = seed_meeting(server.db_url, server.instance, args.phones, items=args.bursts, title="bench vote")
    big, idle = (
        seed_meeting(server.db_url, server.instance, args.close_ballots, cast=args.close_ballots, title=t)
        for t in ("bench close", "bench close idle")
    )
    server.start()
    swarm = projector = None
    try:
        server.api("GET", "meetings").raise_for_status()
        close_idle = _close_big(server, idle)
        pid = server.proc.pid  # type: ignore[union-attr]
        rss_before = rss_kib(pid)
        projector = Projector(server.url, main.display_token, ["websocket"])
        swarm = Swarm(
            [server.url] * args.phones,
            [{"token": t} for t in main.tokens],
            transports,
            args.procs,
            args.client,
        )
        connected = _connect(swarm, args)
        wait_for(
            lambda: projector.present >= connected["connected"], "the check-ins to reach the projector", 120
        )
        time.sleep(1.0)  # let the coalesced state broadcasts finish
        rss_after = rss_kib(pid)
        out = _vote_and_close(
            args, server, swarm, projector, main, big, connected, pid, rss_before, rss_after
        )
        out["close_idle"] = close_idle
        runs = [out] + [_burst(server, swarm, item) for item in main.item_ids[1:]]
        picked = typical(runs)
        out.update({k: picked[k] for k in ("throughput", "p50", "p99", "max", "throughputs", "p99s")})
        return out
    finally:
        # Servers first: the clients' disconnects are then immediate.
        _cleanup(server.stop, server.session.close, projector and projector.close, swarm and swarm.close)


def _vote_and_close(
    args: argparse.Namespace,
    api: Any,
    swarm: Swarm,
    projector: Projector,
    main: Any,
    big: Any | None,
    connected: dict[str, Any],
    pids: int | list[int],
    rss_before: int,
    rss_after: int,
) -> dict[str, Any]:
    item = main.item_ids[0]
    updates_before = len(projector.progress)
    opened_at = time.monotonic()
    answer = api.api("POST", f"items/{item}/voting/open")
    assert answer.status_code == 200, answer.text
    voting = swarm.wait("voting", item, 60)
    print(
        f"voting open; every phone votes at once ({voting['missing']} did not see it open"
        + (f"; disconnected: {voting['dropped']}" if voting["dropped"] else "")
        + ") ...",
        flush=True,
    )
    pid_list = pids if isinstance(pids, list) else [pids]
    profilers = [_profile(args, p) for p in pid_list] if args.py_spy else []
    cpu0, client0 = sum(cpu_seconds(p) for p in pid_list), swarm.cpu()
    go_at = time.monotonic() + GO_DELAY
    acks = swarm.vote(go_at, item)
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(60)
    out = summarise(acks, go_at)
    out["cpu"] = sum(cpu_seconds(p) for p in pid_list) - cpu0
    out["client_cpu"] = swarm.cpu() - client0
    final = out["ok"]
    try:
        seen = wait_for(lambda: projector.first_seen(final) is not None, "the projector's final count", 30)
        out["projector_lag"] = (projector.first_seen(final) or seen) - out["last_ack"]
    except TimeoutError:
        out["projector_lag"] = float("nan")
    phones_final = swarm.wait(f"progress:{final}", item, 30)
    with projector.lock:
        updates = projector.progress[updates_before:]
    out["projector_updates"] = (len(updates), updates[-1][1] - opened_at if updates else 0.0)
    out["phones_final_missing"] = phones_final["missing"]
    out["phones_final_lag"] = max(phones_final["times"], default=out["last_ack"]) - out["last_ack"]

    started = time.monotonic()
    closed = api.api("POST", f"items/{item}/voting/close")
    out["close"] = time.monotonic() - started
    assert closed.status_code == 200, closed.text
    out["counted"] = closed.json()["ballots"]
    receipts = api.api("GET", f"items/{item}/receipts").json()["receipts"]
    out["receipts_match"] = set(receipts) == out["receipts"] and len(receipts) == out["ok"]
    results = swarm.wait("result", item, 60)
    out["dropped"] = results["dropped"]
    out["result_missing"] = results["missing"]
    out["result_fanout"] = max(results["times"], default=started) - started
    out["voting_missing"] = voting["missing"]
    out["voting_fanout"] = max(voting["times"], default=opened_at) - opened_at
    out["connected"] = connected
    out["kib_per_phone"] = (rss_after - rss_before) / max(1, connected["connected"])
    out["rss_after"] = rss_after
    if big is not None:
        out["close_big"], out["close_big_counted"] = _close_big(api, big)
    return out


def _burst(api: Any, swarm: Swarm, item: int) -> dict[str, Any]:
    """One more burst on ``item``: open, every phone votes at once, close (all counted)."""
    assert api.api("POST", f"items/{item}/voting/open").status_code == 200
    swarm.wait("voting", item, 60)
    go_at = time.monotonic() + GO_DELAY
    out = summarise(swarm.vote(go_at, item), go_at)
    closed = api.api("POST", f"items/{item}/voting/close")
    assert closed.status_code == 200 and closed.json()["ballots"] == out["ok"], closed.text
    return out


def _close_big(api: Any, big: Any) -> tuple[float, int]:
    """Close the vote of a seeded meeting nobody is connected to: (seconds, ballots counted)."""
    started = time.monotonic()
    closed = api.api("POST", f"items/{big.item_ids[0]}/voting/close")
    took = time.monotonic() - started
    assert closed.status_code == 200, closed.text
    return took, closed.json()["ballots"]


def _profile(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes]:
    """py-spy sampling the server during the burst (``--py-spy``): collapsed stacks in the workdir."""
    out = Path(args.workdir) / f"profile-{pid}.txt"
    print(f"profiling {pid} into {out}", flush=True)
    proc = subprocess.Popen(
        [
            args.py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(out),
            *([] if args.py_spy_blocking else ["--nonblocking"]),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # attached before the burst starts
    return proc


# --- two workers behind nginx --------------------------------------------------------------------


def run_cluster(args: argparse.Namespace, transports: list[str]) -> dict[str, Any]:
    """Two workers + Redis + PostgreSQL behind nginx; phones spread by ``?lb=``."""
    import uuid

    from tests.e2e.cluster import Cluster

    database_url = new_postgres_schema()
    cluster = Cluster(
        Path(args.workdir) / "cluster",
        database_url=database_url,
        redis_url=REDIS_URL,
        workers=args.workers,
        env=server_env(args),
        nginx_connections=args.phones * 3 + 1024,
        access_log=False,
    )
    swarm = projector = None
    try:
        cluster.start()
        print(
            f"seeding a meeting of {args.phones} and two of {args.close_ballots} cast ballots (PG) ...",
            flush=True,
        )
        instance = Path(args.workdir) / "seed-instance"
        main = seed_meeting(database_url, instance, args.phones, title="bench cluster")
        big, idle = (
            seed_meeting(database_url, instance, args.close_ballots, cast=args.close_ballots, title=t)
            for t in ("bench close", "bench close idle")
        )
        close_idle = _close_big(cluster, idle)
        pids = [s.proc.pid for s in cluster.servers]  # type: ignore[union-attr]
        rss_before = sum(rss_kib(p) for p in pids)
        projector = Projector(cluster.url, main.display_token, ["websocket"])
        urls = [f"{cluster.url}/?lb={uuid.uuid4().hex}" for _ in range(args.phones)]
        swarm = Swarm(urls, [{"token": t} for t in main.tokens], transports, args.procs, args.client)
        connected = _connect(swarm, args)
        wait_for(
            lambda: projector.present >= connected["connected"], "the check-ins to reach the projector", 180
        )
        time.sleep(1.0)
        rss_after = sum(rss_kib(p) for p in pids)
        sockets = [_socket_count(p) for p in pids]
        out = _vote_and_close(
            args, cluster, swarm, projector, main, big, connected, pids, rss_before, rss_after
        )
        out["sockets"] = sockets
        out["close_idle"] = close_idle
        return out
    finally:
        _cleanup(
            cluster.stop,
            projector and projector.close,
            swarm and swarm.close,
            lambda: drop_postgres_schema(database_url),
        )


def server_env(args: argparse.Namespace) -> dict[str, str]:
    """The workers' environment: production settings plus the knobs given on the command line."""
    env = {"EVALMEET_ENV": "production"}
    if args.no_group_commit:
        env["EVALMEET_VOTE_GROUP_COMMIT"] = "0"
    if args.state_interval is not None:
        env["EVALMEET_STATE_INTERVAL"] = str(args.state_interval)
    if args.progress_interval is not None:
        env["EVALMEET_PROGRESS_INTERVAL"] = str(args.progress_interval)
    if args.phone_progress_interval is not None:
        env["EVALMEET_PHONE_PROGRESS_INTERVAL"] = str(args.phone_progress_interval)
    return env


def _connect(swarm: Swarm, args: argparse.Namespace) -> dict[str, Any]:
    print(f"connecting {args.phones} phones ...", flush=True)
    connected = swarm.connect(args.concurrency)
    took = connected["durations"]
    print(
        f"  {connected['connected']} connected, {connected['failed']} failed in {connected['seconds']:.1f} s"
        f" (each: p50 {percentile(took, 0.5):.2f} s, p99 {percentile(took, 0.99):.2f} s)"
        + (f": {connected['errors']}" if connected["errors"] else ""),
        flush=True,
    )
    return connected


def _cleanup(*steps: Any) -> None:
    """Run every cleanup step even when one fails (servers must not outlive the benchmark)."""
    for step in steps:
        if step:
            try:
                step()
            except BaseException as exc:  # noqa: BLE001 - keep cleaning up, then report
                print(f"cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)


def _socket_count(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


# --- report --------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _each(run: dict[str, Any]) -> str:
    """Every burst's throughput, when there were several (the figure shown is their median's)."""
    each = run.get("throughputs") or []
    return f"(bursts: {', '.join(f'{t:.0f}' for t in each)})" if len(each) > 1 else ""


def _each_p99(run: dict[str, Any]) -> str:
    """Every burst's p99, when there were several."""
    each = run.get("p99s") or []
    return f"(p99 of each burst: {', '.join(_ms(t) for t in each)})" if len(each) > 1 else ""


def report(
    args: argparse.Namespace,
    ours: dict[str, Any],
    echo: dict[str, Any] | None,
    setup: str,
    echo_defaults: dict[str, Any] | None = None,
) -> None:
    """Print the tables."""
    n = args.phones
    all_ok = ours["ok"] == n and ours["counted"] == n and ours["receipts_match"]

    def single(target: str) -> str:
        """The issue sets the latency, projector and memory targets for one SQLite worker only."""
        return "" if args.cluster else target

    rows = [
        (
            "phones connected",
            f"{ours['connected']['connected']} of {n} in {ours['connected']['seconds']:.1f} s",
            "",
        ),
        (
            "acked ok / counted",
            f"{ours['ok']} / {ours['counted']}" + (f" errors {ours['errors']}" if ours["errors"] else ""),
            f"{n} / {n}",
        ),
        ("every ballot counted, receipts match", "yes" if all_ok else "NO", "yes"),
        ("vote throughput", f"{ours['throughput']:.0f} ballots/s " + _each(ours), ""),
    ]
    for label, bare in (("echo", echo), ("default-settings echo", echo_defaults)):
        if bare is None:
            continue
        ratio = ours["throughput"] / bare["throughput"] if bare["throughput"] else float("nan")
        rows += [
            (
                f"{label} throughput (same clients)",
                f"{bare['throughput']:.0f} acks/s, p99 {_ms(bare['p99'])}",
                "",
            ),
            (f"our throughput / {label}", f"{ratio:.0%}", "≥ 70%"),
        ]
    rows += [
        (
            "ack latency p50 / p99 / max",
            f"{_ms(ours['p50'])} / {_ms(ours['p99'])} / {_ms(ours['max'])} " + _each_p99(ours),
            single("p99 ≤ 1000 ms"),
        ),
        ("projector final count after last ack", _ms(ours["projector_lag"]), single("≤ 500 ms")),
        (
            "progress updates to the projector, voting open → final count",
            "{} in {:.1f} s".format(*ours["projector_updates"]),
            "",
        ),
        (
            "every phone's final count after last ack",
            f"{_ms(ours['phones_final_lag'])} (missing {ours['phones_final_missing']})",
            "",
        ),
        (
            "voting-open state on every phone",
            f"{_ms(ours['voting_fanout'])} (missing {ours['voting_missing']})",
            "",
        ),
        (f"close with {ours['counted']} ballots (HTTP)", _ms(ours["close"]), ""),
        (
            "result on every phone after close",
            f"{_ms(ours['result_fanout'])} (missing {ours['result_missing']}, "
            f"disconnected {ours['dropped']})",
            "all",
        ),
    ]
    if "close_big" in ours:
        idle, idle_counted = ours["close_idle"]
        rows += [
            (
                f"close with {idle_counted} ballots (HTTP), before the phones connect",
                _ms(idle),
                "≤ 250 ms",
            ),
            (
                f"close with {ours['close_big_counted']} ballots (HTTP), phones connected",
                _ms(ours["close_big"]),
                "≤ 250 ms",
            ),
        ]
    rows += [
        (
            "server memory per phone",
            f"{ours['kib_per_phone']:.0f} KiB (RSS {ours['rss_after'] / 1024:.0f} MiB)",
            single("≤ 100 KB"),
        ),
        (
            "CPU during the burst: server / clients",
            f"{ours['cpu']:.1f} s ({ours['cpu'] / max(1, ours['ok']) * 1000:.2f} ms per ballot) / "
            f"{ours['client_cpu']:.1f} s",
            "",
        ),
    ]
    if echo is not None:
        rows.append(("echo server memory per phone", f"{echo['kib_per_phone']:.0f} KiB", ""))
        rows.append(
            (
                "echo CPU during the burst: server / clients",
                f"{echo['cpu']:.1f} s ({echo['cpu'] / max(1, echo['ok']) * 1000:.2f} ms per ack) / "
                f"{echo['client_cpu']:.1f} s",
                "",
            )
        )
    if "sockets" in ours:
        rows.append(("sockets held per worker", " / ".join(str(s) for s in ours["sockets"]), ""))
    rows.append(("machine", f"{os.cpu_count()} cores, load average {load_average()} at the end", ""))
    print_table(setup, rows)


def main() -> int:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument(
        "--close-ballots", type=int, default=5000, help="ballots in the separate close benchmark"
    )
    parser.add_argument(
        "--transport",
        choices=("websocket", "polling", "upgrade"),
        default="websocket",
        help="upgrade = polling first, then WebSocket (a browser's default)",
    )
    parser.add_argument(
        "--procs", type=int, default=1, help="client processes (the phones are split among them)"
    )
    parser.add_argument(
        "--client",
        choices=("wire", "socketio"),
        default="wire",
        help="the phones' client: bench/wire.py's lean WebSocket one, or python-socketio's AsyncClient"
        " (polling and upgrade always use python-socketio)",
    )
    parser.add_argument("--concurrency", type=int, default=100, help="connections opened at once")
    parser.add_argument(
        "--bursts", type=int, default=3, help="bursts per server (on items 1..N); the median one is shown"
    )
    parser.add_argument("--no-echo", action="store_true", help="skip the echo server run")
    parser.add_argument(
        "--no-group-commit", action="store_true", help="one commit per ballot (what grouping saves)"
    )
    parser.add_argument(
        "--cluster", action="store_true", help="two workers + Redis + PostgreSQL behind nginx"
    )
    parser.add_argument("--workers", type=int, default=2, help="workers in --cluster mode")
    parser.add_argument(
        "--state-interval", type=float, help="EVALMEET_STATE_INTERVAL for the workers (default: the app's)"
    )
    parser.add_argument("--progress-interval", type=float, help="EVALMEET_PROGRESS_INTERVAL for the workers")
    parser.add_argument(
        "--phone-progress-interval", type=float, help="EVALMEET_PHONE_PROGRESS_INTERVAL for the workers"
    )
    parser.add_argument("--workdir", help="keep files here (default: a temporary folder, removed)")
    parser.add_argument(
        "--py-spy", metavar="PATH", help="py-spy executable: profile the server(s) during the burst"
    )
    parser.add_argument(
        "--py-spy-blocking",
        action="store_true",
        help="let py-spy pause the server at each sample (exact stacks; --nonblocking ones can tear)",
    )
    args = parser.parse_args()
    limit = raise_fd_limit()
    if limit < args.phones + 512:
        print(
            f"warning: open-file limit is {limit}; raise it (ulimit -n) for {args.phones} phones",
            file=sys.stderr,
        )
    transports = {"websocket": ["websocket"], "polling": ["polling"], "upgrade": ["polling", "websocket"]}[
        args.transport
    ]
    keep = args.workdir is not None
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="evalmeet-bench-")
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    try:
        if args.cluster:
            ours = run_cluster(args, transports)
            setup = (
                f"{args.workers} workers + Redis + PostgreSQL behind nginx, "
                f"{args.phones} phones ({args.transport})"
            )
            report(args, ours, None, setup)
        else:
            echo = None if args.no_echo else run_echo(args, transports)
            echo_defaults = None if args.no_echo else run_echo(args, transports, defaults=True)
            ours = run_single(args, transports)
            report(
                args,
                ours,
                echo,
                f"one worker on SQLite, {args.phones} phones ({args.transport})",
                echo_defaults,
            )
    finally:
        if not keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
