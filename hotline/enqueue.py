"""Handing work to the Celery workers from a request: the one place that does it."""

from typing import Any

from celery import Task
from django.db import transaction

from hotline import degraded


def on_commit(task: Task, *args: Any) -> None:
    """Send `task` to the workers once the current transaction commits.

    A broker that is away must not fail the request, which has committed its work: the publish
    gives up fast (settings' broker timeouts and publish retry policy) and the failure is
    counted and logged. Every task enqueued this way has a beat-driven sweep that finds its work
    again in PostgreSQL (README, Operations).
    """

    def send() -> None:
        try:
            task.apply_async(args=args)
        except degraded.REDIS_ERRORS as error:
            degraded.record(what=f"enqueue {task.name}", error=error)

    transaction.on_commit(send)
