"""The monthly ranking task through a real Celery worker on the Redis broker."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from evaluation import services, tasks
from evaluation.models import MonthlyRanking, UnitResult
from tests.conftest import wait_until
from tests.evaluation.factories import CallbackFactory, LeadAssignmentFactory
from tests.factories import StreetFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_monthly_task_publishes_last_months_rankings_through_a_worker(celery_worker):
    # Given a street that worked last month (committed: the worker reads the database)
    last_month = services.previous_month(timezone.localdate().replace(day=1))
    dispatched = datetime(last_month.year, last_month.month, 5, 10, tzinfo=timezone.get_default_timezone())
    street = StreetFactory()
    LeadAssignmentFactory(unit=street, dispatched_at=dispatched)
    LeadAssignmentFactory(unit=street, dispatched_at=dispatched, signed_at=dispatched + timedelta(hours=4))
    CallbackFactory(unit=street, completed_at=dispatched + timedelta(days=3))
    # When beat's monthly task is enqueued on the broker
    tasks.compute_previous_month.delay()
    # Then the worker publishes last month's ranking of every ranked kind, once
    wait_until(lambda: MonthlyRanking.objects.filter(month=last_month).count() == len(services.RANKED_KINDS))
    ranking = MonthlyRanking.objects.get(month=last_month, unit_kind="street")
    assert (ranking.version, ranking.is_current, ranking.computed_by) == (1, True, None)
    result = UnitResult.objects.get(ranking=ranking, unit=street)
    assert (result.required_response, result.responded_in_time, result.callbacks_answered) == (2, 1, 1)
    # And a second delivery of the task (here run in-process) republishes nothing: the month is frozen
    first_ids = set(MonthlyRanking.objects.filter(month=last_month).values_list("pk", flat=True))
    assert set(tasks.compute_previous_month.apply().get()) == first_ids
    assert MonthlyRanking.objects.filter(month=last_month).count() == len(services.RANKED_KINDS)
