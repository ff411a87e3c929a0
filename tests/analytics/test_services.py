"""The rollups against the same figures computed ticket by ticket (tests/analytics/expected.py):
after a first refresh, after incremental changes, after a full and a partial rebuild; the refresh
picks up what changed (also without any write: a deadline passing), is idempotent, safe to run
concurrently, bounded by its time budget, and counts days in Asia/Shanghai."""

import random
import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from analytics import services
from analytics.models import DailyRollup, DirtyDay, MonthlyDistrictRollup, MonthlyRollup, RollupState
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReviewStatus
from evaluation import callbacks as callback_services
from evaluation.callbacks import CallbackAnswer
from evaluation.models import Appeal, AppealKind, Callback, CallbackStatus
from hotline.models import Role
from intake import services as intake_services
from intake.lifecycle import Status
from intake.models import Ticket
from tests.analytics import expected
from tests.factories import generate, local, plan_ticket, save_plans

pytestmark = pytest.mark.django_db


def assert_rollups_match(now) -> None:
    assert expected.daily_rows() == expected.expected_daily(now)
    assert expected.monthly_rows() == expected.expected_monthly(now)
    assert expected.district_monthly_rows() == expected.expected_district_monthly(now)


def test_rollups_equal_the_ticket_figures_after_refresh_changes_and_rebuilds(city, make_user, settings):
    # Given three hundred tickets in every state over the last hundred days, in two districts
    now = timezone.now()
    generate(city, count=300, first=now - timedelta(days=100), days=98)
    assert Ticket.objects.count() == 300
    # When the periodic refresh first runs
    result = services.refresh_rollups(now=now)
    # Then every daily and monthly rollup row equals the figures computed ticket by ticket
    assert result.remaining == 0
    assert DailyRollup.objects.count() > 50
    assert_rollups_match(now)
    totals = expected.expected_monthly(now).values()
    assert sum(row[0] for row in totals) == 300  # every ticket counted once

    # When tickets change through the services and otherwise (every change saves the ticket)
    agent = make_user(Role.AGENT)
    received = Ticket.objects.filter(status=Status.RECEIVED).order_by("pk")[:3]
    for ticket in received:
        intake_services.answer_directly(ticket_id=ticket.pk, actor=agent, answer="按政策解答。")
    pending = Callback.objects.filter(status=CallbackStatus.PENDING, is_primary=True, caller__isnull=False)
    for callback in pending.order_by("pk")[:3]:
        answer = CallbackAnswer(reached=True, resolution="resolved", satisfaction="satisfied")
        callback_services.record_callback(callback_id=callback.pk, answer=answer, actor=agent)
    later = timezone.now()
    reclassified = Ticket.objects.exclude(category=city.tree.leaves[0]).order_by("pk").first()
    Ticket.objects.filter(pk=reclassified.pk).update(category=city.tree.leaves[0], updated_at=later)
    lead = Assignment.objects.filter(role=AssignmentRole.LEAD, status=AssignmentStatus.SIGNED).order_by("pk").first()
    Appeal.objects.create(
        ticket=lead.ticket,
        unit=lead.unit,
        kind=AppealKind.EXCLUDE_TICKET,
        reason="不属于本单位职责。",
        status=ReviewStatus.APPROVED,
        requested_by=agent,
        decided_by=agent,
        decided_at=later,
    )
    Ticket.objects.filter(pk=lead.ticket_id).update(updated_at=later)
    save_plans([plan_ticket(city, random.Random(1), later, later)], city.decider)
    changed = Ticket.objects.filter(updated_at__gte=now - settings.ANALYTICS_ROLLUP_OVERLAP)
    touched = {timezone.localdate(ticket.created_at) for ticket in changed}
    # And the refresh runs again
    second = timezone.now()
    result = services.refresh_rollups(now=second)
    # Then it recomputed just the days of the changed tickets, and the rollups match again
    assert 2 <= result.marked == len(touched) < 12
    assert_rollups_match(second)

    # When the rollups are damaged and rebuilt in full
    DailyRollup.objects.update(closed=0, overdue=0)
    MonthlyRollup.objects.all().delete()
    MonthlyDistrictRollup.objects.update(received=F("received") + 1)
    DailyRollup.objects.create(
        day=date(2001, 1, 1), category=city.tree.leaves[0], kind="help", channel="phone", received=9
    )
    MonthlyDistrictRollup.objects.create(month=date(2001, 1, 1), kind="help", channel="phone", received=9)
    services.rebuild_rollups(now=second)
    # Then they match again, and rows of days and months without tickets are gone
    assert_rollups_match(second)
    assert not DailyRollup.objects.filter(day=date(2001, 1, 1)).exists()
    assert not MonthlyDistrictRollup.objects.filter(month=date(2001, 1, 1)).exists()

    # When some days are rebuilt (both bounds inclusive)
    first_day = min(key[0] for key in expected.daily_rows())
    DailyRollup.objects.filter(day__lte=first_day + timedelta(days=9)).delete()
    services.rebuild_rollups(first=first_day, last=first_day + timedelta(days=9), now=second)
    # Then everything matches again, months included
    assert_rollups_match(second)


def test_refresh_counts_a_lead_that_becomes_overdue_without_any_write(city):
    # Given a ticket whose lead assignment is due in three hours, counted by a refresh now
    now = timezone.now()
    plan = plan_ticket(city, random.Random(3), now - timedelta(days=2), now)
    plan.ticket.status, plan.ticket.closed_at = Status.DISPATCHED, None
    plan.callbacks, plan.appeals = [], []
    lead = next(a for a in plan.assignments if a.role == AssignmentRole.LEAD and a.status != "returned")
    lead.status, lead.signed_at, lead.replied_at, lead.ended_at = AssignmentStatus.DISPATCHED, None, None, None
    lead.reply, lead.outcome, lead.explanation = "", "", ""
    lead.due_at = now + timedelta(hours=3)
    save_plans([plan], city.decider)
    services.refresh_rollups(now=now)
    assert DailyRollup.objects.get().overdue == 0
    # When the deadline passes with nobody touching the ticket, and the refresh runs
    later = now + timedelta(hours=4)
    result = services.refresh_rollups(now=later)
    # Then the day is recomputed and the ticket counts as overdue
    assert result.marked == 1
    assert DailyRollup.objects.get().overdue == 1
    assert MonthlyRollup.objects.get().overdue == 1
    assert_rollups_match(later)


def test_refresh_is_idempotent(city):
    # Given rollups refreshed from generated tickets
    now = timezone.now()
    generate(city, count=80, first=now - timedelta(days=40), days=38)
    services.refresh_rollups(now=now)
    before = (expected.daily_rows(), expected.monthly_rows(), expected.district_monthly_rows())
    # When the refresh runs again with nothing changed, and a day is recomputed once more
    services.refresh_rollups(now=now)
    services.recompute_days(days=[min(key[0] for key in before[0])], now=now)
    # Then the rows are the same
    assert (expected.daily_rows(), expected.monthly_rows(), expected.district_monthly_rows()) == before


def test_refresh_stops_at_its_time_budget_and_the_next_run_finishes(city, settings):
    # Given tickets over sixty days and batches of seven days
    settings.ANALYTICS_ROLLUP_BATCH_DAYS = 7
    now = timezone.now()
    generate(city, count=60, first=now - timedelta(days=60), days=58)
    # When a refresh runs without any time budget
    first = services.refresh_rollups(now=now, budget_seconds=0)
    # Then it recomputed one batch and left the other days dirty
    assert first.recomputed == 7
    assert first.remaining == DirtyDay.objects.count() > 0
    # And the next run works them off
    second = services.refresh_rollups(now=now)
    assert second.remaining == 0
    assert_rollups_match(now)


def test_days_and_months_are_those_of_asia_shanghai(city):
    # Given one ticket ten minutes before local midnight at the end of October and one ten minutes after
    rng = random.Random(5)
    now = timezone.now()
    late = plan_ticket(city, rng, local(2025, 10, 31, 23, 50), now)
    early = plan_ticket(city, rng, local(2025, 11, 1, 0, 10), now)
    save_plans([late, early], city.decider)
    # When the rollups are rebuilt
    services.rebuild_rollups(now=now)
    # Then they fall on two local days and in two months (in UTC both are on 31 October)
    assert sorted(set(DailyRollup.objects.values_list("day", flat=True))) == [date(2025, 10, 31), date(2025, 11, 1)]
    assert sorted(set(MonthlyRollup.objects.values_list("month", flat=True))) == [date(2025, 10, 1), date(2025, 11, 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_and_rebuilds_give_the_same_rows(city):
    # Given committed tickets
    now = timezone.now()
    generate(city, count=120, first=now - timedelta(days=50), days=48)
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            job()
        except BaseException as error:  # reported by the test's assertion
            errors.append(error)
        finally:
            connection.close()

    # When two refreshes and a full rebuild run at the same time
    jobs = [
        lambda: services.refresh_rollups(now=now),
        lambda: services.refresh_rollups(now=now),
        lambda: services.rebuild_rollups(now=now),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Then none failed (they took turns on the state row) and the rows are the ticket figures, once
    assert errors == []
    assert RollupState.objects.get().watermark == now
    assert_rollups_match(now)
