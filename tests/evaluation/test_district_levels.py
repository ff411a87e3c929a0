"""The evaluation pages say which level a ticket came through (issue 18): the drill-down lists mark
each row dispatched by the hotline or passed down by a district, and the ranking page states the
rule (a district ranked on what the hotline dispatched to it, every unit on everything it handled)."""

import pytest
from django.urls import reverse

from hotline.models import Role
from tests.factories import CallbackFactory, LeadAssignmentFactory, StreetFactory, at, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_levels(district, street):
    """In October: one ticket the hotline dispatched to the district, which passed it down to the
    street; one the hotline dispatched to the street itself; a callback answered for each."""
    own = LeadAssignmentFactory(unit=district)
    below = LeadAssignmentFactory(unit=street, ticket=own.ticket, parent=own, dispatched_at=at(2026, 10, 5, 12))
    direct = LeadAssignmentFactory(unit=street)
    passed_down = CallbackFactory(ticket=own.ticket, unit=district, passed_down_to=street)
    dispatched = CallbackFactory(ticket=direct.ticket, unit=street)
    return {"own": own, "below": below, "direct": direct, "passed_down": passed_down, "dispatched": dispatched}


def drill_down(client, unit, metric: str) -> str:
    url = reverse("evaluation:unit_tickets", args=[unit.pk]) + f"?month=2026-10&metric={metric}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_units_response_rows_say_which_level_dispatched_each_ticket(
    client, city_admin, district, street, both_levels
):
    client.force_login(city_admin)
    # When the street's response drill-down is opened
    html = drill_down(client, street, "response_required")
    # Then both its tickets count, one dispatched by the hotline, one passed down by the district
    assert html.count('data-level="hotline"') == 1
    assert html.count('data-level="district"') == 1
    assert "测试东城区" in html  # the district named as the one that passed it down
    assert both_levels["below"].ticket.number in html
    assert both_levels["direct"].ticket.number in html
    # and the district's counts only the ticket the hotline dispatched to it
    district_html = drill_down(client, district, "response_required")
    assert district_html.count('data-level="hotline"') == 1
    assert 'data-level="district"' not in district_html


def test_a_callbacks_row_says_whom_its_result_counts_for(client, city_admin, district, street, both_levels):
    client.force_login(city_admin)
    # When the street's callbacks are listed
    html = drill_down(client, street, "callbacks_answered")
    # Then one counts for it as the hotline's lead, the other as the unit its district passed it down to
    assert html.count('data-credited="unit"') == 1
    assert html.count('data-credited="passed_down_to"') == 1
    # and the district's callback counts for it as the hotline's lead, naming the unit below
    district_html = drill_down(client, district, "callbacks_answered")
    assert district_html.count('data-credited="unit"') == 1
    assert 'data-credited="passed_down_to"' not in district_html
    assert "东华门街道" in district_html


def test_the_drill_down_costs_the_same_queries_with_many_passed_down_rows(
    client, city_admin, district, django_assert_max_num_queries
):
    # Given 30 tickets passed down to 30 streets of the district, each with its callback
    for _ in range(30):
        street = StreetFactory(parent=district)
        own = LeadAssignmentFactory(unit=district)
        LeadAssignmentFactory(unit=street, ticket=own.ticket, parent=own)
        CallbackFactory(ticket=own.ticket, unit=district, passed_down_to=street)
    client.force_login(city_admin)
    drill_down(client, district, "callbacks_answered")  # warm the session and caches
    # When the district's drill-downs are opened, each costs the same few queries
    for metric in ("callbacks_answered", "response_required"):
        with django_assert_max_num_queries(10):
            drill_down(client, district, metric)


def test_the_ranking_page_states_the_rule_of_the_two_levels(client, city_admin, street, both_levels):
    published(month=at(2026, 10, 1).date(), unit_kind="street")
    client.force_login(city_admin)
    response = client.get(reverse("evaluation:ranking") + "?month=2026-10&kind=street")
    assert response.status_code == 200
    assert "data-levels" in response.content.decode()


def test_the_ticket_page_shows_whom_a_callback_counts_for_to_both_units(
    client, make_user, callback_agent, district, street, both_levels
):
    ticket_id = both_levels["own"].ticket_id
    # When the callback agent and the street's officer open the ticket passed down to the street
    client.force_login(callback_agent)
    html = client.get(reverse("intake:ticket_detail", args=[ticket_id])).content.decode()
    # Then its callback names the district and the street it was passed down to
    assert f'data-passed-down-to="{street.pk}"' in html
    client.force_login(make_user(Role.UNIT_OFFICER, street))
    html = client.get(reverse("intake:ticket_detail", args=[ticket_id])).content.decode()
    # and the street's staff read the result that counts for them too
    assert f'data-callback="{both_levels["passed_down"].pk}"' in html


def test_the_callback_page_names_the_unit_the_district_passed_down_to(client, callback_agent, street, both_levels):
    client.force_login(callback_agent)
    html = client.get(reverse("evaluation:callback_detail", args=[both_levels["passed_down"].pk])).content.decode()
    assert f'data-passed-down-to="{street.pk}"' in html
