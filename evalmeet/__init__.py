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


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, the live namespace, the CLI."""
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

    from evalmeet.extensions import db

    db.init_app(app)

    from evalmeet.web import init_web

    init_web(app)

    from evalmeet.realtime import init_realtime

    init_realtime(app)
    return app
