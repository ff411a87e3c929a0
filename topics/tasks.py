from celery import shared_task

from topics import services


@shared_task
def relink_topics() -> int:
    """Beat (nightly): every topic's rule recomputed over the tickets (idempotent)."""
    return services.relink_topics()
