"""Celery wiring: a real worker process on the real Redis broker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline import selectors, services, tasks
from hotline.models import Heartbeat, Notification, SmsMessage, SmsStatus
from tests.conftest import wait_until
from tests.factories import NotificationFactory, SmsMessageFactory


@pytest.mark.celery_worker
def test_heartbeat_runs_through_a_real_worker(celery_worker, client):
    # Given a running worker and no heartbeat yet
    assert not selectors.workers_alive()
    # When the beat-scheduled task is enqueued on the broker
    tasks.record_heartbeat.delay()
    # Then the worker records it in the database and /healthz turns healthy
    wait_until(lambda: Heartbeat.objects.exists())
    assert selectors.workers_alive()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["workers"] == "ok"


def test_beat_schedule_names_registered_tasks():
    from hotline.celery import app

    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db
def test_old_heartbeats_are_pruned():
    old, recent = Heartbeat.objects.create(worker="a"), Heartbeat.objects.create(worker="b")
    Heartbeat.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert services.prune_heartbeats(keep_days=7) == 1
    assert list(Heartbeat.objects.values_list("pk", flat=True)) == [recent.pk]


def _aged(row, *, days: int) -> None:
    type(row).objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days))


@pytest.mark.django_db
def test_messages_past_their_retention_are_pruned_but_pending_sms_are_kept(settings):
    # Given a retention of 180 days for notifications and SMS records
    settings.NOTIFICATION_RETENTION = settings.SMS_RETENTION = timedelta(days=180)
    old_notice, recent_notice = NotificationFactory(), NotificationFactory()
    _aged(old_notice, days=181)
    old_sent = SmsMessageFactory(status=SmsStatus.SENT, sent_at=timezone.now())
    old_failed = SmsMessageFactory(status=SmsStatus.FAILED)
    old_pending, recent_sent = SmsMessageFactory(), SmsMessageFactory(status=SmsStatus.SENT, sent_at=timezone.now())
    for sms in (old_sent, old_failed, old_pending):
        _aged(sms, days=200)
    # When the retention prune runs
    result = services.prune_messages()
    # Then the old notification and the old sent or failed SMS are gone; a pending one is still to be sent
    assert result == services.PruneResult(notifications=1, sms=2)
    assert list(Notification.objects.values_list("pk", flat=True)) == [recent_notice.pk]
    assert set(SmsMessage.objects.values_list("pk", flat=True)) == {old_pending.pk, recent_sent.pk}


@pytest.mark.django_db
def test_a_backlog_larger_than_one_batch_is_pruned_whole(settings):
    # Given seven notifications past their retention
    settings.NOTIFICATION_RETENTION = timedelta(days=30)
    for notice in NotificationFactory.create_batch(7):
        _aged(notice, days=31)
    # When the prune deletes three per transaction
    result = services.prune_messages(batch=3)
    # Then every one of them is deleted
    assert result.notifications == 7
    assert not Notification.objects.exists()


@pytest.mark.celery_worker
def test_the_retention_prune_runs_through_a_real_worker(celery_worker):
    # Given a notification past its retention and a running worker
    old, recent = NotificationFactory(), NotificationFactory()
    _aged(old, days=365)
    # When beat's nightly task is enqueued on the broker
    tasks.prune_messages.delay()
    # Then the worker deletes the old one only
    wait_until(lambda: not Notification.objects.filter(pk=old.pk).exists())
    assert Notification.objects.filter(pk=recent.pk).exists()


def test_a_sweep_queued_while_nobody_consumed_expires_before_its_next_run(settings):
    # Given beat's schedule: every entry that runs at least once a minute
    frequent = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if isinstance(entry["schedule"], float) and entry["schedule"] <= 60 and name != "record-heartbeat"
    }
    assert "sweep-late-signs" in frequent
    # Then each copy expires before the next is sent: after an outage the backlog runs once, not N times
    for name, entry in frequent.items():
        assert 0 < entry["options"]["expires"] < entry["schedule"], name
