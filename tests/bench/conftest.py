"""Fixtures of the benchmark tests: a PostgreSQL database and a Redis database of the test's own."""

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
import redis
from django.conf import settings

# The test workers use Redis databases 15, 14, … (tests/settings.py), the benchmark 12, the demo 0.
REDIS_URL = f"{os.environ.get('TEST_REDIS_SERVER', 'redis://127.0.0.1:6379')}/1"


@pytest.fixture
def bench_database() -> Iterator[str]:
    """The URL of a PostgreSQL database of this test's own (the benchmark creates it), dropped afterwards."""
    server = settings.DATABASES["default"]
    name = f"test_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield f"postgres://{server['USER']}@{server['HOST']}:{server['PORT']}/{name}"
    admin = psycopg2.connect(dbname="postgres", user=server["USER"], host=server["HOST"], port=server["PORT"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def bench_redis() -> Iterator[str]:
    """A Redis database no other test uses, empty before and after."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
