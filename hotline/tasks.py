from celery import shared_task

from hotline import services, sms


@shared_task
def record_heartbeat() -> int:
    return services.record_heartbeat().pk


@shared_task
def prune_heartbeats() -> int:
    return services.prune_heartbeats()


@shared_task
def prune_messages() -> dict[str, int]:
    result = services.prune_messages()
    return {"notifications": result.notifications, "sms": result.sms}


@shared_task(bind=True, max_retries=None)
def send_sms(self, sms_id: int) -> None:
    """Deliver one recorded SMS; `sms.deliver` caps the attempts (SMS_MAX_ATTEMPTS) and sets the backoff."""
    try:
        sms.deliver(sms_id=sms_id)
    except sms.RetryLaterError as exc:
        raise self.retry(countdown=exc.countdown) from exc


@shared_task
def requeue_pending_sms() -> int:
    """Settle SMS a crash left "sending", then catch up on those whose enqueue or retry Redis
    lost; a duplicate delivery does nothing."""
    sms.settle_interrupted()
    sms_ids = sms.due_for_requeue()
    for sms_id in sms_ids:
        send_sms.delay(sms_id)
    return len(sms_ids)
