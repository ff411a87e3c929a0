"""A busy worker through a Redis kill: consuming again afterwards, or restarted by its supervisor.

kombu 5.7.0's Redis transport can kill the worker when Redis drops while tasks are in flight
(`Unrecoverable error: AttributeError("'NoneType' object has no attribute 'hostname'")`, from
restoring the unacknowledged messages of a connection it has already torn down); no released
version fixes it, so the worker runs under scripts/run.py's supervisor here, as in the demo
(docker-compose restarts it the same way). Either path must end with a worker that consumes.
"""

import os
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

from hotline.models import Heartbeat
from hotline.tasks import record_heartbeat
from tests.conftest import load_run_script, wait_until
from tests.faults.conftest import this_test_database_url
from tests.faults.tasks import nap

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUEUES = "celery,hotline,intake,dispatch,evaluation,analytics,topics,reports,webhooks"
# As tests/faults/test_redis_outage.py: FAULTS_REDIS_OUTAGE_SECONDS=30 replays the outage.
OUTAGE_SECONDS = float(os.environ.get("FAULTS_REDIS_OUTAGE_SECONDS", 10))


def test_a_busy_worker_consumes_again_after_a_redis_outage(private_redis, tmp_path, monkeypatch):
    # Given a worker as scripts/run.py starts and supervises it, on a private Redis
    run = load_run_script()
    supervisor_log: list[str] = []
    monkeypatch.setattr(run, "log", supervisor_log.append)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
        "DATABASE_URL": this_test_database_url(),
        "TEST_REDIS_SERVER": private_redis.url,
    }
    command = [sys.executable, "-m", "celery", "-A", "hotline", "worker", "--loglevel", "INFO", "--concurrency", "2"]
    command += ["-Q", QUEUES, "--hostname", f"faults-{os.getpid()}@%h"]
    worker = run.Child("worker", command, env, tmp_path)
    worker_log = Path(tmp_path / "worker.log")
    broker_url = f"{private_redis.url}/{settings.REDIS_URL.rsplit('/', 1)[1]}"
    stop = threading.Event()

    def supervise() -> None:
        while not stop.is_set():
            run.supervise([worker])
            time.sleep(0.2)

    worker.start()
    supervisor = threading.Thread(target=supervise)
    supervisor.start()
    try:
        wait_until(lambda: " ready." in worker_log.read_text(), timeout=60)
        # and busy: tasks in flight and more waiting
        with Connection(broker_url) as broker:
            for _ in range(60):
                nap.apply_async(args=[0.3], connection=broker)
        wait_until(lambda: "succeeded" in worker_log.read_text(), timeout=30)
        # When Redis is killed for a while and started again
        private_redis.stop()
        time.sleep(OUTAGE_SECONDS)
        private_redis.start()
        # Then new work is done: by the same worker, or by the one its supervisor started again
        with Connection(broker_url) as broker:
            record_heartbeat.apply_async(connection=broker)
        wait_until(Heartbeat.objects.exists, timeout=90, interval=0.5)
    finally:
        stop.set()
        supervisor.join(timeout=10)
        run.stop_all([worker])
    crashed = "Unrecoverable error" in worker_log.read_text()
    if crashed or worker.failures:
        assert any("worker exited with" in line for line in supervisor_log), supervisor_log
