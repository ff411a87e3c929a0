from celery import shared_task

from webhooks import services


@shared_task
def send_delivery(delivery_id: int) -> bool:
    """Send one webhook delivery if it can go now; `services.send` schedules its retry."""
    return services.send(delivery_id=delivery_id) is not None


@shared_task
def sweep_deliveries() -> int:
    """Deliveries a dead worker left "sending", and those whose enqueue or retry was lost."""
    return services.sweep()


@shared_task
def prune_deliveries() -> dict[str, int]:
    result = services.prune()
    return {"deliveries": result.deliveries, "attempts": result.attempts}
