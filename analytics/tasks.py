from celery import shared_task

from analytics import services


@shared_task
def refresh_rollups() -> dict[str, int]:
    """Beat: recompute the rollup days changed since the last run (idempotent, serialized in the database)."""
    result = services.refresh_rollups()
    return {"marked": result.marked, "recomputed": result.recomputed, "remaining": result.remaining}
