"""Open311 GeoReport v2: every endpoint in JSON and XML, its errors, and what it never shows."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.models import Assignment, AssignmentRole
from hotline.models import Category, Role
from intake import services as intake_services
from intake.lifecycle import Action, Status
from intake.models import Caller, Channel, Ticket, TicketEvent
from open311.models import Open311Client
from tests.factories import CategoryFactory, StreetFactory, TicketFactory, UnitFactory

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "lat",
    "long",
    "media_url",
]


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)


def spec_errors(response, status: int) -> list[str]:
    """The spec's error list, JSON or XML; returns the descriptions."""
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        assert [error.findtext("code") for error in root] == [str(status)] * len(root)
        return [error.findtext("description") for error in root]
    body = response.json()
    assert isinstance(body, list)
    assert body
    assert all(set(error) == {"code", "description"} and error["code"] == status for error in body)
    return [error["description"] for error in body]


def post(api: APIClient, key: str | None, service: Category, fmt: str = "json", headers=None, **fields):
    data = {"service_code": service.code, "lat": "39.904200", "long": "116.407400", **fields}
    if key is not None:
        data["api_key"] = key
    data = {name: value for name, value in data.items() if value is not None}
    return api.post(f"{BASE}/requests.{fmt}", data, format="multipart", headers=headers or {})


def nothing_written() -> bool:
    return not Ticket.objects.exists() and not TicketEvent.objects.exists() and not Caller.objects.exists()


# --- discovery and services ---------------------------------------------------------------


def test_discovery_in_json_and_xml(anon):
    # when the discovery document is read in both formats
    body = anon.get(f"{BASE}/discovery.json").json()
    root = xml(anon.get(f"{BASE}/discovery.xml"))
    # then it points at this endpoint and names both formats
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert {"changeset", "contact", "key_service"} <= set(body)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_services_are_the_active_leaf_categories(anon, service):
    # given an inactive leaf besides the active one
    CategoryFactory(is_active=False)
    # when the services are listed
    body = anon.get(f"{BASE}/services.json").json()
    # then only the active leaf is a service, grouped by its level-1 and keyed by its level-2 name
    assert body == [
        {
            "service_code": "070101",
            "service_name": "路灯不亮",
            "description": f"{service.parent.parent.name} / {service.parent.name} / 路灯不亮",
            "metadata": False,
            "type": "realtime",
            "keywords": service.parent.name,
            "group": service.parent.parent.name,
        }
    ]


def test_services_in_xml(anon, service):
    root = xml(anon.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    (item,) = root.findall("service")
    assert item.findtext("service_code") == "070101"
    assert item.findtext("metadata") == "false"
    assert item.findtext("type") == "realtime"
    assert item.findtext("group") == service.parent.parent.name


def test_service_names_follow_the_language(anon, service):
    body = anon.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}).json()
    assert body[0]["service_name"] == "Streetlight out"


def test_service_definition_in_json_and_xml(anon, service):
    assert anon.get(f"{BASE}/services/070101.json").json() == {"service_code": "070101", "attributes": []}
    root = xml(anon.get(f"{BASE}/services/070101.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "070101"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(anon, service, fmt):
    response = anon.get(f"{BASE}/services/999999.{fmt}")
    assert "999999" in spec_errors(response, 404)[0]


# --- jurisdiction and unknown paths -------------------------------------------------------


@pytest.mark.parametrize("path", ["discovery.json", "services.json", "services/070101.xml", "requests.json"])
def test_the_configured_jurisdiction_is_accepted(anon, service, path):
    assert anon.get(f"{BASE}/{path}", {"jurisdiction_id": "beijing.gov.cn"}).status_code == 200


@pytest.mark.parametrize("path", ["discovery.json", "services.xml", "services/070101.json", "requests.json"])
def test_another_jurisdiction_is_404(anon, service, path):
    response = anon.get(f"{BASE}/{path}", {"jurisdiction_id": "shanghai.gov.cn"})
    assert "shanghai.gov.cn" in spec_errors(response, 404)[0]


def test_posting_to_another_jurisdiction_is_404_and_writes_nothing(anon, open311_client, service):
    response = post(anon, open311_client.key, service, jurisdiction_id="shanghai.gov.cn")
    spec_errors(response, 404)
    assert nothing_written()


def test_jurisdiction_id_is_a_setting(anon, service, settings):
    settings.OPEN311_JURISDICTION_ID = "shanghai.gov.cn"
    assert anon.get(f"{BASE}/services.json", {"jurisdiction_id": "shanghai.gov.cn"}).status_code == 200
    spec_errors(anon.get(f"{BASE}/services.json", {"jurisdiction_id": "beijing.gov.cn"}), 404)


@pytest.mark.parametrize("path", ["nothing.json", "requests", "requests.csv", "services/070101/x.xml"])
def test_unknown_paths_are_404_in_the_spec_format(anon, path):
    response = anon.get(f"{BASE}/{path}")
    spec_errors(response, 404)


def test_unsupported_methods_are_405_in_the_spec_format(anon):
    spec_errors(anon.put(f"{BASE}/requests.xml"), 405)


# --- POST requests ------------------------------------------------------------------------


def test_post_creates_a_ticket_queued_for_dispatch(anon, open311_client, service):
    # when a client posts a request with a location, the citizen's contact and an attribute
    response = post(
        anon,
        open311_client.key,
        service,
        address_string="幸福小区3号楼门口",
        description="路灯连续三晚不亮。",
        first_name="三",
        last_name="张",
        phone="138 0013 8000",
        email="zhang@example.com",
        device_id="device-1",
        account_id="acct-9",
        media_url="https://img.example.com/1.jpg",
        **{"attribute[pole]": "A-17"},
    )
    # then it answers the spec's tracking list with the ticket's number
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert response.json() == [{"service_request_id": ticket.number, "service_notice": "", "account_id": None}]
    # and the ticket came in through Open311, with its location, caller and client
    assert ticket.channel == Channel.OPEN311
    assert ticket.status == Status.AWAITING_DISPATCH
    assert ticket.category == service
    assert ticket.address == "幸福小区3号楼门口"
    assert (ticket.latitude, ticket.longitude) == (Decimal("39.904200"), Decimal("116.407400"))
    assert ticket.caller.phone == "13800138000"
    assert ticket.caller.name == "张三"
    assert ticket.created_by == open311_client.client.user
    created = ticket.events.get(action=Action.CREATE)
    assert created.payload["channel"] == "open311"
    assert created.payload["open311"] == {
        "client": "城市App",
        "account_id": "acct-9",
        "device_id": "device-1",
        "media_url": "https://img.example.com/1.jpg",
        "attributes": {"pole": "A-17"},
    }
    assert created.payload["repeat_candidates"] == []
    open311_client.client.refresh_from_db()
    assert open311_client.client.last_used_at is not None


def test_post_answers_in_xml(anon, open311_client, service):
    root = xml(post(anon, open311_client.key, service, fmt="xml"))
    assert root.tag == "service_requests"
    (item,) = root.findall("request")
    assert item.findtext("service_request_id") == Ticket.objects.get().number
    assert item.find("account_id").text is None  # <account_id/>, the spec's null


def test_files_in_a_multipart_body_are_not_parameters(anon, open311_client, service):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.txt", b"x")
    response = anon.post(
        f"{BASE}/requests.json",
        {"api_key": upload, "service_code": service.code, "address_string": "x", "attribute[a]": upload},
        format="multipart",
    )
    spec_errors(response, 403)
    response = post(anon, open311_client.key, service, description=upload, **{"attribute[a]": upload})
    assert response.status_code == 200, response.content
    assert Ticket.objects.get().events.get(action=Action.CREATE).payload["open311"]["attributes"] == {}


def test_post_parameters_may_come_in_the_query_string(anon, open311_client, service):
    # the spec's own Swagger file declares the POST parameters "in: query"
    query = f"api_key={open311_client.key}&service_code={service.code}&address_string=Main"
    response = anon.post(f"{BASE}/requests.json?{query}")
    assert response.status_code == 200, response.content
    assert Ticket.objects.get().address == "Main"


def test_address_id_is_the_street_code(anon, open311_client, service):
    street = StreetFactory(code="110106001000")
    response = post(anon, open311_client.key, service, lat=None, long=None, address_id="110106001000")
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert (ticket.street, ticket.district) == (street, street.parent)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lat": None, "long": None}, "location"),
        ({"long": None}, "long"),
        ({"lat": "91", "long": "116.4"}, "lat"),
        ({"lat": "nan", "long": "116.4"}, "lat"),
        ({"description": "长" * 4001}, "description"),
        ({"description": "a\x00b"}, "description"),
        ({"service_code": "999999"}, "service_code"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"lat": None, "long": None, "address_id": "999999999999"}, "address_id"),
        ({"address_string": "路" * 201}, "address_string"),
    ],
)
def test_bad_input_is_400_in_the_spec_format_and_writes_nothing(anon, open311_client, service, fields, field):
    # when a request breaks one rule
    response = post(anon, open311_client.key, service, **fields)
    # then it is refused with the spec's error list naming what is wrong, and nothing is stored
    descriptions = spec_errors(response, 400)
    expected = "address_string" if field == "location" else f"{field}: "
    assert any(expected in d for d in descriptions), descriptions
    assert nothing_written()


def test_description_of_exactly_4000_characters_is_accepted(anon, open311_client, service):
    assert post(anon, open311_client.key, service, description="长" * 4000).status_code == 200


def test_bad_input_in_xml(anon, open311_client, service):
    response = post(anon, open311_client.key, service, fmt="xml", lat=None, long=None)
    assert "address_string" in spec_errors(response, 400)[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_post_without_a_valid_api_key_is_403(anon, open311_client, service, fmt, key):
    spec_errors(post(anon, key, service, fmt=fmt), 403)
    assert nothing_written()


def test_a_deactivated_client_is_403(anon, open311_client, service):
    Open311Client.objects.update(is_active=False)
    spec_errors(post(anon, open311_client.key, service), 403)
    assert nothing_written()


def test_a_repeat_is_still_taken_in_with_the_candidates_for_merging(anon, open311_client, service):
    # given open tickets of the same caller, and of the same category in the same street
    street = StreetFactory(code="110106001000")
    same_caller = TicketFactory(status=Status.IN_PROGRESS, caller__phone="13800138000")
    same_place = TicketFactory(status=Status.DISPATCHED, category=service, street=street, caller__phone="13900000000")
    TicketFactory(status=Status.CLOSED, category=service, street=street)  # closed: not a candidate
    # when the same citizen reports the same matter through Open311
    response = post(anon, open311_client.key, service, address_id="110106001000", phone="13800138000")
    # then a new ticket is taken in, naming the open tickets the agent desk may merge it into
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(number=response.json()[0]["service_request_id"])
    assert ticket.status == Status.AWAITING_DISPATCH
    candidates = ticket.events.get(action=Action.CREATE).payload["repeat_candidates"]
    assert sorted(candidates) == sorted([same_caller.number, same_place.number])


# --- tokens (idempotency) -----------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_request(anon, open311_client, service):
    headers = {"Idempotency-Key": "retry-1"}
    first = post(anon, open311_client.key, service, headers=headers).json()
    second = post(anon, open311_client.key, service, headers=headers).json()
    assert first == second
    assert Ticket.objects.count() == 1


def test_another_client_with_the_same_key_gets_its_own_ticket(anon, open311_client, service):
    from open311 import services

    _other, other_key = services.create_client(name="另一个App")
    post(anon, open311_client.key, service, headers={"Idempotency-Key": "k"})
    post(anon, other_key, service, headers={"Idempotency-Key": "k"})
    assert Ticket.objects.count() == 2


def test_token_resolves_to_the_request_for_the_client_that_sent_it(anon, open311_client, service):
    # given a request created with an idempotency key
    number = post(anon, open311_client.key, service, headers={"Idempotency-Key": "tok-1"}).json()[0][
        "service_request_id"
    ]
    # when the client asks for the token, in JSON and XML
    body = anon.get(f"{BASE}/tokens/tok-1.json", {"api_key": open311_client.key}).json()
    root = xml(anon.get(f"{BASE}/tokens/tok-1.xml", {"api_key": open311_client.key}))
    # then it gets the request's id
    assert body == [{"service_request_id": number, "token": "tok-1"}]
    assert root.findtext("request/service_request_id") == number
    assert root.findtext("request/token") == "tok-1"


def test_tokens_need_the_clients_key_and_are_404_otherwise(anon, open311_client, service):
    from open311 import services

    post(anon, open311_client.key, service, headers={"Idempotency-Key": "tok-1"})
    _other, other_key = services.create_client(name="另一个App")
    spec_errors(anon.get(f"{BASE}/tokens/tok-1.json"), 403)
    spec_errors(anon.get(f"{BASE}/tokens/tok-1.json", {"api_key": other_key}), 404)
    spec_errors(anon.get(f"{BASE}/tokens/unknown.xml", {"api_key": open311_client.key}), 404)


# --- GET requests -------------------------------------------------------------------------


def test_a_created_request_is_readable_and_in_the_agents_ticket_list(anon, open311_client, service, make_user):
    # given a request created through Open311
    number = post(anon, open311_client.key, service, description="路灯不亮").json()[0]["service_request_id"]
    # when it is read back
    body = anon.get(f"{BASE}/requests/{number}.json").json()
    # then it is the spec's list of one request with every field, typed as the spec says
    (item,) = body
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == number
    assert item["status"] == "open"
    assert item["service_code"] == "070101"
    assert item["service_name"] == "路灯不亮"
    assert item["description"] == "路灯不亮"
    assert item["service_notice"] == ""
    assert (item["lat"], item["long"]) == (39.9042, 116.4074)
    assert item["requested_datetime"].endswith("+08:00")
    # and a hotline agent finds it in the ticket API, from the Open311 channel
    agent = APIClient()
    agent.force_authenticate(make_user(Role.AGENT))
    listed = agent.get("/api/v1/tickets/").json()["results"]
    assert [(t["number"], t["channel"]) for t in listed] == [(number, "open311")]


def test_the_singular_request_path_of_the_swagger_file_answers_the_object(anon, service):
    ticket = TicketFactory(category=service, status=Status.AWAITING_DISPATCH)
    body = anon.get(f"{BASE}/request/{ticket.number}.json").json()
    assert body["service_request_id"] == ticket.number
    root = xml(anon.get(f"{BASE}/request/{ticket.number}.xml"))
    assert root.tag == "request"
    assert root.findtext("service_request_id") == ticket.number


@pytest.mark.parametrize("path", ["requests/20990101000001.json", "request/20990101000001.xml"])
def test_unknown_request_is_404(anon, path):
    spec_errors(anon.get(f"{BASE}/{path}"), 404)


def test_public_fields_come_from_the_ticket_and_its_live_lead_assignment(anon, service):
    # given a ticket with a live lead unit and a public reply
    street = StreetFactory(code="110106001000")
    ticket = TicketFactory(
        category=service, status=Status.IN_PROGRESS, address="丰台路1号", street=street, public_reply="已修复。"
    )
    due = timezone.now() + timedelta(days=7)
    unit = UnitFactory(name="丰台区城管委")
    Assignment.objects.create(ticket=ticket, unit=unit, role=AssignmentRole.LEAD, due_at=due)
    Assignment.objects.create(
        ticket=ticket, unit=UnitFactory(), role=AssignmentRole.LEAD, ended_at=timezone.now()
    )  # a returned lead: not responsible any more
    # when it is read
    (item,) = anon.get(f"{BASE}/requests/{ticket.number}.json").json()
    # then the agency and the expected time are the live lead's, the notes the public reply
    assert item["agency_responsible"] == "丰台区城管委"
    assert item["expected_datetime"] == timezone.localtime(due).replace(microsecond=0).isoformat()
    assert item["status_notes"] == "已修复。"
    assert item["address"] == "丰台路1号"
    assert item["address_id"] == "110106001000"
    assert item["lat"] is None


def test_closed_and_merged_tickets_are_closed(anon, service):
    closed = TicketFactory(category=service, status=Status.CLOSED)
    merged = TicketFactory(category=service, status=Status.MERGED)
    body = {r["service_request_id"]: r for r in anon.get(f"{BASE}/requests.json").json()}
    assert body[closed.number]["status"] == "closed"
    assert body[merged.number]["status"] == "closed"
    assert merged.parent.number in body[merged.number]["status_notes"]


def test_requests_in_xml(anon, service):
    TicketFactory(
        category=service, status=Status.AWAITING_DISPATCH, latitude=Decimal("39.9"), longitude=Decimal("116.4")
    )
    root = xml(anon.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    (item,) = root.findall("request")
    assert [child.tag for child in item] == REQUEST_FIELDS
    assert item.findtext("status") == "open"
    assert float(item.findtext("lat")) == 39.9


def test_extensions_add_the_detailed_status_and_public_notes(anon, service, make_user):
    # given a ticket dispatched and signed, with an internal progress note
    agent = make_user(Role.DISPATCHER)
    ticket = TicketFactory(category=service, status=Status.AWAITING_DISPATCH)
    intake_services.transition(ticket_id=ticket.pk, action=Action.DISPATCH, actor=agent, note="内部：派给城管")
    intake_services.transition(ticket_id=ticket.pk, action=Action.SIGN, actor=agent)
    intake_services.transition(ticket_id=ticket.pk, action=Action.ADD_PROGRESS, actor=agent, note="内部进展")
    # when it is read with extensions
    (item,) = anon.get(f"{BASE}/requests/{ticket.number}.json", {"extensions": "true"}).json()
    # then the detailed status and the public notes (labels and times only) are added
    extended = item["extended_attributes"]
    assert extended["detailed_status"] == "in_progress"
    assert [note["type"] for note in extended["notes"]] == ["dispatched", "signed"]
    assert all(set(note) == {"type", "datetime", "summary"} for note in extended["notes"])
    assert "内部" not in json.dumps(item, ensure_ascii=False)
    # and the same in XML, and nothing extra without extensions
    root = xml(anon.get(f"{BASE}/requests.xml", {"extensions": "true"}))
    assert [n.findtext("type") for n in root.findall("request/extended_attributes/notes/note")] == [
        "dispatched",
        "signed",
    ]
    (plain,) = anon.get(f"{BASE}/requests/{ticket.number}.json").json()
    assert "extended_attributes" not in plain


def test_requests_default_to_the_last_90_days(anon, service):
    recent = TicketFactory(category=service)
    old = TicketFactory(category=service)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    numbers = [r["service_request_id"] for r in anon.get(f"{BASE}/requests.json").json()]
    assert numbers == [recent.number]


def test_requests_default_to_at_most_1000(anon, service):
    # given 1001 recent tickets
    Ticket.objects.bulk_create(
        Ticket(number=f"20260101{n:06d}", channel="phone", kind="help", category=service, deadline_tier="general")
        for n in range(1001)
    )
    # then the first page holds 1000, the second the last one, and more per page is refused
    assert len(anon.get(f"{BASE}/requests.json").json()) == 1000
    assert len(anon.get(f"{BASE}/requests.json", {"page": 2}).json()) == 1
    spec_errors(anon.get(f"{BASE}/requests.json", {"page_size": 1001}), 400)


def test_service_request_id_overrides_the_other_filters(anon, service):
    old = TicketFactory(category=service, status=Status.CLOSED)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    other = TicketFactory()
    query = {"service_request_id": f"{old.number}, {other.number}", "status": "open", "service_code": "070101"}
    numbers = {r["service_request_id"] for r in anon.get(f"{BASE}/requests.json", query).json()}
    assert numbers == {old.number, other.number}


def test_filters_by_service_code_status_and_dates(anon, service):
    # given tickets of two services, open and closed, at different times
    other_service = CategoryFactory()
    open_one = TicketFactory(category=service, status=Status.IN_PROGRESS)
    closed_one = TicketFactory(category=service, status=Status.CLOSED)
    other = TicketFactory(category=other_service, status=Status.IN_PROGRESS)
    older = TicketFactory(category=service, status=Status.IN_PROGRESS)
    Ticket.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=30))

    def numbers(**query) -> set[str]:
        response = anon.get(f"{BASE}/requests.json", query)
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert numbers(service_code="070101") == {open_one.number, closed_one.number, older.number}
    assert numbers(service_code=f"070101,{other_service.code}", status="closed") == {closed_one.number}
    assert numbers(status="open,closed") == {open_one.number, closed_one.number, other.number, older.number}
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert numbers(start_date=since, status="open") == {open_one.number, other.number}
    until = (timezone.now() - timedelta(days=29)).isoformat()
    assert numbers(end_date=until) == {older.number}
    assert numbers(start_date="2000-01-01T00:00:00Z", end_date="2000-03-01T00:00:00Z") == set()


def test_an_unencoded_plus_in_the_offset_is_understood(anon, service):
    ticket = TicketFactory(category=service)
    start = timezone.localtime(ticket.created_at - timedelta(minutes=1)).replace(microsecond=0).isoformat()
    response = anon.get(f"{BASE}/requests.json?start_date={start}")  # "+08:00" reaches us as " 08:00"
    assert [r["service_request_id"] for r in response.json()] == [ticket.number]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45T00:00:00"}, "end_date"),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}, "end_date"),
        ({"start_date": "9999-12-30T00:00:00Z"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "11", "page_size": "1000"}, "page"),
        ({"page_size": "x"}, "page_size"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_queries_are_400(anon, query, field, fmt):
    descriptions = spec_errors(anon.get(f"{BASE}/requests.{fmt}", query), 400)
    assert any(d.startswith(f"{field}: ") for d in descriptions), descriptions


def test_the_request_list_takes_a_fixed_number_of_queries(anon, service, django_assert_max_num_queries):
    for _ in range(20):
        ticket = TicketFactory(category=service, status=Status.AWAITING_DISPATCH)
        Assignment.objects.create(ticket=ticket, unit=UnitFactory(), role=AssignmentRole.LEAD)
    with django_assert_max_num_queries(3):
        response = anon.get(f"{BASE}/requests.json", {"extensions": "true"})
    assert len(response.json()) == 20


# --- privacy ------------------------------------------------------------------------------


def test_reads_never_show_the_callers_contact(anon, open311_client, service):
    # given a request whose citizen left their name, phone and e-mail, and repeated them in the text
    contact = {"first_name": "小明", "last_name": "欧阳", "phone": "13800138000", "email": "ouyang@example.com"}
    text = "我是欧阳小明，电话13800138000，邮箱ouyang@example.com，另有座机010-66668888。"
    post(anon, open311_client.key, service, description=text, **contact)
    ticket = Ticket.objects.get()
    number = ticket.number
    # and a unit's public reply that greets them by name
    Ticket.objects.filter(pk=ticket.pk).update(public_reply="欧阳小明您好，路灯已修复，如有问题请拨13800138000。")
    # when it is read in every way the endpoint offers
    bodies = [
        anon.get(f"{BASE}/{path}", {"extensions": "true"}).content.decode()
        for path in ("requests.json", "requests.xml", f"requests/{number}.json", f"request/{number}.xml")
    ]
    # then none of the contact details appear anywhere
    for body in bodies:
        for secret in ("欧阳小明", "13800138000", "ouyang@example.com", "66668888"):
            assert secret not in body


def test_a_confidential_ticket_shows_no_text_or_place(anon, service):
    ticket = TicketFactory(
        category=service,
        confidential=True,
        address="幸福小区",
        description="隐私内容",
        latitude=Decimal("39.9"),
        longitude=Decimal("116.4"),
    )
    (item,) = anon.get(f"{BASE}/requests/{ticket.number}.json").json()
    assert (item["description"], item["address"], item["lat"], item["long"]) == (None, None, None, None)


def test_xml_stays_well_formed_with_control_characters(anon, service):
    ticket = TicketFactory(category=service, description="坏字符\x07\x1b结束 <b>&")
    root = xml(anon.get(f"{BASE}/requests/{ticket.number}.xml"))
    assert root.findtext("request/description") == "坏字符结束 <b>&"


def test_the_address_string_places_the_request(gazetteer, anon, open311_client):
    # Given an Open311 request whose only location is an address string
    service = Category.objects.get(name="路灯不亮")
    response = post(
        anon,
        open311_client.key,
        service,
        address_string="北京市丰台区新村街道怡海花园社区12号楼东侧",
        description="路灯连续三晚不亮。",
    )
    assert response.status_code == 200, response.content
    # Then the ticket has the street and community the address names
    ticket = Ticket.objects.get()
    assert (ticket.street.name, ticket.community_id) == ("新村街道", "110106010015")
