"""Actionable everywhere: notifications name and link their ticket, the navigation counts pending
work cheaply, supervision drills from a unit's counts to its tickets with one-click 督办, and the
unit's explanation of a return is read where the return is decided and by the unit."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch import services, sweeps
from dispatch.models import Assignment
from hotline.models import Notification, NotificationKind, User
from intake.lifecycle import Action

pytestmark = pytest.mark.django_db
NAV_COUNT = "SELECT (SELECT COUNT(*)"


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nav_count_queries(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if query["sql"].startswith(NAV_COUNT)]


def shown_count(html: str, attribute: str, key: str) -> int | None:
    found = re.search(rf'{attribute}="{key}">(\d+)<', html)
    return int(found.group(1)) if found else None


def test_every_notification_of_a_tickets_handling_names_the_ticket_and_links_to_it(org, staff, dispatched):
    # Given a ticket whose caller wrote their name into the summary
    lead = dispatched(org.street_a, title="李建国反映小区噪音扰民", caller__name="李建国")
    ticket = lead.ticket
    # When it goes through a return (rejected), a sign, an extension (approved), a 督办, and runs overdue
    request = services.request_return(
        assignment_id=lead.pk, actor=staff.officer_a, reason="outside_area", legal_basis="辖区划分文件"
    )
    services.decide_return(return_request_id=request.pk, actor=staff.dispatcher, approve=False, note="属本辖区")
    services.sign(assignment_id=lead.pk, actor=staff.officer_a)
    extension = services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=2, reason="协调")
    services.decide_extension(extension_request_id=extension.pk, actor=staff.dispatcher, approve=True)
    services.supervise(assignment_id=lead.pk, actor=staff.leader_a, comment="请今日办结")
    lead.refresh_from_db()
    sweeps.sweep_deadline_alerts(now=lead.due_at + timedelta(hours=1))

    # Then every notification, whichever its kind, names the ticket by number and summary and links
    # to a page, without the caller's name
    notifications = list(Notification.objects.all())
    assert {n.kind for n in notifications} >= {
        NotificationKind.DISPATCHED,
        NotificationKind.RETURN_REQUESTED,
        NotificationKind.RETURN_DECIDED,
        NotificationKind.EXTENSION_REQUESTED,
        NotificationKind.EXTENSION_DECIDED,
        NotificationKind.SUPERVISED,
        NotificationKind.OVERDUE,
        NotificationKind.ESCALATED,
    }
    for notification in notifications:
        assert notification.body.startswith(f"{ticket.number} "), notification.kind
        assert "小区噪音扰民" in notification.body, notification.kind
        assert "李建国" not in notification.title + notification.body
        assert notification.link.startswith("/"), notification.kind
    # and a decision reads the ticket, then the decision's note
    decided = Notification.objects.filter(kind=NotificationKind.RETURN_DECIDED).first()
    assert decided.body.endswith("\n属本辖区")
    assert decided.link == f"/workbench/{lead.pk}/"


def test_the_dispatchers_queue_counts_what_awaits_dispatch_and_review_in_one_query(
    org, staff, awaiting, dispatched, django_assert_max_num_queries
):
    # Given two tickets awaiting dispatch, a return and an extension awaiting review
    awaiting()
    awaiting()
    returned = dispatched(org.street_a)
    services.request_return(assignment_id=returned.pk, actor=staff.officer_a, reason="outside_area", legal_basis="x")
    signed = services.sign(assignment_id=dispatched(org.street_b).pk, actor=staff.officer_b)
    services.request_extension(assignment_id=signed.pk, actor=staff.officer_b, extra_days=1, reason="协调")
    client = browser(staff.dispatcher)
    # When the dispatcher lands on their home, the queue
    landing = client.get("/")
    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(14):
        html = client.get(landing["Location"]).content.decode()
    # Then the queue page and the bar show 2 to dispatch and 2 to review, counted in one query
    assert landing["Location"] == "/dispatch/"
    assert shown_count(html, "data-pending", "queue") == shown_count(html, "data-nav-count", "queue") == 2
    assert shown_count(html, "data-pending", "reviews") == shown_count(html, "data-nav-count", "reviews") == 2
    assert len(nav_count_queries(captured)) == 1


def test_the_unit_officer_sees_what_to_sign_in_the_bar_on_every_page(org, staff, dispatched):
    # Given two tickets for street A to sign and one for street B
    dispatched(org.street_a)
    dispatched(org.street_a)
    dispatched(org.street_b)
    client = browser(staff.officer_a)
    # When A's officer opens a page that is not the workbench
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/notifications/").content.decode()
    # Then the bar's unit workbench shows their 2 to sign, from one query
    assert shown_count(html, "data-nav-count", "to_sign") == 2
    assert len(nav_count_queries(captured)) == 1


def test_no_count_is_run_where_the_navigation_is_not_rendered(org, staff, awaiting):
    awaiting()
    client = browser(staff.dispatcher)
    with CaptureQueriesContext(connection) as captured:
        assert client.post("/notifications/read-all/", HTTP_ACCEPT="application/json").status_code == 200
    assert nav_count_queries(captured) == []


@pytest.fixture
def late_b(org, dispatched) -> Assignment:
    """An overdue ticket of street B, and one of B due soon."""
    late = dispatched(org.street_b, title="路灯不亮")
    Assignment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    soon = dispatched(org.street_b, title="井盖缺失")
    Assignment.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(hours=2))
    return late


def test_supervision_drills_from_a_units_counts_to_its_overdue_tickets(
    org, staff, late_b, django_assert_max_num_queries
):
    client = browser(staff.district_supervisor)
    # Given the district supervisor's overview, whose overdue count for street B is a link
    overview = client.get("/supervision/").content.decode()
    link = f'?unit={org.street_b.pk}&amp;show=overdue" data-show="overdue"'
    assert link in overview
    # When they follow it
    with django_assert_max_num_queries(12):
        page = client.get("/supervision/", {"unit": org.street_b.pk, "show": "overdue"})
    # Then they read B's overdue ticket, linked to its page, with a 督办 button, and not the one due soon
    html = page.content.decode()
    assert [a.pk for a in page.context["tickets"]] == [late_b.pk]
    assert f'<a href="/workbench/{late_b.pk}/">{late_b.ticket.number}</a>' in html
    assert f'action="/supervision/{late_b.pk}/supervise/"' in html
    assert "井盖缺失" not in html
    due_soon = client.get("/supervision/", {"unit": org.street_b.pk, "show": "due_soon"})
    assert [a.ticket.title for a in due_soon.context["tickets"]] == ["井盖缺失"]


def test_one_click_supervise_presses_the_unit_and_returns_to_the_list(org, staff, late_b):
    # When the district supervisor clicks 督办 without writing a comment
    response = browser(staff.district_supervisor).post(
        f"/supervision/{late_b.pk}/supervise/", {"unit": org.street_b.pk, "show": "overdue"}
    )
    # Then the ticket is supervised with the standard comment, B's officer is told, and the list is back
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/?unit={org.street_b.pk}&show=overdue"
    event = late_b.ticket.events.get(action=Action.SUPERVISE)
    assert event.note
    assert Notification.objects.filter(recipient=staff.officer_b, kind=NotificationKind.SUPERVISED).exists()


def test_supervise_needs_the_csrf_token_and_the_right_to_supervise(org, staff, late_b):
    # A form posted from another site (no CSRF token) is refused
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(staff.district_supervisor)
    assert forged.post(f"/supervision/{late_b.pk}/supervise/", {"comment": "x"}).status_code == 403
    # Unit staff, and dispatchers who read supervision but do not supervise, cannot
    assert browser(staff.officer_b).post(f"/supervision/{late_b.pk}/supervise/").status_code == 404
    assert browser(staff.dispatcher).post(f"/supervision/{late_b.pk}/supervise/").status_code == 404
    dispatcher_list = browser(staff.dispatcher).get("/supervision/", {"unit": org.street_b.pk, "show": "overdue"})
    assert "/supervise/" not in dispatcher_list.content.decode()
    assert not late_b.ticket.events.filter(action=Action.SUPERVISE).exists()
    # and a unit outside one's scope has no list
    assert browser(staff.leader_a).get("/supervision/", {"unit": org.street_b.pk}).status_code == 404


def test_the_returns_explanation_is_read_on_the_review_list_and_by_the_unit(org, staff, dispatched):
    # Given a return asked with an explanation
    lead = dispatched(org.street_a)
    services.request_return(
        assignment_id=lead.pk,
        actor=staff.officer_a,
        reason="outside_area",
        legal_basis="辖区划分文件",
        note="该地址属大红门街道管辖",
    )
    # Then the dispatcher's review list and the unit's assignment page both show it
    for user, url in ((staff.dispatcher, "/dispatch/reviews/"), (staff.officer_a, f"/workbench/{lead.pk}/")):
        html = browser(user).get(url).content.decode()
        assert "该地址属大红门街道管辖" in html, url
