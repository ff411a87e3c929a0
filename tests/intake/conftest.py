"""Fixtures for the intake pages: logged-in hotline and unit users, desk form data, a clean rate limiter."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from hotline.models import Category, Role, Unit, User
from tests.factories import CategoryFactory, StreetFactory


@pytest.fixture
def agent(make_user) -> User:
    return make_user(Role.AGENT, username="agent")


@pytest.fixture
def agent_client(client, agent) -> Client:
    client.force_login(agent)
    return client


@pytest.fixture
def category(db) -> Category:
    return CategoryFactory(name="不热")


@pytest.fixture
def street(db) -> Unit:
    return StreetFactory()


@pytest.fixture
def desk_data(category, street) -> Callable[..., dict]:
    """desk_data(**overrides): a complete, valid POST of the agent desk form."""

    counter = iter(range(1, 10_000))

    def make(**overrides) -> dict:
        data = {
            "idempotency_key": f"desk-key-{next(counter)}",
            "phone": "13800138000",
            "caller_name": "张三",
            "channel": "phone",
            "kind": "complaint",
            "category": category.pk,
            "district": street.parent_id,
            "street": street.pk,
            "address": "幸福小区3号楼",
            "description": "小区暖气不热，室温只有十四度。",
            "urgency": "normal",
            "deadline_tier": "",
            "tier_override_reason": "",
            "answer": "",
            "disposition": "",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return make


@pytest.fixture
def clear_rate_limits() -> None:
    """The public pages count hits per IP in the shared cache; every test starts from zero."""
    cache.clear()


@pytest.fixture
def desk_page(browser_page):
    """The browser page, with `settle()`: wait until the desk's debounced panel requests are done.

    A request still reading the database when the test ends would deadlock with the flush of
    the test's data, so the page also settles before teardown.
    """
    pending: set = set()
    browser_page.on("request", lambda request: pending.add(request))
    browser_page.on("requestfinished", lambda request: pending.discard(request))
    browser_page.on("requestfailed", lambda request: pending.discard(request))

    def settle() -> None:
        browser_page.wait_for_timeout(700)  # longer than the desk's longest debounce
        for _ in range(100):
            if not pending:
                return
            browser_page.wait_for_timeout(100)

    browser_page.settle = settle
    yield browser_page
    settle()
