"""/api/v1/webhooks/: a client system's own subscriptions, their delivery log, replay and secrets."""

import pytest
from rest_framework.test import APIClient

from hotline import services as hotline_services
from hotline.models import Role
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def new_subscription(client: APIClient, **fields) -> dict:
    data = {"name": "工单推送", "url": "https://client.example/hook", "event_types": ["ticket.created"], **fields}
    response = client.post("/api/v1/webhooks/", data, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_client_subscribes_and_sees_the_secret_once(client_user):
    client = as_user(client_user)
    # When the client subscribes
    body = new_subscription(client, channels=["wechat"], units=[], max_in_flight=2)
    # Then the answer carries the secret, later reads do not
    assert body["secret"].startswith("whsec_")
    assert Subscription.objects.get(pk=body["id"]).secret == body["secret"]
    read = client.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in read
    assert read["channels"] == ["wechat"]
    assert read["max_in_flight"] == 2
    # When it rotates the secret, then a new one is shown and stored
    rotated = client.post(f"/api/v1/webhooks/{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"]
    assert Subscription.objects.get(pk=body["id"]).secret == rotated["secret"]


def test_a_client_edits_and_deletes_its_subscription(client_user):
    client = as_user(client_user)
    body = new_subscription(client)
    response = client.patch(f"/api/v1/webhooks/{body['id']}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert not Subscription.objects.get(pk=body["id"]).is_active
    assert client.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert not Subscription.objects.exists()


def test_other_clients_subscriptions_and_other_roles_find_nothing(client_user, make_user):
    body = new_subscription(as_user(client_user))
    other = hotline_services.create_api_client_user(name="另一个App", username_prefix="app")
    assert as_user(other).get(f"/api/v1/webhooks/{body['id']}/").status_code == 404
    assert as_user(other).get(f"/api/v1/webhooks/{body['id']}/deliveries/").status_code == 404
    assert as_user(other).get("/api/v1/webhooks/").json()["results"] == []
    agent = make_user(Role.AGENT)
    assert as_user(agent).get("/api/v1/webhooks/").status_code == 404
    assert APIClient().get("/api/v1/webhooks/").status_code == 401


def test_https_is_required_unless_allowed_and_caller_data_needs_the_permission(client_user, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    client = as_user(client_user)
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "http://client.example/hook", "event_types": ["ticket.created"], "include_caller": True},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"url", "include_caller"}
    response = client.post("/api/v1/webhooks/", {"url": "https://x.example/", "event_types": []}, format="json")
    assert response.status_code == 400
    assert "event_types" in response.json()["error"]["fields"]


def test_the_delivery_log_lists_newest_first_in_a_bounded_number_of_queries(client_user, django_assert_max_num_queries):
    client = as_user(client_user)
    body = new_subscription(client)
    subscription = Subscription.objects.get(pk=body["id"])
    from django.utils import timezone

    Delivery.objects.bulk_create(
        Delivery(subscription=subscription, event_type="ticket.created", payload={}, next_attempt_at=timezone.now())
        for _ in range(30)
    )
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/webhooks/{body['id']}/deliveries/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 30
    assert rows[0]["id"] > rows[-1]["id"]
    assert rows[0]["status"] == "pending"
