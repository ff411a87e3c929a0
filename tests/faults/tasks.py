"""A task that keeps a worker busy, for the fault tests' workers (tests/faults/settings.py)."""

import time

from celery import shared_task


@shared_task
def nap(seconds: float) -> None:
    time.sleep(seconds)
