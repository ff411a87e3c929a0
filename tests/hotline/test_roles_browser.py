"""Each role's main path in a real headless browser, from the login to its first completed action:
the role lands on its own work (hotline.selectors.HOME_PAGES) and finishes something there. The
agent's keyboard-only desk path is in tests/intake."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services as dispatch_services
from dispatch.models import Assignment, AssignmentStatus
from evaluation.models import Callback, CallbackStatus
from hotline.models import Role, UnitKind
from intake.lifecycle import Action, Status
from intake.models import Ticket
from tests.conftest import login
from tests.evaluation.conftest import pending_callback
from tests.factories import CategoryFactory, DistrictFactory, StreetFactory, TicketFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def street(db):
    return StreetFactory(name="新村街道", parent=DistrictFactory(name="丰台区"))


@pytest.fixture
def hotline(db):
    return UnitFactory(name="热线服务中心", kind=UnitKind.HOTLINE_CENTER)


def dispatched_to(street, dispatcher, **fields) -> Assignment:
    ticket = TicketFactory(filled_in=True, street=street, district=street.parent, category=CategoryFactory(), **fields)
    return dispatch_services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=street.pk, actor=dispatcher)


def test_dispatcher_lands_on_the_queue_and_dispatches_a_ticket(browser_page, make_user, street, hotline):
    # Given a street matter awaiting dispatch, which the catalogue routes to its street
    make_user(Role.DISPATCHER, hotline, username="dispatcher")
    ticket = TicketFactory(
        filled_in=True, street=street, district=street.parent, category=CategoryFactory(), title="路灯不亮"
    )
    page = browser_page
    # When the dispatcher logs in, they land on the queue, which counts one ticket to dispatch
    login(page, "dispatcher")
    page.wait_for_url("**/dispatch/")
    assert page.inner_text("[data-pending=queue]") == "1"
    # and they tick the ticket, keep the suggested street and dispatch it
    row = page.locator(f"tr[data-ticket='{ticket.pk}']")
    assert "路灯不亮" in row.inner_text()
    row.locator("input[name=tickets]").check()
    page.click("form button.primary")
    page.wait_for_selector(".messages .success")
    # Then the ticket is with the street, and the queue is empty
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED
    assert Assignment.objects.get(ticket=ticket).unit == street
    assert page.inner_text("[data-pending=queue]") == "0"
    assert page.js_errors == []


def test_unit_officer_lands_on_the_workbench_and_signs_a_ticket(browser_page, make_user, street, hotline):
    # Given a ticket dispatched to the officer's street
    dispatcher = make_user(Role.DISPATCHER, hotline)
    make_user(Role.UNIT_OFFICER, street, username="officer")
    assignment = dispatched_to(street, dispatcher, title="井盖缺失")
    page = browser_page
    # When the officer logs in, they land on the unit workbench, its "to sign" tab counting one
    login(page, "officer")
    page.wait_for_url("**/workbench/")
    assert page.inner_text("[data-nav-count=to_sign]") == "1"
    # and they tick the ticket and sign it
    row = page.locator(f"tr[data-assignment='{assignment.pk}']")
    assert "井盖缺失" in row.inner_text()
    row.locator("input[name=ids]").check()
    page.click("form button.primary")
    page.wait_for_selector(".messages .success")
    # Then the ticket is signed, and nothing is left to sign
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.SIGNED
    assert page.locator("[data-nav-count=to_sign]").count() == 0
    assert page.js_errors == []


def test_callback_agent_lands_on_due_callbacks_and_records_a_result(browser_page, make_user, street):
    # Given a callback due on a ticket the street replied to
    make_user(Role.CALLBACK_AGENT, username="callback")
    callback = pending_callback(unit=street)
    page = browser_page
    # When the callback agent logs in, they land on the due callbacks
    login(page, "callback")
    page.wait_for_url("**/evaluation/callbacks/")
    assert page.inner_text("[data-nav-count=callbacks]") == "1"
    # and they open the callback, record the caller reached, resolved and satisfied, and save
    page.locator(f"tr[data-callback='{callback.pk}'] a.button").click()
    page.wait_for_url(f"**/evaluation/callbacks/{callback.pk}/")
    page.check("input[name=reached][value=yes]")
    page.check("input[name=resolution][value=resolved]")
    page.check("input[name=satisfaction][value=satisfied]")
    page.click("form.callback-form button.primary")
    page.wait_for_selector(".messages .success")
    # Then the callback is done and the ticket closed
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DONE
    assert (callback.resolution, callback.satisfaction) == ("resolved", "satisfied")
    assert Callback.objects.get(pk=callback.pk).ticket.status == Status.CLOSED
    assert page.js_errors == []


def test_supervisor_lands_on_the_overview_and_supervises_an_overdue_ticket(browser_page, make_user, street, hotline):
    # Given an overdue ticket of the street
    dispatcher = make_user(Role.DISPATCHER, hotline)
    make_user(Role.HOTLINE_SUPERVISOR, hotline, username="supervisor")
    late = dispatched_to(street, dispatcher, title="占道经营")
    Assignment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    page = browser_page
    # When the supervisor logs in, they land on the analytics overview
    login(page, "supervisor")
    page.wait_for_url("**/analytics/")
    # and go to supervision, follow the street's overdue count to its tickets, and press 督办
    page.click(".mainnav a[href='/supervision/']")
    page.wait_for_url("**/supervision/")
    page.click(f"tr[data-unit='{street.pk}'] a[data-show=overdue]")
    page.wait_for_url(f"**/supervision/?unit={street.pk}&show=overdue")
    page.click(f"tr[data-assignment='{late.pk}'] button[name=supervise]")
    page.wait_for_selector(".messages .success")
    # Then the ticket is supervised, and the supervisor is back on the street's list
    assert late.ticket.events.filter(action=Action.SUPERVISE).count() == 1
    assert page.url.endswith(f"/supervision/?unit={street.pk}&show=overdue")
    assert page.js_errors == []


def test_city_admin_reaches_the_admin_and_its_change_links_read_in_django_words(browser_page, make_user):
    # Given a city admin who may use the admin
    make_user(Role.CITY_ADMIN, username="cityadmin", is_staff=True, is_superuser=True)
    page = browser_page
    # When they log in, they land on the overview, and follow "系统管理" to the admin
    login(page, "cityadmin")
    page.wait_for_url("**/analytics/")
    page.click(".mainnav a[href='/admin/']")
    page.wait_for_url("**/admin/")
    # Then the units' "Change" link reads Django's own 修改 and opens the change list
    change = page.locator("tr.model-unit a.changelink")
    assert change.inner_text() == "修改"
    change.click()
    page.wait_for_url("**/admin/hotline/unit/")
    assert page.locator("#changelist").count() == 1
    assert page.js_errors == []
