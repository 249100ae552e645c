"""evalmeet: live democratic evaluation meetings. ``create_app`` builds the Flask app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported inside create_app: `evalmeet serve` must monkey-patch first
    from flask import Flask

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """``templates``/``static`` inside the installed wheel, else at the source checkout's top."""
    packaged = PACKAGE_DIR / name
    if packaged.is_dir():
        return str(packaged)
    return str(PACKAGE_DIR.parent / name)


def _install_clock(start: Any) -> None:
    """``NOW`` set (``EVALMEET_NOW``): the process's clock starts at that instant and runs on."""
    if not start:
        return  # keep whatever clock is in place (the machine's, or one a test pinned)
    from datetime import datetime

    from evalmeet.domain import clock

    try:
        instant = start if isinstance(start, datetime) else clock.parse_instant(str(start))
        clock.set_clock(clock.OffsetClock(instant))
    except ValueError as exc:
        raise ValueError(f"EVALMEET_NOW: {exc}") from None


def create_app(config: dict[str, Any] | None = None, *, web: bool = True) -> Flask:
    """Build the app: config, extensions, blueprints, the live namespace, the CLI.

    ``web=False``: the config, the clock and the database only, for a command that serves no
    page and sends no mail (it starts in about half the time: no pages, forms or live channel)."""
    from flask import Flask

    from evalmeet.config import load_config

    cfg = load_config(config)
    app = Flask(
        __name__,
        instance_path=cfg["INSTANCE_PATH"],
        template_folder=_asset_dir("templates"),
        static_folder=_asset_dir("static"),
    )
    app.config.update(cfg)
    _install_clock(cfg.get("NOW"))

    from evalmeet.services.accounts import users

    # Every app sets it, so an app built after a test app hashes at full strength again.
    users.use_fast_hashes(cfg.get("FAST_PASSWORD_HASHES") is True)

    from evalmeet.extensions import db

    db.init_app(app)
    if not web:
        return app

    from evalmeet.web import init_web

    init_web(app)

    from evalmeet.realtime import init_realtime

    init_realtime(app)
    return app
