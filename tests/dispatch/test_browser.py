"""A unit officer signs, replies to and appeals a ticket from the workbench, in a real headless browser."""

import pytest

from dispatch import services
from dispatch.models import Assignment, AssignmentStatus, ReviewStatus
from evaluation.models import Appeal, AppealKind
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
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    login(browser_page, "officer_a")
    browser_page.wait_for_url("**/")
    browser_page.goto(f"/workbench/{assignment.pk}/")
    explanation = browser_page.locator("#id_explanation")
    assert explanation.evaluate("el => el.required") is False
    browser_page.select_option("#reply-form select[name=outcome]", "unresolved")
    assert explanation.evaluate("el => el.required") is True
    assert browser_page.js_errors == []


def test_officer_appeals_a_ticket_from_the_workbench(browser_page, org, staff, dispatched):
    # Given a ticket street A has signed
    assignment = services.sign(assignment_id=dispatched(org.street_a, title="占道经营").pk, actor=staff.officer_a)
    ticket = assignment.ticket
    page = browser_page
    # When A's officer opens it from the workbench and follows "Appeal"
    login(page, "officer_a")
    page.wait_for_url("**/")
    page.goto("/workbench/?tab=in_progress")
    page.locator(f"tr[data-assignment='{assignment.pk}'] a").first.click()
    page.wait_for_url(f"**/workbench/{assignment.pk}/")
    page.click("a[data-appeal]")
    page.wait_for_url(f"**/evaluation/appeals/new/?ticket={ticket.pk}")
    # and asks to take the ticket out of the rates, with the reason
    page.check(f"input[name=kind][value={AppealKind.EXCLUDE_TICKET}]")
    page.fill("textarea[name=reason]", "该路段属城管执法范围，非本街道职责。")
    page.click("form.appeal-form button[type=submit]")
    page.wait_for_selector(f"text=工单 {ticket.number} 的申诉已提交审核。")

    # Then the appeal awaits review for street A, and the appeal list shows it
    appeal = Appeal.objects.get()
    assert (appeal.ticket_id, appeal.unit, appeal.requested_by, appeal.status) == (
        ticket.pk,
        org.street_a,
        staff.officer_a,
        ReviewStatus.PENDING,
    )
    page.goto("/evaluation/appeals/")
    row = page.locator("table.appeals tbody tr", has_text=ticket.number)
    assert "该路段属城管执法范围" in row.inner_text()
    assert page.js_errors == []
