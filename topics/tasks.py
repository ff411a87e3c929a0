from celery import shared_task

from topics import services


@shared_task
def relink_topics() -> int:
    """Beat (nightly): every topic's rule recomputed over the tickets (idempotent)."""
    return services.relink_topics()


@shared_task
def relink_topic(topic_id: int) -> dict[str, int]:
    """One topic's tickets recomputed (idempotent; the API's relink action runs it at once)."""
    result = services.relink_topic(topic_id=topic_id)
    return {"added": result.added, "removed": result.removed}
