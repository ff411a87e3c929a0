"""Inbound channels from other platforms (其他平台转办): a client credential per channel, the
platform's external id unique per channel (a re-post answers the first ticket and changes nothing),
the reference on the ticket, and the platforms' own source in the rankings and analytics."""

from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics import services as analytics_services
from evaluation import rates
from hotline import demo as hotline_demo
from hotline.errors import DomainError
from hotline.models import Role
from intake import demo as intake_demo
from intake import selectors, services
from intake.models import CITIZEN_CHANNELS, PLATFORM_CHANNELS, Channel, ExternalPlatform, Ticket, TicketEvent
from tests.conftest import run_at_once
from tests.factories import (
    CallbackFactory,
    CategoryFactory,
    DistrictFactory,
    LeadAssignmentFactory,
    StreetFactory,
    TicketFactory,
    allow_small_samples,
    at,
    hotline_center,
    published,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gov_supervision(db) -> services.ChannelClient:
    """The 国办互联网+督查平台's channel and its client's token."""
    hotline_center()
    return services.create_channel_client(channel=Channel.GOV_SUPERVISION)


@pytest.fixture
def message_board(db) -> services.ChannelClient:
    hotline_center()
    return services.create_channel_client(channel=Channel.MESSAGE_BOARD)


def client_of(made: services.ChannelClient) -> APIClient:
    """The platform's system, authenticated with its token as it would be."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {made.token}")
    return client


def post(made: services.ChannelClient, **overrides) -> object:
    data = {
        "kind": "complaint",
        "category": overrides.pop("category", None) or CategoryFactory().pk,
        "description": "小区旁工地长期夜间施工，多次投诉未解决。",
        "phone": "13810002001",
        "caller_name": "何先生",
        "external_id": "DC-2026-000187",
        "external_url": "https://tousu.example.gov.cn/items/DC-2026-000187",
        **overrides,
    }
    return client_of(made).post("/api/v1/tickets/", data, format="json")


def test_the_same_request_from_the_supervision_platform_twice_is_one_ticket(gov_supervision):
    # Given the 督查平台's request, posted by its client without naming a channel
    category = CategoryFactory()
    first = post(gov_supervision, category=category.pk)
    assert first.status_code == 201, first.json()
    ticket = Ticket.objects.get()
    events = list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))
    # When the platform posts the same external id again, with other words
    second = post(gov_supervision, category=category.pk, description="再次转办：施工仍未停止。")
    # Then the first ticket answers (200, the same body), and nothing was updated or logged
    assert second.status_code == 200, second.json()
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.description == "小区旁工地长期夜间施工，多次投诉未解决。"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True)) == events
    # And the ticket is the platform's channel with the platform's reference, taken in by its client
    assert (ticket.channel, ticket.external_id) == (Channel.GOV_SUPERVISION, "DC-2026-000187")
    assert ticket.created_by == gov_supervision.platform.client
    assert first.json()["channel"] == "gov_supervision"
    assert first.json()["external_id"] == "DC-2026-000187"


@pytest.mark.django_db(transaction=True)
def test_posts_of_one_external_id_at_once_make_one_ticket():
    # Given the 督查平台's client sending the same request ten times at once
    hotline_center()
    made = services.create_channel_client(channel=Channel.GOV_SUPERVISION)
    category = CategoryFactory()
    responses = run_at_once(*[lambda: post(made, category=category.pk)] * 10)
    # Then one post made the ticket (201) and every other one answers it (200)
    assert sorted(response.status_code for response in responses) == [200] * 9 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.count() == 2  # created, queued for dispatch: once


def test_the_same_external_id_on_two_channels_is_two_tickets(gov_supervision, message_board):
    # When two platforms post requests that happen to share their external id
    first = post(gov_supervision)
    second = post(message_board)
    # Then each platform has its own ticket
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert sorted(Ticket.objects.values_list("channel", flat=True)) == ["gov_supervision", "message_board"]


def test_the_database_refuses_a_second_ticket_with_a_channels_external_id():
    # Given a ticket of the 督查平台 with its reference, and tickets of the hotline's own without one
    TicketFactory(channel=Channel.GOV_SUPERVISION, external_id="DC-1")
    TicketFactory(channel=Channel.PHONE)
    TicketFactory(channel=Channel.PHONE)
    # When another ticket of the channel is written with that reference, then the constraint refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketFactory(channel=Channel.GOV_SUPERVISION, external_id="DC-1")


def test_a_platforms_client_cannot_post_for_another_channel(gov_supervision, message_board):
    # When the 督查平台's client posts a request as the message board's
    response = post(gov_supervision, channel="message_board")
    # Then it is refused on the channel field and nothing is taken in
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["channel"]
    assert not Ticket.objects.exists()
    # And naming its own channel is fine
    assert post(gov_supervision, channel="gov_supervision").status_code == 201


def test_a_platforms_client_must_give_the_external_id(gov_supervision):
    response = post(gov_supervision, external_id="")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["external_id"]
    assert not Ticket.objects.exists()


def test_an_external_link_must_be_a_web_address(gov_supervision):
    response = post(gov_supervision, external_url="javascript:alert(1)")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["external_url"]


def test_others_send_no_external_id_and_name_their_channel(make_user):
    # Given an agent and a plain API client, neither a platform's
    for role in (Role.AGENT, Role.API_CLIENT):
        client = APIClient()
        client.force_authenticate(make_user(role))
        data = {"kind": "complaint", "category": CategoryFactory().pk, "description": "路灯不亮。"}
        # When they post an external id, then it is refused
        response = client.post(
            "/api/v1/tickets/", {**data, "channel": "gov_supervision", "external_id": "DC-9"}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["external_id"]
        # And without a channel they are asked for it
        response = client.post("/api/v1/tickets/", data, format="json")
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["channel"]
    assert not Ticket.objects.exists()


def test_a_switched_off_platform_takes_in_nothing(gov_supervision):
    ExternalPlatform.objects.filter(pk=gov_supervision.platform.pk).update(is_active=False)
    response = post(gov_supervision)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "channel_inactive"
    assert not Ticket.objects.exists()


def test_the_reference_shows_on_the_ticket_page_and_in_the_api(gov_supervision, make_user, client):
    # Given a ticket the 督查平台 transferred
    ticket_id = post(gov_supervision).json()["id"]
    # When an agent reads it through the API and on its page
    agent = make_user(Role.AGENT)
    api = APIClient()
    api.force_authenticate(agent)
    detail = api.get(f"/api/v1/tickets/{ticket_id}/").json()
    listed = api.get("/api/v1/tickets/").json()["results"][0]
    client.force_login(agent)
    page = client.get(reverse("intake:ticket_detail", args=[ticket_id])).content.decode()
    # Then both name the platform's reference and link
    for data in (detail, listed):
        assert data["external_id"] == "DC-2026-000187"
        assert data["external_url"] == "https://tousu.example.gov.cn/items/DC-2026-000187"
    assert "国办互联网+督查平台" in page
    assert 'href="https://tousu.example.gov.cn/items/DC-2026-000187"' in page
    assert "DC-2026-000187" in page
    # And the platform's client reads the ticket it took in, with the reference
    assert client_of(gov_supervision).get(f"/api/v1/tickets/{ticket_id}/").json()["external_id"] == "DC-2026-000187"


def test_the_external_reference_is_what_a_reply_pushed_back_names_the_request_by(gov_supervision):
    ticket = Ticket.objects.get(pk=post(gov_supervision).json()["id"])
    assert selectors.external_reference(ticket) == {
        "channel": "gov_supervision",
        "external_id": "DC-2026-000187",
        "external_url": "https://tousu.example.gov.cn/items/DC-2026-000187",
    }
    assert selectors.external_reference(TicketFactory()) is None


def test_the_command_prints_the_channels_token_once_and_rotates_it_on_request():
    # Given the hotline centre
    hotline_center()
    # When the 督查平台's channel client is created
    out = StringIO()
    call_command("create_channel_client", "--channel", "gov_supervision", stdout=out, stderr=StringIO())
    token = out.getvalue().strip()
    # Then the platform exists with its usual name, its client an API client, and the token works
    platform = ExternalPlatform.objects.get()
    assert (platform.code, platform.channel) == ("gov_supervision", "gov_supervision")
    assert platform.name == "国办互联网+督查平台"
    assert platform.client.memberships.filter(role=Role.API_CLIENT).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/tickets/").status_code == 200
    # And asked again it refuses; with --rotate it prints a new token and the old one stops working
    with pytest.raises(CommandError):
        call_command("create_channel_client", "--channel", "gov_supervision", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("create_channel_client", "--channel", "gov_supervision", "--rotate", stdout=out, stderr=StringIO())
    assert out.getvalue().strip() != token
    assert api.get("/api/v1/tickets/").status_code == 401
    assert ExternalPlatform.objects.count() == 1


def test_no_platform_for_the_phone_lines():
    hotline_center()
    with pytest.raises(DomainError) as refused:
        services.create_channel_client(channel=Channel.PHONE)
    assert list(refused.value.fields) == ["channel"]


# --- Rankings and analytics ------------------------------------------------------------------


def test_every_citizen_channel_is_in_exactly_one_source():
    # The rankings by source, the analytics' channel rows and the raw bound agree on one split.
    sources = [set(channels) for channels in rates.SOURCE_CHANNELS.values()]
    assert set().union(*sources) == set(CITIZEN_CHANNELS)
    assert sum(len(channels) for channels in sources) == len(CITIZEN_CHANNELS)
    assert set(rates.SOURCE_CHANNELS[rates.Source.PLATFORMS]) == PLATFORM_CHANNELS
    assert Channel.MESSAGE_BOARD in PLATFORM_CHANNELS  # the 人民网 board is one of the platforms


@pytest.fixture
def scheme_presets(db) -> None:
    import_module("evaluation.migrations.0002_scheme_presets").add_presets(apps, None)


def test_the_ranking_can_be_read_for_the_other_platforms(client, make_user, scheme_presets):
    # Given a street whose October tickets came by phone (in time) and from the 督查平台 (late)
    allow_small_samples()
    street = StreetFactory(name="平台街道", parent=DistrictFactory(name="平台区"))
    for channel, late in ((Channel.PHONE, False), (Channel.GOV_SUPERVISION, True)):
        for index in range(2):
            signed = at(2026, 10, 3) + timedelta(hours=3 if late else 0, minutes=20)
            ticket = TicketFactory(channel=channel, external_id=f"DC-{index}" if late else "")
            LeadAssignmentFactory(ticket=ticket, unit=street, dispatched_at=at(2026, 10, 3), signed_at=signed)
            CallbackFactory(ticket=ticket, unit=street)
    published(month=at(2026, 10, 1).date(), unit_kind="street")
    client.force_login(make_user(Role.HOTLINE_SUPERVISOR))
    # When the ranking is read for the other platforms only
    response = client.get(f"{reverse('evaluation:ranking')}?month=2026-10&kind=street&source=platforms")
    # Then it counts the platform's tickets only, and the page names the source
    line = response.context["lines"][0].result
    assert (line.unit, line.required_response, line.responded_in_time) == (street, 2, 0)
    assert str(rates.Source.PLATFORMS.label) in response.content.decode()
    # And the online requests' source no longer counts them
    assert not rates.counted_leads(first=at(2026, 10, 1).date(), source="network").exists()


def test_the_analytics_overview_has_a_row_for_the_other_platforms(client, make_user):
    # Given tickets by phone, online, and from two platforms, counted by the rollups
    for channel in (Channel.PHONE, Channel.WECHAT, Channel.GOV_SUPERVISION, Channel.MESSAGE_BOARD):
        TicketFactory(channel=channel)
    analytics_services.refresh_rollups()
    client.force_login(make_user(Role.CITY_ADMIN))
    # When the overview is opened
    response = client.get(reverse("analytics:overview"))
    summary = response.context["summary"]
    # Then the platforms are a row of their own and the rows add up to everything received
    assert (summary.phone, summary.online, summary.platforms) == (1, 1, 2)
    assert summary.phone + summary.online + summary.media + summary.platforms + summary.proactive == 4
    assert response.context["charts"]["phone_online"]["series"][0]["data"] == [1, 1, 0, 2, 0]
    assert str(rates.Source.PLATFORMS.label) in response.content.decode()


def test_a_platforms_post_and_its_repeat_are_a_fixed_number_of_queries(gov_supervision, django_assert_max_num_queries):
    # Given the platform's client (the token's own lookup aside) and a caller who wrote before
    api = APIClient()
    api.force_authenticate(gov_supervision.platform.client)
    category = CategoryFactory().pk
    data = {"kind": "complaint", "category": category, "description": "施工噪音。", "phone": "13810002001"}
    api.post("/api/v1/tickets/", {**data, "external_id": "DC-0"}, format="json")
    # When a new request is posted: the platform, the look for its id, number, the savepoint a lost
    # race rolls back, caller, ticket, both events, and the test transaction's savepoint pair
    with django_assert_max_num_queries(10):
        assert api.post("/api/v1/tickets/", {**data, "external_id": "DC-1"}, format="json").status_code == 201
    # And posted again it only finds the first ticket: no write at all
    with django_assert_max_num_queries(5) as queries:
        assert api.post("/api/v1/tickets/", {**data, "external_id": "DC-1"}, format="json").status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]


def test_the_admin_lists_platforms_and_issues_a_new_token(admin_client, gov_supervision):
    # Given the 督查平台's channel, when the admin lists the platforms, then it is there
    url = reverse("admin:intake_externalplatform_changelist")
    assert "国办互联网+督查平台" in admin_client.get(url).content.decode()
    # When the admin issues it a new token
    response = admin_client.post(
        url, {"action": "rotate_tokens", "_selected_action": [gov_supervision.platform.pk]}, follow=True
    )
    # Then the new token is shown once and the old one no longer works
    token = Token.objects.get(user=gov_supervision.platform.client).key
    assert token != gov_supervision.token
    assert token in response.content.decode()
    assert client_of(gov_supervision).get("/api/v1/tickets/").status_code == 401


def test_the_demo_has_the_platforms_clients_and_a_request_from_each_loaded_twice_the_same(beijing):
    # Given the demo's users, when the intake demo loads twice
    hotline_demo.load(password="demo-pass-123")
    first = intake_demo.load(password="demo-pass-123")
    second = intake_demo.load(password="demo-pass-123")
    # Then the three platforms have their clients, whose tokens are printed, the same on both runs
    platforms = ExternalPlatform.objects.order_by("channel")
    assert [p.channel for p in platforms] == ["gov_supervision", "message_board", "mini_program"]
    for platform in platforms:
        token = Token.objects.get(user=platform.client).key
        assert any(token in line for line in first)
        assert any(token in line for line in second)
    # And each sent one request, with its reference, taken in once
    tickets = Ticket.objects.exclude(external_id="")
    assert sorted(tickets.values_list("channel", flat=True)) == ["gov_supervision", "message_board", "mini_program"]
    for ticket in tickets.select_related("created_by"):
        assert ticket.created_by == platforms.get(channel=ticket.channel).client
