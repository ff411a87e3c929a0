"""The demo API clients printed by load_demo."""

import pytest

from open311 import demo, selectors
from open311.models import Open311Client
from tests.factories import hotline_center

pytestmark = pytest.mark.django_db


def test_the_demo_prints_a_rest_token_and_an_open311_key_and_can_run_twice(anon):
    # given the organisation tree's hotline centre
    hotline_center()
    # when the demo is loaded twice
    first = demo.load(password="demo-pass-123")
    second = demo.load(password="demo-pass-123")
    # then it prints the same two working credentials, and makes one client
    assert first == second
    assert len(first) == 2
    token = first[0].split("REST API token: ")[1].split()[0]
    key = first[1].split("Open311 api_key: ")[1].split()[0]
    assert Open311Client.objects.count() == 1
    assert anon.get("/api/v1/me/", headers={"Authorization": f"Token {token}"}).status_code == 200
    assert selectors.client_by_key(key=key) is not None
