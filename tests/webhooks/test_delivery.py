"""Webhook deliveries to a real HTTP receiver in this process: signature, retries, dead letters,
replay, order per ticket, the concurrency limit, filters, caller data and retention."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from hotline import reference
from hotline.errors import DomainError
from intake.lifecycle import Action
from intake.models import Ticket
from tests.factories import CategoryFactory, StreetFactory
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, EventType

pytestmark = pytest.mark.django_db


def take_in(user, **overrides) -> Ticket:
    """A ticket taken in through the API by the client system."""
    client = APIClient()
    client.force_authenticate(user)
    data = {
        "channel": "app",
        "kind": "complaint",
        "category": overrides.pop("category", None) or CategoryFactory().pk,
        "description": "幸福小区3号楼暖气不热，室温14度。我叫张三，电话13800138000。",
        "title": "暖气不热",
        "phone": "138 0013 8000",
        "caller_name": "张三",
        **overrides,
    }
    response = client.post("/api/v1/tickets/", data, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(pk=response.json()["id"])


def send_all() -> None:
    for pk in Delivery.objects.order_by("pk").values_list("pk", flat=True):
        services.send(delivery_id=pk)


def make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def independent_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def test_a_ticket_taken_in_is_posted_signed_with_its_event_id(subscribe, client_user, receiver):
    # Given a subscription to the receiver
    subscription = subscribe()
    # When a ticket is taken in and its delivery is sent
    ticket = take_in(client_user)
    send_all()
    # Then the receiver got ticket.created, signed over timestamp + body (checked independently)
    [request] = receiver.of_type("ticket.created")
    timestamp = request.headers["X-Hotline-Timestamp"]
    assert abs(time.time() - int(timestamp)) < 60
    assert request.headers["X-Hotline-Signature"] == independent_signature(subscription.secret, timestamp, request.body)
    assert request.headers["X-Hotline-Signature"] != independent_signature("wrong", timestamp, request.body)
    # and the body is the documented schema, with the event id of the header
    body = request.json
    assert body["schema_version"] == 1
    assert body["event_id"] == request.event_id
    assert body["type"] == "ticket.created"
    assert body["ticket"]["number"] == ticket.number
    assert body["ticket"]["channel"] == "app"
    assert body["event"]["action"] == Action.CREATE
    # and no caller data (the client is not allowed it), ticket text redacted
    assert body["caller"] is None
    assert "13800138000" not in request.body.decode()
    delivery = Delivery.objects.get(event_id=request.event_id)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.last_status_code == 200
    assert delivery.attempt_log.get().succeeded


def test_a_500_is_retried_and_the_200_after_it_delivers(subscribe, client_user, receiver):
    # Given a receiver that fails once
    subscribe(event_types=[EventType.TICKET_CREATED])
    receiver.script.extend([500])
    take_in(client_user)
    delivery = Delivery.objects.get()
    # When the delivery is sent, fails, and is sent again when due
    services.send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at > timezone.now()
    assert services.send(delivery_id=delivery.pk) is None, "not before its backoff"
    make_due(delivery)
    services.send(delivery_id=delivery.pk)
    # Then it is delivered on the second attempt, with the same event id both times
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert receiver.event_ids() == [str(delivery.event_id)] * 2
    log = list(delivery.attempt_log.order_by("number").values_list("status_code", "succeeded"))
    assert log == [(500, False), (200, True)]


def test_after_the_last_attempt_the_delivery_is_dead_until_replayed(subscribe, client_user, receiver, settings):
    # Given a receiver that always fails, and three attempts allowed
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscription = subscribe(event_types=[EventType.TICKET_CREATED])
    receiver.script.extend([500, 502, 503])
    take_in(client_user)
    delivery = Delivery.objects.get()
    # When it is attempted three times
    for _ in range(3):
        make_due(delivery)
        services.send(delivery_id=delivery.pk)
    # Then it is dead, and nothing sends it again
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    make_due(delivery)
    assert services.send(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 3
    # When the client replays it through the API
    client = APIClient()
    client.force_authenticate(client_user)
    url = f"/api/v1/webhooks/{subscription.pk}/deliveries/{delivery.pk}/replay/"
    response = client.post(url)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "pending"
    # (a second replay while it waits is refused)
    assert client.post(url).json()["error"]["code"] == "delivery_in_progress"
    services.send(delivery_id=delivery.pk)
    # Then it is delivered, with the same event id
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert receiver.event_ids() == [str(delivery.event_id)] * 4


def test_a_later_event_of_a_ticket_waits_for_the_earlier_one(subscribe, client_user, receiver):
    # Given two events of one ticket for one endpoint, the first failing
    subscribe(event_types=[EventType.TICKET_CREATED, EventType.TICKET_CLOSED])
    receiver.script.extend([500])
    ticket = take_in(client_user)
    services_close(ticket)
    created, closed = Delivery.objects.order_by("pk")
    assert (created.event_type, closed.event_type) == ("ticket.created", "ticket.closed")
    services.send(delivery_id=created.pk)
    # When the later one is due, it is not sent while the earlier one is open
    assert services.send(delivery_id=closed.pk) is None
    # Then once the earlier one is delivered the later goes, in order
    make_due(created)
    services.send(delivery_id=created.pk)
    services.send(delivery_id=closed.pk)
    assert [r.headers["X-Hotline-Event"] for r in receiver.received] == [
        "ticket.created",
        "ticket.created",
        "ticket.closed",
    ]


def services_close(ticket: Ticket) -> None:
    from intake import services as intake_services

    Ticket.objects.filter(pk=ticket.pk).update(status="received")  # back to intake for the test's close
    intake_services.transition(
        ticket_id=ticket.pk, action=Action.CLOSE_AT_INTAKE, actor=None, changes={"disposition": "explained"}
    )


def test_the_endpoint_gets_no_more_requests_at_once_than_its_limit(subscribe, client_user, receiver):
    # Given a subscription allowing one request at a time, with one delivery being sent
    subscribe(event_types=[EventType.TICKET_CREATED], max_in_flight=1)
    take_in(client_user)
    take_in(client_user)
    first, second = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=first.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    # When the other is due, it waits for the slot
    assert services.send(delivery_id=second.pk) is None
    # Then once the first's lease has run out (its worker died), the sweep makes it due again
    Delivery.objects.filter(pk=first.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    services.sweep()
    first.refresh_from_db()
    assert first.status == DeliveryStatus.FAILED
    services.send(delivery_id=second.pk)
    services.send(delivery_id=first.pk)
    assert sorted(receiver.event_ids()) == sorted([str(first.event_id), str(second.event_id)])


def test_filters_choose_the_tickets(subscribe, client_user, receiver):
    # Given subscriptions filtered by street, by category (at any level) and by channel
    street, other_street = StreetFactory(), StreetFactory()
    category = CategoryFactory()
    by_street = subscribe(event_types=[EventType.TICKET_CREATED], units=[street.pk])
    by_category = subscribe(event_types=[EventType.TICKET_CREATED], categories=[category.parent.parent_id])
    by_channel = subscribe(event_types=[EventType.TICKET_CREATED], channels=["wechat"])
    # When tickets are taken in: one in the street, one of the category, one by WeChat
    take_in(client_user, street=street.pk)
    take_in(client_user, street=other_street.pk, category=category.pk)
    take_in(client_user, channel="wechat")
    # Then each subscription got only its own
    assert Delivery.objects.filter(subscription=by_street).count() == 1
    assert Delivery.objects.get(subscription=by_street).payload["ticket"]["street"]["id"] == street.pk
    assert Delivery.objects.get(subscription=by_category).payload["ticket"]["category"]["id"] == category.pk
    assert Delivery.objects.get(subscription=by_channel).payload["ticket"]["channel"] == "wechat"


def test_caller_data_only_for_allowed_clients_and_never_for_confidential_callers(subscribe, client_user, receiver):
    # Given a client not allowed caller data: it cannot ask for it
    with pytest.raises(DomainError) as refused:
        subscribe(include_caller=True)
    assert "include_caller" in refused.value.fields
    # Given the client allowed it
    client_user.user_permissions.add(Permission.objects.get(codename="receive_caller_data"))
    client_user = type(client_user).objects.get(pk=client_user.pk)  # permissions are cached per instance
    subscribe(owner=client_user, include_caller=True, event_types=[EventType.TICKET_CREATED])
    # When a caller and a confidential caller contact the hotline
    take_in(client_user)
    take_in(client_user, confidential=True, phone="139 0013 9000")
    # Then the caller's data is in the first body only, and the confidential ticket has no text
    plain, confidential = Delivery.objects.order_by("pk")
    assert plain.payload["caller"]["phone"] == "13800138000"
    assert confidential.payload["caller"] is None
    assert confidential.payload["ticket"]["title"] == ""
    assert "13900139000" not in json.dumps(confidential.payload)


def test_without_subscriptions_an_event_costs_no_query(client_user, django_assert_num_queries):
    # Given no subscription (the process has read that once)
    ticket = take_in(client_user)
    services.active_subscriptions()
    record = services.TicketEventRecord(action=Action.DISPATCH, from_status="a", to_status="b", payload={})
    # When an event is recorded, then no query runs
    with django_assert_num_queries(0):
        assert services.record_ticket_event(ticket=ticket, event=record) == []


def test_a_new_subscription_is_seen_at_once(subscribe, client_user):
    # Given a process that has read the (empty) subscriptions
    assert services.active_subscriptions() == ()
    # When a subscription is made, then the next event finds it
    subscribe()
    reference.forget()  # the commit's announcement, which the test's transaction holds back
    take_in(client_user)
    assert Delivery.objects.filter(event_type="ticket.created").count() == 1


def test_the_log_is_pruned_after_its_retention_but_open_deliveries_are_kept(subscribe, client_user, receiver):
    # Given a delivered and a pending delivery, both older than the retention
    subscribe(event_types=[EventType.TICKET_CREATED])
    take_in(client_user)
    take_in(client_user)
    done, waiting = Delivery.objects.order_by("pk")
    services.send(delivery_id=done.pk)
    old = timezone.now() - timedelta(days=31)
    Delivery.objects.update(created_at=old)
    DeliveryAttempt.objects.update(attempted_at=old)
    # When the retention runs
    result = services.prune()
    # Then the delivered one and its attempt are gone, the pending one kept
    assert (result.deliveries, result.attempts) == (1, 1)
    assert list(Delivery.objects.values_list("pk", flat=True)) == [waiting.pk]
