"""The deadline sweeps through real Celery workers on the real Redis broker."""

import signal
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from dispatch import services, tasks
from dispatch.models import Assignment, ReminderStage
from hotline.models import Notification, NotificationKind
from intake.lifecycle import Action
from intake.models import TicketEvent
from tests.conftest import start_celery_worker, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def make_overdue(assignments: list[Assignment]) -> None:
    """Seven days later: the general tier's deadline has just passed, the reminders were sent."""
    past = timezone.now() - timedelta(minutes=1)
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        dispatched_at=past - timedelta(days=7),
        sign_due_at=past - timedelta(days=7),
        due_at=past,
        next_alert_stage=ReminderStage.OVERDUE,
        next_alert_at=past,
    )


def overdue_events() -> int:
    return TicketEvent.objects.filter(action=Action.MARK_OVERDUE).count()


def test_a_missed_deadline_becomes_overdue_and_the_supervisor_is_told(celery_worker, org, staff, dispatched):
    # Given a dispatched ticket whose deadline has passed
    lead = dispatched(org.street_a)
    make_overdue([lead])
    # When beat's trigger enqueues the sweep on the broker
    tasks.sweep_deadline_alerts.delay()
    # Then the worker marks it overdue and escalates to the district supervisor
    wait_until(lambda: overdue_events() == 1)
    wait_until(
        lambda: Notification.objects.filter(
            recipient=staff.district_supervisor, kind=NotificationKind.ESCALATED
        ).exists()
    )
    lead.refresh_from_db()
    assert lead.overdue_at is not None


def test_a_caller_not_contacted_in_time_is_marked_by_the_worker(celery_worker, org, staff, dispatched):
    # Given a signed ticket whose first-contact deadline passed a minute ago
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    Assignment.objects.filter(pk=lead.pk).update(first_contact_due_at=timezone.now() - timedelta(minutes=1))
    # When beat's trigger enqueues the sweep on the broker
    tasks.sweep_late_contacts.delay()
    # Then the worker marks it and urges the unit
    wait_until(lambda: TicketEvent.objects.filter(action=Action.MARK_LATE_CONTACT).count() == 1)
    wait_until(lambda: Notification.objects.filter(recipient=staff.officer_a, key=f"late-contact:{lead.pk}").exists())


def test_a_worker_killed_mid_sweep_leaves_every_ticket_processed_exactly_once(tmp_path, org, staff, dispatched):
    # Given 300 overdue assignments
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    leads = [dispatched(org.street_a) for _ in range(300)]
    make_overdue(leads)
    # When a worker is killed (SIGKILL) in the middle of the sweep's batch
    # (small commit groups, so that the kill lands between commits, as in a long batch)
    first = start_celery_worker(tmp_path / "first.log", name="first", env={"SWEEP_COMMIT_EVERY": "5"})
    try:
        tasks.sweep_deadline_alerts.delay()
        wait_until(lambda: overdue_events() >= 5, timeout=60, interval=0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    done_by_first = overdue_events()
    assert 5 <= done_by_first < 300, "the kill must land mid-batch"
    # and another worker takes over at beat's next tick
    second = start_celery_worker(tmp_path / "second.log", name="second")
    try:
        tasks.sweep_deadline_alerts.delay()
        wait_until(lambda: overdue_events() == 300, timeout=120, interval=0.2)
    finally:
        second.terminate()
        second.wait(timeout=15)
    # Then every ticket has exactly one overdue event and one escalation, none twice
    per_ticket = TicketEvent.objects.filter(action=Action.MARK_OVERDUE).values("ticket").annotate(n=Count("id"))
    assert {row["n"] for row in per_ticket} == {1}
    assert len(per_ticket) == 300
    assert (
        Notification.objects.filter(recipient=staff.district_supervisor, kind=NotificationKind.ESCALATED).count() == 300
    )
    assert not Assignment.objects.filter(pk__in=[a.pk for a in leads], overdue_at__isnull=True).exists()
