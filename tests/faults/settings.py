"""Settings for the workers these tests start: the test settings and a task that only waits."""

from tests.settings import *  # noqa: F403

CELERY_IMPORTS = ["tests.faults.tasks"]
