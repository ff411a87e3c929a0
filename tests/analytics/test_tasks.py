"""The rollup refresh through a real Celery worker on the Redis broker, as beat runs it."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from analytics import tasks
from analytics.models import DirtyDay, RollupState
from tests.analytics import expected
from tests.conftest import wait_until
from tests.factories import generate

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_refresh_task_runs_on_a_worker_and_fills_the_rollups(celery_worker, city):
    # Given committed tickets that no rollup counts yet (the worker reads the database)
    now = timezone.now()
    generate(city, count=90, first=now - timedelta(days=45), days=43)
    assert expected.daily_rows() == {}
    # When beat's refresh task is enqueued on its queue
    assert settings.CELERY_TASK_ROUTES["analytics.*"] == {"queue": "analytics"}
    tasks.refresh_rollups.delay()

    # Then the worker refreshes the rollups: they equal the ticket figures
    def done() -> bool:
        finished = RollupState.objects.filter(watermark__isnull=False, refreshed_at__isnull=False).exists()
        return finished and not DirtyDay.objects.exists()

    wait_until(done, timeout=30)
    watermark = RollupState.objects.get().watermark
    assert watermark > now
    assert expected.daily_rows() == expected.expected_daily(watermark)
    assert expected.monthly_rows() == expected.expected_monthly(watermark)
