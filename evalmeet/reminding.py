"""Sending the follow-up reminders: ``evalmeet remind``, and ``evalmeet serve`` every day at 08:00.

For each action due within ``EVALMEET_REMIND_DAYS`` China days or overdue
(:mod:`evalmeet.services.followup.reminders`), once a China day per channel:

- ``mail``: an e-mail to the action's ``owner_email`` through ``EVALMEET_SMTP_URL``
  (``smtp://host:port`` plain, ``smtps://host:port`` TLS; ``user:password@`` logs in), from
  ``EVALMEET_MAIL_FROM``;
- ``webhook``: a POST to ``EVALMEET_WEBHOOK_URL`` with the group-robot JSON that 企业微信 and 钉钉
  both take, ``{"msgtype": "text", "text": {"content": "..."}}``.

Each reminder is claimed and committed before it is sent, and marked sent or failed after, so a
run that finds it taken (by an earlier run today, or by another server right now) sends nothing,
and a failed channel is tried again by the next run. A failure is logged and recorded (the
follow-up register shows it); it never raises out of :func:`run`'s loop. Timeouts are short; in
``serve`` the standard library is gevent-patched, so the SMTP and HTTP calls yield to the loop.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask

from evalmeet.domain import clock
from evalmeet.services.followup import reminders

log = logging.getLogger("evalmeet.reminders")

REMIND_AT = clock_time(8, 0)  # China time
TIMEOUT = 10.0  # seconds, per SMTP conversation step and per HTTP request
MAX_WAKE = 300.0  # the daily loop looks at the clock at least this often


class SendFailed(Exception):
    """A channel did not take the reminder (the message says why, for the record)."""


@dataclass(frozen=True)
class Settings:
    """The reminder settings of an app's config."""

    smtp_url: str | None = None
    mail_from: str = "evalmeet@localhost"
    webhook_url: str | None = None
    days: int = 3
    base_url: str | None = None
    retry_seconds: float = 600.0
    timeout: float = TIMEOUT

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        """From ``SMTP_URL``, ``MAIL_FROM``, ``WEBHOOK_URL``, ``REMIND_DAYS``, ``PUBLIC_URL``."""
        return cls(
            smtp_url=(config.get("SMTP_URL") or "").strip() or None,
            mail_from=(config.get("MAIL_FROM") or "").strip() or "evalmeet@localhost",
            webhook_url=(config.get("WEBHOOK_URL") or "").strip() or None,
            days=max(0, int(config.get("REMIND_DAYS") or 0)),
            base_url=(config.get("PUBLIC_URL") or "").strip() or None,
            retry_seconds=max(1.0, float(config.get("REMIND_RETRY_SECONDS") or 600)),
            timeout=max(0.5, float(config.get("REMIND_TIMEOUT_SECONDS") or TIMEOUT)),
        )

    @property
    def configured(self) -> bool:
        """Whether there is anywhere to send reminders to."""
        return bool(self.smtp_url or self.webhook_url)


# --- the channels -----------------------------------------------------------------------------


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """One e-mail through ``settings.smtp_url``; SendFailed when the server does not take it."""
    url = urlsplit(settings.smtp_url or "")
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise SendFailed(
            f"EVALMEET_SMTP_URL must be smtp://host:port or smtps://host:port, not {url.scheme}://…"
        )
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(clock.now().timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or "localhost")
    message.set_content(body)
    try:
        port = url.port or (465 if url.scheme == "smtps" else 25)
        server: smtplib.SMTP
        if url.scheme == "smtps":
            server = smtplib.SMTP_SSL(
                url.hostname, port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(url.hostname, port, timeout=settings.timeout)
        with server:
            if url.username:
                if url.scheme == "smtp" and server.has_extn("starttls"):
                    server.starttls(context=ssl.create_default_context())
                server.login(unquote(url.username), unquote(url.password or ""))
            refused = server.send_message(message)
        if refused:
            raise SendFailed(f"the mail server refused {', '.join(refused)}")
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise SendFailed(f"mail server {url.hostname}:{url.port or ''}: {exc}") from None


def post_webhook(settings: Settings, content: str) -> None:
    """The group robot's text message to ``settings.webhook_url``; SendFailed unless it is taken
    (an HTTP error, or a robot's ``errcode`` other than 0)."""
    payload = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode()
    url = settings.webhook_url or ""
    if urlsplit(url).scheme not in ("http", "https"):  # never file: or a custom scheme
        raise SendFailed("EVALMEET_WEBHOOK_URL must be an http:// or https:// URL")
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:  # noqa: S310  # nosec B310 (http(s) only, checked above)
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendFailed(f"webhook: {reason}") from None
    try:
        body = json.loads(answer.decode("utf-8")) if answer.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return  # not JSON: a plain receiver that took it
    if isinstance(body, dict) and body.get("errcode") not in (None, 0):
        raise SendFailed(f"webhook errcode {body.get('errcode')}: {body.get('errmsg', '')}")


# --- one run ------------------------------------------------------------------------------------


@dataclass
class Report:
    """What a run did: one line per action reminded, and the failures."""

    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Work:
    action_id: int
    email: str
    subject: str
    text: str
    due_line: str


Sender = Callable[[Settings, str, str, str], None]
Poster = Callable[[Settings, str], None]


def run(
    app: Flask,
    settings: Settings | None = None,
    out: Callable[[str], None] = print,
    *,
    mailer: Sender = send_mail,
    poster: Poster = post_webhook,
) -> Report:
    """Send today's reminders; ``out`` gets one line per action reminded."""
    from evalmeet.extensions import db

    settings = settings or Settings.of(app.config)
    report = Report()
    if not settings.configured:
        return report
    with app.app_context():
        session = db.session
        try:
            today = clock.today()
            work = [
                _Work(
                    due.action.id,
                    due.action.owner_email,
                    reminders.subject(due),
                    reminders.text(due, settings.base_url),
                    f"due {due.action.due_date}, {due.days_overdue} days overdue",
                )
                for due in reminders.due_actions(session, today, settings.days)
            ]
            session.rollback()
            for item in work:
                sent = _remind(session, settings, item, today, report, mailer, poster)
                if sent:
                    line = f"reminded action {item.action_id} ({item.due_line}): {', '.join(sent)}"
                    report.lines.append(line)
                    out(line)
        finally:
            session.rollback()
            session.remove()
    return report


def _remind(
    session: Any, settings: Settings, item: _Work, today: Any, report: Report, mailer: Sender, poster: Poster
) -> list[str]:
    """The channels this action's reminder went out on now."""
    sent: list[str] = []
    channels: list[tuple[str, Callable[[], None], str]] = []
    if settings.smtp_url and item.email:
        channels.append(
            ("mail", lambda: mailer(settings, item.email, item.subject, item.text), f"mail to {item.email}")
        )
    if settings.webhook_url:
        channels.append(("webhook", lambda: poster(settings, item.text), "webhook"))
    for channel, send, shown in channels:
        if not reminders.claim(session, item.action_id, channel, today):
            session.rollback()
            continue
        session.commit()
        error = None
        try:
            send()
        except SendFailed as exc:
            error = str(exc) or exc.__class__.__name__
        except Exception as exc:  # a bug in a transport must not stop the other reminders
            log.exception("reminder of action %s by %s", item.action_id, channel)
            error = f"{exc.__class__.__name__}: {exc}"
        reminders.finish(session, item.action_id, channel, today, error)
        session.commit()
        if error:
            log.warning(
                "reminder of action %s by %s failed (retried next run): %s", item.action_id, channel, error
            )
            report.failed.append(f"action {item.action_id} {channel}: {error}")
        else:
            sent.append(shown)
    return sent


# --- every day in `serve` ---------------------------------------------------------------------


def next_run(now: datetime) -> datetime:
    """The next 08:00 China time after ``now``."""
    local = clock.to_china(now)
    at = datetime.combine(local.date(), REMIND_AT, tzinfo=clock.CHINA)
    if at <= local:
        at += timedelta(days=1)
    return at


def daily(app: Flask, settings: Settings, sleep: Callable[[float], Any] | None = None) -> None:
    """Run the reminders at 08:00 China time every day, and at once when started after 08:00
    (catching up); after a run with failures, again ``retry_seconds`` later. Never returns."""
    if sleep is None:
        import gevent

        sleep = gevent.sleep
    done_day = None
    retry_at: datetime | None = None
    while True:
        now = clock.now()
        local = clock.to_china(now)
        due_today = local.time() >= REMIND_AT and done_day != local.date()
        if due_today or (retry_at is not None and now >= retry_at):
            retry_at = None
            try:
                report = run(app, settings, out=lambda line: log.info("%s", line))
                failed = bool(report.failed)
            except Exception:  # the database away, say: log it, try again later, keep serving
                log.exception("the reminders' run failed")
                failed = True
            done_day = local.date()
            if failed:
                retry_at = clock.now() + timedelta(seconds=settings.retry_seconds)
        wake = next_run(clock.now()) if retry_at is None else min(retry_at, next_run(clock.now()))
        sleep(max(0.05, min(MAX_WAKE, (wake - clock.now()).total_seconds())))
