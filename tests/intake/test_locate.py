"""定位派 at intake: a ticket without a street takes the one its address (or text) names, when the
resolver is sure enough; the community is kept; an ambiguous place is left to the dispatcher."""

import pytest

from hotline.models import Category, Unit
from intake import services
from intake.models import Channel, Kind, TicketEvent
from intake.services import NewTicket

pytestmark = pytest.mark.django_db


def new(**overrides) -> NewTicket:
    values = {
        "channel": Channel.WEB,
        "kind": Kind.COMPLAINT,
        "category": Category.objects.get(name="路灯不亮"),
        "description": "小区门口的路灯不亮了，晚上很黑。",
        "phone": "13800138000",
    }
    return NewTicket(**{**values, **overrides})


def test_the_address_names_street_and_community(gazetteer):
    # Given a ticket taken in with an address but no street
    ticket = services.create_ticket(data=new(address="北京市丰台区新村街道怡海花园社区12号楼东侧"), actor=None)

    # Then its district, street and community are the ones the address names, and the event says so
    assert (ticket.district.name, ticket.street.name) == ("丰台区", "新村街道")
    assert ticket.community.name == "怡海花园社区"
    created = TicketEvent.objects.get(ticket=ticket, action="create")
    assert created.payload["place_resolved"]["street"] == ticket.street_id
    assert created.payload["place_resolved"]["confidence"] >= 0.9


def test_without_an_address_the_description_is_read(gazetteer):
    ticket = services.create_ticket(data=new(description="东城区多福巷社区3号楼楼道灯坏了"), actor=None)
    assert (ticket.street.name, ticket.community.code) == ("东华门街道", "110101001001")


def test_an_ambiguous_place_is_left_to_the_dispatcher(gazetteer):
    # Given a community name that several streets share (半壁店村), with no district named
    ticket = services.create_ticket(data=new(address="半壁店村"), actor=None)

    # Then no street is guessed
    assert ticket.street is None
    assert ticket.community is None


def test_a_chosen_district_picks_among_the_streets_sharing_a_name(gazetteer):
    # Given the same ambiguous community name, in a district that has only one of them
    chaoyang = Unit.objects.get(name="朝阳区")
    ticket = services.create_ticket(data=new(address="半壁店村", district=chaoyang), actor=None)

    # Then the street is the one in that district
    assert (ticket.district, ticket.street.name) == (chaoyang, "高碑店地区")


def test_a_given_street_is_kept_and_the_community_named_in_it_recorded(gazetteer):
    # Given an agent who chose 新村街道 and typed a community of it
    xincun = Unit.objects.get(name="新村街道")
    ticket = services.create_ticket(data=new(street=xincun, address="怡海花园社区12号楼"), actor=None)
    assert ticket.street == xincun
    assert ticket.community.name == "怡海花园社区"

    # And a community of another street is not recorded against the chosen one
    elsewhere = services.create_ticket(data=new(street=xincun, address="东城区多福巷社区"), actor=None)
    assert elsewhere.street == xincun
    assert elsewhere.community is None


def test_nothing_recognised_leaves_the_place_empty(gazetteer):
    ticket = services.create_ticket(data=new(address="我家楼下", description="路灯不亮"), actor=None)
    assert (ticket.district, ticket.street, ticket.community) == (None, None, None)
