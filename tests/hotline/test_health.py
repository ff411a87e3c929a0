"""/healthz tells the database, Redis and the workers apart; /healthz/live is the web alone."""

import pytest

from hotline import services

pytestmark = pytest.mark.django_db


def test_all_parts_up_answer_200(client):
    # Given a fresh heartbeat and Redis up
    services.record_heartbeat()
    # When monitoring asks
    response = client.get("/healthz")
    # Then every part is ok
    assert response.status_code == 200
    body = response.json()
    assert (body["database"], body["redis"], body["workers"]) == ("ok", "ok", "ok")
    assert body["last_heartbeat"]


def test_redis_down_answers_503_naming_redis(client, redis_unreachable):
    # Given fresh workers but Redis unreachable
    services.record_heartbeat()
    # When monitoring asks
    response = client.get("/healthz")
    # Then it is 503, and Redis is the part that is down
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["redis"], body["workers"]) == ("ok", "down", "ok")


def test_database_down_answers_503_json(client, monkeypatch):
    # Given a database that refuses connections
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refused(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refused)
    # When monitoring asks
    response = client.get("/healthz")
    # Then it is a 503 in JSON naming the database, not a 500
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["redis"], body["workers"]) == ("down", "ok", "unknown")


def test_liveness_depends_on_nothing_else(client, redis_unreachable):
    # Given Redis unreachable and no worker heartbeat
    # When the container's health check asks
    response = client.get("/healthz/live")
    # Then the web answers that it is alive
    assert response.status_code == 200
    assert response.json() == {"web": "ok"}
