"""Test doubles for the outside world the notifications service talks to: a real SMTP server
(aiosmtpd) that keeps every message, and a government system's webhook endpoint that verifies
signatures and fails each call a few times before it accepts it."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from cascade_notifications.domain.webhooks import SIGNATURE_HEADER, verify

from tests.cluster import free_port

SECRET = "receiver-secret-of-the-province-system"


class MailSink:
    """aiosmtpd handler keeping every message it accepts; with ``refusing`` set it answers
    every message with a temporary failure, as a mail server that is down for maintenance."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.refusing = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing:
            return "451 4.3.0 Mail server temporarily unavailable"
        self.raw.append(envelope.original_content or envelope.content)
        return "250 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for raw in self.raw
        ]


class Receiver:
    """A government system's webhook endpoint: refuses bad signatures, fails every call
    ``failures`` times (503), then accepts it; remembers what it accepted, by Idempotency-Key."""

    def __init__(self, secret: str, failures: int = 3) -> None:
        self.secret = secret
        self.failures = failures
        self.tries: Counter[str] = Counter()
        self.accepted: dict[str, list[dict[str, Any]]] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()

    def handle(self, headers: Any, body: bytes) -> int:
        if not verify(self.secret, headers.get(SIGNATURE_HEADER, ""), body, now=int(time.time())):
            with self.lock:
                self.bad_signatures += 1
            return 401
        key = headers["Idempotency-Key"]
        with self.lock:
            self.tries[key] += 1
            if self.tries[key] <= self.failures:
                return 503
            self.accepted.setdefault(key, []).append(json.loads(body))
        return 200

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [call for calls in self.accepted.values() for call in calls]


@contextmanager
def mail_server() -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@contextmanager
def webhook_receiver(secret: str = SECRET, failures: int = 3) -> Iterator[tuple[Receiver, str]]:
    state = Receiver(secret, failures)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.handle(self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/cascade-hook"
    finally:
        server.shutdown()
        server.server_close()
