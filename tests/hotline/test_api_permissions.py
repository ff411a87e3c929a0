"""What a role may not see does not exist for it: 404, never 403; methods a route does not serve: 405."""

import pytest
from rest_framework.test import APIClient

from hotline.models import Role
from tests.factories import StreetFactory


@pytest.mark.django_db
def test_a_route_hidden_from_a_role_still_answers_405_to_a_method_it_does_not_serve(make_user):
    # given a unit officer, for whom the dispatch queue does not exist
    client = APIClient()
    client.force_authenticate(make_user(Role.UNIT_OFFICER, unit=StreetFactory()))
    # when the officer reads the queue, and sends a method no one may send there
    read = client.get("/api/v1/dispatch-queue/")
    trace = client.generic("TRACE", "/api/v1/dispatch-queue/")
    # then the read is not found, and the method is not allowed (which discloses no data)
    assert read.status_code == 404
    assert trace.status_code == 405
    assert "GET" in trace["Allow"]
