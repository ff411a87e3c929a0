"""The login flow in a real headless browser."""

import pytest

from hotline.models import Role
from tests.conftest import login
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_logs_in_and_lands_on_the_unit_workbench_in_chinese(browser_page, make_user):
    # Given an officer of a unit
    make_user(Role.UNIT_OFFICER, username="officer1")
    # When they log in through the browser
    login(browser_page, "officer1")
    # Then they land on their unit's workbench, in Chinese
    browser_page.wait_for_url("**/workbench/")
    assert "承办单位工作台" in browser_page.inner_text("main h1")
    assert browser_page.js_errors == []


def test_wrong_password_shows_a_form_error(browser_page, make_user):
    # Given an officer
    make_user(Role.UNIT_OFFICER, username="officer2")
    # When they submit a wrong password
    login(browser_page, "officer2", password="wrong")
    # Then the login page comes back with a form error (waited for: the click does not wait for the answer)
    assert browser_page.wait_for_selector(".errorlist").is_visible()
    assert browser_page.url.endswith("/accounts/login/")


def test_the_header_fits_a_laptop_screen_with_every_menu_in_english(browser_page, make_user):
    # Given a user holding every hotline role, so the header carries every menu
    user = make_user(Role.HOTLINE_SUPERVISOR, username="everything")
    unit = user.memberships.get().unit
    for role in (Role.AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.CITY_ADMIN):
        MembershipFactory(user=user, unit=unit, role=role)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "everything")
    page.wait_for_url("**/")
    # When they switch the interface to English
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Log out")
    # Then nothing sticks out of the page: the header wraps inside its red bar
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    bar = page.locator(".topbar").bounding_box()
    session = page.locator(".topbar .session").bounding_box()
    assert session["x"] + session["width"] <= bar["x"] + bar["width"]
    assert session["y"] + session["height"] <= bar["y"] + bar["height"]
    assert page.js_errors == []
