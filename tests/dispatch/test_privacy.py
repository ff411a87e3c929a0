"""Callers' identity in what they wrote, as dispatch shows it: unit staff read descriptions without
it (pages, lists, API, notifications); the live lead unit may reveal the full text, recorded; never
for a confidential caller; the hotline reads everything."""

import pytest
from django.test import Client
from django.utils import timezone

from dispatch import services
from dispatch.models import Assignment, AssignmentRole
from hotline.models import DeadlineTier, Notification, User
from intake.lifecycle import Status
from intake.models import Caller, Channel, Kind, PersonalDataAccess, Ticket
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

REPORT = "举报人张三丰(13655556666)反映邻居违建"
SECRETS = ("张三丰", "13655556666")


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def report(org, dispatched):
    """The confidential 举报 of issue 16, dispatched to street A."""
    return dispatched(
        org.street_a,
        kind=Kind.REPORT,
        confidential=True,
        caller__phone="13655556666",
        caller__name="张三丰",
        title="邻居违建",
        description=REPORT,
    )


@pytest.fixture
def identified(org, dispatched):
    """A ticket whose caller wrote their name, numbers and ID into it, dispatched to street A."""
    return dispatched(
        org.street_a,
        caller__phone="13912345678",
        caller__name="李小红",
        title="李小红反映噪音 139 1234 5678",
        description="我叫李小红，电话139-1234-5678，身份证110105 19491231 002X，邮箱li at example dot com。",
        address="幸福小区3号楼2单元501（李小红家）",
    )


def test_the_streets_officer_reads_the_confidential_report_without_name_or_number(report, staff, api_as):
    # when the street's officer opens the assignment page, the workbench and the API
    officer = browser(staff.officer_a)
    bodies = [
        officer.get(f"/workbench/{report.pk}/").content.decode(),
        officer.get("/workbench/").content.decode(),
        officer.get(f"/tickets/{report.ticket_id}/").content.decode(),
        api_as(staff.officer_a).get(f"/api/v1/assignments/{report.pk}/").content.decode(),
        api_as(staff.officer_a).get("/api/v1/assignments/").content.decode(),
        api_as(staff.officer_a).get(f"/api/v1/tickets/{report.ticket_id}/").content.decode(),
    ]
    # then neither the reporter's name nor number appears, but the matter does
    for body in bodies:
        for secret in SECRETS:
            assert secret not in body
    assert api_as(staff.officer_a).get(f"/api/v1/assignments/{report.pk}/").json()["ticket"]["description"] == (
        "举报人张**(***)反映邻居违建"
    )
    # and no personal-data read was recorded, since none happened
    assert not PersonalDataAccess.objects.exists()


def test_hotline_staff_read_the_full_text(report, staff, api_as):
    page = browser(staff.hotline_supervisor).get(f"/workbench/{report.pk}/").content.decode()
    api = api_as(staff.dispatcher).get(f"/api/v1/assignments/{report.pk}/").json()
    assert REPORT in page
    assert api["ticket"]["description"] == REPORT


def test_a_district_supervisor_reads_it_redacted_too(report, staff, api_as):
    body = api_as(staff.district_supervisor).get(f"/api/v1/assignments/{report.pk}/").content.decode()
    assert all(secret not in body for secret in SECRETS)


def test_summary_description_and_address_are_redacted_for_the_unit_but_the_place_stays(identified, staff, api_as):
    ticket = api_as(staff.officer_a).get(f"/api/v1/assignments/{identified.pk}/").json()["ticket"]
    assert ticket["title"] == "李**反映噪音 ***"
    assert ticket["description"] == "我叫李**，电话***，身份证***，邮箱***。"
    assert ticket["address"] == "幸福小区3号楼2单元501（李**家）"


def test_the_new_ticket_notification_carries_no_identity(identified, staff):
    (notification,) = Notification.objects.filter(recipient=staff.officer_a)
    assert "李小红" not in notification.body
    assert "139 1234 5678" not in notification.body
    assert notification.body.startswith(identified.ticket.number)


def test_the_lead_reveals_the_full_description_once_recorded_via_the_api(identified, staff, api_as):
    # when the lead unit's officer asks for the full text
    response = api_as(staff.officer_a).post(f"/api/v1/assignments/{identified.pk}/reveal-description/")
    # then it comes unredacted
    ticket = identified.ticket
    assert response.status_code == 200
    assert response.json() == {"title": ticket.title, "description": ticket.description, "address": ticket.address}
    # and exactly one personal-data read is recorded, with its purpose
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.caller_id, access.ticket_id, access.purpose) == (
        staff.officer_a,
        ticket.caller_id,
        ticket.pk,
        "full_description",
    )
    # while reading the assignment again still shows it redacted
    again = api_as(staff.officer_a).get(f"/api/v1/assignments/{identified.pk}/").json()
    assert "李小红" not in again["ticket"]["description"]


def test_the_reveal_button_shows_the_full_text_on_the_page_and_records_it(identified, staff):
    client = browser(staff.officer_a)
    page = client.get(f"/workbench/{identified.pk}/").content.decode()
    assert 'name="reveal-description"' in page
    assert "110105 19491231 002X" not in page
    revealed = client.post(f"/workbench/{identified.pk}/description/")
    assert revealed.status_code == 200
    assert "110105 19491231 002X" in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    assert PersonalDataAccess.objects.filter(user=staff.officer_a, purpose="full_description").count() == 1


def test_the_reveal_is_refused_for_a_confidential_caller(report, staff, api_as):
    # the page offers no button
    assert 'name="reveal-description"' not in browser(staff.officer_a).get(f"/workbench/{report.pk}/").content.decode()
    # the API answers 409 confidential, and the HTML action shows the message without the text
    response = api_as(staff.officer_a).post(f"/api/v1/assignments/{report.pk}/reveal-description/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "confidential")
    page = browser(staff.officer_a).post(f"/workbench/{report.pk}/description/", follow=True).content.decode()
    assert all(secret not in page for secret in SECRETS)
    assert not PersonalDataAccess.objects.exists()


def test_the_reveal_is_only_for_the_live_lead_unit(org, staff, dispatched, api_as):
    # given a ticket led by street A with the department assisting
    lead = dispatched(
        org.street_a, assist=(org.department,), caller__name="李小红", description="我叫李小红，电话13912345678"
    )
    assist = Assignment.objects.get(ticket=lead.ticket, unit=org.department)
    # the assisting unit is refused, another unit does not find it
    response = api_as(staff.department_officer).post(f"/api/v1/assignments/{assist.pk}/reveal-description/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_lead")
    assert api_as(staff.officer_b).post(f"/api/v1/assignments/{lead.pk}/reveal-description/").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_lists_with_redacted_text_keep_their_query_budget(org, staff, api_as, django_assert_max_num_queries):
    # given 200 tickets of distinct callers, each naming themselves with their number
    callers = Caller.objects.bulk_create(
        [Caller(phone=f"139{index:08d}", name=f"王{'一二三四五六七八九十'[index % 10]}明") for index in range(200)]
    )
    category = CategoryFactory()
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                number=f"20260101{index:06d}",
                channel=Channel.PHONE,
                kind=Kind.COMPLAINT,
                category=category,
                caller=caller,
                street=org.street_a,
                district=org.district,
                description=f"我是{caller.name}，电话{caller.phone[:3]} {caller.phone[3:7]} {caller.phone[7:]}",
                deadline_tier=DeadlineTier.GENERAL,
                status=Status.DISPATCHED,
            )
            for index, caller in enumerate(callers)
        ]
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                ticket=ticket,
                unit=org.street_a,
                role=AssignmentRole.LEAD,
                dispatched_at=now,
                sign_due_at=now + timezone.timedelta(hours=1),
                due_at=now + timezone.timedelta(days=7),
            )
            for ticket in tickets
        ]
    )
    officer, client = api_as(staff.officer_a), browser(staff.officer_a)
    client.get("/workbench/")  # warm the session and caches
    # when the officer reads the lists, they cost the same queries as before redaction
    with django_assert_max_num_queries(6):
        api = officer.get("/api/v1/assignments/", {"tab": "to_sign", "page_size": 200}).json()["results"]
    with django_assert_max_num_queries(12):
        page = client.get("/workbench/").content.decode()
    # and no caller's name or number is in them
    assert [item["ticket"]["description"] for item in api] == ["我是王**，电话***"] * 200
    assert not any(caller.name in page for caller in callers)


def test_the_confidential_report_is_never_revealed_even_after_signing(report, staff, api_as):
    services.sign(assignment_id=report.pk, actor=staff.officer_a)
    response = api_as(staff.officer_a).post(f"/api/v1/assignments/{report.pk}/reveal-description/")
    assert response.status_code == 409
    assert not PersonalDataAccess.objects.exists()


def test_unit_staff_cannot_confirm_a_reporter_by_searching(report, identified, staff, api_as):
    # given the confidential report and an ordinary ticket in street A's workbench
    officer = api_as(staff.officer_a)

    def found(client, path: str, query: str) -> set[int]:
        return {item["id"] for item in client.get(path, {"q": query, "tab": "all"}).json()["results"]}

    # when its officer searches for the reporter's name or number, nothing is found
    assert found(officer, "/api/v1/assignments/", "张三丰") == set()
    assert found(officer, "/api/v1/assignments/", "13655556666") == set()
    assert found(officer, "/api/v1/tickets/", "张三丰") == set()
    assert found(officer, "/api/v1/assignments/", "139-1234-5678") == set()
    # while ordinary words and the tracking number still find the tickets
    assert found(officer, "/api/v1/assignments/", "违建") == set()  # only in the confidential report's text
    assert found(officer, "/api/v1/assignments/", report.ticket.number) == {report.pk}
    assert found(officer, "/api/v1/assignments/", "噪音") == {identified.pk}
    # and the hotline searches everything
    assert found(api_as(staff.dispatcher), "/api/v1/assignments/", "张三丰") == {report.pk}
    assert found(api_as(staff.dispatcher), "/api/v1/tickets/", "张三丰") == {report.ticket_id}
