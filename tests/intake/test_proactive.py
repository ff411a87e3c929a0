"""Proactive tickets (主动治理, 未诉先办): created by hotline staff by hand or from an imported list of
risk points, dispatched like any ticket, closed after the unit's reply without a callback, and never
in the citizens' rates."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch import services as dispatch_services
from evaluation import callbacks as callback_services
from evaluation import rankings as ranking_services
from evaluation import rates
from evaluation.models import Callback, UnitResult
from hotline.errors import DomainError
from hotline.models import Category, Role, Unit, UnitKind, User
from intake import services
from intake.lifecycle import Action, Status
from intake.models import Channel, Kind, ProactiveImport, Ticket, TicketEvent
from intake.services import NewTicket, RiskPoint

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "place,category,note\n"
    "朝阳区望京街道,160401,望京西园历史积水点汛前排查\n"  # line 2
    "西城区什刹海街道,010101,供暖季入户检查\n"  # line 3
)


@pytest.fixture
def wangjing(gazetteer) -> Unit:
    return Unit.objects.get(name="望京街道")


@pytest.fixture
def waterlogging(gazetteer) -> Category:
    return Category.objects.get(code="160401")


@pytest.fixture
def dispatcher(make_user) -> User:
    return make_user(Role.DISPATCHER)


@pytest.fixture
def officer(make_user, wangjing) -> User:
    return make_user(Role.UNIT_OFFICER, unit=wangjing)


def dispatch_to(ticket: Ticket, unit: Unit, dispatcher: User):
    # Waterlogging is a department's matter: the street is named the lead on purpose.
    return dispatch_services.dispatch_ticket(
        ticket_id=ticket.pk, lead_unit_id=unit.pk, actor=dispatcher, override_reason="积水点属地排查"
    )


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def csv_file(text: str, name: str = "risk-points.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_a_proactive_ticket_is_handled_and_closed_without_a_callback_and_out_of_the_rates(
    dispatcher, officer, wangjing, waterlogging, make_user
):
    # Given a proactive ticket created by a dispatcher, and a citizen's ticket to the same street
    ticket = services.create_proactive_ticket(
        actor=dispatcher, point=RiskPoint(place="朝阳区望京街道", category=waterlogging, note="汛前积水点排查")
    )
    citizen = services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=waterlogging,
            description="路口积水",
            phone="13800138000",
            street=wangjing,
        ),
        actor=make_user(Role.AGENT),
    ).ticket
    # Then it has no caller, the proactive channel, the street resolved, and is queued for dispatch
    assert (ticket.channel, ticket.caller_id, ticket.street, ticket.status) == (
        Channel.PROACTIVE,
        None,
        wangjing,
        Status.AWAITING_DISPATCH,
    )
    actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == [Action.CREATE, Action.QUEUE_FOR_DISPATCH]
    # When both are dispatched to the street, signed and replied to, and the callback sweep runs
    for each in (ticket, citizen):
        lead = dispatch_to(each, wangjing, dispatcher)
        dispatch_services.sign(assignment_id=lead.pk, actor=officer)
        if each.caller_id:
            dispatch_services.record_first_contact(assignment_id=lead.pk, actor=officer, note="已联系")
        dispatch_services.reply(assignment_id=lead.pk, actor=officer, text="已疏通排水口", outcome="resolved")
    callback_services.open_due_callbacks()
    # Then the proactive ticket is closed without a callback; the citizen's awaits its callback
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert not Callback.objects.filter(ticket=ticket).exists()
    assert Callback.objects.filter(ticket=citizen, is_primary=True).count() == 1
    # And the street's response rate counts the citizen's ticket only
    month = timezone.localdate().replace(day=1)
    assert rates.unit_counts(month=month)[wangjing.pk].required_response == 1
    ranking = ranking_services.compute_month(month=month, unit_kind=UnitKind.STREET)
    assert UnitResult.objects.get(ranking=ranking, unit=wangjing).required_response == 1
    for source in rates.Source:
        assert not rates.counted_leads(first=month, source=source).filter(ticket=ticket).exists()


def test_an_overdue_proactive_ticket_does_not_hold_up_the_callbacks(dispatcher, wangjing, waterlogging, make_user):
    # Given an overdue proactive ticket dispatched before an overdue citizen's ticket
    proactive = services.create_proactive_ticket(
        actor=dispatcher, point=RiskPoint(place="朝阳区望京街道", category=waterlogging, note="排查")
    )
    citizen = services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=waterlogging,
            description="路口积水",
            phone="13800138000",
            street=wangjing,
        ),
        actor=make_user(Role.AGENT),
    ).ticket
    for each in (proactive, citizen):
        dispatch_to(each, wangjing, dispatcher)
    # When the sweep runs after the deadline with room for one ticket
    opened = callback_services.open_due_callbacks(now=timezone.now() + timedelta(days=30), batch=1)
    # Then the citizen is called back: the ticket without anyone to call took no place in the batch
    assert opened == 1
    assert Callback.objects.get().ticket == citizen


def test_the_unit_page_counts_proactive_tickets_apart(client, dispatcher, wangjing, waterlogging, make_user):
    # Given a proactive ticket dispatched to the street this month
    ticket = services.create_proactive_ticket(
        actor=dispatcher, point=RiskPoint(place="朝阳区望京街道", category=waterlogging, note="排查")
    )
    dispatch_to(ticket, wangjing, dispatcher)
    # When a hotline supervisor reads the street's page of the rankings
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    month = timezone.localdate().replace(day=1)
    response = client.get(reverse("evaluation:unit_detail", args=[wangjing.pk]), {"month": f"{month:%Y-%m}"})
    # Then the month's proactive tickets are listed apart from the rates
    assert response.status_code == 200
    assert response.context["proactive"] == [(month, 1)]


def test_an_import_creates_one_queued_ticket_per_line_once(dispatcher, gazetteer):
    # When a dispatcher imports a list of two risk points, twice
    first = services.import_risk_points(actor=dispatcher, content=GOOD_CSV.encode(), file_name="汛前.csv")
    again = services.import_risk_points(actor=dispatcher, content=GOOD_CSV.encode(), file_name="copy.csv")
    # Then two proactive tickets were created, queued for dispatch, and the second import created nothing
    assert (first.created, first.batch.ticket_count) == (True, 2)
    assert (again.created, again.batch) == (False, first.batch)
    tickets = Ticket.objects.filter(channel=Channel.PROACTIVE).order_by("pk")
    assert [(t.street.name, t.category.code, t.status) for t in tickets] == [
        ("望京街道", "160401", Status.AWAITING_DISPATCH),
        ("什刹海街道", "010101", Status.AWAITING_DISPATCH),
    ]
    assert all(t.caller_id is None for t in tickets)


def test_an_import_with_bad_lines_creates_nothing_and_names_each_line(dispatcher, gazetteer):
    # Given a file whose third line has an unknown category and fourth a place nobody can find
    text = GOOD_CSV + "朝阳区望京街道,999999,排查\n火星基地,160401,排查\n"
    # When it is imported
    with pytest.raises(DomainError) as error:
        services.import_risk_points(actor=dispatcher, content=text.encode(), file_name="bad.csv")
    # Then every bad line is reported, and nothing was created
    messages = error.value.fields["file"]
    assert len(messages) == 2
    assert ("4" in messages[0], "999999" in messages[0]) == (True, True)
    assert ("5" in messages[1], "火星基地" in messages[1]) == (True, True)
    assert not Ticket.objects.exists()
    assert not ProactiveImport.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"where,what\n",  # not the expected columns
        b"place,category,note\n",  # no risk point
        "place,category,note\n望京,160401,排查\n".encode("gb18030"),  # not UTF-8
    ],
)
def test_a_file_that_is_not_a_list_of_risk_points_is_refused(dispatcher, gazetteer, content):
    with pytest.raises(DomainError) as error:
        services.import_risk_points(actor=dispatcher, content=content)
    assert (error.value.status, list(error.value.fields), len(error.value.fields["file"])) == (400, ["file"], 1)
    assert not ProactiveImport.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.UNIT_OFFICER, Role.CALLBACK_AGENT])
def test_others_than_dispatchers_and_supervisors_find_nothing(client, make_user, waterlogging, role):
    # Given a user who does not create proactive tickets
    user = make_user(role)
    client.force_login(user)
    # Then the page, its import, both API endpoints and the service do not exist for them
    assert client.get(reverse("intake:proactive")).status_code == 404
    assert client.post(reverse("intake:proactive_import"), {"file": csv_file(GOOD_CSV)}).status_code == 404
    payload = {"place": "朝阳区望京街道", "category": waterlogging.pk, "note": "排查"}
    assert api(user).post("/api/v1/proactive-tickets/", payload, format="json").status_code == 404
    upload = {"file": csv_file(GOOD_CSV)}
    assert api(user).post("/api/v1/proactive-tickets/import/", upload, format="multipart").status_code == 404
    with pytest.raises(DomainError) as error:
        services.create_proactive_ticket(
            actor=user, point=RiskPoint(place="朝阳区望京街道", category=waterlogging, note="排查")
        )
    assert error.value.status == 404
    assert not Ticket.objects.exists()


def test_the_api_creates_one_and_refuses_bad_input_by_field(dispatcher, waterlogging):
    client = api(dispatcher)
    # When a dispatcher posts a proactive ticket
    response = client.post(
        "/api/v1/proactive-tickets/",
        {"place": "朝阳区望京街道", "category": waterlogging.pk, "note": "汛前排查"},
        format="json",
    )
    # Then it is created, queued for dispatch, with its timeline at the Location
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == Status.AWAITING_DISPATCH
    assert Ticket.objects.get(pk=response.json()["id"]).channel == Channel.PROACTIVE
    # And a place nobody can find, or no note, is a 400 naming the field
    bad = client.post(
        "/api/v1/proactive-tickets/", {"place": "火星基地", "category": waterlogging.pk, "note": "排查"}, format="json"
    )
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["place"])
    missing = client.post("/api/v1/proactive-tickets/", {"place": "朝阳区", "category": waterlogging.pk}, format="json")
    assert (missing.status_code, list(missing.json()["error"]["fields"])) == (400, ["note"])


def test_the_api_imports_once_and_reports_bad_lines(dispatcher, gazetteer):
    client = api(dispatcher)
    # When the same file is imported twice
    first = client.post("/api/v1/proactive-tickets/import/", {"file": csv_file(GOOD_CSV)}, format="multipart")
    second = client.post("/api/v1/proactive-tickets/import/", {"file": csv_file(GOOD_CSV)}, format="multipart")
    # Then the first creates the tickets (201) and the second nothing (200)
    assert (first.status_code, first.json()["ticket_count"], first.json()["created"]) == (201, 2, True)
    assert (second.status_code, second.json()["created"], second.json()["id"]) == (200, False, first.json()["id"])
    assert Ticket.objects.filter(channel=Channel.PROACTIVE).count() == 2
    # And a file with a bad line is a 400 naming the line
    bad = client.post(
        "/api/v1/proactive-tickets/import/",
        {"file": csv_file("place,category,note\n朝阳区望京街道,999999,排查\n")},
        format="multipart",
    )
    assert bad.status_code == 400
    assert "2" in bad.json()["error"]["fields"]["file"][0]


def test_the_citizen_intake_does_not_take_the_proactive_channel(make_user, waterlogging):
    response = api(make_user(Role.AGENT)).post(
        "/api/v1/tickets/",
        {"channel": "proactive", "kind": "help", "category": waterlogging.pk, "description": "排查"},
        format="json",
    )
    assert (response.status_code, list(response.json()["error"]["fields"])) == (400, ["channel"])


def test_the_page_lists_creates_and_prefills_from_a_template(
    client, dispatcher, waterlogging, django_assert_max_num_queries
):
    client.force_login(dispatcher)
    services.import_risk_points(actor=dispatcher, content=GOOD_CSV.encode(), file_name="汛前.csv")
    # When the dispatcher opens the page from the pre-flood-season template
    with django_assert_max_num_queries(12):
        page = client.get(reverse("intake:proactive"), {"template": "waterlogging_check"})
    # Then it lists the tickets and the import, and the form is prefilled with the template's category
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 2
    assert [batch.file_name for batch in page.context["imports"]] == ["汛前.csv"]
    assert page.context["form"].initial["category"] == waterlogging
    # When the form is sent with a template and a place only
    response = client.post(reverse("intake:proactive"), {"template": "heating_check", "place": "西城区什刹海街道"})
    # Then a ticket with the template's category and note is queued
    assert response.status_code == 302
    ticket = Ticket.objects.filter(channel=Channel.PROACTIVE).latest("pk")
    expected = ("010101", "什刹海街道", Status.AWAITING_DISPATCH)
    assert (ticket.category.code, ticket.street.name, ticket.status) == expected
    assert ticket.description


def test_the_page_shows_an_import_s_bad_lines_as_form_errors(client, dispatcher, gazetteer):
    client.force_login(dispatcher)
    bad = csv_file("place,category,note\n火星基地,160401,排查\n")
    response = client.post(reverse("intake:proactive_import"), {"file": bad})
    assert response.status_code == 200
    errors = response.context["import_form"].errors["file"]
    assert (len(errors), "2" in errors[0], "火星基地" in errors[0]) == (1, True, True)
    assert not Ticket.objects.exists()


def test_a_proactive_ticket_waits_in_the_normal_dispatch_queue(client, dispatcher, waterlogging):
    # Given a proactive ticket just created
    ticket = services.create_proactive_ticket(
        actor=dispatcher, point=RiskPoint(place="朝阳区望京街道", category=waterlogging, note="汛前排查")
    )
    # When the dispatcher opens the dispatch queue
    client.force_login(dispatcher)
    response = client.get(reverse("dispatch:queue"))
    # Then the ticket is there, like any other
    assert response.status_code == 200
    assert ticket.number in response.content.decode()
