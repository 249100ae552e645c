"""How long `evalmeet serve` takes to answer, and a database-only command to finish.

    .venv/bin/python bench/startup.py [--starts 5] [--commands 5]

On a SQLite file under a temporary folder: the schema, a moderator and a token are made once
with the CLI (``evalmeet db upgrade``, ``create-user``, ``create-token``). Then ``--starts``
times: start ``evalmeet serve`` (with its job worker, as deployed) and wait for the Engine.IO
handshake to answer, then stop it. Then ``--commands`` times ``evalmeet create-token``. Prints
the median and the slowest wall time of each, and the CPU the child processes used (the
server's with its stop, its worker's and the commands', from ``getrusage``), with the load
average: on the 2-core reference machine another busy process doubles these figures.

Every real-server test pays one start (and PostgreSQL tests a bootstrap) and every CLI test a
command, so these figures are most of what the suite's real-server half costs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_average  # noqa: E402
from tests.server import MODERATOR, LiveServer  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, runs: int, once: Callable[[], None], after: Callable[[], None] = lambda: None) -> None:
    """Run ``once`` ``runs`` times, timing it (not ``after``, run after each: a stop)."""
    walls = []
    cpu_before = children_cpu()
    for _ in range(runs):
        began = time.monotonic()
        once()
        walls.append(time.monotonic() - began)
        after()
    cpu = (children_cpu() - cpu_before) / runs
    print(
        f"{label}: median {statistics.median(walls):.2f} s, slowest {max(walls):.2f} s,"
        f" {cpu:.2f} s of CPU each ({runs} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--commands", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="evalmeet-startup-") as folder:
        server = LiveServer(Path(folder) / "server")
        began = time.monotonic()
        server.bootstrap_with_cli()
        print(f"bootstrap with three commands: {time.monotonic() - began:.2f} s")

        timed("evalmeet serve until it answers", args.starts, server.start, after=server.stop)

        def command() -> None:
            server.cli("create-token", MODERATOR)

        timed("evalmeet create-token", args.commands, command)
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
