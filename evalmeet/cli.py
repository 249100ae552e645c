"""The ``evalmeet`` command: serve, accounts and tokens, demo data, migrations, audit, backups.

The account commands live in ``evalmeet/cli_accounts.py``; this module holds the rest and the
helpers both use.

Every command builds the app with ``create_app()``, so configuration comes from ``EVALMEET_*``
environment variables (``EVALMEET_DATABASE_URL``, ``EVALMEET_INSTANCE_PATH``, ...). User errors
(a taken user name, a short password, a broken audit chain, an unreachable database) print one
line on stderr and exit with a non-zero status, never a traceback.

``evalmeet serve`` monkey-patches the standard library for gevent before anything else is
imported, which is why this module imports nothing heavy at the top: Flask, SQLAlchemy and the
app are imported inside the commands.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


class CliError(Exception):
    """A refusal to report on stderr with ``exit_code``; no traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# --- helpers ----------------------------------------------------------------------------------


# A command (demo, ensure-admin, backup, ...) may run beside a serving process on the same SQLite
# file; unlike the server it has no loop to keep responsive, so it waits as long as a long write
# (the demo's) can take, instead of the server's 2 s. `EVALMEET_SQLITE_LOCK_WAIT_MS` still wins.
CLI_LOCK_WAIT_MS = 60_000


def _app(*, serving: bool = False, web: bool = False) -> Flask:
    """The app of a command: the database only (``web``: with pages and mail, as ``serving``)."""
    import os

    from evalmeet import create_app

    if serving:
        return create_app()  # the collector is switched on by heap.settle (cmd_serve)
    if "EVALMEET_SQLITE_LOCK_WAIT_MS" in os.environ:
        app = create_app(web=web)
    else:
        app = create_app({"SQLITE_LOCK_WAIT_MS": CLI_LOCK_WAIT_MS}, web=web)
    gc.enable()  # off while the app was built (main)
    return app


@contextmanager
def _session(app: Flask) -> Iterator[Session]:
    """A session in an app context, committed when the block succeeds, rolled back otherwise."""
    from evalmeet.extensions import db

    with app.app_context():
        try:
            yield db.session
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _out(line: str) -> None:
    print(line, flush=True)


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _read_password(confirm: bool) -> str:
    """One line from stdin when it is not a terminal; else a hidden prompt (twice to confirm)."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CliError("no password on stdin (pipe one line, or run in a terminal to be prompted)")
        return line.rstrip("\r\n")
    import getpass

    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise CliError("the passwords do not match")
    return password


def _upgrade_database(app: Flask, revision: str = "head") -> str:
    """Run the migrations up to ``revision``; returns the revision reached."""
    from evalmeet.migrations import SchemaMismatch, current_revision, upgrade

    url = app.config["DATABASE_URL"]
    try:
        upgrade(url, revision)
    except SchemaMismatch as exc:
        raise CliError(str(exc)) from None
    return current_revision(url) or "base"


def _monkey_patch() -> None:
    """gevent first, before Flask, SQLAlchemy, ssl or sockets are imported (``serve`` only)."""
    from gevent import monkey

    monkey.patch_all()


# --- commands ---------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Upgrade the database, then serve HTTP and Socket.IO with gevent until stopped."""
    import logging
    import signal

    import gevent

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # No access log (gevent-websocket's handler logs every request at INFO): request times and
    # addresses next to the vote path are metadata nobody needs. Errors are still logged.
    logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
    log = logging.getLogger("evalmeet.serve")
    app = _app(serving=True)
    # Join links are built for the address phones can reach (web/reach.py): it depends on this.
    app.config["SERVE_HOST"], app.config["SERVE_PORT"] = args.host, args.port
    revision = _upgrade_database(app)
    log.info("database %s at revision %s", _safe_url(app.config["DATABASE_URL"]), revision)

    from evalmeet.db import scrub_sqlite_wal
    from evalmeet.extensions import db, socketio

    # An earlier run may have stopped while a vote's WAL scrub was still waiting for a reader.
    scrub_sqlite_wal(db.engine)
    # SIGTERM (systemd, docker, CI) stops accepting connections and lets requests in flight end.
    gevent.signal_handler(signal.SIGTERM, socketio.stop)
    host = f"[{args.host}]" if ":" in args.host else args.host

    def announce() -> None:
        # Logged once the socket is bound and listening, so the line means "ready". Polled every
        # 2 ms: a client that connects, is served and stops the server in a longer window than
        # that would otherwise see no "serving on" line at all.
        for _ in range(15_000):
            server = getattr(socketio, "wsgi_server", None)
            if server is not None and server.started:
                log.info("evalmeet serving on http://%s:%d", host, args.port)
                for line in _reach_lines(args.host, args.port, app.config.get("PUBLIC_URL")):
                    log.info("%s", line)
                return
            gevent.sleep(0.002)

    gevent.spawn(announce)
    workers = None
    if int(app.config.get("JOBS_WORKERS") or 0) > 0:
        from evalmeet.jobs.supervisor import Supervisor

        workers = Supervisor(int(app.config["JOBS_WORKERS"]), app.instance_path)
        workers.start()  # from the main greenlet (see jobs/supervisor.py)
        app.config["JOBS_IN_WORKERS"] = True
        log.info("minutes and exports are made by %d worker process(es)", workers.count)
    else:
        from evalmeet.services.files.exports import load_pdf_engine

        # Only the process that makes the PDFs needs WeasyPrint (0.7 s of CPU at each start);
        # here, on the main loop: its import runs a subprocess (see its docstring).
        load_pdf_engine()
    from evalmeet import reminding

    remind_settings = reminding.Settings.of(app.config)
    if remind_settings.configured:  # daily at 08:00 China time; at once when started later
        gevent.spawn(reminding.daily, app, remind_settings)
        log.info("reminders of due follow-up actions: daily at 08:00 China time")
    from evalmeet import heap

    log.info("%d startup objects frozen out of the garbage collector's walks", heap.settle())
    heap.hold_during_votes()
    try:
        socketio.run(app, host=args.host, port=args.port, debug=False, use_reloader=False, log_output=False)
    except OSError as exc:  # port taken, address not on this machine, port < 1024 without root
        raise CliError(f"cannot listen on {host}:{args.port}: {exc.strerror or exc}") from None
    finally:
        if workers is not None:
            workers.stop()
    log.info("evalmeet stopped")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Take minutes and export jobs from the queue until stopped (``evalmeet serve`` starts these)."""
    from evalmeet.jobs import worker

    gc.enable()  # off since main; the worker builds its app at its first job
    return worker.run()


def cmd_remind(args: argparse.Namespace) -> int:
    """Send today's reminders of due and overdue actions; one line per action reminded."""
    import logging

    from evalmeet import reminding

    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    app = _app(web=True)  # the mails are rendered from the templates, with links to the pages
    settings = reminding.Settings.of(app.config)
    if not settings.configured:
        _err("nothing to send with: set EVALMEET_SMTP_URL and/or EVALMEET_WEBHOOK_URL")
        return 0
    report = reminding.run(app, settings, out=_out)
    for failure in report.failed:
        _err(f"failed (tried again next run): {failure}")
    return 0


def _reach_lines(listen_host: str, port: int, public_url: str | None) -> list[str]:
    """What the moderator needs to know at start: where phones can open the join links."""
    from evalmeet.web.reach import ALL_INTERFACES, is_loopback, lan_addresses, url_for_address

    if public_url:
        return [f"join links and QR codes use EVALMEET_PUBLIC_URL={public_url}"]
    lan = lan_addresses()
    fix_url = url_for_address(lan[0], port) if lan else f"http://<this computer's address>:{port}"
    if listen_host in ALL_INTERFACES:
        if not lan:
            return [
                "WARNING: this computer has no network address besides loopback: "
                "phones cannot reach it until it joins the hall's Wi-Fi"
            ]
        return [f"phones on the same Wi-Fi join at {url_for_address(a, port)}" for a in lan]
    if is_loopback(listen_host):
        return [
            f"WARNING: listening on {listen_host} only: phones CANNOT open the join links or QR codes.",
            "  Fix: serve on every interface, `make run HOST=0.0.0.0` "
            f"(or `evalmeet serve --host 0.0.0.0 --port {port}`); phones then join at {fix_url}",
        ]
    return [f"phones join at {url_for_address(listen_host, port)}"]


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo meetings into an empty database."""
    from decimal import Decimal

    from evalmeet.services.meetings import demo

    app = _app()
    threshold = Decimal(str(app.config["RISK_TENDER_THRESHOLD"]))
    with _session(app) as session:
        summary = demo.load_demo(session, threshold)
    if summary is None:
        message = "demo: the database already has meetings; nothing loaded"
        if args.if_empty:
            _out(message)
            return 0
        raise CliError(message)
    _out(
        f"demo: loaded meeting {summary.next_meeting_id} (draft, ready to start) and closed, published "
        f"meeting {summary.past_meeting_id} with results and follow-up actions "
        f"({summary.representatives} roster entries, {summary.items} items, {summary.ballots} ballots), "
        f"and the closed yearly evaluation meeting {summary.yearly_meeting_id} (民主测评: five criteria, "
        f"three weighted rater groups, {summary.yearly_sheets} rating sheets)"
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the database schema (Alembic ``upgrade``)."""
    app = _app()
    revision = _upgrade_database(app, args.revision)
    _out(f"database {_safe_url(app.config['DATABASE_URL'])} is at revision {revision}")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    """Take the schema down to a revision (``base`` drops every table: data is lost)."""
    from evalmeet.migrations import current_revision, downgrade

    url = _app().config["DATABASE_URL"]
    downgrade(url, args.revision)
    _out(f"database {_safe_url(url)} is at revision {current_revision(url) or 'base'}")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    """Print the schema revision of the database and the newest one available."""
    from evalmeet.migrations import current_revision, head_revision

    url = _app().config["DATABASE_URL"]
    _out(f"database {_safe_url(url)}: revision {current_revision(url) or 'none'} (head {head_revision()})")
    return 0


def cmd_db_revision(args: argparse.Namespace) -> int:
    """Autogenerate a migration from the models (developers; see migrations/authoring.py)."""
    from evalmeet.migrations.authoring import new_revision

    try:
        path = new_revision(args.message, replace_initial=args.replace_initial)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    _out(f"wrote {path} (review it before committing)")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Recompute the audit hash chain; non-zero naming the first entry that does not match."""
    from evalmeet.services.accounts import audit

    with _session(_app()) as session:
        report = audit.verify(session)
    if report.ok:
        _out(f"ok: {report.entries} entries, head {report.head}")
        return 0
    raise CliError(
        f"audit chain broken at entry {report.first_bad_id}: {report.reason} "
        f"(after {report.entries - 1} good entries, last good hash {report.head})"
    )


def cmd_backup(args: argparse.Namespace) -> int:
    """Consistent copy of the (SQLite) database while the app runs."""
    from evalmeet.services.files.backup import BackupError, backup

    url = _app().config["DATABASE_URL"]
    try:
        result = backup(url, args.path, overwrite=args.force)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    _out(f"backup: {result.path} ({result.size} bytes, {result.tables} tables)")
    return 0


# --- parser -----------------------------------------------------------------------------------


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``evalmeet``."""
    parser = argparse.ArgumentParser(
        prog="evalmeet",
        description="Live democratic evaluation meetings (民主评价会). "
        "Configuration: EVALMEET_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_, description=help_)
        cmd.set_defaults(handler=handler)
        return cmd

    serve = add("serve", cmd_serve, "upgrade the database and serve the app (HTTP and Socket.IO, gevent)")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")

    from evalmeet.cli_accounts import add_commands

    add_commands(add)  # create-user, set-password, create-token, revoke-tokens, disable-user, ...

    demo = add("demo", cmd_demo, "fill an empty database with a realistic demo meeting")
    demo.add_argument(
        "--if-empty", action="store_true", help="exit 0 (instead of 1) when the database is not empty"
    )

    add("worker", cmd_worker, "make minutes and exports from the job queue (serve starts these itself)")
    add(
        "remind",
        cmd_remind,
        "send today's reminders of follow-up actions due soon or overdue (e-mail, webhook)",
    )

    db_cmd = sub.add_parser("db", help="database schema (migrations)", description="database schema")
    db_cmd.set_defaults(usage_of=db_cmd)
    db_sub = db_cmd.add_subparsers(dest="db_command", metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="create or upgrade the schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=cmd_db_upgrade)
    down = db_sub.add_parser("downgrade", help="downgrade the schema to a revision ('base' drops all)")
    down.add_argument("revision")
    down.set_defaults(handler=cmd_db_downgrade)
    db_sub.add_parser("current", help="show the schema revision").set_defaults(handler=cmd_db_current)
    rev = db_sub.add_parser("revision", help="autogenerate a migration from the models (developers)")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument(
        "--replace-initial", action="store_true", help="rewrite 0001 (only while it is the sole revision)"
    )
    rev.set_defaults(handler=cmd_db_revision)

    audit_cmd = sub.add_parser("audit", help="the hash-chained audit log", description="audit log")
    audit_cmd.set_defaults(usage_of=audit_cmd)
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", metavar="ACTION")
    audit_sub.add_parser("verify", help="recompute the hash chain").set_defaults(handler=cmd_audit_verify)

    backup = add("backup", cmd_backup, "consistent copy of the SQLite database while the app runs")
    backup.add_argument("path")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evalmeet`` console script; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Start-up allocates a few hundred thousand objects that live as long as the process, and
    # the cyclic collector walked them again and again while they were made (a sixth of the
    # start-up time). It is switched on again once the app is built (``_app``; ``serve``:
    # heap.settle, after one full collection; the worker: at its start). Only in a process of
    # its own (the console script passes no ``argv``).
    if argv is None:
        gc.disable()
    if args_list[:1] == ["serve"]:
        _monkey_patch()
    parser = build_parser()
    args = parser.parse_args(args_list)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        getattr(args, "usage_of", parser).print_help(sys.stderr)
        return 2

    from sqlalchemy.exc import SQLAlchemyError

    from evalmeet.domain.errors import DomainError

    try:
        return handler(args)
    except CliError as exc:
        _err(f"evalmeet: {exc.message}")
        return exc.exit_code
    except DomainError as exc:
        _err(f"evalmeet: {exc.message}")
        return 1
    except SQLAlchemyError as exc:
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        _err(f"evalmeet: database error: {first}")
        return 1
    except KeyboardInterrupt:
        _err("evalmeet: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
