"""The big screen (大屏): its one selector, its API and its page, scoped, cached and bounded in queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token

from analytics import selectors, services
from analytics.models import DailyRollup, MonthlyRollup
from analytics.selectors import EVERYTHING, Scope
from dispatch.models import Assignment, AssignmentStatus
from hotline.models import Role, Unit, UnitKind
from hotline.months import add_months
from intake.models import Ticket
from tests.factories import LeadAssignmentFactory, TicketFactory, generate, sum_district_months

pytestmark = pytest.mark.django_db

# A hotline supervisor's request: the token, their roles, the screen's scope, then the screen's five.
API_QUERY_BUDGET = 9


@pytest.fixture(autouse=True)
def _no_cached_screen(settings) -> None:
    """Every test reads the figures as they are (the cache is tested on its own) from a clean cache."""
    settings.ANALYTICS_SCREEN_CACHE_SECONDS = 0
    cache.clear()


def daily(day: date, category, district=None, **counts) -> None:
    DailyRollup.objects.create(
        day=day, category=category, kind="complaint", channel="phone", district=district, **counts
    )


def monthly(month: date, category, district=None, **counts) -> None:
    MonthlyRollup.objects.create(
        month=month, category=category, kind="complaint", channel="phone", district=district, **counts
    )
    sum_district_months()


def live_lead(district: Unit, due_in: timedelta, **fields) -> None:
    ticket = TicketFactory(district=district)
    lead = LeadAssignmentFactory(
        ticket=ticket, unit=district, dispatched_at=timezone.now() - timedelta(days=1), **fields
    )
    Assignment.objects.filter(pk=lead.pk).update(due_at=timezone.now() + due_in)


@pytest.fixture
def figures(city) -> dict:
    """Today's and this month's rollups of both districts, and live lead assignments."""
    east, west = city.districts
    heating_leaf, water_leaf, parking_leaf = city.tree.leaves[0], city.tree.leaves[2], city.tree.leaves[3]
    today = timezone.localdate()
    month = today.replace(day=1)
    daily(today, heating_leaf, east, received=6, dispatched=4, answered_directly=2)
    daily(today, water_leaf, west, received=3, dispatched=3)
    daily(today, parking_leaf, None, received=1, answered_directly=1)
    daily(today - timedelta(days=1), heating_leaf, east, received=50, dispatched=50)  # not today
    callbacks = {
        "callbacks_answered": 10,
        "callbacks_resolved": 6,
        "callbacks_partly_resolved": 2,
        "callbacks_satisfied": 7,
        "callbacks_basically_satisfied": 2,
    }
    monthly(month, heating_leaf, east, received=100, dispatched=40, response_required=10, signed_in_time=8, **callbacks)
    monthly(month, water_leaf, west, received=60)
    monthly(add_months(month, -1), water_leaf, west, received=900)  # last month
    live_lead(east, -timedelta(hours=1))  # overdue
    live_lead(west, timedelta(hours=1))  # due within 2 h
    live_lead(east, timedelta(hours=5))  # due later
    live_lead(east, -timedelta(hours=3), status=AssignmentStatus.ENDED, ended_at=timezone.now())  # over
    return {"east": east, "west": west}


def test_the_screen_shows_today_live_deadlines_the_months_rates_and_districts_per_10k(
    figures, django_assert_num_queries
):
    # Given today's and this month's rollups and live lead assignments (the figures fixture)
    # When the screen is assembled for everything
    with django_assert_num_queries(5):
        screen = selectors.screen(scope=EVERYTHING, now=timezone.now())
    # Then today's requests are today's rollup rows only, wherever placed
    assert screen.today_counts == {"received": 10, "dispatched": 7, "answered_directly": 3}
    # and the second-level categories of today are ranked, with their share of today
    assert [(line.name, line.count, line.share) for line in screen.top_categories] == [
        ("供暖", 6, Decimal("0.6000")),
        ("供水", 3, Decimal("0.3000")),
        ("停车管理", 1, Decimal("0.1000")),
    ]
    # and the live deadlines: one overdue, one due within two hours (the later and the ended are not)
    assert (screen.overdue, screen.due_soon, screen.due_within_hours) == (1, 1, 2)
    # and this month's rates are the rollups' (partly resolved counts 0, basically satisfied 0.8)
    assert screen.month_counts["received"] == 160
    assert screen.rates.response == Decimal("0.8000")
    assert screen.rates.resolution == Decimal("0.6000")
    assert screen.rates.satisfaction == Decimal("0.8600")
    # and each district's tile: this month per 10,000 residents (100 of 500,000; 60 of 1,200,000)
    tiles = {tile.name: tile for tile in screen.tiles}
    assert (tiles["甲区"].received_month, tiles["甲区"].received_today, tiles["甲区"].per_10k) == (100, 6, Decimal("2"))
    assert (tiles["乙区"].received_month, tiles["乙区"].received_today, tiles["乙区"].per_10k) == (
        60,
        3,
        Decimal("0.5"),
    )
    # coloured on a scale of five steps of 0.5 up to 2.5: the east darkest, the west one step up
    assert [(step.lower, step.upper) for step in screen.scale][:2] == [(0, Decimal("0.5")), (Decimal("0.5"), 1)]
    assert screen.scale[-1].upper == Decimal("2.5")
    assert (tiles["甲区"].level, tiles["乙区"].level) == (4, 1)
    # and districts of another city than Beijing are laid out in the free cells
    assert {(tile.row, tile.column) for tile in screen.tiles} == {(0, 0), (0, 1)}


def test_a_district_without_population_has_no_colour(city):
    # Given a district whose population is unknown, with requests this month
    nowhere = Unit.objects.create(name="丙区", kind=UnitKind.DISTRICT, parent=city.districts[0].parent)
    monthly(timezone.localdate().replace(day=1), city.tree.leaves[0], nowhere, received=5)
    # When the screen is assembled
    tiles = {tile.name: tile for tile in selectors.screen(scope=EVERYTHING, now=timezone.now()).tiles}
    # Then its tile counts the requests but has no per-10k figure and no colour
    assert (tiles["丙区"].received_month, tiles["丙区"].per_10k, tiles["丙区"].level) == (5, None, None)


@pytest.mark.parametrize(
    ("largest", "step"),
    [("0", "0.01"), ("0.05", "0.01"), ("2", "0.5"), ("9.9", "2"), ("12.3", "2.5"), ("123.45", "25"), ("480", "100")],
)
def test_the_colour_scale_has_five_round_steps_up_to_the_largest(largest, step):
    scale = selectors.screen_scale(values=[Decimal(largest), Decimal(0)])
    assert [s.level for s in scale] == [0, 1, 2, 3, 4]
    assert scale[0].upper == Decimal(step)
    assert scale[-1].upper >= Decimal(largest)
    assert selectors.screen_level(value=Decimal(largest), scale=scale) == (4 if Decimal(largest) else 0)


def test_beijings_sixteen_districts_are_tiles_roughly_where_they_lie(beijing):
    # Given the real Beijing districts
    # When the screen is assembled
    screen = selectors.screen(scope=EVERYTHING, now=timezone.now())
    # Then there are sixteen tiles, one per cell of a 4 × 5 map
    cells = {tile.name: (tile.row, tile.column) for tile in screen.tiles}
    assert len(cells) == len(set(cells.values())) == 16
    assert (screen.rows, screen.columns) == (4, 5)
    # the centre in the middle, Yanqing in the north-west, Pinggu in the east, Fangshan in the south-west
    assert (cells["东城区"], cells["西城区"]) == ((2, 2), (2, 1))
    assert (cells["延庆区"], cells["平谷区"], cells["房山区"]) == ((0, 0), (1, 4), (3, 0))
    assert cells["海淀区"][0] < cells["西城区"][0] < cells["丰台区"][0]


def test_todays_figures_are_the_rollups_of_the_tickets_received_today(city):
    # Given tickets over the last three days, counted by a rollup refresh
    now = timezone.now()
    generate(city, count=120, first=now - timedelta(days=2), days=3, seed=5)
    services.refresh_rollups(now=now)
    # When the screen is assembled
    screen = selectors.screen(scope=EVERYTHING, now=now)
    # Then today's requests are the tickets received since local midnight
    midnight = services.day_start(timezone.localdate(now))
    received = Ticket.objects.filter(created_at__gte=midnight)
    assert screen.today_counts["received"] == received.count() > 0
    # and the tiles' today counts add up to those placed in a district
    assert sum(tile.received_today for tile in screen.tiles) == received.exclude(district=None).count()
    assert screen.rollups_as_of == now


def test_who_may_open_the_screen(make_user, city):
    east = city.districts[0]
    assert selectors.screen_scope(user=make_user(Role.CITY_ADMIN)) == EVERYTHING
    assert selectors.screen_scope(user=make_user(Role.HOTLINE_SUPERVISOR)) == EVERYTHING
    assert selectors.screen_scope(user=make_user(Role.DISTRICT_SUPERVISOR, east)) == Scope(
        everything=False, district_ids=frozenset({east.pk})
    )
    assert selectors.screen_scope(user=make_user(Role.UNIT_LEADER, city.streets[0])) is None
    assert selectors.screen_scope(user=make_user(Role.AGENT)) is None
    assert selectors.screen_scope(user=make_user(Role.UNIT_OFFICER, city.streets[0])) is None


# --- API -------------------------------------------------------------------------------------------


@pytest.fixture
def as_user(api_client, make_user):
    def login(role: Role, unit=None):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role, unit)).key}")
        return api_client

    return login


def test_the_api_answers_a_supervisor_within_its_query_budget(as_user, figures, django_assert_max_num_queries):
    client = as_user(Role.HOTLINE_SUPERVISOR)
    # When a hotline supervisor's screen asks for its figures
    with django_assert_max_num_queries(API_QUERY_BUDGET):
        response = client.get("/api/v1/analytics/screen/")
    # Then they are answered as documented
    assert response.status_code == 200
    body = response.json()
    assert (body["received_today"], body["dispatched_today"], body["answered_directly_today"]) == (10, 7, 3)
    assert (body["overdue"], body["due_soon"], body["due_within_hours"]) == (1, 1, 2)
    assert (body["received_month"], body["signed_in_time_rate"]) == (160, "0.8000")
    assert (body["resolution_rate"], body["satisfaction_rate"]) == ("0.6000", "0.8600")
    assert body["top_categories"][0] == {
        "category": body["top_categories"][0]["category"],
        "name": "供暖",
        "count": 6,
        "share": "0.6000",
    }
    east = next(tile for tile in body["districts"] if tile["name"] == "甲区")
    assert {k: east[k] for k in ("population", "received_month", "received_today", "per_10k", "level")} == {
        "population": 500_000,
        "received_month": 100,
        "received_today": 6,
        "per_10k": "2.00",
        "level": 4,
    }
    assert body["scale"][0] == {"level": 0, "lower": "0.00", "upper": "0.50"}
    assert body["today"] == timezone.localdate().isoformat()
    assert body["month"] == timezone.localdate().replace(day=1).isoformat()
    assert (body["rows"], body["columns"]) == (1, 2)


def test_a_district_supervisor_sees_their_district_only(as_user, figures):
    response = as_user(Role.DISTRICT_SUPERVISOR, figures["east"]).get("/api/v1/analytics/screen/")
    assert response.status_code == 200
    body = response.json()
    assert [tile["name"] for tile in body["districts"]] == ["甲区"]
    assert (body["received_today"], body["received_month"], body["overdue"], body["due_soon"]) == (6, 100, 1, 0)
    assert [line["name"] for line in body["top_categories"]] == ["供暖"]


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.DISPATCHER, Role.UNIT_LEADER, Role.UNIT_OFFICER, Role.CALLBACK_AGENT]
)
def test_anyone_else_gets_404(as_user, city, role):
    response = as_user(role, city.streets[0]).get("/api/v1/analytics/screen/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/v1/analytics/screen/").status_code == 401


def test_many_screens_cost_one_computation_for_a_few_seconds(as_user, figures, settings, django_assert_max_num_queries):
    # Given the screen's answer is kept for a few seconds
    settings.ANALYTICS_SCREEN_CACHE_SECONDS = 5
    client = as_user(Role.CITY_ADMIN)
    first = client.get("/api/v1/analytics/screen/").json()
    # When another overdue assignment appears and the screen asks again within those seconds
    live_lead(figures["east"], -timedelta(hours=2))
    with django_assert_max_num_queries(API_QUERY_BUDGET - 5):
        again = client.get("/api/v1/analytics/screen/").json()
    # Then it gets the same answer from the cache, without the screen's queries
    assert again == first
    # and once the entry is gone, the new figures
    cache.clear()
    assert client.get("/api/v1/analytics/screen/").json()["overdue"] == first["overdue"] + 1


def test_the_screen_works_on_without_redis(as_user, figures, settings, redis_unreachable):
    settings.ANALYTICS_SCREEN_CACHE_SECONDS = 5
    response = as_user(Role.CITY_ADMIN).get("/api/v1/analytics/screen/")
    assert response.status_code == 200
    assert response.json()["received_today"] == 10


# --- Page ------------------------------------------------------------------------------------------


def test_the_page_carries_its_first_figures_and_its_poll_interval(client, make_user, figures, settings):
    settings.ANALYTICS_SCREEN_POLL_SECONDS = 30
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    response = client.get("/analytics/screen/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-poll-seconds="30"' in page
    assert 'data-screen-url="/api/v1/analytics/screen/"' in page
    assert '<script id="screen-data" type="application/json">' in page
    assert '"received_today": 10' in page
    # and nothing inline (the strict CSP)
    assert "<script>" not in page
    assert "style=" not in page


@pytest.mark.parametrize("role", [Role.AGENT, Role.UNIT_LEADER])
def test_the_page_is_404_for_anyone_else(client, make_user, city, role):
    client.force_login(make_user(role, city.streets[0]))
    assert client.get("/analytics/screen/").status_code == 404


def test_the_navigation_offers_the_screen_to_the_command_centre(client, make_user, city):
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    assert 'href="/analytics/screen/"' in client.get("/analytics/").content.decode()
    client.force_login(make_user(Role.UNIT_LEADER, city.streets[0]))
    assert 'href="/analytics/screen/"' not in client.get("/analytics/").content.decode()
