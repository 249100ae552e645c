"""Real receivers for the reminders: a local SMTP server (aiosmtpd) and an HTTP endpoint that
takes the group robot's POSTs (``http.server`` in a thread), each recording what arrived."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.server import free_port


class MailBox:
    """The aiosmtpd handler: every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[str, MailBox]]:
    """A plain SMTP server on 127.0.0.1; yields its ``smtp://`` URL and its mailbox."""
    box = MailBox()
    port = port or free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", box
    finally:
        controller.stop()


class Hook:
    """What the HTTP receiver got, and what it answers (``status``, ``body``)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        self.body = b'{"errcode": 0, "errmsg": "ok"}'

    @property
    def contents(self) -> list[str]:
        """The text of every message received."""
        return [post["text"]["content"] for post in self.posts]


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Hook]]:
    """An HTTP server on 127.0.0.1 recording JSON POSTs; yields its URL and its record."""
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if hook.status == 200:
                assert self.headers.get("Content-Type", "").startswith("application/json")
                hook.posts.append(json.loads(raw.decode("utf-8")))
            self.send_response(hook.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(hook.body)))
            self.end_headers()
            self.wfile.write(hook.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test", hook
    finally:
        server.shutdown()
        server.server_close()
