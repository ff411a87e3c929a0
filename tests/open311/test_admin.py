"""Managing Open311 clients in the admin: a key is shown once, then only masked."""

import re

import pytest
from django.test import Client

from open311 import selectors
from open311.models import Open311Client
from tests.factories import UserFactory, hotline_center

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def shown_key(response) -> str:
    text = " ".join(str(m) for m in response.context["messages"])
    return re.search(r"api_key.*? ([A-Za-z0-9_-]{40,})", text).group(1)


def test_adding_a_client_shows_its_key_once(admin_client):
    hotline_center()
    # when an admin adds a client
    response = admin_client.post(
        "/admin/open311/open311client/add/", {"name": "城市App", "is_active": "on"}, follow=True
    )
    # then the key is shown in the confirmation, and it works
    key = shown_key(response)
    client = Open311Client.objects.get()
    assert selectors.client_by_key(key=key) == client
    # and the list shows it masked only
    listing = admin_client.get("/admin/open311/open311client/").content.decode()
    assert client.masked_key in listing
    assert key not in listing
    assert key not in admin_client.get(f"/admin/open311/open311client/{client.pk}/change/").content.decode()


def test_issuing_a_new_key_from_the_list(admin_client, open311_client):
    response = admin_client.post(
        "/admin/open311/open311client/",
        {"action": "rotate_keys", "_selected_action": [open311_client.client.pk]},
        follow=True,
    )
    new_key = shown_key(response)
    assert selectors.client_by_key(key=new_key) == open311_client.client
    assert selectors.client_by_key(key=open311_client.key) is None


def test_clients_are_deactivated_not_deleted(admin_client, open311_client):
    response = admin_client.get(f"/admin/open311/open311client/{open311_client.client.pk}/delete/")
    assert response.status_code == 403
