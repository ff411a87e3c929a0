"""The district sub-centre dispatcher passes the district's ticket down to a street, in a real headless browser."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from dispatch import services
from dispatch.models import Assignment, AssignmentRole
from hotline.models import Role
from tests.conftest import login
from tests.factories import DistrictFactory, StreetFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def zh(msgid: str, **values: str) -> str:
    """A message as the page shows it (zh-hans): the new ones read the same before their translation."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % values if values else text


def test_sub_centre_passes_the_ticket_down_to_a_street_who_then_signs_it(
    browser_page, org, staff, dispatched, make_user
):
    # Given the district's signed ticket, its sub-centre dispatcher, and a namesake street in another district
    sub_centre = make_user(Role.DISTRICT_DISPATCHER, org.district, username="fengtai_dispatch")
    district = services.sign(assignment_id=dispatched(org.district, title="路面塌陷").pk, actor=sub_centre)
    StreetFactory(name="大红门东街道", parent=DistrictFactory(name="大兴区"))
    page = browser_page
    # When the dispatcher opens the workbench and the ticket in progress
    login(page, "fengtai_dispatch")
    page.wait_for_url("**/")
    page.goto("/workbench/?tab=in_progress")
    page.locator(f"tr[data-assignment='{district.pk}'] a").first.click()
    page.wait_for_url(f"**/workbench/{district.pk}/")
    # and picks street B by typing: only the district's units are found
    lead = page.locator("#id_subdispatch-lead-search")
    lead.fill("大红门")
    listbox = page.locator("#id_subdispatch-lead-listbox")
    option = listbox.locator("[role=option]", has_text="大红门街道")
    option.wait_for()
    assert listbox.locator("[role=option]").all_inner_texts() == ["大红门街道（丰台区）"]
    lead.press("ArrowDown")
    lead.press("Enter")
    # with a deadline after the district's own
    later = timezone.localtime(district.due_at + timedelta(days=2))
    page.fill("#id_subdispatch-due_at", f"{later:%Y-%m-%dT%H:%M}")
    page.click("button[name=subdispatch]")

    # Then the deadline is refused on the form, and nothing is passed down
    error = zh("Choose a deadline no later than the district's own.")
    page.wait_for_selector(f"#subdispatch-form .errorlist >> text={error}")
    assert not Assignment.objects.filter(parent=district).exists()
    assert page.locator("#id_subdispatch-lead-search").input_value() == "大红门街道（丰台区）"

    # When it leaves the deadline empty (the district's own) and passes the ticket down
    page.fill("#id_subdispatch-due_at", "")
    page.click("button[name=subdispatch]")
    page.wait_for_selector(f"text={zh('Passed down to %(unit)s.', unit='大红门街道')}")

    # Then street B leads below the district, shown under it in the units on the ticket
    below = Assignment.objects.get(parent=district)
    assert (below.unit, below.role, below.due_at) == (org.street_b, AssignmentRole.LEAD, district.due_at)
    row = page.locator(f"#units tr[data-assignment='{below.pk}']")
    assert row.get_attribute("data-level") == "district"
    assert "大红门街道" in row.inner_text()
    assert row.locator("time.countdown").count() == 1
    assert page.locator("#subdispatch").count() == 0
    assert page.locator("#sub-reply-pending").count() == 1
    # (the refused form came back as a 400 page, which the console reports)
    assert [error for error in page.js_errors if "status of 400" not in error] == []

    # And street B's officer finds the ticket in the workbench, to sign
    page.context.clear_cookies()
    login(page, "officer_b")
    page.wait_for_url("**/")
    page.goto("/workbench/")
    assert "路面塌陷" in page.locator(f"tr[data-assignment='{below.pk}']").inner_text()
    page.locator(f"tr[data-assignment='{below.pk}'] a").first.click()
    page.wait_for_url(f"**/workbench/{below.pk}/")
    assert page.locator("button[name=sign]").count() == 1
    assert [error for error in page.js_errors if "status of 400" not in error] == []
