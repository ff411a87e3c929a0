"""The reply SMS templates page in a real browser: a supervisor previews and saves a template."""

import os

import pytest

from dispatch.models import FeedbackTemplate
from hotline.models import Role
from tests.conftest import login
from tests.dispatch.test_feedback import DEFAULTS

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_supervisor_previews_and_saves_a_template(browser_page, make_user, org, settings):
    # Given the seeded templates and a hotline supervisor
    settings.PUBLIC_BASE_URL = "https://12345.example.gov.cn"
    for outcome, text in DEFAULTS.items():
        FeedbackTemplate.objects.update_or_create(outcome=outcome, defaults={"text": text, "is_active": True})
    make_user(Role.HOTLINE_SUPERVISOR, org.hotline, username="sms_supervisor")
    page = browser_page
    login(page, "sms_supervisor")
    # When they open the templates page and the "resolved" template
    page.goto("/dispatch/reply-sms/")
    assert page.locator("tr[data-outcome]").count() == 3
    page.click("tr[data-outcome=resolved] a")
    page.fill("#id_text", "您的工单{number}已办结：{summary} 详情：{link}")
    # Then a preview shows the SMS without saving it
    page.click("button[name=preview]")
    assert "您的工单2026010100001已办结：" in page.locator("[data-preview]").inner_text()
    assert FeedbackTemplate.objects.get(outcome="resolved").text == DEFAULTS["resolved"]
    # And saving stores it and lists it
    page.click("button.primary")
    page.wait_for_url("**/dispatch/reply-sms/")
    assert "您的工单{number}已办结" in page.locator("tr[data-outcome=resolved]").inner_text()
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "reply-sms.png"), full_page=True)
    assert page.js_errors == []
