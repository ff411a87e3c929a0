"""The admin's subscriptions, delivery log and replay."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from hotline.models import User
from webhooks.models import Delivery, DeliveryStatus, Subscription

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


def subscription_form(owner: User, **fields: str) -> dict[str, str]:
    return {
        "owner": str(owner.pk),
        "name": "区网格平台",
        "url": "https://grid.example.org/hooks",
        "event_types": '["ticket.created"]',
        "units": "[]",
        "categories": "[]",
        "channels": "[]",
        "is_active": "on",
        "max_in_flight": "4",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "field", "refusal"),
    [
        ({"include_caller": "on"}, "include_caller", "may not receive caller data"),
        ({"event_types": '["ticket.shredded"]'}, "event_types", "Unknown event type"),
        ({"channels": '["carrier_pigeon"]'}, "channels", "Unknown channel"),
        ({"units": '["东城区"]'}, "units", "list of ids"),
        ({"url": "http://grid.example.org/hooks"}, "url", "must use https"),
    ],
)
def test_the_admin_refuses_a_subscription_the_api_would_refuse(
    admin_client, client_user, settings, fields, field, refusal
):
    # Given endpoints that must use https, and a client without the permission for caller data
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.LANGUAGE_CODE = "en"

    # When an administrator adds a subscription for it that the API would refuse
    response = admin_client.post(
        "/admin/webhooks/subscription/add/", subscription_form(client_user, **fields), HTTP_ACCEPT_LANGUAGE="en"
    )

    # Then the form comes back with the service's reason on the field, and nothing is saved
    assert response.status_code == 200
    assert refusal in " ".join(response.context["adminform"].form.errors[field])
    assert not Subscription.objects.exists()


def test_the_admin_adds_a_subscription_the_service_accepts(admin_client, client_user):
    # Given a client allowed to receive caller data
    client_user.user_permissions.add(Permission.objects.get(codename="receive_caller_data"))

    # When an administrator adds a subscription with caller data for it
    response = admin_client.post(
        "/admin/webhooks/subscription/add/", subscription_form(client_user, include_caller="on")
    )

    # Then it is saved, with a signing secret of its own
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.include_caller
    assert subscription.owner == client_user
    assert len(subscription.secret) >= 32


def test_the_admin_form_reads_an_address_without_scheme_as_https_and_never_shows_the_secret(admin_client, client_user):
    # Given the admin's form for a new subscription, which has no secret field
    form = admin_client.get("/admin/webhooks/subscription/add/").context["adminform"].form
    assert "secret" not in form.fields

    # When an administrator types the endpoint without its scheme
    response = admin_client.post(
        "/admin/webhooks/subscription/add/", subscription_form(client_user, url="grid.example.org/hooks")
    )

    # Then it is saved as an https address
    assert response.status_code == 302
    assert Subscription.objects.get().url == "https://grid.example.org/hooks"
