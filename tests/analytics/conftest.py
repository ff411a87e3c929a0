"""Fixtures for analytics: a generated city, people in each role, and rollups refreshed from data."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from hotline.models import Role, User
from tests.factories import City, generate, make_city


@pytest.fixture
def city(db) -> City:
    return make_city()


@pytest.fixture
def city_admin(make_user) -> User:
    return make_user(Role.CITY_ADMIN, username="analytics-admin")


@pytest.fixture
def populate(city) -> Callable[..., None]:
    """populate(count): `count` generated tickets over the last 100 days, rollups refreshed."""

    def fill(count: int, *, seed: int = 12345) -> None:
        now = timezone.now()
        generate(city, count=count, first=now - timedelta(days=100), days=98, seed=seed)
        services.refresh_rollups(now=now)

    return fill
