"""Open311 clients and keys, and service requests as tickets (services and selectors)."""

import pytest

from hotline.models import Membership, Role, User
from hotline.selectors import scoped_unit_ids
from intake.models import Ticket
from open311 import selectors, services
from open311.models import Open311Client
from open311.services import ServiceRequest
from tests.factories import hotline_center

pytestmark = pytest.mark.django_db


def test_a_new_client_gets_an_api_client_user_in_the_hotline_centre():
    center = hotline_center()
    client, key = services.create_client(name="城市App")
    # the user is an API client of the centre, without a password to log in with
    membership = Membership.objects.get(user=client.user)
    assert (membership.unit, membership.role) == (center, Role.API_CLIENT)
    assert not client.user.has_usable_password()
    # and the key is random and long, kept only as a digest
    assert len(key) >= 40
    assert key not in (client.key_digest, client.key_prefix)
    assert client.masked_key == f"{key[:8]}…"
    assert selectors.client_by_key(key=key) == client
    assert scoped_unit_ids(user=client.user) == {center.pk}


def test_keys_are_unique_per_client():
    hotline_center()
    _first, first_key = services.create_client(name="一")
    _second, second_key = services.create_client(name="二")
    assert first_key != second_key


def test_a_client_cannot_be_made_before_the_organisation_tree():
    from hotline.errors import DomainError

    with pytest.raises(DomainError):
        services.create_client(name="城市App")
    assert not Open311Client.objects.exists()
    assert not User.objects.exists()


def test_rotating_the_key_retires_the_old_one(open311_client):
    new_key = services.rotate_key(client_id=open311_client.client.pk)
    assert selectors.client_by_key(key=open311_client.key) is None
    assert selectors.client_by_key(key=new_key) == open311_client.client


def test_inactive_clients_do_not_authenticate(open311_client):
    Open311Client.objects.update(is_active=False)
    assert selectors.client_by_key(key=open311_client.key) is None


def test_submitting_twice_with_one_token_makes_one_ticket(open311_client, service):
    request = ServiceRequest(category=service, address="丰台路1号")
    first = services.submit_request(client=open311_client.client, request=request, token="t-1")
    again = services.submit_request(client=open311_client.client, request=request, token="t-1")
    assert first == again
    assert Ticket.objects.count() == 1
    assert selectors.ticket_number_by_token(client=open311_client.client, token="t-1") == first.number
