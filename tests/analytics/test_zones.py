"""The city's zones in analytics: each zone line is the sum of its districts' lines, scoped like them."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token

from analytics.models import MonthlyRollup
from evaluation.models import Resolution
from hotline.models import Role, Zone
from tests.factories import CallbackFactory, DistrictFactory, at, sum_district_months

pytestmark = pytest.mark.django_db

# Token and user, roles, the district rollups, the districts, and the district ranking's figures
# (published months from the ranking, the others counted from assignments and callbacks).
ZONES_API_QUERIES = 9


@pytest.fixture
def as_user(api_client, make_user):
    def login(role: Role, unit=None):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role, unit)).key}")
        return api_client

    return login


@pytest.fixture
def zoned(city):
    """April 2025: 甲区 (central) 50 requests, 20 answered directly; 乙区 (plain) 12, 6 answered
    directly, one callback resolved; 丙区 (plain, 300,000 residents) 30, 3 answered directly, nine
    callbacks unresolved."""
    east, west = city.districts
    third = DistrictFactory(name="丙区", population=300_000, zone=Zone.PLAIN)
    east.zone, west.zone = Zone.CENTRAL, Zone.PLAIN
    east.save(update_fields=["zone"])
    west.save(update_fields=["zone"])
    leaf = city.tree.leaves[0]
    for district, received, answered in ((east, 50, 20), (west, 12, 6), (third, 30, 3)):
        MonthlyRollup.objects.create(
            month=date(2025, 4, 1),
            category=leaf,
            kind="complaint",
            channel="phone",
            district=district,
            received=received,
            answered_directly=answered,
        )
    sum_district_months()
    CallbackFactory(unit=west, resolution=Resolution.RESOLVED, completed_at=at(2025, 4, 10))
    for _index in range(9):
        CallbackFactory(unit=third, resolution=Resolution.UNRESOLVED, completed_at=at(2025, 4, 10))
    return east, west, third


def test_each_zone_line_is_the_sum_of_its_districts(as_user, zoned):
    east, west, third = zoned
    client = as_user(Role.CITY_ADMIN)
    # When a city admin reads the zones and the districts of April
    zones = client.get("/api/v1/analytics/zones/?period=2025-04").json()
    by_district = client.get("/api/v1/analytics/districts/?period=2025-04").json()["results"]
    districts = {line["district"]: line for line in by_district}
    # Then there is a line per zone with districts, in the zones' order
    assert zones["period"] == "2025-04"
    assert [(line["zone"], line["districts"]) for line in zones["results"]] == [
        ("central", [east.pk]),
        ("plain", [west.pk, third.pk]),
    ]
    central, plain = zones["results"]
    # And a zone of one district has that district's figures
    assert (central["received"], central["per_10k"]) == (50, districts[east.pk]["per_10k"])
    # And the plain zone sums its two districts: volume, residents, direct answers (9 of 42) and the
    # callbacks (1 resolved of 10: the rate of the sums, not the mean of 100 % and 0 %)
    assert plain["received"] == districts[west.pk]["received"] + districts[third.pk]["received"] == 42
    assert plain["population"] == 1_500_000
    assert plain["per_10k"] == "0.28"
    assert plain["direct_answer_ratio"] == "0.2143"
    assert (districts[west.pk]["resolution_rate"], districts[third.pk]["resolution_rate"]) == ("1.0000", "0.0000")
    assert plain["resolution_rate"] == "0.1000"
    assert plain["response_rate"] is None
    assert plain["name"] == str(Zone.PLAIN.label)


def test_a_district_supervisor_reads_only_their_districts_zone_line(as_user, zoned):
    _east, west, _third = zoned
    # When the west district's supervisor reads the zones
    mine = as_user(Role.DISTRICT_SUPERVISOR, west).get("/api/v1/analytics/zones/?period=2025-04").json()
    # Then they see their zone's line, of their district only (as in the district table)
    assert [(line["zone"], line["districts"], line["received"]) for line in mine["results"]] == [
        ("plain", [west.pk], 12)
    ]
    assert mine["results"][0]["resolution_rate"] == "1.0000"


def test_others_get_404_and_a_bad_period_400(as_user, zoned):
    response = as_user(Role.AGENT).get("/api/v1/analytics/zones/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    bad = as_user(Role.CITY_ADMIN).get("/api/v1/analytics/zones/?period=2025-13")
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["period"]


def test_districts_without_a_zone_are_a_line_of_their_own(as_user, zoned):
    east, _west, _third = zoned
    east.zone = ""
    east.save(update_fields=["zone"])
    body = as_user(Role.CITY_ADMIN).get("/api/v1/analytics/zones/?period=2025-04").json()
    assert [(line["zone"], line["received"]) for line in body["results"]] == [("plain", 42), ("", 50)]


def test_the_zones_api_runs_the_district_tables_queries(as_user, zoned, django_assert_max_num_queries):
    client = as_user(Role.CITY_ADMIN)
    client.get("/api/v1/analytics/volume/?period=2025")  # the process reads the user's roles once
    with CaptureQueriesContext(connection) as districts:
        client.get("/api/v1/analytics/districts/?period=2025")
    # When the zones of the year are read, then they cost what the district table costs
    with django_assert_max_num_queries(ZONES_API_QUERIES), CaptureQueriesContext(connection) as zones:
        assert client.get("/api/v1/analytics/zones/?period=2025").status_code == 200
    assert len(zones.captured_queries) == len(districts.captured_queries)


def test_the_places_page_shows_the_zones_in_chinese(client, city_admin, zoned):
    client.force_login(city_admin)
    response = client.get(f"{reverse('analytics:places')}?period=2025-04")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    lines = response.context["zones"]
    assert [(line.zone, line.received, line.per_10k) for line in lines] == [
        (Zone.CENTRAL, 50, Decimal("1.00")),
        (Zone.PLAIN, 42, Decimal("0.28")),
    ]
    page = response.content.decode()
    with translation.override("zh-hans"):
        assert str(Zone.CENTRAL.label) in page
        assert str(Zone.PLAIN.label) in page
    assert 'id="zones"' in page
