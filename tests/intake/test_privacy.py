"""Callers' identity on intake's ticket pages and API, and in the admin: unit staff read the free
text redacted, the hotline in full; the admin's change pages record each view, its lists mask."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dispatch.models import AssignmentRole
from hotline.models import Role, User
from intake.lifecycle import Action, Status
from intake.models import PersonalDataAccess, SmsPreferenceChange, TicketEvent
from tests.factories import AssignmentFactory, CallerFactory, StreetFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

DESCRIPTION = "我叫赵六，住幸福小区，电话１３７－００００－１２３４，身份证号110105194912310021。"
SECRETS = ("赵六", "１３７－００００－１２３４", "110105194912310021")


@pytest.fixture
def assigned(make_user):
    """A ticket whose caller identified themselves in it, assigned to a street, and its officer."""
    street = StreetFactory()
    ticket = TicketFactory(
        status=Status.DISPATCHED,
        caller=CallerFactory(phone="13700001234", name="赵六"),
        title="赵六反映噪音",
        description=DESCRIPTION,
        address="幸福小区（赵六家）",
        answer="已告知赵六处理时限",
    )
    TicketEvent.objects.create(ticket=ticket, action=Action.DISPATCH, note="请联系赵六 13700001234")
    AssignmentFactory(ticket=ticket, unit=street, role=AssignmentRole.LEAD)
    return ticket, make_user(Role.UNIT_OFFICER, street)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_unit_staff_read_the_ticket_page_and_api_redacted(assigned):
    ticket, officer = assigned
    bodies = [
        logged_in(officer).get(f"/tickets/{ticket.pk}/").content.decode(),
        logged_in(officer).get("/tickets/").content.decode(),
        api(officer).get(f"/api/v1/tickets/{ticket.pk}/").content.decode(),
        api(officer).get("/api/v1/tickets/").content.decode(),
    ]
    for body in bodies:
        for secret in SECRETS:
            assert secret not in body
    detail = api(officer).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["description"] == "我叫赵*，住幸福小区，电话***，身份证号***。"
    assert (detail["title"], detail["address"]) == ("赵*反映噪音", "幸福小区（赵*家）")
    assert detail["answer"] == "已告知赵*处理时限"
    assert detail["events"][0]["note"] == "请联系赵* ***"
    assert not PersonalDataAccess.objects.exists()


def test_hotline_staff_read_it_in_full(assigned, make_user):
    ticket, _officer = assigned
    agent = make_user(Role.AGENT)
    assert DESCRIPTION in logged_in(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert api(agent).get(f"/api/v1/tickets/{ticket.pk}/").json()["description"] == DESCRIPTION


# --- The admin ---------------------------------------------------------------------------


@pytest.fixture
def admin() -> tuple[User, Client]:
    user = UserFactory(is_staff=True, is_superuser=True)
    return user, logged_in(user)


def test_the_callers_change_page_shows_the_number_and_records_the_view(admin):
    user, client = admin
    caller = CallerFactory(phone="13611112222", name="钱七")
    page = client.get(f"/admin/intake/caller/{caller.pk}/change/")
    assert page.status_code == 200
    assert "13611112222" in page.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.caller, access.ticket, access.purpose) == (user, caller, None, "admin")


def test_the_tickets_change_page_records_the_view_of_its_caller(admin):
    user, client = admin
    ticket = TicketFactory(caller=CallerFactory(phone="13611113333", name="孙八"), description=DESCRIPTION)
    assert client.get(f"/admin/intake/ticket/{ticket.pk}/change/").status_code == 200
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.caller_id, access.ticket, access.purpose) == (user, ticket.caller_id, ticket, "admin")


def test_the_admins_lists_mask_phones_and_names_and_record_nothing(admin):
    _user, client = admin
    caller = CallerFactory(phone="13611114444", name="周九九")
    ticket = TicketFactory(caller=caller)
    PersonalDataAccess.objects.create(user=UserFactory(), caller=caller, purpose="ticket_detail")
    SmsPreferenceChange.objects.create(user=UserFactory(), caller=caller, ticket=ticket, sms_opt_out=True)
    callers = client.get("/admin/intake/caller/").content.decode()
    accesses = client.get("/admin/intake/personaldataaccess/").content.decode()
    sms_changes = client.get("/admin/intake/smspreferencechange/").content.decode()
    assert client.get("/admin/intake/ticket/").status_code == 200
    for listing in (callers, accesses, sms_changes):
        assert "136****4444" in listing
        assert "周**" in listing
        assert "13611114444" not in listing
        assert "周九九" not in listing
    assert PersonalDataAccess.objects.count() == 1
