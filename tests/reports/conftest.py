"""Fixtures for the hotline reports: a generated city with zones, tickets around the last complete
day, week, month and quarter, the rollups refreshed, street rankings published, and files kept
under the test's own MEDIA_ROOT."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import services as analytics_services
from evaluation.models import EvaluationScheme
from hotline.models import Role, UnitKind, User, Zone
from reports.periods import ReportKind, ReportPeriod
from tests.factories import City, generate, make_city, published

TZ = timezone.get_default_timezone()


@dataclass
class Data:
    city: City
    today: date
    periods: dict[str, ReportPeriod]  # kind → the last complete period
    published_months: list[date]


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=TZ)


def small_samples() -> None:
    """One street scheme that ranks any sample size (the generated months are a few dozen tickets)."""
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).delete()
    EvaluationScheme.objects.create(
        name="test",
        unit_kind=UnitKind.STREET,
        valid_from=date(2000, 1, 1),
        response_weight=10,
        resolution_weight=45,
        satisfaction_weight=45,
        basically_satisfied_factor=Decimal("0.8"),
        partly_resolved_factor=Decimal("0"),
        minimum_responses=1,
        minimum_callbacks=1,
    )


def build_data(*, publish: bool = True) -> Data:
    city = make_city()
    east, west = city.districts
    east.zone, west.zone = Zone.CENTRAL, Zone.PLAIN
    east.save(update_fields=["zone"])
    west.save(update_fields=["zone"])
    small_samples()
    today = timezone.localdate()
    periods = {kind: ReportPeriod.last_complete(kind, today) for kind in ReportKind.values}
    quarter = periods[ReportKind.QUARTERLY]
    # A thin background over the last quarter and since, dense batches in the last day and week.
    first = quarter.start - timedelta(days=7)
    generate(city, count=240, first=_start(first), days=(today - first).days, seed=1)
    generate(city, count=90, first=_start(periods[ReportKind.DAILY].start), days=1, seed=2)
    generate(city, count=90, first=_start(periods[ReportKind.WEEKLY].start), days=7, seed=3)
    analytics_services.refresh_rollups(now=timezone.now())
    months = [periods[ReportKind.MONTHLY].start, *quarter.months()] if publish else []
    for month in sorted(set(months)):
        published(month=month, unit_kind=UnitKind.STREET)
    return Data(city=city, today=today, periods=periods, published_months=sorted(set(months)))


@pytest.fixture
def media(settings, tmp_path) -> str:
    settings.MEDIA_ROOT = tmp_path / "media"
    return str(settings.MEDIA_ROOT)


@pytest.fixture
def data(db, media) -> Data:
    return build_data()


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user(Role.HOTLINE_SUPERVISOR, username="reports-supervisor")
