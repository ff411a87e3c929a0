"""PostgreSQL stopped at once (no checkpoint) during intake: no acknowledged ticket lost or doubled."""

import threading
import time
import uuid
from collections import defaultdict

import psycopg2
import pytest
from rest_framework.authtoken.models import Token

from hotline.models import Role
from tests.conftest import wait_until
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 3


def test_every_acknowledged_ticket_is_stored_once_and_retries_answer_the_same_ticket(
    private_postgres, private_redis, start_web, make_user
):
    # Given the web on a private PostgreSQL holding an agent's API token and a category
    agent = make_user(Role.AGENT)
    token = Token.objects.create(user=agent).key
    category = CategoryFactory()
    private_postgres.copy_of_test_database()
    web = start_web(database_url=private_postgres.url, redis_url=private_redis.url)
    web.token = token
    # When clients take tickets in, each retrying a request with its Idempotency-Key until it is answered
    answers: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            key = uuid.uuid4().hex
            body = {"channel": "app", "kind": "complaint", "category": category.pk, "description": "井盖缺失。"}
            while True:
                status, reply = web.request("POST", "/api/v1/tickets/", body, Idempotency_Key=key)
                answers[key].append((status, reply.get("id")))
                if status in (200, 201):
                    break
                time.sleep(0.2)

    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(2)
        # and PostgreSQL is stopped immediately in the middle of it, then started again
        private_postgres.stop_immediately()
        time.sleep(1)
        status_down, health_down = web.request("GET", "/healthz")
        time.sleep(2)
        private_postgres.start()
        wait_until(lambda: web.request("GET", "/healthz")[1].get("database") == "ok", timeout=30)
        time.sleep(2)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=120)
    # Then /healthz said so in JSON while it was down
    assert status_down == 503
    assert health_down["database"] == "down"
    # and the outage was felt: some requests needed a retry
    assert any(len(tries) > 1 for tries in answers.values())
    # and every key was acknowledged, each with one ticket, the same in every acknowledgement
    acknowledged: dict[str, set[int]] = {
        key: {ticket for status, ticket in tries if status in (200, 201)} for key, tries in answers.items()
    }
    assert all(len(tickets) == 1 for tickets in acknowledged.values()), acknowledged
    # and the database holds exactly those tickets, once each
    with psycopg2.connect(private_postgres.url) as db, db.cursor() as cursor:
        cursor.execute("SELECT idempotency_key, id FROM intake_ticket WHERE idempotency_key LIKE 'api:%%'")
        stored = cursor.fetchall()
    assert sorted(stored) == sorted((f"api:{agent.pk}:{key}", tickets.pop()) for key, tickets in acknowledged.items())
