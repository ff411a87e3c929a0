"""A unit officer signs and replies to a ticket from the workbench, in a real headless browser."""

import pytest

from dispatch.models import Assignment, AssignmentStatus
from intake.lifecycle import Status
from intake.models import Ticket
from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_signs_and_replies_from_the_workbench(browser_page, org, staff, dispatched):
    # Given a ticket dispatched to street A
    assignment = dispatched(org.street_a, title="工地夜间施工扰民")
    page = browser_page
    # When A's officer logs in and opens the workbench
    login(page, "officer_a")
    page.wait_for_url("**/")
    page.goto("/workbench/")
    row = page.locator(f"tr[data-assignment='{assignment.pk}']")
    assert "工地夜间施工扰民" in row.inner_text()
    assert "剩余" in row.locator("time.countdown").inner_text()
    # and opens the ticket and signs it
    row.locator("a").first.click()
    page.wait_for_url(f"**/workbench/{assignment.pk}/")
    page.click("button[name=sign]")
    page.wait_for_selector("text=已签收，办理时限计时中。")
    # and replies that the matter is resolved
    page.fill("#reply-form textarea[name=text]", "已责令施工方停止夜间施工，经回访现场已恢复安静。")
    page.select_option("#reply-form select[name=outcome]", "resolved")
    page.click("button[name=reply]")
    page.wait_for_selector("text=已反馈。")

    # Then the ticket awaits the callback, the page shows the reply, and no script failed
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REPLIED
    assert Ticket.objects.get(pk=assignment.ticket_id).status == Status.AWAITING_CALLBACK
    assert "已责令施工方停止夜间施工" in page.inner_text("main")
    assert Assignment.objects.filter(ticket_id=assignment.ticket_id, status=AssignmentStatus.REPLIED).count() == 1
    assert page.js_errors == []


def test_explanation_becomes_required_unless_resolved(browser_page, org, staff, dispatched):
    from dispatch import services

    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    login(browser_page, "officer_a")
    browser_page.wait_for_url("**/")
    browser_page.goto(f"/workbench/{assignment.pk}/")
    explanation = browser_page.locator("#id_explanation")
    assert explanation.evaluate("el => el.required") is False
    browser_page.select_option("#reply-form select[name=outcome]", "unresolved")
    assert explanation.evaluate("el => el.required") is True
    assert browser_page.js_errors == []
