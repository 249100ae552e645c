"""A production-shaped evalmeet for tests and benchmarks: N real workers, Redis, PostgreSQL, nginx.

Usage::

    with Cluster(tmp_path, database_url=postgres_schema_url(), workers=2) as cluster:
        cluster.url                      # nginx, the only address clients use
        cluster.servers[i]               # tests.server.LiveServer: .port, .kill(), .log()
        cluster.api("POST", "meetings", {...})          # through nginx, as the moderator
        cluster.worker_for({"User-Agent": "phone-7"})   # which worker port nginx routes those to

Every worker is ``evalmeet serve`` (tests/server.py) with the settings of docs/deployment.md:
the same secret key, ``EVALMEET_MESSAGE_QUEUE`` on Redis (on a channel of its own, so runs that
share a Redis do not hear each other), ``EVALMEET_BEHIND_PROXY=1``, ``EVALMEET_ENV=production``.
nginx is our own child process with a generated nginx.conf that includes the shipped
``deploy/nginx/evalmeet-maps.conf`` and ``evalmeet-locations.conf``, so the test exercises the
routing and proxy settings production uses. The generated server block adds one thing:
an ``X-Upstream`` response header on ``/socket.io/`` naming the worker that answered.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from tests.server import LiveServer, free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY_NGINX = REPO / "deploy" / "nginx"


def nginx_binary() -> str | None:
    """The nginx executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def redis_problem(url: str) -> str | None:
    """None when Redis answers PING at ``url``, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


NGINX_CONF = """\
{user}worker_processes {processes};
worker_rlimit_nofile {nofile};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections {connections};
}}

http {{
    {types}
    default_type application/octet-stream;
    log_format upstream '$remote_addr "$request" $status -> $upstream_addr';
    access_log {access_log};
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;

    include {deploy}/evalmeet-maps.conf;

    upstream evalmeet {{
        hash $evalmeet_route consistent;
{servers}
        keepalive 64;
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name _;
        set $evalmeet_root {root};
        # Test only: which worker answered (locations without add_header of their own inherit it).
        add_header X-Upstream $upstream_addr always;
        include {deploy}/evalmeet-locations.conf;
    }}
}}
"""


def _nofile(wanted: int) -> int:
    """nginx's file limit: what it needs, but no more than this process may grant (else it warns)."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return max(1024, wanted if hard == resource.RLIM_INFINITY else min(wanted, hard))


class Nginx:
    """nginx in the foreground as our own child, configured under ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        upstream_ports: list[int],
        *,
        processes: int = 1,
        connections: int = 4096,
        access_log: bool = True,
    ) -> None:
        binary = nginx_binary()
        assert binary is not None, "nginx is not installed"
        self.binary = binary
        self.prefix = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.prefix / "nginx.conf"
        self.proc: subprocess.Popen[bytes] | None = None
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        mime = Path("/etc/nginx/mime.types")
        types = (
            f"include {mime};"
            if mime.exists()
            else "types { text/css css; application/javascript js; image/svg+xml svg; image/png png; }"
        )
        servers = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstream_ports
        )
        self.conf.write_text(
            NGINX_CONF.format(
                # Workers of a root master switch to `user` (default nobody), who could not read
                # our temporary folders; as non-root the directive is meaningless (and warned about).
                user="user root;\n" if os.geteuid() == 0 else "",
                processes=processes,
                connections=connections,
                nofile=_nofile(connections * 2 + 64),
                prefix=self.prefix,
                types=types,
                access_log=f"{self.prefix}/access.log upstream" if access_log else "off",
                deploy=DEPLOY_NGINX,
                servers=servers,
                port=self.port,
                root=REPO,
            )
        )

    def start(self, timeout: float = 15.0) -> None:
        """Check the configuration, start, and wait until it answers."""
        base = [self.binary, "-p", str(self.prefix), "-c", str(self.conf)]
        check = subprocess.run([*base, "-t"], capture_output=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr.decode(errors='replace')}")
        log = (self.prefix / "nginx.out").open("ab")
        try:
            self.proc = subprocess.Popen(
                [*base, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                requests.get(self.url + "/static/js/phone.js", timeout=2)
                return
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not answer within {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        """Stop nginx and its workers (the whole process group)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log(self) -> str:
        """nginx's error log and console output (for assertion messages)."""
        parts = []
        for name in ("nginx.out", "error.log"):
            with contextlib.suppress(FileNotFoundError):
                parts.append((self.prefix / name).read_text(errors="replace")[-5000:])
        return "\n".join(parts)


class Cluster:
    """``workers`` evalmeet processes sharing one database and one Redis channel, behind nginx."""

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str,
        redis_url: str,
        workers: int = 2,
        env: Mapping[str, str] | None = None,
        nginx_connections: int = 4096,
        nginx_processes: int = 1,
        access_log: bool = True,
    ) -> None:
        self.workdir = Path(workdir)
        self.database_url = database_url
        self.channel = f"evalmeet-test-{uuid.uuid4().hex[:12]}"
        shared = {
            "EVALMEET_ENV": "production",
            "EVALMEET_DATABASE_URL": database_url,
            "EVALMEET_MESSAGE_QUEUE": redis_url,
            "EVALMEET_MESSAGE_QUEUE_CHANNEL": self.channel,
            "EVALMEET_SECRET_KEY": "cluster-secret-" + uuid.uuid4().hex,
            "EVALMEET_BEHIND_PROXY": "1",
            **(env or {}),
        }
        self.servers = [LiveServer(self.workdir / f"worker{n}", shared) for n in range(workers)]
        self.nginx = Nginx(
            self.workdir / "nginx",
            [s.port for s in self.servers],
            processes=nginx_processes,
            connections=nginx_connections,
            access_log=access_log,
        )
        self.url = self.nginx.url
        for server in self.servers:
            server.env["EVALMEET_PUBLIC_URL"] = self.url
        self.session = requests.Session()
        self.token = ""

    def start(self) -> None:
        """Migrate and make the moderator once, start every worker, then nginx."""
        first = self.servers[0]
        first.bootstrap()
        self.token = first.token
        for server in self.servers:
            server.token = self.token
            server.start(wait=False)
        for server in self.servers:
            server.wait_ready()
        self.nginx.start()

    def stop(self) -> None:
        """Stop nginx and every worker; never raises (it runs after failures too)."""
        with contextlib.suppress(Exception):
            self.nginx.stop()
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
            with contextlib.suppress(Exception):
                server.kill()
            server.session.close()
        self.session.close()

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def api(self, method: str, path: str, json: Any = None, **kw: Any) -> requests.Response:
        """Call the HTTP API through nginx as the moderator; ``path`` may omit ``/api/v1``."""
        if not path.startswith("/"):
            path = "/api/v1/" + path
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.session.request(method, self.url + path, json=json, headers=headers, timeout=30, **kw)

    def worker_for(self, headers: Mapping[str, str], query: str = "") -> int:
        """The port of the worker nginx routes a client with these headers (and query) to.

        Asks with an Engine.IO handshake, the first request every Socket.IO client makes (the
        probe's session simply expires on the worker).
        """
        url = f"{self.url}/socket.io/?EIO=4&transport=polling{'&' + query if query else ''}"
        answer = requests.get(url, headers=dict(headers), timeout=10)
        assert answer.status_code == 200, answer.text
        upstream = answer.headers.get("X-Upstream", "")
        # After a failed try nginx lists every worker it tried ("a:1, b:2"): the last one answered.
        return int(upstream.split(",")[-1].strip().rsplit(":", 1)[1])

    def logs(self) -> str:
        """Every worker's and nginx's recent output (for assertion messages)."""
        parts = [f"--- worker {s.port} ---\n{s.log()[-4000:]}" for s in self.servers]
        parts.append(f"--- nginx ---\n{self.nginx.log()}")
        return "\n".join(parts)
