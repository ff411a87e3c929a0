"""Fixtures for dispatch: a district with two streets and two departments, their staff, the hotline."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from dispatch import services
from dispatch.models import Assignment
from hotline.models import Category, Role, Unit, UnitKind, User
from intake.models import Ticket
from tests.factories import CategoryFactory, DistrictFactory, StreetFactory, TicketFactory, UnitFactory


@dataclass
class Org:
    district: Unit
    street_a: Unit
    street_b: Unit
    department: Unit
    other_department: Unit
    hotline: Unit
    street_matter: Category
    functional_matter: Category


@pytest.fixture
def org(db) -> Org:
    district = DistrictFactory(name="丰台区")
    return Org(
        district=district,
        street_a=StreetFactory(name="新村街道", parent=district),
        street_b=StreetFactory(name="大红门街道", parent=district),
        department=UnitFactory(name="市水务局", kind=UnitKind.CITY_DEPARTMENT),
        other_department=UnitFactory(name="区城管委", kind=UnitKind.DISTRICT_DEPARTMENT, parent=district),
        hotline=UnitFactory(name="热线服务中心", kind=UnitKind.HOTLINE_CENTER),
        street_matter=CategoryFactory(name="施工噪音"),
        functional_matter=CategoryFactory(name="停水", is_functional=True),
    )


@dataclass
class Staff:
    dispatcher: User
    hotline_supervisor: User
    officer_a: User
    leader_a: User
    officer_b: User
    department_officer: User
    district_supervisor: User


@pytest.fixture
def staff(org, make_user) -> Staff:
    return Staff(
        dispatcher=make_user(Role.DISPATCHER, org.hotline, username="dispatcher"),
        hotline_supervisor=make_user(Role.HOTLINE_SUPERVISOR, org.hotline, username="supervisor"),
        officer_a=make_user(Role.UNIT_OFFICER, org.street_a, username="officer_a"),
        leader_a=make_user(Role.UNIT_LEADER, org.street_a, username="leader_a"),
        officer_b=make_user(Role.UNIT_OFFICER, org.street_b, username="officer_b"),
        department_officer=make_user(Role.UNIT_OFFICER, org.department, username="water"),
        district_supervisor=make_user(Role.DISTRICT_SUPERVISOR, org.district, username="fengtai"),
    )


@pytest.fixture
def awaiting(org) -> Callable[..., Ticket]:
    """awaiting(**fields): a ticket awaiting dispatch, by default a street matter in street A."""

    def make(**fields) -> Ticket:
        fields.setdefault("street", org.street_a)
        fields.setdefault("category", org.street_matter)
        return TicketFactory(filled_in=True, **fields)

    return make


@pytest.fixture
def dispatched(awaiting, staff) -> Callable[..., Assignment]:
    """dispatched(unit, **ticket_fields): the lead assignment of a freshly dispatched ticket."""

    def make(unit: Unit, *, assist: tuple[Unit, ...] = (), **fields) -> Assignment:
        ticket = awaiting(**fields)
        return services.dispatch_ticket(
            ticket_id=ticket.pk,
            lead_unit_id=unit.pk,
            assist_unit_ids=[u.pk for u in assist],
            actor=staff.dispatcher,
        )

    return make


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    """api_as(user): an API client authenticated as the user."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
