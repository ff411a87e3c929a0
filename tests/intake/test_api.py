"""The ticket API: take in, validate, list with scope and filters, read with timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.models import Assignment
from hotline import reference
from hotline.models import Category, Role, Unit, UnitKind
from intake import services
from intake.api.serializers import TicketListSerializer
from intake.lifecycle import Action, Status
from intake.models import Caller, PersonalDataAccess, Ticket, TicketEvent
from tests.conftest import run_at_once
from tests.factories import (
    CategoryFactory,
    CityFactory,
    DistrictFactory,
    KnowledgeArticleFactory,
    StreetFactory,
    TicketFactory,
    UnitFactory,
)

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


@pytest.mark.parametrize("outcome", ["dispatch", "close", "answer"])
def test_the_answer_to_a_creation_is_the_ticket_as_the_list_shows_it(agent_api, outcome, beijing):
    # Given a contact with a street and its district, and one ending at intake (closed_at set)
    street = Unit.objects.filter(kind=UnitKind.STREET).first()
    extra = {"close": {"disposition": "transferred_110"}, "answer": {"answer": "已答复"}}.get(outcome, {})
    # When it is taken in
    response = agent_api.post("/api/v1/tickets/", payload(street=street.pk, outcome=outcome, **extra), format="json")
    # Then the body is exactly the ticket list's line for it, the title in full
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.select_related("category", "district", "street").get()
    listed = TicketListSerializer(ticket, context={"full_text": True}).data
    assert response.json() == dict(listed)


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


def test_a_client_records_that_the_caller_wants_no_sms_and_false_does_not_undo_it(agent_api):
    # When a contact says the caller wants no SMS, and their next one says nothing of it
    for extra in ({"sms_opt_out": True}, {"sms_opt_out": False}):
        response = agent_api.post("/api/v1/tickets/", payload(**extra), format="json")
        assert response.status_code == 201, response.json()
    # Then the caller gets no SMS
    assert Caller.objects.get().sms_opt_out


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


def test_an_idempotency_key_of_64_characters_is_kept_whole(agent_api):
    # Given two keys of the longest length that differ only in their last character
    first_key, second_key = "k" * 63 + "1", "k" * 63 + "2"
    # When each is used once
    first = agent_api.post("/api/v1/tickets/", payload(), format="json", HTTP_IDEMPOTENCY_KEY=first_key)
    second = agent_api.post("/api/v1/tickets/", payload(), format="json", HTTP_IDEMPOTENCY_KEY=second_key)
    # Then they are two requests, not one
    assert (first.status_code, second.status_code) == (201, 201)
    assert Ticket.objects.count() == 2


def test_an_idempotency_key_over_64_characters_is_400_not_cut(agent_api):
    response = agent_api.post("/api/v1/tickets/", payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["Idempotency-Key"]
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_answer_201_once_and_200_with_that_ticket_to_the_rest(make_user):
    # Given an API client sending the same request with the same key 20 times at once
    user = make_user(Role.API_CLIENT)
    data = payload()

    def send():
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/v1/tickets/", data, format="json", HTTP_IDEMPOTENCY_KEY="same-key")

    responses = run_at_once(*[send] * 20)
    # Then one request made the ticket (201) and every other one answers it (200)
    assert sorted(response.status_code for response in responses) == [200] * 19 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
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


# --- Repeat candidates and the knowledge base -------------------------------------------------


def test_a_tickets_candidates_are_its_open_repeats_without_caller_data(agent_api):
    # Given a ticket awaiting dispatch, open tickets of the same caller and of the same place and
    # category, and tickets that are no candidates (closed, merged into it, unrelated)
    street, category = StreetFactory(), CategoryFactory()
    place = {"category": category, "street": street, "district": street.parent}
    ticket = TicketFactory(
        status=Status.AWAITING_DISPATCH, caller__phone="13812345678", description="暖气不热", **place
    )
    same_caller = TicketFactory(status=Status.IN_PROGRESS, caller__phone="13812345678", description="路灯不亮")
    same_place = TicketFactory(status=Status.DISPATCHED, description="垃圾没清运", **place)
    TicketFactory(status=Status.CLOSED, caller__phone="13812345678", description="路灯不亮")
    TicketFactory(status=Status.MERGED, parent=ticket, caller__phone="13812345678", description="暖气不热")
    TicketFactory(status=Status.IN_PROGRESS, description="井盖丢失")
    # When an agent asks for the ticket's candidates
    response = agent_api.get(f"/api/v1/tickets/{ticket.pk}/candidates/")
    # Then the two open repeats come back with their summary and why they matched
    assert response.status_code == 200
    body = response.json()
    assert {row["ticket"]["id"]: row["reasons"] for row in body} == {
        same_caller.pk: ["same_caller"],
        same_place.pk: ["same_place"],
    }
    row = next(row for row in body if row["ticket"]["id"] == same_place.pk)
    assert row["reason_labels"] == ["同一地点同类问题"]
    assert (row["ticket"]["number"], row["ticket"]["status"]) == (same_place.number, Status.DISPATCHED)
    assert (row["ticket"]["street_name"], row["ticket"]["district_name"]) == (street.name, street.parent.name)
    assert row["ticket"]["category"] == category.pk
    assert row["ticket"]["created_at"]
    # And no caller data, as on the agent desk's repeat panel
    assert "caller" not in row["ticket"]
    assert "13812345678" not in response.content.decode()


def test_a_client_system_finds_the_candidates_and_merges_its_ticket_awaiting_dispatch(api_client, make_user):
    # Given an open ticket, and a client system that takes in the same caller's new contact
    open_one = TicketFactory(status=Status.IN_PROGRESS, caller__phone="13800138000", description="路灯不亮")
    api_client.force_authenticate(make_user(Role.API_CLIENT))
    created = api_client.post("/api/v1/tickets/", payload(), format="json").json()
    assert created["status"] == Status.AWAITING_DISPATCH
    # When it reads the new ticket's candidates and merges it into the first one
    candidates = api_client.get(f"/api/v1/tickets/{created['id']}/candidates/").json()
    assert [row["ticket"]["number"] for row in candidates] == [open_one.number]
    merged = api_client.post(
        f"/api/v1/tickets/{created['id']}/merge/", {"parent": candidates[0]["ticket"]["id"]}, format="json"
    )
    # Then the ticket is merged into it instead of being dispatched
    assert merged.status_code == 200, merged.json()
    assert (merged.json()["status"], merged.json()["parent"]) == (Status.MERGED, open_one.number)
    assert TicketEvent.objects.filter(ticket=open_one, action=Action.ADD_CONTACT).count() == 1
    # And tickets it did not take in have no candidates for it
    assert api_client.get(f"/api/v1/tickets/{open_one.pk}/candidates/").status_code == 404


def test_candidates_before_taking_in_are_those_the_agent_desk_shows(agent_api, agent_client):
    # Given open tickets of a caller, of a place and category, and of a similar text
    street, category = StreetFactory(), CategoryFactory()
    TicketFactory(status=Status.IN_PROGRESS, caller__phone="13800138000", description="路灯不亮")
    TicketFactory(
        status=Status.AWAITING_DISPATCH, category=category, street=street, district=street.parent, description="井盖"
    )
    TicketFactory(status=Status.DISPATCHED, description="幸福小区3号楼暖气不热，室温只有14度")
    TicketFactory(status=Status.CLOSED, caller__phone="13800138000")
    query = {
        "phone": "138 0013 8000",
        "category": category.pk,
        "street": street.pk,
        "description": "幸福小区3号楼暖气不热",
    }
    # When a client asks before taking the contact in, with what the desk's repeat panel sends
    response = agent_api.get("/api/v1/candidates/", query)
    # Then it gets the desk's candidates, in the desk's order, with the same reasons
    assert response.status_code == 200
    desk = agent_client.get(reverse("intake:desk_candidates"), query).context["candidates"]
    assert len(desk) == 3
    assert [(row["ticket"]["number"], row["reasons"]) for row in response.json()] == [
        (candidate.ticket.number, candidate.reasons) for candidate in desk
    ]
    # And nothing given, nothing found
    assert agent_api.get("/api/v1/candidates/").json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"phone": "138"}, "phone"),
        ({"category": "heating"}, "category"),
        ({"street": "x"}, "street"),
        ({"description": "长" * 4001}, "description"),
    ],
)
def test_candidates_with_bad_parameters_are_400_with_field_messages(agent_api, query, field):
    response = agent_api.get("/api/v1/candidates/", query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert error["fields"][field][0]


def test_candidates_and_articles_are_for_intake_roles_only(api_client, make_user):
    # Given a ticket assigned to a street, and staff of that street
    street = StreetFactory()
    ticket = TicketFactory(status=Status.DISPATCHED)
    Assignment.objects.create(ticket=ticket, unit=street, role="lead")
    urls = [f"/api/v1/tickets/{ticket.pk}/candidates/", "/api/v1/candidates/", "/api/v1/articles/"]
    # When unit staff ask, even for their own unit's ticket
    for role in (Role.UNIT_OFFICER, Role.UNIT_LEADER, Role.DISTRICT_SUPERVISOR, Role.CALLBACK_AGENT):
        api_client.force_authenticate(make_user(role, unit=street))
        for url in urls:
            response = api_client.get(url)
            # then these reads do not exist for them (404, not 403)
            assert response.status_code == 404, (role, url)
            assert response.json()["error"]["code"] == "not_found"
    # And anonymous requests are refused before anything is read
    api_client.force_authenticate(None)
    assert {api_client.get(url).status_code for url in urls} == {401}


def test_articles_list_the_valid_ones_filtered_by_text_and_category(agent_api):
    # Given valid, expired and future articles, two of them about heating
    today = timezone.localdate()
    cold = CategoryFactory(name="不热")
    heating = KnowledgeArticleFactory(title="供暖期时间", body="本市供暖期为11月15日至3月15日")
    heating.categories.set([cold])
    leak = KnowledgeArticleFactory(title="暖气漏水怎么办", body="请联系供暖单位", valid_until=today)
    KnowledgeArticleFactory(title="过期的供暖通知", valid_until=today - timedelta(days=1))
    KnowledgeArticleFactory(title="明年的供暖通知", valid_from=today + timedelta(days=1))
    KnowledgeArticleFactory(title="垃圾分类指南", body="厨余垃圾投放到绿色桶")
    # When an agent lists them, by text and by category (a leaf, or a branch above it)
    by_text = agent_api.get("/api/v1/articles/", {"q": "供暖"}).json()
    by_terms = agent_api.get("/api/v1/articles/", {"q": "供暖 3月15日"}).json()
    by_leaf = agent_api.get("/api/v1/articles/", {"category": cold.pk}).json()
    by_branch = agent_api.get("/api/v1/articles/", {"category": cold.parent.parent_id}).json()
    # Then only articles valid today match, every term in title or body
    assert {row["id"] for row in by_text["results"]} == {heating.pk, leak.pk}
    assert [row["id"] for row in by_terms["results"]] == [heating.pk]
    assert [row["id"] for row in by_leaf["results"]] == [heating.pk]
    assert [row["id"] for row in by_branch["results"]] == [heating.pk]
    assert by_leaf["results"][0] == {
        "id": heating.pk,
        "title": "供暖期时间",
        "body": "本市供暖期为11月15日至3月15日",
        "title_en": "",
        "body_en": "",
        "categories": [cold.pk],
        "is_public": True,
        "valid_from": None,
        "valid_until": None,
        "updated_at": by_leaf["results"][0]["updated_at"],
    }
    # And a listed article answers a ticket directly
    ticket = TicketFactory(status=Status.RECEIVED)
    answered = agent_api.post(f"/api/v1/tickets/{ticket.pk}/answer/", {"article": heating.pk}, format="json")
    assert (answered.status_code, answered.json()["article"]) == (200, heating.pk)


def test_articles_are_cursor_paginated_and_read_one_by_one(agent_api, django_assert_max_num_queries):
    # Given 60 valid articles with categories, and an expired one
    category = CategoryFactory()
    for article in KnowledgeArticleFactory.create_batch(60):
        article.categories.set([category])
    expired = KnowledgeArticleFactory(valid_until=timezone.localdate() - timedelta(days=1))
    # When they are listed page by page
    with django_assert_max_num_queries(3):
        first = agent_api.get("/api/v1/articles/").json()
    second = agent_api.get(first["next"]).json()
    # Then the pages hold 50 and 10, newest first, without repeats
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert (len(first["results"]), len(second["results"]), second["next"]) == (50, 10, None)
    assert ids == sorted(set(ids), reverse=True)
    assert len(agent_api.get("/api/v1/articles/", {"page_size": 7}).json()["results"]) == 7
    # And one article is read by id; an expired one is not found
    assert agent_api.get(f"/api/v1/articles/{ids[0]}/").json()["id"] == ids[0]
    assert agent_api.get(f"/api/v1/articles/{expired.pk}/").status_code == 404


def test_internal_articles_are_listed_for_hotline_roles_only(agent_api, api_client, make_user):
    # Given a public and an internal article
    public = KnowledgeArticleFactory(title="供暖期时间")
    internal = KnowledgeArticleFactory(title="供暖内部口径", is_public=False)
    # When an agent and a client system list them
    api_client.force_authenticate(make_user(Role.API_CLIENT))
    for_agent = agent_api.get("/api/v1/articles/").json()["results"]
    for_client = api_client.get("/api/v1/articles/").json()["results"]
    # Then the agent sees both, the client system (it may answer citizens) only the public one
    assert {row["id"] for row in for_agent} == {public.pk, internal.pk}
    assert [row["id"] for row in for_client] == [public.pk]
    assert api_client.get(f"/api/v1/articles/{internal.pk}/").status_code == 404


def test_a_client_system_cannot_answer_with_an_internal_article(api_client, make_user, agent_api):
    # Given an internal article, which the articles list does not show to client systems
    internal = KnowledgeArticleFactory(title="供暖内部口径", is_public=False)
    api_client.force_authenticate(make_user(Role.API_CLIENT))
    # When a client system takes in a contact answered with it
    answer = {"outcome": "answer", "article": internal.pk}
    response = api_client.post("/api/v1/tickets/", payload(**answer), format="json")
    # Then it is refused on the article field, and nothing is written
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", ["article"])
    assert not Ticket.objects.exists()
    # And an agent answers with it
    answered = agent_api.post("/api/v1/tickets/", payload(**answer), format="json")
    assert (answered.status_code, Ticket.objects.get().article) == (201, internal)


@pytest.mark.parametrize(("bound", "days"), [("valid_until", -1), ("valid_from", 1)])
def test_answering_with_an_article_not_valid_today_is_400_on_the_article(agent_api, bound, days):
    # Given an article that expired yesterday, or one that starts tomorrow, and a received ticket
    article = KnowledgeArticleFactory(**{bound: timezone.localdate() + timedelta(days=days)})
    ticket = TicketFactory(status=Status.RECEIVED)
    # When an agent answers the ticket with it, or takes in a new contact answered with it
    on_ticket = agent_api.post(f"/api/v1/tickets/{ticket.pk}/answer/", {"article": article.pk}, format="json")
    on_intake = agent_api.post("/api/v1/tickets/", payload(outcome="answer", article=article.pk), format="json")
    # Then both answer 400 with the article's field message, and nothing changes
    for response in (on_ticket, on_intake):
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["article"]
    assert list(Ticket.objects.all()) == [ticket]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.article) == (Status.RECEIVED, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [({"category": "heating"}, "category"), ({"category": ""}, "category"), ({"q": "长" * 101}, "q")],
)
def test_articles_with_bad_parameters_are_400_with_field_messages(agent_api, query, field):
    response = agent_api.get("/api/v1/articles/", query)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_ids_that_name_no_row_find_nothing(agent_api):
    # Given an article and an open ticket
    KnowledgeArticleFactory(title="供暖期时间")
    TicketFactory(status=Status.DISPATCHED)
    # When the article list and the repeat candidates are asked for a category id that names no row
    articles = agent_api.get("/api/v1/articles/", {"category": 987654321})
    candidates = agent_api.get("/api/v1/candidates/", {"category": 987654321, "street": 987654321})
    # then the schema-valid query is accepted and matches nothing, as any filter value matching nothing
    assert (articles.status_code, articles.json()["results"]) == (200, [])
    assert (candidates.status_code, candidates.json()) == (200, [])


def test_a_ticket_without_a_street_takes_the_one_its_address_names(gazetteer, agent_api):
    # Given a client system's ticket with an address but no district or street
    street_light = Category.objects.get(name="路灯不亮")
    response = agent_api.post(
        "/api/v1/tickets/", payload(category=street_light.pk, address="东城区多福巷社区3号楼"), format="json"
    )
    assert response.status_code == 201, response.json()
    # Then it is placed where the address says, down to the community
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.district.name, ticket.street.name, ticket.community_id) == ("东城区", "东华门街道", "110101001001")
