"""Handing work to the workers after commit: a broker outage does not fail the request."""

import pytest
from kombu.exceptions import OperationalError

from hotline import degraded, enqueue
from hotline.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_a_broker_outage_after_commit_is_counted_not_raised(monkeypatch, django_capture_on_commit_callbacks):
    # Given a broker that cannot be reached
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(record_heartbeat, "apply_async", broker_down)
    before = degraded.counts().get(f"enqueue {record_heartbeat.name}", 0)
    # When work is enqueued and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        enqueue.on_commit(record_heartbeat)
    # Then nothing is raised and the fallback is counted
    assert degraded.counts()[f"enqueue {record_heartbeat.name}"] == before + 1


def test_work_is_sent_only_once_the_transaction_commits(monkeypatch, django_capture_on_commit_callbacks):
    sent: list[tuple] = []
    monkeypatch.setattr(record_heartbeat, "apply_async", lambda args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        enqueue.on_commit(record_heartbeat, 1, [2])
        assert sent == []
    assert sent == [(1, [2])]
