"""The dispatcher finds a unit by typing in the lead unit picker, in a real headless browser."""

import pytest

from dispatch.models import Assignment, AssignmentRole
from hotline.models import UnitKind
from intake.lifecycle import Status
from intake.models import Ticket
from tests.conftest import login
from tests.factories import StreetFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatcher_types_a_short_name_and_picks_the_unit_by_keyboard(browser_page, org, staff, awaiting):
    # Given a ticket awaiting dispatch, and Fengtai's city management among hundreds of units
    ticket = awaiting(title="小区门口垃圾堆积")
    city_management = UnitFactory(name="丰台区城市管理委", kind=UnitKind.DISTRICT_DEPARTMENT, parent=org.district)
    UnitFactory(name="丰台区住房城乡建设委", kind=UnitKind.DISTRICT_DEPARTMENT, parent=org.district)
    StreetFactory.create_batch(300, parent=org.district)
    page = browser_page
    login(page, "dispatcher")
    page.wait_for_url("**/")
    page.goto(f"/dispatch/tickets/{ticket.pk}/")
    assert page.locator("option").count() < 50
    lead = page.locator("#id_lead_unit-search")
    # the lead picker shows the suggestion and offers it first on focus
    assert lead.input_value() == "新村街道（丰台区）"
    lead.focus()
    listbox = page.locator("#id_lead_unit-listbox")
    assert listbox.locator(".unit-picker-group").first.inner_text() == "建议"
    assert lead.get_attribute("aria-expanded") == "true"

    # When the dispatcher types 丰台城管委 and picks the first match with the keyboard
    lead.fill("丰台城管委")
    option = listbox.locator("[role=option]", has_text="丰台区城市管理委")
    option.wait_for()
    assert listbox.locator(".unit-picker-group").all_inner_texts() == ["区级部门 · 丰台区"]
    lead.press("ArrowDown")
    assert lead.get_attribute("aria-activedescendant") == option.get_attribute("id")
    lead.press("Enter")
    assert lead.input_value() == "丰台区城市管理委（丰台区）"
    assert lead.get_attribute("aria-expanded") == "false"
    # and adds an assisting unit by pinyin initials, then submits
    assist = page.locator("#id_assist_units-search")
    assist.fill("swj")
    assist_option = page.locator("#id_assist_units-listbox [role=option]", has_text="市水务局")
    assist_option.wait_for()
    assist.press("ArrowDown")
    assist.press("Enter")
    assert page.locator(".unit-picker-chips .chip").all_inner_texts() == ["市水务局 ×"]
    page.click("form button.primary")
    page.wait_for_url("**/dispatch/")

    # Then the ticket is dispatched to Fengtai's city management, with the water bureau assisting
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED
    assert {(a.unit_id, a.role) for a in Assignment.objects.filter(ticket=ticket)} == {
        (city_management.pk, AssignmentRole.LEAD),
        (org.department.pk, AssignmentRole.ASSIST),
    }
    assert page.js_errors == []


def test_escape_closes_the_list_and_the_chosen_unit_stays(browser_page, org, staff, awaiting):
    ticket = awaiting()
    page = browser_page
    login(page, "dispatcher")
    page.wait_for_url("**/")
    page.goto(f"/dispatch/tickets/{ticket.pk}/")
    lead = page.locator("#id_lead_unit-search")
    lead.fill("dhm")
    page.locator("#id_lead_unit-listbox [role=option]", has_text="大红门街道").wait_for()
    lead.press("Escape")
    assert lead.get_attribute("aria-expanded") == "false"
    page.locator("h1").click()  # leaving the box without choosing keeps the unit chosen before
    assert lead.input_value() == "新村街道（丰台区）"
    assert page.locator("#id_lead_unit").input_value() == str(org.street_a.pk)
    assert page.js_errors == []
