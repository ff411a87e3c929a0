"""Celery wiring: a real worker process on the real Redis broker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hotline import selectors, services, tasks
from hotline.models import Heartbeat
from tests.conftest import wait_until


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
