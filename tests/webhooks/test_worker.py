"""Webhooks through real Celery workers on the real Redis broker, to a real receiver in this process.

The receiver is stopped for the full minute of the issue; `WEBHOOKS_OUTAGE_SECONDS=5` shortens the
outage while working on this module.
"""

import hashlib
import hmac
import os
import signal
import time
from collections import Counter

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from dispatch import services as dispatch_services
from hotline.models import Role, UnitKind
from intake.models import Ticket
from tests.conftest import start_celery_worker, wait_until
from tests.factories import CategoryFactory, StreetFactory, UnitFactory
from webhooks import tasks
from webhooks.models import Delivery, DeliveryStatus

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("WEBHOOKS_OUTAGE_SECONDS", "60"))
# The workers' settings: plain http to the local receiver, short backoffs and leases.
WORKER_ENV = {
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_BACKOFF_SECONDS": "0.5",
    "WEBHOOK_BACKOFF_MAX_SECONDS": "2",
    "WEBHOOK_MAX_ATTEMPTS": "1000",
    "WEBHOOK_LEASE_SECONDS": "3",
}


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def take_in(client: APIClient, **fields) -> Ticket:
    data = {
        "channel": "app",
        "kind": "complaint",
        "category": CategoryFactory().pk,
        "description": "路灯不亮，晚上很黑。",
        "phone": "138 0013 8000",
        **fields,
    }
    response = client.post("/api/v1/tickets/", data, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(pk=response.json()["id"])


def valid(request, secret: str) -> bool:
    timestamp = request.headers["X-Hotline-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return request.headers["X-Hotline-Signature"] == f"sha256={expected}" and abs(time.time() - int(timestamp)) < 300


@pytest.fixture
def worker(tmp_path):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    process = start_celery_worker(tmp_path / "worker.log", env=WORKER_ENV)
    yield process
    process.terminate()
    process.wait(timeout=15)


def test_created_and_replied_arrive_signed_and_an_outage_of_the_receiver_loses_nothing(
    worker, client_user, receiver, make_user
):
    # Given a client system subscribed to its local receiver through the API
    client = as_user(client_user)
    response = client.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "event_types": ["ticket.created", "ticket.replied"]},
        format="json",
    )
    secret = response.json()["secret"]
    street = StreetFactory()
    dispatcher = make_user(Role.DISPATCHER, UnitFactory(kind=UnitKind.HOTLINE_CENTER))
    officer = make_user(Role.UNIT_OFFICER, street)
    # When it takes in a ticket through the API, and the street handles and replies to it
    ticket = take_in(client, street=street.pk)
    lead = dispatch_services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=street.pk, actor=dispatcher)
    dispatch_services.sign(assignment_id=lead.pk, actor=officer)
    dispatch_services.reply(assignment_id=lead.pk, actor=officer, text="已修复路灯。", outcome="resolved")
    # Then within seconds the receiver has ticket.created and ticket.replied, validly signed, in order
    wait_until(lambda: len(receiver.received) == 2, timeout=15)
    created, replied = receiver.received
    assert created.headers["X-Hotline-Event"] == "ticket.created"
    assert replied.headers["X-Hotline-Event"] == "ticket.replied"
    assert valid(created, secret)
    assert valid(replied, secret)
    assert created.json["ticket"]["number"] == replied.json["ticket"]["number"] == ticket.number
    assert replied.json["ticket"]["public_reply"] == "已修复路灯。"

    # When the receiver is stopped while more tickets come in and are replied to
    receiver.stop()
    before = len(receiver.received)
    for _ in range(5):
        take_in(client)
    wait_until(
        lambda: Delivery.objects.filter(status=DeliveryStatus.FAILED, attempts__gte=2).count() == 5,
        timeout=30,
    )
    time.sleep(max(0.0, OUTAGE_SECONDS - 2))
    assert not Delivery.objects.filter(status=DeliveryStatus.DEAD).exists()
    # and started again
    receiver.start()
    wait_until(lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(), timeout=30)
    # Then every event arrived, each event id once
    received = Counter(receiver.event_ids()[before:])
    expected = {
        str(pk) for pk in Delivery.objects.filter(event_type="ticket.created").values_list("event_id", flat=True)
    }
    assert set(received) | {created.event_id} == expected
    assert set(received.values()) == {1}
    assert all(valid(request, secret) for request in receiver.received)


def test_a_worker_killed_mid_send_loses_no_delivery(tmp_path, client_user, receiver, subscribe):
    # Given a subscription whose receiver answers its first request only after 5 s
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    subscription = subscribe(event_types=["ticket.created"])
    receiver.delays.append(5.0)
    first = start_celery_worker(tmp_path / "first.log", name="first", env=WORKER_ENV)
    try:
        # When a ticket is taken in and the worker is killed (SIGKILL) while it sends
        take_in(as_user(client_user))
        wait_until(lambda: len(receiver.received) == 1, timeout=15)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENDING
    # and another worker runs beat's sweep once the attempt's lease is over
    second = start_celery_worker(tmp_path / "second.log", name="second", env=WORKER_ENV)
    try:

        def delivered() -> bool:
            tasks.sweep_deliveries.delay()
            delivery.refresh_from_db()
            return delivery.status == DeliveryStatus.DELIVERED

        wait_until(delivered, timeout=30, interval=1)
    finally:
        second.terminate()
        second.wait(timeout=15)
    # Then the delivery arrived: sent again with the same event id (at least once), validly signed
    assert delivery.attempts == 2
    assert receiver.event_ids() == [str(delivery.event_id)] * 2
    assert valid(receiver.received[-1], subscription.secret)
