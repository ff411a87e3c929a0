"""Fixtures for monthly topics: a small place tree, categories, people in each role, and tickets
received on given days."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from django.utils import timezone

from hotline.models import Category, Role, Unit, User
from intake.models import Channel, Ticket
from tests.factories import CategoryFactory, DistrictFactory, StreetFactory, TicketFactory, UnitFactory

TZ = timezone.get_default_timezone()


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


@dataclass
class Place:
    district: Unit
    street: Unit
    other_street: Unit
    other_district: Unit


@pytest.fixture
def place(db) -> Place:
    district = DistrictFactory(name="丰台区")
    other_district = DistrictFactory(name="海淀区")
    return Place(
        district=district,
        street=StreetFactory(name="新村街道", parent=district),
        other_street=StreetFactory(name="卢沟桥街道", parent=district),
        other_district=other_district,
    )


@pytest.fixture
def heating(db) -> Category:
    """A second-level category (供暖) with one leaf (不热), the kind a topic candidate names."""
    return CategoryFactory(name="不热").parent


@pytest.fixture
def lead_unit(db) -> Unit:
    return UnitFactory(name="市城市管理委")


@pytest.fixture
def co_unit(db) -> Unit:
    return UnitFactory(name="热力集团")


@pytest.fixture
def city_admin(make_user) -> User:
    return make_user(Role.CITY_ADMIN, username="topics-admin", full_name="市级管理员")


@pytest.fixture
def lead_officer(make_user, lead_unit) -> User:
    return make_user(Role.UNIT_OFFICER, lead_unit, username="lead-officer")


@pytest.fixture
def co_officer(make_user, co_unit) -> User:
    return make_user(Role.UNIT_OFFICER, co_unit, username="co-officer")


@pytest.fixture
def outsider(make_user) -> User:
    return make_user(Role.UNIT_OFFICER, username="outsider")


@pytest.fixture
def received() -> Callable[..., Ticket]:
    """received(day, category=, street=, **fields): a ticket received on `day` (10:00 local)."""

    def make(day: date, *, category: Category, street: Unit | None = None, **fields) -> Ticket:
        ticket = TicketFactory(category=category, street=street, district=street.parent if street else None, **fields)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=local(day))
        ticket.refresh_from_db()
        return ticket

    return make


PROACTIVE = Channel.PROACTIVE
