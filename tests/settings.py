"""Test settings: the real services (PostgreSQL, Redis) at their default local addresses."""

import os

# One Redis database per xdist worker (15, 14, …), so parallel workers' Celery queues never
# cross, and a test run never touches database 0 that a developer's own demo uses.
_worker_index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
os.environ.setdefault("SECRET_KEY", "test-only-key-not-used-anywhere-else-" + "x" * 20)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Set, not defaulted: xdist workers inherit the environment of the controller process, which
# imported these settings first with its own index.
os.environ["REDIS_URL"] = f"{os.environ.get('TEST_REDIS_SERVER', 'redis://127.0.0.1:6379')}/{15 - _worker_index}"
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from hotline.settings import *  # noqa: E402, F403

# A test database of this process's own: several test runs (developers, CI, helpers) may share
# one PostgreSQL server at the same time.
DATABASES["default"]["TEST"] = {"NAME": f"test_hotline_{os.getpid()}"}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Static files straight from the source folders: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
