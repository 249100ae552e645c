"""Configuration: named config classes, overridden by ``EVALMEET_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from evalmeet import private_files

ENV_PREFIX = "EVALMEET_"
# EVALMEET_* variables that are not config keys (read elsewhere, or set by `evalmeet serve`).
# FAST_PASSWORD_HASHES comes from the config class alone: no environment can weaken the hashes.
NOT_FROM_ENV = frozenset(
    {
        "ENV",
        "INSTANCE_PATH",
        "REQUIRE_SERVICES",
        "TEST_POSTGRES_URL",
        "SERVE_HOST",
        "SERVE_PORT",
        "FAST_PASSWORD_HASHES",
        "JOBS_IN_WORKERS",
    }
)


def instance_dir() -> Path:
    """The instance folder: database file, generated secret key, uploads (owner only: 0700)."""
    path = Path(os.environ.get("EVALMEET_INSTANCE_PATH", Path.cwd() / "instance")).resolve()
    return private_files.private_dir(path)


def _persistent_secret_key(folder: Path) -> str:
    """Generate the secret key once and keep it, so sessions survive restarts."""
    key_file = folder / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    """Defaults shared by every environment."""

    TESTING = False
    DATABASE_URL: str | None = None
    SECRET_KEY: str | None = None
    MESSAGE_QUEUE: str | None = None
    # SQLite lock waits (db.py): SQLite's own wait inside C, which stops the event loop, is kept a
    # few milliseconds; a transaction then waits cooperatively up to SQLITE_LOCK_WAIT_MS for
    # another process's write lock before the request answers 503 temporarily_unavailable.
    SQLITE_BUSY_TIMEOUT_MS = 10
    SQLITE_LOCK_WAIT_MS = 2000
    # Redis channel of the message queue: one per installation when several share a Redis.
    MESSAGE_QUEUE_CHANNEL = "evalmeet"
    # Behind a reverse proxy (nginx): trust one hop of X-Forwarded-For/-Proto/-Host. A bool here
    # so that EVALMEET_BEHIND_PROXY=0 means off (env values are coerced to the default's type).
    BEHIND_PROXY = False
    # Commit the ballots that arrive together in one transaction (realtime/group_commit.py).
    # Off only to measure what it saves (bench/vote_load.py --no-group-commit).
    VOTE_GROUP_COMMIT = True
    # The public base URL used in join links and QR codes (e.g. https://vote.example.com).
    PUBLIC_URL: str | None = None
    # Set by `evalmeet serve` (not from the environment): the address and port it listens on,
    # so join links can use an address phones reach (web/reach.py).
    SERVE_HOST: str | None = None
    SERVE_PORT: int | None = None
    # Origins allowed to open the live channel besides the app's own host.
    CORS_ORIGINS: str = ""
    # Items above this amount (yuan) that were not tendered get a risk flag.
    RISK_TENDER_THRESHOLD = "200000"
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    LANGUAGES = ("zh", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Heavy work (minutes, exports) in worker processes (evalmeet/jobs/): how many `evalmeet
    # serve` starts (0: none, the work runs in the request), how long a request waits for one,
    # and the Redis the queue lives in (default: the message queue's Redis, else SQLite in the
    # instance folder).
    JOBS_WORKERS = 1
    JOBS_TIMEOUT_S = 300
    # A browser that navigated to a download waits this long before it is shown the progress page.
    JOBS_BROWSER_PATIENCE_S = 1.5
    JOBS_REDIS_URL: str | None = None
    # Socket.IO timings: phones on bad Wi-Fi.
    PING_INTERVAL = 20
    PING_TIMEOUT = 20
    # Minimum seconds between two progress broadcasts for one item.
    PROGRESS_INTERVAL = 0.25
    # The same for phones; None means PROGRESS_INTERVAL. Production sends phones less often: every
    # emit is one message per phone on every worker (docs/performance.md).
    PHONE_PROGRESS_INTERVAL: float | None = None
    # ... and at most this many progress messages a second to one meeting's phones on one worker:
    # a big room hears less often (realtime/broadcast.phone_interval). 0: no budget.
    PHONE_PROGRESS_BUDGET = 2000
    JSON_AS_ASCII = False
    # Testing and demos only: an ISO 8601 instant the app's clock starts at (then runs on), so a
    # test and the real server it starts agree on "today". Unset: the machine's clock.
    NOW: str | None = None
    # Argon2 at its lowest cost (services/accounts/users.py): TestingConfig only, never from the
    # environment (NOT_FROM_ENV); every other config hashes at full strength.
    FAST_PASSWORD_HASHES = False
    # A login session unused this long ends by itself (web/auth.py).
    LOGIN_SESSION_IDLE_DAYS = 30
    # Guessing limits (web/guessing.py), in the `limits` notation: failed log-ins per address and
    # user name, and per address; invalid join/display links per address answered at once.
    LOGIN_FAILURE_LIMIT = "5 per 5 minutes"
    LOGIN_ADDRESS_FAILURE_LIMIT = "30 per 5 minutes"
    LINK_MISS_LIMIT = "20 per 5 minutes"
    # Past that, an invalid link is answered this many seconds late, with at most this many
    # answers waiting per address and in the whole process (the rest are refused at once).
    LINK_MISS_DELAY = 2.0
    LINK_MISS_WAITING_PER_ADDRESS = 5
    LINK_MISS_WAITING = 200
    # An appeal (申诉) against a sanction is due within this many China days of the later of the
    # meeting's end and the action's creation (services/followup/appeals.py).
    APPEAL_DAYS = 15
    # Reminders of follow-up actions (evalmeet/reminding.py): `evalmeet remind`, and `serve` daily
    # at 08:00 China time when a channel is set. Due within REMIND_DAYS China days, or overdue.
    SMTP_URL: str | None = None  # smtp://host:port (plain) or smtps://host:port (TLS)
    MAIL_FROM = "evalmeet@localhost"
    WEBHOOK_URL: str | None = None  # a 企业微信 / 钉钉 group robot's URL
    REMIND_DAYS = 3
    # `serve`: after a run in which a channel failed, try the failed ones again this much later.
    REMIND_RETRY_SECONDS = 600
    # How long one SMTP step or webhook request may take before it counts as failed.
    REMIND_TIMEOUT_SECONDS = 10.0
    # Rows on a page of a paged list (the meetings, the public list) when the request names no
    # ``limit``: the API's GET /meetings and the /meetings and /public pages (web/paging.py).
    PAGE_SIZE = 100
    # Rows the items and actions exports read from the database at a time (services/files/
    # exports.py): the file is written batch by batch, never held whole.
    EXPORT_BATCH_ROWS = 500


class DevelopmentConfig(Config):
    """``make run`` on a laptop."""


class TestingConfig(Config):
    """pytest: the test fixtures set DATABASE_URL."""

    TESTING = True
    PROGRESS_INTERVAL = 0.0
    PHONE_PROGRESS_BUDGET = 0  # every progress at once, whatever the room (tests count them)
    # An account fixture would otherwise spend a fifth of a second in Argon2 per hash and login.
    FAST_PASSWORD_HASHES = True


class ProductionConfig(Config):
    """Behind nginx with HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # 5 s: what 5,000 phones on two workers of a 2-core machine sustain through a vote; the
    # projector keeps PROGRESS_INTERVAL (docs/performance.md).
    PHONE_PROGRESS_INTERVAL = 5.0


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _coerce(value: str, current: Any) -> Any:
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    return value


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the config mapping: class defaults, then ``EVALMEET_*`` env, then overrides."""
    name = os.environ.get("EVALMEET_ENV", "development")
    cls = CONFIGS.get(name, DevelopmentConfig)
    cfg: dict[str, Any] = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    for key, value in os.environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :]
            if name in NOT_FROM_ENV:
                continue
            cfg[name] = _coerce(value, cfg.get(name))
    if overrides:
        cfg.update(overrides)
    folder = Path(cfg.get("INSTANCE_PATH") or instance_dir())
    # It holds the secret key, maybe the database, evidence and staged imports: owner only, and
    # whatever an older version left readable to others is tightened (private_files.py).
    private_files.private_dir(folder)
    private_files.tighten_tree(folder)
    cfg["INSTANCE_PATH"] = str(folder)
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{folder / 'evalmeet.db'}"
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _persistent_secret_key(folder)
    return cfg
