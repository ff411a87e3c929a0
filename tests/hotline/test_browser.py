"""The login flow in a real headless browser."""

import pytest

from hotline.models import Role
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_logs_in_and_sees_their_roles_in_chinese(browser_page, make_user):
    # Given an officer of a unit
    make_user(Role.UNIT_OFFICER, username="officer1")
    # When they log in through the browser
    login(browser_page, "officer1")
    # Then the start page greets them and lists their role, in Chinese
    browser_page.wait_for_url("**/")
    assert "承办人员" in browser_page.inner_text("main")
    assert browser_page.js_errors == []


def test_wrong_password_shows_a_form_error(browser_page, make_user):
    # Given an officer
    make_user(Role.UNIT_OFFICER, username="officer2")
    # When they submit a wrong password
    login(browser_page, "officer2", password="wrong")
    # Then the login page comes back with a form error (waited for: the click does not wait for the answer)
    assert browser_page.wait_for_selector(".errorlist").is_visible()
    assert browser_page.url.endswith("/accounts/login/")
