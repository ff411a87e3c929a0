"""Rate limits: Open311 reads per client IP, Open311 creation per api_key, the REST API per user."""

import pytest
from rest_framework.test import APIClient

from hotline.api.throttling import FixedWindowMixin
from hotline.models import Role
from intake.models import Ticket
from open311 import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> list[float]:
    """The throttles' clock, 20 s into a minute: a test's requests never straddle two windows."""
    now = [1_800_000_020.0]
    monkeypatch.setattr(FixedWindowMixin, "timer", lambda self: now[0])
    return now


def limit(settings, **rates: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_reads_are_limited_per_ip(anon, settings, fmt):
    # given a limit of two reads a minute
    limit(settings, open311_read="2/minute")
    # when one IP reads three times
    ip = "10.3.1.1"
    statuses = [anon.get(f"/open311/v2/services.{fmt}", REMOTE_ADDR=ip).status_code for _ in range(3)]
    # then the third is 429 in the spec's error format, telling when to come back
    assert statuses == [200, 200, 429]
    response = anon.get(f"/open311/v2/services.{fmt}", REMOTE_ADDR=ip)
    assert int(response["Retry-After"]) > 0
    if fmt == "json":
        assert response.json()[0]["code"] == 429
    else:
        assert b"<errors><error><code>429</code>" in response.content
    # and another IP still reads
    assert anon.get("/open311/v2/services.json", REMOTE_ADDR="10.3.1.2").status_code == 200


def test_open311_creation_is_limited_per_api_key(anon, open311_client, service, settings):
    # given a limit of one request a minute per key, and a second client
    limit(settings, open311_submit="1/minute")
    _other, other_key = services.create_client(name="另一个App")
    data = {"service_code": service.code, "address_string": "丰台路1号"}
    # when the first client posts twice and the second once
    first = anon.post("/open311/v2/requests.json", {**data, "api_key": open311_client.key})
    second = anon.post("/open311/v2/requests.json", {**data, "api_key": open311_client.key})
    other = anon.post("/open311/v2/requests.json", {**data, "api_key": other_key})
    # then only the first client's second request is refused, with the spec's 429
    assert (first.status_code, second.status_code, other.status_code) == (200, 429, 200)
    assert second.json() == [{"code": 429, "description": second.json()[0]["description"]}]
    assert Ticket.objects.count() == 2


def test_rest_api_throttles_per_user_with_the_common_error_format(settings, make_user):
    # given a limit of two requests a minute per user
    limit(settings, user="2/minute")
    api = APIClient()
    api.force_authenticate(make_user(Role.AGENT))
    # when the user makes a third request
    statuses = [api.get("/api/v1/me/").status_code for _ in range(3)]
    response = api.get("/api/v1/categories/")
    # then it is 429 in the API's one error format, with Retry-After
    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    error = response.json()["error"]
    assert (error["status"], error["code"], error["fields"]) == (429, "throttled", {})
    assert error["message"]
    assert int(response["Retry-After"]) > 0
    # and another user is not affected
    other = APIClient()
    other.force_authenticate(make_user(Role.AGENT))
    assert other.get("/api/v1/me/").status_code == 200


def test_rest_api_token_clients_are_throttled_too(settings, make_user):
    from rest_framework.authtoken.models import Token

    limit(settings, user="1/minute")
    token = Token.objects.create(user=make_user(Role.API_CLIENT))
    api = APIClient(headers={"Authorization": f"Token {token.key}"})
    assert [api.get("/api/v1/me/").status_code for _ in range(2)] == [200, 429]


def test_a_limit_opens_again_when_its_window_ends(settings, make_user, clock):
    # given a user who used up two requests a minute, 20 s into the minute
    limit(settings, user="2/minute")
    api = APIClient()
    api.force_authenticate(make_user(Role.AGENT))
    assert [api.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    # then they are told to come back when the minute ends
    assert api.get("/api/v1/me/")["Retry-After"] == "40"
    # and when it has ended, they are served again
    clock[0] += 40
    assert api.get("/api/v1/me/").status_code == 200
