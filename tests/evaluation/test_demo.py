"""The demo's rankings: every finished month of the history published, once."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from evaluation import demo as evaluation_demo
from evaluation.models import MonthlyRanking, UnitResult
from hotline import demo as hotline_demo
from hotline.models import Unit, UnitKind

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 4, tzinfo=UTC)


def test_every_finished_month_of_the_history_is_published_with_every_street_listed(beijing, monkeypatch):
    # Given the demo users and a quarter of history up to 20 November
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    hotline_demo.load(password="demo-pass-123")
    hotline_demo.generator.generate_here(tickets=3000, years=0.25, now=NOW)
    # When the evaluation demo loads, twice
    assert evaluation_demo.load(password="demo-pass-123") == ["Rankings: 3 month(s) computed and published."]
    assert evaluation_demo.load(password="demo-pass-123") == []
    # Then August to October are published for streets (November is not finished)
    street_months = MonthlyRanking.objects.filter(unit_kind=UnitKind.STREET, is_current=True)
    assert sorted(f"{m:%Y-%m}" for m in street_months.values_list("month", flat=True)) == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    # And October's street ranking lists every street and township, ranking those with a sample
    october = street_months.get(month="2026-10-01")
    streets = Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE], is_active=True).count()
    assert october.results.count() == streets >= 343
    assert UnitResult.objects.filter(ranking=october, rank__isnull=False).exists()
