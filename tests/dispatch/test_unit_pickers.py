"""The dispatcher's and the units' pages pick units by searching: they never list every unit."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from dispatch import services
from dispatch.models import Assignment, RoutingRule
from hotline.models import User
from tests.factories import StreetFactory

pytestmark = pytest.mark.django_db

MAX_OPTIONS = 50


@pytest.fixture
def many_units(org):
    """Enough streets that a select listing them all would show it."""
    return StreetFactory.create_batch(300, parent=org.district)


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def options(html: str) -> list[str]:
    return re.findall(r"<option\b", html)


def pickers(html: str) -> int:
    return html.count("data-unit-picker")


def test_dispatch_page_offers_the_suggestions_first_and_no_long_list(org, staff, awaiting, many_units):
    ticket = awaiting()
    html = browser(staff.dispatcher).get(f"/dispatch/tickets/{ticket.pk}/").content.decode()
    assert len(options(html)) < MAX_OPTIONS
    assert pickers(html) == 2  # lead and assisting units
    assert re.search(rf'<optgroup label="建议">\s*<option value="{org.street_a.pk}" selected>新村街道（丰台区）', html)
    assert 'data-search-url="/api/v1/units/search/"' in html


def test_a_unit_found_by_searching_is_accepted_and_an_unknown_one_is_a_field_error(org, staff, awaiting, many_units):
    ticket = awaiting()
    client = browser(staff.dispatcher)
    refused = client.post(f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": 10**9})
    assert refused.status_code == 400
    assert refused.context["form"].errors["lead_unit"]
    # the chosen unit is kept on the page that shows the error, however many units there are
    other = many_units[-1]
    refused = client.post(f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": other.pk, "assist_units": [10**9]})
    assert refused.context["form"].errors["assist_units"]
    assert f'<option value="{other.pk}" selected>' in refused.content.decode()
    assert len(options(refused.content.decode())) < MAX_OPTIONS

    client.post(f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": other.pk, "assist_units": [org.department.pk]})
    assert {(a.unit_id, a.role) for a in Assignment.objects.filter(ticket=ticket)} == {
        (other.pk, "lead"),
        (org.department.pk, "assist"),
    }


def test_return_review_offers_the_suggestions_to_redispatch_to(org, staff, dispatched, many_units):
    wrong = dispatched(org.street_b)
    request = services.request_return(
        assignment_id=wrong.pk, actor=staff.officer_b, reason="outside_area", legal_basis="不在辖区"
    )
    html = browser(staff.dispatcher).get(f"/dispatch/reviews/returns/{request.pk}/").content.decode()
    assert len(options(html)) < MAX_OPTIONS
    assert pickers(html) == 1
    assert f'<option value="{org.street_a.pk}">新村街道（丰台区）</option>' in html


def test_whistle_picks_departments_by_searching(org, staff, dispatched, many_units):
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    client = browser(staff.officer_a)
    html = client.get(f"/workbench/{assignment.pk}/").content.decode()
    assert len(options(html)) < MAX_OPTIONS
    assert pickers(html) == 1
    client.post(f"/workbench/{assignment.pk}/whistle/", {"units": [org.department.pk], "note": "请到场"})
    assert Assignment.objects.filter(ticket=assignment.ticket, unit=org.department).exists()


def test_catalogue_rule_form_picks_street_and_unit_by_searching(org, staff, many_units):
    client = browser(staff.hotline_supervisor)
    html = client.get("/dispatch/catalogue/").content.decode()
    assert pickers(html) == 2  # street and handling unit; the 16 districts stay a select
    assert len(options(html)) < MAX_OPTIONS
    street = many_units[150]
    client.post(
        "/dispatch/catalogue/",
        {
            "category": org.street_matter.pk,
            "street": street.pk,
            "unit": street.pk,
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    rule = RoutingRule.objects.get()
    assert (rule.street, rule.unit) == (street, street)
    edit = client.get(f"/dispatch/catalogue/{rule.pk}/").content.decode()
    assert f'<option value="{street.pk}" selected>' in edit
    assert len(options(edit)) < MAX_OPTIONS


def test_the_workbench_filter_searches_units_for_hotline_staff(org, staff, many_units):
    # Given a hotline supervisor, who may filter the workbench by any unit
    html = browser(staff.hotline_supervisor).get("/workbench/?tab=all").content.decode()
    # Then the unit filter is a picker, not a list of every unit
    assert pickers(html) == 1
    unit_select = re.search(r'<select name="unit".*?</select>', html, re.S)
    assert unit_select is not None
    assert len(options(unit_select.group(0))) < MAX_OPTIONS
