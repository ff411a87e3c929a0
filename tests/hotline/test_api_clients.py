"""API-client users: what a client system (Open311 for one) acts as."""

import pytest

from hotline import services
from hotline.errors import DomainError
from hotline.models import Membership, Role, UnitKind, User
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def test_an_api_client_user_is_an_api_client_of_the_hotline_centre_without_a_password():
    # Given the hotline centre
    center = UnitFactory(kind=UnitKind.HOTLINE_CENTER)
    # When a client system gets its user
    user = services.create_api_client_user(name="城市App" * 20, username_prefix="open311")
    # Then it holds the API-client role in the centre, cannot log in with a password, and is named after the system
    assert list(Membership.objects.filter(user=user).values_list("unit", "role")) == [(center.pk, Role.API_CLIENT)]
    assert not user.has_usable_password()
    assert user.username.startswith("open311-")
    assert user.full_name == ("城市App" * 20)[:64]


def test_no_api_client_user_without_the_hotline_centre():
    # Given no organisation tree
    # When a client system asks for its user
    with pytest.raises(DomainError) as refused:
        services.create_api_client_user(name="城市App", username_prefix="open311")
    # Then it is refused and no user is left behind
    assert refused.value.code == "no_hotline_center"
    assert not User.objects.exists()
