"""The repeat-contact rate (重复反映率): the share of a month's requests merged into an open matter."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from analytics import services
from analytics.models import MonthlyRollup
from hotline.models import Role
from intake import services as intake_services
from intake.lifecycle import Status
from intake.models import Ticket
from tests.analytics import expected
from tests.factories import TicketFactory, at

pytestmark = pytest.mark.django_db


def month_of_contacts(day: date, *, contacts: int, repeats: int) -> None:
    """`contacts` requests received on `day`, of which `repeats` were merged into the first one."""
    parent = TicketFactory(status=Status.AWAITING_DISPATCH)
    others = [TicketFactory() for _index in range(contacts - 1)]
    for ticket in others[:repeats]:
        intake_services.merge_into(ticket_id=ticket.pk, parent_id=parent.pk, actor=None)
    Ticket.objects.filter(pk__in=[parent.pk, *(t.pk for t in others)]).update(
        created_at=at(day.year, day.month, day.day)
    )


@pytest.fixture
def repeats(db):
    """March 2025: 4 requests, 1 a repeat; April: 5 requests, 2 repeats; rollups rebuilt."""
    month_of_contacts(date(2025, 3, 10), contacts=4, repeats=1)
    month_of_contacts(date(2025, 4, 10), contacts=5, repeats=2)
    services.rebuild_rollups(first=date(2025, 3, 1), last=date(2025, 4, 30))


def test_the_rollups_count_the_repeat_contacts_of_each_month(repeats):
    totals = dict(MonthlyRollup.objects.values_list("month").annotate(n=Sum("repeat_contacts")).order_by("month"))
    assert totals == {date(2025, 3, 1): 1, date(2025, 4, 1): 2}
    assert expected.monthly_rows() == expected.expected_monthly(timezone.now())


def test_the_rates_api_gives_the_repeat_contact_rate_per_month(repeats, api_client, make_user):
    # Given a hotline supervisor
    user = make_user(Role.HOTLINE_SUPERVISOR)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    # When the rates of 2025 are read
    body = api_client.get("/api/v1/analytics/rates/?period=2025").json()
    months = {month["month"]: month for month in body["months"]}
    # Then each month has its repeats, its requests and their share; none without requests
    assert [
        (months[m]["received"], months[m]["repeat_contacts"], months[m]["repeat_contact_rate"])
        for m in (
            "2025-03",
            "2025-04",
            "2025-05",
        )
    ] == [(4, 1, "0.2500"), (5, 2, "0.4000"), (0, 0, None)]


def test_the_overview_shows_the_repeat_contact_trend(repeats, client, make_user):
    client.force_login(make_user(Role.CITY_ADMIN))
    response = client.get(f"{reverse('analytics:overview')}?period=2025")
    assert response.status_code == 200
    lines = {month: (counts["repeat_contacts"], rate) for month, counts, rate in response.context["monthly_repeats"]}
    assert lines["2025-03"] == (1, Decimal("0.2500"))
    assert lines["2025-04"] == (2, Decimal("0.4000"))
    chart = response.context["charts"]["repeat_contacts"]
    assert chart["series"][0]["data"][2:5] == [25.0, 40.0, None]
    assert 'id="repeat-contacts"' in response.content.decode()
