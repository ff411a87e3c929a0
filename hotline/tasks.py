from celery import shared_task

from hotline import services


@shared_task
def record_heartbeat() -> int:
    return services.record_heartbeat().pk


@shared_task
def prune_heartbeats() -> int:
    return services.prune_heartbeats()
