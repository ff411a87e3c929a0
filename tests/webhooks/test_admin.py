"""The admin's delivery log and replay."""

import pytest
from django.utils import timezone

from webhooks.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def test_an_administrator_reads_the_log_and_replays_a_dead_delivery(admin_client, subscribe):
    # Given a dead delivery
    subscription = subscribe()
    delivery = Delivery.objects.create(
        subscription=subscription,
        event_type="ticket.created",
        payload={},
        status=DeliveryStatus.DEAD,
        attempts=10,
        next_attempt_at=timezone.now(),
    )
    # When the administrator opens the log and the subscription
    assert admin_client.get("/admin/webhooks/delivery/").status_code == 200
    assert admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/").status_code == 200
    # and replays the delivery
    response = admin_client.post(
        "/admin/webhooks/delivery/", {"action": "replay", "_selected_action": [delivery.pk]}, follow=True
    )
    # Then it is pending again, its attempts counted afresh
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
