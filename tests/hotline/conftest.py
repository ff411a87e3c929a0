"""Fixtures for notifications and SMS: a recording SMS backend and a scripted HTTP SMS provider."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class RecordingSmsBackend:
    """Remembers every send (class-level, since the gateway builds a new backend per message)."""

    sent: list[dict] = []

    def send(self, *, phone: str, text: str, key: str) -> str:
        from hotline.models import SmsMessage

        # What the database held when the provider was called: the attempt's claim must be there.
        recorded = SmsMessage.objects.filter(key=key, status="sending").exists()
        self.sent.append({"phone": phone, "text": text, "key": key, "recorded_before": recorded})
        return f"rec-{len(self.sent)}"


@pytest.fixture
def sms_outbox(settings) -> list[dict]:
    """Configure the recording backend through the SMS_BACKEND setting; returns what it sent."""
    settings.SMS_BACKEND = "tests.hotline.conftest.RecordingSmsBackend"
    RecordingSmsBackend.sent = []
    return RecordingSmsBackend.sent


@pytest.fixture
def sms_worker(request, transactional_db, monkeypatch, sms_provider):
    """A real Celery worker whose SMS backend is the fake HTTP provider, with 1 s base backoff.

    The environment must be set before the worker process starts, hence getfixturevalue.
    """
    monkeypatch.setenv("SMS_BACKEND", "http")
    monkeypatch.setenv("SMS_HTTP_URL", sms_provider.url)
    monkeypatch.setenv("SMS_HTTP_TOKEN", "test-token")
    monkeypatch.setenv("SMS_RETRY_BACKOFF_SECONDS", "1")
    return request.getfixturevalue("celery_worker")


@dataclass
class FakeSmsProvider:
    """An HTTP SMS provider on 127.0.0.1 answering the scripted statuses in turn (then 200),
    each `delay` seconds after it recorded the request."""

    url: str
    statuses: list[int]
    requests: list[dict] = field(default_factory=list)
    delay: float = 0


@pytest.fixture
def sms_provider() -> Iterator[FakeSmsProvider]:
    provider = FakeSmsProvider(url="", statuses=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            provider.requests.append(
                {
                    "at": time.monotonic(),
                    "body": body,
                    "idempotency_key": self.headers.get("Idempotency-Key"),
                    "authorization": self.headers.get("Authorization"),
                }
            )
            time.sleep(provider.delay)
            status = provider.statuses.pop(0) if provider.statuses else 200
            answer = json.dumps({"id": f"prov-{len(provider.requests)}"} if status == 200 else {"error": "busy"})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
