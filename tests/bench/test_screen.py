"""The benchmark's big-screen row, in-process on the test database: it times the API with the cache
off, after building this month's rollups when the data set has none."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics import selectors
from analytics.models import DailyRollup, MonthlyRollup
from bench import run
from hotline.models import Membership, Role, Unit, UnitKind, User
from tests.factories import CityFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_admin() -> User:
    """The benchmark's city admin (bench.run.bench_users makes the same)."""
    admin = User.objects.create(username="bench-admin", is_superuser=True, is_staff=True)
    city = Unit.objects.filter(kind=UnitKind.CITY).first() or CityFactory()
    Membership.objects.create(user=admin, unit=city, role=Role.CITY_ADMIN)
    return admin


def test_this_months_rollups_are_built_once_when_missing():
    # Given tickets received today and no rollups
    TicketFactory.create_batch(3)
    # When the benchmark makes sure this month's rollups are there
    first = run.ensure_month_rollups()
    # Then the month's days so far were rebuilt, counting today's tickets
    assert first["rebuilt_days"] == timezone.localdate().day
    today = DailyRollup.objects.filter(day=timezone.localdate())
    assert sum(today.values_list("received", flat=True)) == 3
    assert MonthlyRollup.objects.filter(month=timezone.localdate().replace(day=1)).exists()
    # and a second run finds them and rebuilds nothing
    assert run.ensure_month_rollups() == {"rebuilt_days": 0}


def test_the_big_screen_row_times_ten_refreshes_per_repeat_without_the_cache(bench_admin, settings, monkeypatch):
    # Given the screen's answer would be cached for a minute, and an admin's screen already in the cache
    settings.ANALYTICS_SCREEN_CACHE_SECONDS = 60
    cache.clear()
    TicketFactory.create_batch(2)
    run.ensure_month_rollups()
    assembled = []
    original = selectors.screen
    monkeypatch.setattr(selectors, "screen", lambda **kwargs: assembled.append(1) or original(**kwargs))
    # When the benchmark times the big screen's refresh
    result = run.bench_screen(repeats=2)
    # Then every request (the warm-up and twenty timed) assembled the figures, none from the cache
    assert result["n"] == 20
    assert len(assembled) == 21
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
