"""The ticket API: take in, validate, list with scope and filters, read with timeline."""

import pytest
from rest_framework.test import APIClient

from dispatch.models import Assignment
from hotline import reference
from hotline.models import Category, Role, Unit, UnitKind
from intake import services
from intake.lifecycle import Action, Status
from intake.models import Caller, PersonalDataAccess, Ticket, TicketEvent
from tests.factories import CategoryFactory, CityFactory, DistrictFactory, StreetFactory, UnitFactory
from tests.intake.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT)


@pytest.fixture
def agent_api(agent) -> APIClient:
    client = APIClient()
    client.force_authenticate(agent)
    return client


def payload(**overrides) -> dict:
    return {
        "channel": "phone",
        "kind": "complaint",
        "category": overrides.pop("category", None) or CategoryFactory().pk,
        "description": "幸福小区3号楼暖气不热，室温14度。",
        "phone": "138 0013 8000",
        "caller_name": "张三",
        **overrides,
    }


def test_create_queues_for_dispatch_and_points_to_the_timeline(agent_api):
    # When an agent takes in a contact
    response = agent_api.post("/api/v1/tickets/", payload(), format="json")
    # Then the answer is the ticket's summary, with its detail at the Location
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == Status.AWAITING_DISPATCH
    assert body["disposition"] == "dispatched"
    assert len(body["number"]) == 14
    assert response["Location"] == f"/api/v1/tickets/{body['id']}/"
    # And the stored ticket has both events and its caller
    detail = agent_api.get(response["Location"]).json()
    assert [event["action"] for event in detail["events"]] == [Action.CREATE, Action.QUEUE_FOR_DISPATCH]
    assert detail["status"] == Status.AWAITING_DISPATCH
    assert Caller.objects.get().phone == "13800138000"


@pytest.mark.parametrize(
    ("extra", "status", "disposition", "second"),
    [
        (
            {"outcome": "answer", "answer": "已告知办理流程。"},
            Status.CLOSED,
            "answered_directly",
            Action.ANSWER_DIRECTLY,
        ),
        ({"outcome": "close", "disposition": "legal_route"}, Status.CLOSED, "legal_route", Action.CLOSE_AT_INTAKE),
    ],
)
def test_create_with_an_outcome_stores_it_with_the_ticket(agent_api, extra, status, disposition, second):
    response = agent_api.post("/api/v1/tickets/", payload(**extra), format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["disposition"]) == (status, disposition)
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.disposition, ticket.closed_at is not None) == (status, disposition, True)
    assert list(ticket.events.values_list("action", flat=True)) == [Action.CREATE, second]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": 999999}, "category"),
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "1380013800a"}, "phone"),
        ({"description": "长" * 10_000}, "description"),
        ({"channel": "fax"}, "channel"),
        ({"latitude": "39.9"}, "longitude"),
        ({"outcome": "answer"}, "answer"),
        ({"outcome": "close"}, "disposition"),
        ({"channel": "phone", "phone": ""}, "phone"),
    ],
)
def test_bad_input_is_400_with_field_messages_and_writes_nothing(agent_api, overrides, field):
    response = agent_api.post("/api/v1/tickets/", payload(**overrides), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"][field]
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()
    assert not Caller.objects.exists()


def test_branch_category_is_refused(agent_api):
    leaf = CategoryFactory()
    response = agent_api.post("/api/v1/tickets/", payload(category=leaf.parent_id), format="json")
    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("category", lambda: CategoryFactory(is_active=False).pk),
        ("street", lambda: DistrictFactory().pk),
        ("street", lambda: (Unit.objects.filter(kind=UnitKind.CITY).first() or CityFactory()).pk),
        ("district", lambda: StreetFactory().pk),
    ],
)
def test_a_unit_or_category_of_the_wrong_kind_is_refused_by_field(agent_api, field, make):
    # Given an id that exists but names the wrong kind of row
    response = agent_api.post("/api/v1/tickets/", payload(**{field: make()}), format="json")
    # Then the answer names the field, and nothing is written
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Ticket.objects.exists()


def test_a_category_deactivated_by_the_services_is_refused_at_once(agent_api, django_capture_on_commit_callbacks):
    # Given a category the API has already accepted (its row now kept by this process)
    category = CategoryFactory()
    assert agent_api.post("/api/v1/tickets/", payload(category=category.pk), format="json").status_code == 201
    # When it is deactivated and the change published, as the admin and the org load do
    Category.objects.filter(pk=category.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        reference.changed()
    # Then the next ticket naming it is refused
    response = agent_api.post("/api/v1/tickets/", payload(category=category.pk), format="json")
    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]


def test_same_idempotency_key_creates_one_ticket(agent_api):
    data = payload()
    first = agent_api.post("/api/v1/tickets/", data, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    second = agent_api.post("/api/v1/tickets/", data, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Ticket.objects.count() == 1


def test_unit_officers_cannot_take_in(api_client, make_user):
    api_client.force_authenticate(make_user(Role.UNIT_OFFICER))
    response = api_client.post("/api/v1/tickets/", payload(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_hotline_reads_the_full_phone_and_the_read_is_recorded(agent_api, agent):
    ticket = TicketFactory(caller__phone="13812345678")
    response = agent_api.get(f"/api/v1/tickets/{ticket.pk}/")
    assert response.json()["caller"]["phone"] == "13812345678"
    assert response.json()["caller"]["masked"] is False
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.ticket, access.caller) == (agent, ticket, ticket.caller)


def test_unit_staff_see_their_tickets_masked_and_others_not_at_all(api_client, make_user):
    # Given two streets, each with an assigned ticket, and an officer of the first
    street_a, street_b = StreetFactory(), StreetFactory()
    mine = TicketFactory(status=Status.DISPATCHED, caller__phone="13812345678", caller__name="王五")
    theirs = TicketFactory(status=Status.DISPATCHED)
    Assignment.objects.create(ticket=mine, unit=street_a, role="lead")
    Assignment.objects.create(ticket=theirs, unit=street_b, role="lead")
    api_client.force_authenticate(make_user(Role.UNIT_OFFICER, unit=street_a))
    # When they list and read
    listed = api_client.get("/api/v1/tickets/").json()["results"]
    detail = api_client.get(f"/api/v1/tickets/{mine.pk}/").json()
    # Then they see only their ticket, with the caller masked, and nothing is logged
    assert [t["id"] for t in listed] == [mine.pk]
    assert detail["caller"] == {
        "id": mine.caller_id,
        "phone": "138****5678",
        "name": "王*",
        "is_enterprise": False,
        "enterprise_name": "",
        "masked": True,
    }
    assert "13812345678" not in str(detail)
    assert not PersonalDataAccess.objects.exists()
    assert api_client.get(f"/api/v1/tickets/{theirs.pk}/").status_code == 404


def test_list_filters(agent_api):
    street = StreetFactory()
    match = TicketFactory(street=street, district=street.parent, status=Status.AWAITING_DISPATCH, kind="help")
    TicketFactory(status=Status.AWAITING_DISPATCH, kind="help")
    TicketFactory(street=street, district=street.parent, status=Status.CLOSED, kind="help")
    response = agent_api.get("/api/v1/tickets/", {"street": street.pk, "status": "awaiting_dispatch", "kind": "help"})
    assert [t["id"] for t in response.json()["results"]] == [match.pk]
    by_number = agent_api.get("/api/v1/tickets/", {"q": match.number})
    assert [t["id"] for t in by_number.json()["results"]] == [match.pk]


def test_list_uses_cursor_pagination(agent_api):
    TicketFactory.create_batch(5)
    first = agent_api.get("/api/v1/tickets/", {"page_size": 2}).json()
    second = agent_api.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 2
    assert first["results"][-1]["id"] > second["results"][0]["id"]


def test_list_and_detail_queries_do_not_grow(agent_api, django_assert_max_num_queries, agent):
    TicketFactory.create_batch(60, category=CategoryFactory(), street=StreetFactory())
    with django_assert_max_num_queries(6):
        assert len(agent_api.get("/api/v1/tickets/").json()["results"]) == 50
    busy = TicketFactory(status=Status.IN_PROGRESS)
    for _ in range(30):
        services.transition(ticket_id=busy.pk, action=Action.ADD_PROGRESS, actor=agent, unit=UnitFactory())
    with django_assert_max_num_queries(8):
        assert len(agent_api.get(f"/api/v1/tickets/{busy.pk}/").json()["events"]) == 30


def test_close_at_intake_action(agent_api):
    ticket = TicketFactory(status=Status.RECEIVED)
    response = agent_api.post(f"/api/v1/tickets/{ticket.pk}/close/", {"disposition": "legal_route"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == Status.CLOSED
    again = agent_api.post(f"/api/v1/tickets/{ticket.pk}/close/", {"disposition": "legal_route"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_taking_in_a_ticket_is_a_fixed_number_of_queries(agent_api, django_assert_max_num_queries):
    # Given a street and a caller who has called before
    data = payload(street=StreetFactory().pk)
    agent_api.post("/api/v1/tickets/", data, format="json")
    # When the next contact is taken in and queued, then the whole request stays within budget:
    # number, caller, ticket, both events, and the savepoint pair the test's own transaction
    # turns the commit into (category and street are kept by the process; the forced
    # user keeps its roles)
    with django_assert_max_num_queries(6) as queries:
        response = agent_api.post("/api/v1/tickets/", data, format="json")
    assert response.status_code == 201, response.json()
    assert not any(query["sql"].startswith("UPDATE") for query in queries.captured_queries)
