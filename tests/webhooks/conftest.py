"""A real HTTP receiver in the test process, and API clients with subscriptions to it."""

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotline import services as hotline_services
from hotline.models import UnitKind, User
from tests.conftest import free_port
from tests.factories import UnitFactory
from webhooks import services
from webhooks.models import EventType, Subscription


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["X-Hotline-Event-Id"]


@dataclass
class Receiver:
    """An endpoint on 127.0.0.1 that records every request and answers the scripted status codes
    (200 once the script is used up), optionally after a delay."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    script: deque[int] = field(default_factory=deque)
    delays: deque[float] = field(default_factory=deque)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    status = receiver.script.popleft() if receiver.script else 200
                    delay = receiver.delays.popleft() if receiver.delays else 0
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def event_ids(self) -> list[str]:
        with self.lock:
            return [request.event_id for request in self.received]

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [request for request in self.received if request.headers["X-Hotline-Event"] == event_type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(autouse=True)
def _http_endpoints_allowed(settings) -> None:
    settings.WEBHOOK_ALLOW_HTTP = True


@pytest.fixture
def client_user(db) -> User:
    """A client system's user, as the product makes them (the API-client role in the hotline centre)."""
    UnitFactory(kind=UnitKind.HOTLINE_CENTER, name="热线服务中心")
    return hotline_services.create_api_client_user(name="城市App", username_prefix="app")


@pytest.fixture
def subscribe(client_user, receiver) -> Callable[..., Subscription]:
    """subscribe(**fields): a subscription of the client to the receiver, every event type by default."""

    def make(**fields) -> Subscription:
        fields.setdefault("url", receiver.url)
        fields.setdefault("event_types", list(EventType.values))
        return services.create_subscription(owner=fields.pop("owner", client_user), **fields)

    return make
