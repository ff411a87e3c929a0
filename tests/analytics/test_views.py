"""The analytics pages: who may open them, that they read the rollups (never the ticket table) in a
bounded number of queries whatever the number of tickets, and what they show."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import services
from analytics.models import MonthlyRollup
from analytics.periods import Period
from dispatch.models import Assignment
from hotline.models import Role
from intake.models import PLATFORM_CHANNELS, Ticket
from tests.factories import generate, sum_district_months

pytestmark = pytest.mark.django_db

PAGES = ["analytics:overview", "analytics:categories", "analytics:places", "analytics:hotspots", "analytics:report"]
# Session, user, roles, notification badge, period choices, then each page's own figures. The
# district table adds the district ranking's figures: published months from the ranking, the
# other months counted from assignments and callbacks (evaluation.rates.district_rate_sums).
MAX_QUERIES = {
    "analytics:overview": 8,
    "analytics:categories": 6,
    "analytics:places": 14,
    "analytics:hotspots": 9,
    "analytics:report": 22,
}
RANKING_COUNTS = ('FROM "dispatch_assignment"', 'FROM "evaluation_callback"')


@pytest.mark.parametrize("name", PAGES)
def test_each_page_reads_rollups_in_bounded_queries_whatever_the_volume(
    name, client, city, city_admin, django_assert_max_num_queries
):
    client.force_login(city_admin)
    url = f"{reverse(name)}?period={timezone.localdate():%Y}"
    now = timezone.now()
    # Given sixty tickets counted by the rollups
    generate(city, count=60, first=now - timedelta(days=100), days=98, seed=1)
    services.refresh_rollups(now=now)
    client.get(url)  # the process reads the user's roles once
    # When the page is opened, then it runs at most its fixed number of queries, none on the ticket table
    with django_assert_max_num_queries(MAX_QUERIES[name]), CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert not [
        query
        for query in small.captured_queries
        if "intake_ticket" in query["sql"] and not any(table in query["sql"] for table in RANKING_COUNTS)
    ]
    # And with five times as many tickets it runs the same number
    generate(city, count=240, first=now - timedelta(days=100), days=98, seed=2)
    services.refresh_rollups()
    with django_assert_max_num_queries(MAX_QUERIES[name]), CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_overview_shows_the_rollups_not_the_live_tickets(client, city, city_admin):
    # Given thirty tickets of last month that the rollups do not count yet
    last_month = Period.parse(None).previous()
    start = services.day_start(last_month.start)
    generate(city, count=30, first=start, days=(last_month.end - last_month.start).days)
    client.force_login(city_admin)
    url = f"{reverse('analytics:overview')}?period={last_month.param}"
    # When the overview is opened, then it shows no requests: it reads the rollups
    assert client.get(url).context["summary"].received == 0
    # When the refresh has run, then it shows all thirty, split by channel and disposition
    services.refresh_rollups()
    page = client.get(url)
    summary = page.context["summary"]
    assert summary.received == 30
    assert summary.phone + summary.online + summary.media + summary.platforms + summary.proactive == 30
    assert summary.platforms == Ticket.objects.filter(channel__in=PLATFORM_CHANNELS).count()
    assert summary.proactive == Ticket.objects.filter(channel="proactive").count()
    assert summary.counts["answered_directly"] == Ticket.objects.filter(disposition="answered_directly").count()
    # and the disposition table's three rows add up to all of them, as its chart's three parts do
    assert summary.counts["answered_directly"] + summary.counts["dispatched"] + page.context["other"] == 30
    assert page.context["charts"]["disposition"]["series"][0]["data"] == [
        summary.counts["answered_directly"],
        summary.counts["dispatched"],
        page.context["other"],
    ]


def test_overview_counts_live_overdue_and_due_soon_lead_assignments(client, city, city_admin):
    # Given generated tickets, some with live lead assignments past their deadline or due within a day
    now = timezone.now()
    generate(city, count=120, first=now - timedelta(days=12), days=11)
    live = Assignment.objects.filter(role="lead", ended_at__isnull=True, status__in=["dispatched", "signed"])
    client.force_login(city_admin)
    # When the overview is opened
    live_counts = client.get(reverse("analytics:overview")).context["live"]
    # Then the live counts are those of the assignments right now
    assert live_counts.overdue == live.filter(due_at__lt=now).count() > 0
    assert live_counts.due_soon == live.filter(due_at__gte=now, due_at__lt=now + timedelta(hours=24)).count()


def test_district_supervisor_sees_their_district_only(client, city, make_user):
    # Given rollups over both districts, and the supervisor of the first
    now = timezone.now()
    generate(city, count=150, first=now - timedelta(days=60), days=58)
    services.refresh_rollups(now=now)
    east, west = city.districts
    client.force_login(make_user(Role.DISTRICT_SUPERVISOR, east))
    period = f"{timezone.localdate():%Y}"
    # When they open the overview and the districts page
    overview = client.get(f"{reverse('analytics:overview')}?period={period}")
    places = client.get(f"{reverse('analytics:places')}?period={period}")
    # Then the totals are their district's tickets and the district table lists their district alone
    in_east = Ticket.objects.filter(district=east, created_at__year=timezone.localdate().year).count()
    assert overview.context["summary"].received == in_east
    assert [line.district for line in places.context["districts"]] == [east]
    assert places.context["charts"]["per_10k"]["labels"] == [east.name] != [west.name]


def test_unit_leader_sees_their_units_tickets(client, city, make_user):
    # Given rollups over the whole city, and the leader of one street
    now = timezone.now()
    generate(city, count=150, first=now - timedelta(days=60), days=58)
    services.refresh_rollups(now=now)
    street = city.streets[0]
    client.force_login(make_user(Role.UNIT_LEADER, street))
    # When they open the overview of the year
    response = client.get(f"{reverse('analytics:overview')}?period={timezone.localdate():%Y}")
    # Then every ticket counted was dispatched to their street (not returned by it)
    handled = (
        Assignment.objects.filter(unit=street, role="lead", ticket__created_at__year=timezone.localdate().year)
        .exclude(status="returned")
        .count()
    )
    summary = response.context["summary"]
    assert summary.counts["dispatched"] == summary.received == handled > 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.UNIT_OFFICER, Role.CALLBACK_AGENT])
@pytest.mark.parametrize("name", PAGES)
def test_other_roles_get_404(client, make_user, role, name):
    client.force_login(make_user(role))
    assert client.get(reverse(name)).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("analytics:overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_bad_period_shows_a_message_and_the_current_month(client, city_admin):
    client.force_login(city_admin)
    response = client.get(f"{reverse('analytics:overview')}?period=2026-13")
    assert response.status_code == 200
    assert response.context["period"] == Period.parse(None)
    assert "请填写年份（如2026）或月份（如2026-10）。" in response.content.decode()


def test_pages_link_the_figures_to_the_tickets_behind_them(client, city, city_admin):
    now = timezone.now()
    generate(city, count=60, first=now - timedelta(days=20), days=18)
    services.refresh_rollups(now=now)
    client.force_login(city_admin)
    year = timezone.localdate().year
    content = client.get(f"{reverse('analytics:categories')}?period={year}").content.decode()
    root = city.tree.roots[0]
    assert f"/tickets/?created_after={year}-01-01&amp;created_before={year}-12-31&amp;category={root.pk}" in content


def test_overview_shows_the_rates_by_month_of_the_supervisors_district(client, city, make_user):
    # Given 2025 rollups: in the east, March with callbacks and April without any; in the west, April with callbacks
    east, west = city.districts
    leaf = city.tree.leaves[0]
    march = {"response_required": 4, "signed_in_time": 3, "callbacks_answered": 5, "callbacks_resolved": 4}
    march |= {"callbacks_satisfied": 3, "callbacks_basically_satisfied": 1}
    for month, district, counts in (
        (date(2025, 3, 1), east, march),
        (date(2025, 4, 1), east, {"response_required": 2, "signed_in_time": 2}),
        (date(2025, 4, 1), west, {"response_required": 1, "callbacks_answered": 1, "callbacks_satisfied": 1}),
    ):
        MonthlyRollup.objects.create(
            month=month,
            category=leaf,
            kind="complaint",
            channel="phone",
            district=district,
            received=6,
            dispatched=5,
            **counts,
        )
    sum_district_months()
    # When the east's supervisor opens the overview of 2025
    client.force_login(make_user(Role.DISTRICT_SUPERVISOR, east))
    response = client.get(f"{reverse('analytics:overview')}?period=2025")
    # Then the rates chart has a line per rate in percent over the twelve months, the east's alone,
    # with a gap (null) where a month has nothing to divide by
    chart = response.context["charts"]["rates"]
    assert (chart["type"], chart["percent"], chart["labels"][2]) == ("line", True, "2025-03")
    response_rate, resolution, satisfaction = (series["data"] for series in chart["series"])
    assert response_rate[1:4] == [None, 75.0, 100.0]
    assert resolution[1:4] == [None, 80.0, None]
    assert satisfaction[1:4] == [None, 76.0, None]  # (3 + 0.8 × 1) / 5
    # And the table beside it shows the same, — for no rate
    content = response.content.decode()
    april = '<tr><td>2025-04</td><td class="num">100.00%</td><td class="num">—</td><td class="num">—</td></tr>'
    assert april in content
    assert "按受理月份统计的签收及时率、解决率、满意率" in content
    # And a dispatcher gets no overview at all
    client.force_login(make_user(Role.DISPATCHER))
    assert client.get(f"{reverse('analytics:overview')}?period=2025").status_code == 404


def test_overview_shows_how_often_the_suggested_category_was_taken(client, city, city_admin):
    # Given last month's tickets: 2 taken first, 1 as the third suggestion, 1 not among the five,
    # and the rest taken in while no model was active
    last_month = Period.parse(None).previous()
    start = services.day_start(last_month.start)
    tickets = generate(city, count=10, first=start, days=(last_month.end - last_month.start).days)
    for ticket, rank in zip(tickets, [1, 1, 3, 0], strict=False):
        Ticket.objects.filter(pk=ticket.pk).update(suggestion_rank=rank, suggestion_model_version=1)
    services.refresh_rollups()
    client.force_login(city_admin)
    # When the overview of that month is opened
    page = client.get(f"{reverse('analytics:overview')}?period={last_month.param}")
    # Then it shows 4 tickets with a suggestion, half taken first and three quarters among the five
    acceptance = page.context["acceptance"]
    assert (acceptance.scored, acceptance.top1, acceptance.top5) == (4, Decimal("0.5"), Decimal("0.75"))
    assert 'id="suggestion-acceptance"' in page.content.decode()
