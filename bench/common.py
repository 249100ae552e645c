"""Shared pieces of the benchmarks: limits, process memory, seeding, statistics, tables.

The benchmarks reuse the test harness that starts the real server (``tests/server.py``) and the
production-shaped cluster (``tests/e2e/cluster.py``), so they run exactly what the tests run.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalmeet.schemas.base import parse
from evalmeet.schemas.meetings import MeetingCreate

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/x.py` puts bench/ first on the path, not the repo
    sys.path.insert(0, str(REPO))

POSTGRES_URL = os.environ.get(
    "EVALMEET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("EVALMEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise this process's open-file limit as far as allowed; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(hard, target)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (``VmRSS`` from /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    return f"{os.getloadavg()[0]:.2f}"


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def wait_for(predicate: Any, what: str, timeout: float, interval: float = 0.02) -> float:
    """Poll until ``predicate()`` is true; returns the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")


# --- seeding (in-process, through the services: setup is not what we measure) ------------------


CHOICES = ("satisfied", "basically_satisfied", "dissatisfied")  # the default scale's, in order


@contextmanager
def bench_app(database_url: str, instance: Path) -> Iterator[Any]:
    """The app on ``database_url`` and its session, for seeding in-process; afterwards the
    session is removed and the engine's connections closed (the server is to open the file)."""
    from evalmeet import create_app
    from evalmeet.extensions import db

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            db.engine.dispose()


@dataclass
class Seeded:
    """What the benchmark needs to know about a seeded meeting."""

    meeting_id: int
    display_token: str
    tokens: list[str]
    item_ids: list[int]
    ballots: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def seed_meeting(
    database_url: str, instance: Path, reps: int, *, items: int = 1, cast: int = 0, title: str = "bench"
) -> Seeded:
    """A live meeting with ``reps`` representatives and ``items`` items, made with the services.

    With ``cast``, voting is opened on the first item and the first ``cast`` representatives
    are checked in and vote (for the close benchmark).
    """
    from evalmeet.services.meetings import conduct
    from evalmeet.services.meetings import meeting as meetings
    from evalmeet.services.voting import ballots as voting
    from evalmeet.services.voting import round as rounds
    from tests.factories import add_item, add_person, cast_together

    with bench_app(database_url, instance) as session:
        meeting = meetings.create_meeting(session, parse(MeetingCreate, {"title": title}), "bench").value
        people = [
            add_person(session, meeting.id, {"name": f"代表{n:05d}", "employee_no": f"B{n:06d}"}, "bench")
            for n in range(reps)
        ]
        made = [
            add_item(
                session,
                meeting.id,
                {"title": f"采购项目 {n + 1}", "responsible_person": {"name": "王采购"}, "amount": "350000"},
                "bench",
            )
            for n in range(items)
        ]
        conduct.start_meeting(session, meeting.id, "bench")
        if cast:
            for rep in people[:cast]:
                conduct.check_in(session, rep, "bench")
            rounds.open_voting(session, made[0].id, "bench")
            outcomes = cast_together(
                session, made[0].id, people[:cast], (CHOICES[n % 3] for n in range(cast))
            )
            assert all(isinstance(o, voting.CastOutcome) and o.counted for o in outcomes)
        session.commit()
        return Seeded(
            meeting.id, meeting.display_token, [r.join_token for r in people], [i.id for i in made], cast
        )


# --- PostgreSQL schema of our own ---------------------------------------------------------------


def new_postgres_schema() -> str:
    """A URL whose connections use a fresh schema (the tests' helper; drop it with
    :func:`drop_postgres_schema`)."""
    from tests.conftest import postgres_schema_url

    return postgres_schema_url()


def drop_postgres_schema(url: str) -> None:
    """Drop the schema :func:`new_postgres_schema` made."""
    from tests.conftest import drop_postgres_schema as drop

    drop(url)


# --- output --------------------------------------------------------------------------------------


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    """A Markdown table of (measure, value, target) rows, ready to paste into docs/performance.md."""
    width = [max(len(r[i]) for r in [("measure", "value", "target"), *rows]) for i in range(3)]
    print(f"\n### {title}\n")
    print("| " + " | ".join(h.ljust(width[i]) for i, h in enumerate(("measure", "value", "target"))) + " |")
    print("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for row in rows:
        print("| " + " | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) + " |")
    sys.stdout.flush()
