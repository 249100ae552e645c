"""Scale-out for real: two ``evalmeet serve`` workers on PostgreSQL and Redis, behind nginx.

The deployment of docs/deployment.md in miniature (tests/e2e/cluster.py): phones are
python-socketio clients that only ever talk to nginx, some over WebSocket and some over
long-polling (which needs nginx's sticky routing: every request of a session on one worker).
We pick each phone's User-Agent (or ``?lb=`` routing key) so that half of them land on each
worker, and check it with the ``X-Upstream`` header nginx adds in the test.

1. A vote across both workers: every phone, wherever it is connected, gets the ``state`` that
   opens voting, the final ``progress`` count, and the ``result``; every ballot is counted.
2. A worker is SIGKILLed in the middle of a vote: its phones (and only those) lose their
   connection and come back through nginx to the surviving worker; no ballot acked before the
   kill is lost; a phone resending its acked ballot (same key) gets the same receipt and is
   counted once; everyone still gets the final count and the result.

Needs nginx, Redis and PostgreSQL: skipped locally without them, failed in CI
(``EVALMEET_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.conftest import REDIS_URL, drop_postgres_schema, postgres_schema_url, require_service
from tests.e2e.cluster import Cluster, nginx_binary, redis_problem
from tests.over_api import closed_afterwards, started_meeting

pytestmark = [pytest.mark.server, pytest.mark.postgres]

NAMESPACE = "/live"
PHONES_PER_WORKER = 10
WAIT = 15.0  # seconds before a wait is called a failure


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll ``predicate`` until it holds; fail naming ``what`` when it does not in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def user_agent(name: str) -> str:
    """The User-Agent of the phone called ``name`` (nginx routes on it when there is no ?lb=)."""
    return f"Mozilla/5.0 (Linux; Android 12; {name}) evalmeet-e2e"


class Phone:
    """A live-channel client that only talks to nginx, routed by its User-Agent or ``?lb=``."""

    def __init__(self, name: str, url: str, auth: dict[str, Any], transport: str, query: str = "") -> None:
        self.name = name
        self.user_agent = user_agent(name)
        self.query = query
        self.url = url + (f"/?{query}" if query else "")
        self.auth = auth
        self.transport = transport
        # Every long-polling request must carry the same User-Agent (nginx hashes on it): the
        # client's HTTP session sends it on all of them, the connect headers only on the first.
        self.http = requests.Session()
        self.http.headers["User-Agent"] = self.user_agent
        self.client = socketio.Client(
            http_session=self.http,
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=1.0,
            randomization_factor=0.0,
        )
        self.lock = threading.Lock()
        self.events: list[tuple[str, Any]] = []
        self.connects = 0
        self.disconnects = 0
        self.connected = False
        for event in ("state", "progress", "result"):
            self.client.on(event, self._recorder(event), namespace=NAMESPACE)
        self.client.on("connect", self._on_connect, namespace=NAMESPACE)
        self.client.on("disconnect", self._on_disconnect, namespace=NAMESPACE)

    def _recorder(self, event: str) -> Callable[[Any], None]:
        def record(payload: Any) -> None:
            with self.lock:
                self.events.append((event, payload))

        return record

    def _on_connect(self) -> None:
        with self.lock:
            self.connects += 1
            self.connected = True

    def _on_disconnect(self, *_reason: Any) -> None:
        with self.lock:
            self.disconnects += 1
            self.connected = False

    def connect(self) -> None:
        """Open the live channel through nginx."""
        self.client.connect(
            self.url,
            namespaces=[NAMESPACE],
            auth=self.auth,
            transports=[self.transport],
            headers={"User-Agent": self.user_agent},
            wait_timeout=10,
        )
        wait_until(lambda: self.connected, f"{self.name} to connect")

    def received(self, event: str) -> list[Any]:
        """Payloads of ``event`` received so far."""
        with self.lock:
            return [payload for name, payload in self.events if name == event]

    def saw_voting(self, item_id: int) -> bool:
        """Whether a ``state`` opening voting on ``item_id`` arrived."""
        return any(
            s.get("phase") == "voting" and (s.get("voting") or {}).get("item_id") == item_id
            for s in self.received("state")
        )

    def saw_progress(self, item_id: int, ballots: int) -> bool:
        """Whether a ``progress`` with ``ballots`` for ``item_id`` arrived."""
        return any(p["item_id"] == item_id and p["ballots"] == ballots for p in self.received("progress"))

    def result_for(self, item_id: int) -> dict[str, Any] | None:
        """The ``result`` received for ``item_id``, if any."""
        results = [r for r in self.received("result") if r["item_id"] == item_id]
        return results[-1] if results else None

    def cast(self, item_id: int, key: str, choice: str = "satisfied") -> dict[str, Any]:
        """Send ``cast_vote`` and return the ack."""
        answer = self.client.call(
            "cast_vote", {"item_id": item_id, "choice": choice, "key": key}, namespace=NAMESPACE, timeout=10
        )
        assert isinstance(answer, dict), answer
        return answer

    def close(self) -> None:
        """Disconnect for good (no reconnection)."""
        try:
            self.client.disconnect()
        finally:
            self.http.close()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Two workers on a fresh PostgreSQL schema and a Redis channel of their own, behind nginx."""
    if nginx_binary() is None:
        require_service("nginx", "no nginx executable (apt-get install nginx)")
    problem = redis_problem(REDIS_URL)
    if problem:
        require_service("Redis", problem)
    database_url = postgres_schema_url()
    try:
        with Cluster(tmp_path / "cluster", database_url=database_url, redis_url=REDIS_URL, workers=2) as made:
            yield made
    finally:
        drop_postgres_schema(database_url)


@pytest.fixture
def phones() -> Iterator[list[Phone]]:
    """Every phone the test makes, closed afterwards whatever happened."""
    yield from closed_afterwards()


def route_key(cluster: Cluster, port: int, counter: Iterator[int], *, by_query: bool) -> tuple[str, str]:
    """A phone name (its User-Agent) and ``?lb=`` query that nginx routes to the worker ``port``."""
    for n in counter:
        name = f"phone-{n}"
        query = f"lb={uuid.uuid4().hex}" if by_query else ""
        if cluster.worker_for({"User-Agent": user_agent(name)}, query) == port:
            return name, query
    raise AssertionError("unreachable")


# --- the test ------------------------------------------------------------------------------------


def test_two_workers_behind_nginx_share_broadcasts_and_survive_a_killed_worker(
    cluster: Cluster, phones: list[Phone]
) -> None:
    started = time.monotonic()
    doomed, survivor = cluster.servers
    total = 2 * PHONES_PER_WORKER

    meeting, reps, made = started_meeting(
        cluster,
        {"title": "职工代表大会 scale-out"},
        [{"name": f"代表{n:02d}", "employee_no": f"S{n:04d}"} for n in range(total)],
        [{"title": t, "responsible_person": {"name": "王采购"}} for t in ("焦炭采购", "耐火材料采购")],
    )
    meeting_id, items = meeting["id"], [item["id"] for item in made]

    # Half the phones on each worker: WebSocket and long-polling on both, and on each worker
    # one long-polling phone routed by ?lb= instead of its User-Agent.
    counter = itertools.count()
    on_worker: dict[int, list[Phone]] = {doomed.port: [], survivor.port: []}
    tokens = iter(reps)
    for port, group in on_worker.items():
        for n in range(PHONES_PER_WORKER):
            transport = "websocket" if n % 2 == 0 else "polling"
            name, query = route_key(cluster, port, counter, by_query=(n == 1))
            phone = Phone(name, cluster.url, {"token": next(tokens)["join_token"]}, transport, query)
            phones.append(phone)
            group.append(phone)
    # A moderator's screen on each worker too (it gets the same progress and result).
    for port in on_worker:
        name, _ = route_key(cluster, port, counter, by_query=False)
        screen = Phone(name, cluster.url, {"api_token": cluster.token, "meeting_id": meeting_id}, "polling")
        phones.append(screen)
        on_worker[port].append(screen)
    for phone in phones:
        phone.connect()
    for port, group in on_worker.items():
        for phone in group:
            assert cluster.worker_for({"User-Agent": phone.user_agent}, phone.query) == port
    handsets = [p for p in phones if "token" in p.auth]

    # --- 1. one vote across both workers ---------------------------------------------------------
    first = items[0]
    opened = cluster.api("POST", f"items/{first}/voting/open")
    assert opened.status_code == 200, opened.text
    wait_until(lambda: all(p.saw_voting(first) for p in phones), "every screen to see voting open")
    receipts = {}
    choices = ["dissatisfied" if n % 3 == 0 else "satisfied" for n in range(total)]
    for phone, choice in zip(handsets, choices, strict=True):
        ack = phone.cast(first, uuid.uuid4().hex, choice)
        assert ack.get("ok") is True, (phone.name, ack)
        receipts[phone.name] = ack["receipt"]
    wait_until(
        lambda: all(p.saw_progress(first, total) for p in phones),
        f"every screen on both workers to get progress {total}",
    )
    closed = cluster.api("POST", f"items/{first}/voting/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["ballots"] == total
    assert sum(closed.json()["counts"].values()) == total
    assert closed.json()["counts"]["dissatisfied"] == choices.count("dissatisfied")
    wait_until(
        lambda: all(p.result_for(first) for p in phones), "every screen on both workers to get the result"
    )
    assert all(p.result_for(first) == closed.json() for p in phones)
    listed = cluster.api("GET", f"items/{first}/receipts").json()["receipts"]
    assert listed == sorted(receipts.values())

    # --- 2. a worker dies in the middle of a vote ------------------------------------------------
    second = items[1]
    assert cluster.api("POST", f"items/{second}/voting/open").status_code == 200
    wait_until(lambda: all(p.saw_voting(second) for p in phones), "every screen to see the second vote open")
    keys = {p.name: uuid.uuid4().hex for p in handsets}
    acked_before: dict[str, str] = {}
    early = [p for group in on_worker.values() for p in group if "token" in p.auth][::2]
    for phone in early:  # half the phones on each worker vote before the crash
        ack = phone.cast(second, keys[phone.name])
        assert ack.get("ok") is True, (phone.name, ack)
        acked_before[phone.name] = ack["receipt"]

    doomed.kill()
    doomed_phones, surviving_phones = on_worker[doomed.port], on_worker[survivor.port]
    wait_until(
        lambda: all(p.disconnects >= 1 and p.connected for p in doomed_phones),
        "the killed worker's phones to reconnect through nginx",
    )
    assert all(p.disconnects == 0 for p in surviving_phones), "phones on the surviving worker were dropped"
    for phone in doomed_phones:  # routed to the survivor now, by the same nginx
        assert cluster.worker_for({"User-Agent": phone.user_agent}, phone.query) == survivor.port

    receipts = {}
    for phone in handsets:
        # Phones that were acked before the crash resend the same ballot, as phone.js does after
        # reconnecting when it did not see the ack; the others vote now.
        ack = phone.cast(second, keys[phone.name])
        assert ack.get("ok") is True, (phone.name, ack)
        if phone.name in acked_before:
            assert ack["receipt"] == acked_before[phone.name], "a resent ballot got a new receipt"
        receipts[phone.name] = ack["receipt"]
    other_key = doomed_phones[0].cast(second, uuid.uuid4().hex)
    assert other_key.get("ok") is False and other_key["error"]["code"] == "already_voted", other_key

    wait_until(
        lambda: all(p.saw_progress(second, total) for p in phones),
        f"every screen to get progress {total} after the crash",
    )
    closed = cluster.api("POST", f"items/{second}/voting/close")
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert result["ballots"] == total, f"{result['ballots']} ballots counted, {total} acked"
    assert result["counts"]["satisfied"] == total
    wait_until(lambda: all(p.result_for(second) == result for p in phones), "every screen to get the result")
    listed = cluster.api("GET", f"items/{second}/receipts").json()["receipts"]
    assert listed == sorted(receipts.values())
    assert set(acked_before.values()) <= set(listed), "a ballot acked before the crash was lost"
    assert survivor.running, cluster.logs()
    assert time.monotonic() - started < 80, "the scale-out test is getting slow"


def test_minutes_exports_and_static_files_through_nginx(cluster: Cluster) -> None:
    """The cluster's job path: each server started a worker on the Redis queue; downloads through
    nginx come back whichever worker made them (the file comes back through Redis, in pieces). Static
    files: nginx sends the precompressed copy with a year's immutable caching."""
    from tests.e2e.test_minutes_live import pdf_text
    from tests.server import BIN
    from tests.static_names import static

    cluster.servers[0]._run([str(BIN / "evalmeet"), "demo"])
    meetings = cluster.api("GET", "meetings").json()
    closed = next(m for m in meetings if m["status"] == "closed")
    for _ in range(4):  # more than one, so both servers' workers take some
        pdf = cluster.api("GET", f"meetings/{closed['id']}/minutes.pdf")
        assert pdf.status_code == 200 and "会议纪要" in pdf_text(pdf.content)
    table = cluster.api("GET", "exports/actions.csv")
    assert table.status_code == 200 and table.content.startswith(b"\xef\xbb\xbf")
    draft = next(m for m in meetings if m["status"] == "draft")
    refused = cluster.api("GET", f"meetings/{draft['id']}/minutes.xlsx")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "meeting_draft"
    logs = cluster.logs()
    assert logs.count("minutes and exports are made by 1 worker process") == 2, logs[-2000:]
    assert "Redis" in logs and "Traceback" not in logs

    css = requests.get(cluster.url + static("css/app.css"), headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "gzip"
    assert "immutable" in css.headers["Cache-Control"] and "max-age=31536000" in css.headers["Cache-Control"]
