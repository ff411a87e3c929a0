"""Intake while Redis is away: every ticket answered 201, /healthz naming Redis until it is back."""

import os
import threading
import time
import uuid

import pytest
from rest_framework.authtoken.models import Token

from hotline import services
from hotline.models import Role
from intake.models import Ticket
from tests.conftest import wait_until
from tests.factories import CategoryFactory
from tests.faults.conftest import this_test_database_url

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Short in the suite; FAULTS_REDIS_OUTAGE_SECONDS=30 replays the 30-second outage.
OUTAGE_SECONDS = float(os.environ.get("FAULTS_REDIS_OUTAGE_SECONDS", 5))


def test_intake_answers_201_throughout_a_redis_outage(private_redis, start_web, make_user):
    # Given the web on this test's database and a private Redis, an agent's API token, live workers
    web = start_web(database_url=this_test_database_url(), redis_url=private_redis.url)
    agent = make_user(Role.AGENT)
    web.token = Token.objects.create(user=agent).key
    category = CategoryFactory()
    services.record_heartbeat()
    assert web.request("GET", "/healthz")[0] == 200
    # When an integration takes tickets in steadily
    answers: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            key = uuid.uuid4().hex
            body = {"channel": "app", "kind": "complaint", "category": category.pk, "description": "路灯不亮。"}
            status, _ = web.request("POST", "/api/v1/tickets/", body, Idempotency_Key=key)
            answers.append((time.monotonic(), status, key))

    client = threading.Thread(target=load)
    client.start()
    try:
        time.sleep(2)
        # and Redis is killed for a few seconds
        private_redis.stop()
        down_at = time.monotonic()
        time.sleep(1)
        status_down, health_down = web.request("GET", "/healthz")
        time.sleep(OUTAGE_SECONDS - 1)
        private_redis.start()
        up_at = time.monotonic()
        # Then /healthz is 200 again once Redis answers
        wait_until(lambda: web.request("GET", "/healthz")[0] == 200, timeout=20)
        time.sleep(1)
    finally:
        stop.set()
        client.join(timeout=60)
    # and while it was down it answered 503 naming Redis, the rest being fine
    assert status_down == 503, health_down
    assert (health_down["database"], health_down["redis"], health_down["workers"]) == ("ok", "down", "ok")
    # and every intake answer was 201, before, during and after the outage
    during = [status for at, status, _ in answers if down_at < at < up_at]
    assert len(during) >= 5, "the load must go on during the outage"
    assert {status for _, status, _ in answers} == {201}, [s for _, s, _ in answers if s != 201][:10]
    # and each answered ticket is stored, once
    keys = [f"api:{agent.pk}:{key}" for _, _, key in answers]
    assert Ticket.objects.filter(idempotency_key__in=keys).count() == len(keys)
    assert "Traceback" not in web.log.read_text()
