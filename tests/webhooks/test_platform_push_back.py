"""A platform's request and its reply pushed back (issue 21): the 督查平台 posts the same request twice,
the hotline has one ticket, and the platform's own subscription, filtered to its channel, hears of the
reply by the platform's id, signed; another platform's subscription hears nothing."""

import hashlib
import hmac

import pytest
from rest_framework.test import APIClient

from dispatch import services as dispatch_services
from hotline.models import Role, UnitKind
from intake import services as intake_services
from intake.models import Channel, Ticket
from tests.factories import CategoryFactory, StreetFactory, UnitFactory, hotline_center
from tests.webhooks.test_delivery import send_all
from webhooks import services
from webhooks.models import EventType

pytestmark = pytest.mark.django_db


def post(token: str, *, category: int, street: int):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.post(
        "/api/v1/tickets/",
        {
            "kind": "complaint",
            "category": category,
            "street": street,
            "description": "小区旁工地长期夜间施工，多次投诉未解决。",
            "phone": "13810002001",
            "external_id": "DC-2026-000187",
        },
        format="json",
    )


def test_a_platforms_request_posted_twice_is_one_ticket_and_its_reply_goes_back_to_it(receiver, make_user):
    # Given the 督查平台 and the leaders' message board, each subscribed to its own channel's replies
    hotline_center()
    supervision = intake_services.create_channel_client(channel=Channel.GOV_SUPERVISION)
    board = intake_services.create_channel_client(channel=Channel.MESSAGE_BOARD)
    subscription = services.create_subscription(
        owner=supervision.platform.client,
        url=receiver.url,
        event_types=[EventType.TICKET_REPLIED],
        channels=[Channel.GOV_SUPERVISION],
    )
    services.create_subscription(
        owner=board.platform.client,
        url=receiver.url,
        event_types=[EventType.TICKET_REPLIED],
        channels=[Channel.MESSAGE_BOARD],
    )
    street, category = StreetFactory(), CategoryFactory()
    # When the platform posts its request twice with the same external id
    first = post(supervision.token, category=category.pk, street=street.pk)
    second = post(supervision.token, category=category.pk, street=street.pk)
    # Then there is one ticket, the second post answered with it
    assert (first.status_code, second.status_code) == (201, 200)
    ticket = Ticket.objects.get()
    assert second.json()["id"] == ticket.pk
    # When the street handles it and replies, and the deliveries are sent
    dispatcher = make_user(Role.DISPATCHER, UnitFactory(kind=UnitKind.HOTLINE_CENTER))
    officer = make_user(Role.UNIT_OFFICER, street)
    lead = dispatch_services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=street.pk, actor=dispatcher)
    dispatch_services.sign(assignment_id=lead.pk, actor=officer)
    dispatch_services.reply(assignment_id=lead.pk, actor=officer, text="已责令工地夜间停工。", outcome="resolved")
    send_all()
    # Then the platform's endpoint alone got ticket.replied, once, naming the request by its own id, signed
    [request] = receiver.received
    assert request.json["type"] == "ticket.replied"
    assert request.json["ticket"]["channel"] == Channel.GOV_SUPERVISION
    assert request.json["ticket"]["external_id"] == "DC-2026-000187"
    assert request.json["ticket"]["public_reply"] == "已责令工地夜间停工。"
    timestamp = request.headers["X-Hotline-Timestamp"]
    expected = hmac.new(subscription.secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
    assert request.headers["X-Hotline-Signature"] == "sha256=" + expected.hexdigest()
