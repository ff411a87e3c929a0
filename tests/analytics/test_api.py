"""The analytics API: the dashboards' main series, scoped like the pages, errors in the common format."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from analytics import services
from analytics.models import MonthlyRollup
from evaluation.models import Resolution
from hotline.models import Role
from hotline.months import add_months
from tests.factories import CallbackFactory, StreetFactory, at, generate, month_start, series, sum_district_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(api_client, make_user):
    def login(role: Role, unit=None):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role, unit)).key}")
        return api_client

    return login


def rollup(month: date, category, district=None, **counts) -> None:
    MonthlyRollup.objects.create(
        month=month,
        category=category,
        kind=counts.pop("kind", "complaint"),
        channel="phone",
        district=district,
        **counts,
    )
    sum_district_months()


def test_volume_by_month_kind_and_channel(as_user, city):
    # Given rollups of March and April 2025
    leaf = city.tree.leaves[0]
    rollup(date(2025, 3, 1), leaf, received=5, answered_directly=2, dispatched=3)
    rollup(date(2025, 4, 1), leaf, kind="help", received=7, answered_directly=7)
    # When the volume of 2025 is asked for
    response = as_user(Role.HOTLINE_SUPERVISOR).get("/api/v1/analytics/volume/?period=2025")
    # Then each month of the year has its totals, by kind and by channel
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "2025"
    months = {month["month"]: month for month in body["months"]}
    assert list(months) == [f"2025-{m:02d}" for m in range(1, 13)]
    march = months["2025-03"]
    assert (march["received"], march["answered_directly"], march["dispatched"]) == (5, 2, 3)
    assert {"kind": "complaint", "count": 5} in march["by_kind"]
    assert {"channel": "phone", "count": 5} in march["by_channel"]
    assert {"kind": "help", "count": 7} in months["2025-04"]["by_kind"]


def test_rates_by_month_scoped_to_a_district_supervisor(as_user, city):
    # Given March 2025 rollups in both districts, and April's in the east without answered callbacks
    east, west = city.districts
    leaf = city.tree.leaves[0]
    callbacks = {"callbacks_answered": 4, "callbacks_satisfied": 2, "callbacks_basically_satisfied": 1}
    handled = {"received": 5, "dispatched": 5}
    rollup(date(2025, 3, 1), leaf, district=east, **handled, response_required=5, signed_in_time=4, **callbacks)
    rollup(date(2025, 3, 1), leaf, district=west, **handled, response_required=2, callbacks_answered=2)
    rollup(date(2025, 4, 1), leaf, district=east, **handled, response_required=1, signed_in_time=1)
    # When the east's supervisor asks for the rates of 2025
    response = as_user(Role.DISTRICT_SUPERVISOR, east).get("/api/v1/analytics/rates/?period=2025")
    # Then each month of the year has the east's rates and their denominators, null where there is none
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "2025"
    months = {month["month"]: month for month in body["months"]}
    assert list(months) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert months["2025-03"] == {
        "month": "2025-03",
        "response_required": 5,
        "callbacks_answered": 4,
        "signed_in_time_rate": "0.8000",
        "resolution_rate": "0.0000",
        "satisfaction_rate": "0.7000",  # (2 + 0.8 × 1) / 4
        "received": 5,
        "repeat_contacts": 0,
        "repeat_contact_rate": "0.0000",
    }
    assert (months["2025-04"]["signed_in_time_rate"], months["2025-04"]["resolution_rate"]) == ("1.0000", None)
    assert months["2025-04"]["satisfaction_rate"] is None
    assert months["2025-01"]["signed_in_time_rate"] is None
    # And the city admin's March counts both districts
    everything = as_user(Role.CITY_ADMIN).get("/api/v1/analytics/rates/?period=2025-03").json()
    assert everything["months"][-1]["month"] == "2025-03"
    assert (everything["months"][-1]["response_required"], everything["months"][-1]["callbacks_answered"]) == (7, 6)


def test_top_categories_with_change_and_per_kind(as_user, city):
    cold, _stop, water, parking = city.tree.leaves
    rollup(date(2025, 3, 1), parking, received=4)
    rollup(date(2025, 4, 1), parking, received=6)
    rollup(date(2025, 4, 1), cold, received=3, kind="help")
    rollup(date(2025, 4, 1), water, received=1)
    client = as_user(Role.CITY_ADMIN)
    body = client.get("/api/v1/analytics/top-categories/?period=2025-04").json()
    assert body["total"] == 10
    assert [(r["name"], r["count"], r["previous"], r["change"]) for r in body["results"]] == [
        ("交通管理", 6, 4, "0.5000"),
        ("公共服务", 4, 0, None),
    ]
    assert body["results"][0]["tickets_url"].startswith("/tickets/?created_after=2025-04-01&created_before=2025-04-30")
    help_only = client.get("/api/v1/analytics/top-categories/?period=2025-04&kind=help&level=3").json()
    assert [(r["name"], r["count"]) for r in help_only["results"]] == [("不热", 3)]


def test_district_table_scoped_to_a_district_supervisor(as_user, city):
    # Given April's requests by place, and 10 callbacks on tickets dispatched to the east district
    # itself (9 resolved), and 10 on its street's own tickets (none resolved)
    east, west = city.districts
    leaf = city.tree.leaves[0]
    rollup(date(2025, 4, 1), leaf, district=east, received=50, callbacks_answered=10, callbacks_resolved=9)
    rollup(date(2025, 4, 1), leaf, district=west, received=12)
    street = StreetFactory(parent=east)
    for index in range(10):
        resolution = Resolution.RESOLVED if index < 9 else Resolution.UNRESOLVED
        CallbackFactory(unit=east, resolution=resolution, completed_at=at(2025, 4, 10))
        CallbackFactory(unit=street, resolution=Resolution.UNRESOLVED, completed_at=at(2025, 4, 10))
    # When a city admin reads the districts
    everything = as_user(Role.CITY_ADMIN).get("/api/v1/analytics/districts/?period=2025-04").json()
    # Then volumes are by place, rates as the district ranking counts them (its own tickets)
    assert [(r["name"], r["received"], r["per_10k"]) for r in everything["results"]] == [
        ("甲区", 50, "1.00"),
        ("乙区", 12, "0.10"),
    ]
    assert [(r["resolution_rate"], r["response_rate"]) for r in everything["results"]] == [
        ("0.9000", None),
        (None, None),
    ]
    # And a district supervisor reads their district only
    mine = as_user(Role.DISTRICT_SUPERVISOR, west).get("/api/v1/analytics/districts/?period=2025-04").json()
    assert [(r["name"], r["received"]) for r in mine["results"]] == [("乙区", 12)]


def test_hot_spots(as_user, city):
    month = add_months(month_start(timezone.localdate()), -1)
    history = {add_months(month, -k): 2 for k in range(1, 7)}
    series(city, category=city.tree.leaves[3], street=city.streets[2], counts={**history, month: 25})
    services.refresh_rollups()
    body = as_user(Role.CITY_ADMIN).get(f"/api/v1/analytics/hotspots/?month={month:%Y-%m}").json()
    assert body["enough_history"] is True
    assert len(body["baseline_months"]) == 6
    [spot] = body["results"]
    assert (spot["category_name"], spot["street_name"], spot["count"], spot["baseline"]) == (
        "违章停车",
        city.streets[2].name,
        25,
        [2] * 6,
    )


def test_other_roles_get_404_and_bad_input_400(as_user, city):
    for path in ("volume", "rates", "top-categories", "districts", "zones", "hotspots"):
        response = as_user(Role.AGENT).get(f"/api/v1/analytics/{path}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    client = as_user(Role.CITY_ADMIN)
    bad = client.get("/api/v1/analytics/volume/?period=20-1")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"period": ["请填写年份（如2026）或月份（如2026-10）。"]}
    bad_rates = client.get("/api/v1/analytics/rates/?period=2025-13")
    assert bad_rates.status_code == 400
    assert bad_rates.json()["error"]["fields"] == {"period": ["请填写年份（如2026）或月份（如2026-10）。"]}
    assert client.get("/api/v1/analytics/hotspots/?month=2025").json()["error"]["fields"] == {
        "month": ["请填写月份（如2026-10）。"]
    }
    assert client.get("/api/v1/analytics/top-categories/?kind=nonsense").status_code == 400


def test_unit_leader_series_count_their_units_only(as_user, city):
    now = timezone.now()
    generate(city, count=80, first=now - timedelta(days=30), days=28)
    services.refresh_rollups(now=now)
    street = city.streets[1]
    body = as_user(Role.UNIT_LEADER, street).get(f"/api/v1/analytics/volume/?period={timezone.localdate():%Y}").json()
    total = sum(month["received"] for month in body["months"])
    assert total == sum(
        row.received for row in MonthlyRollup.objects.filter(unit=street, month__year=timezone.localdate().year)
    )
    assert total > 0
