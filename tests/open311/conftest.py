from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from hotline.models import Category
from open311 import services
from open311.models import Open311Client
from tests.factories import CategoryFactory, hotline_center


@dataclass
class Client:
    client: Open311Client
    key: str


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the shared cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open311_client(db) -> Client:
    hotline_center()
    client, key = services.create_client(name="城市App")
    return Client(client, key)


@pytest.fixture
def service(db) -> Category:
    """A leaf category (with its level-1 group and level-2 branch)."""
    return CategoryFactory(code="070101", name="路灯不亮", name_en="Streetlight out")


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
