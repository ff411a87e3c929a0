"""SMS gateway: pluggable backends, and delivery that sends each recorded message at most once.

Every SMS is first recorded as an `SmsMessage` with a unique key (DESIGN.md §11); the Celery
task `hotline.tasks.send_sms` then calls `deliver`, which locks the row, sends only while it is
still pending and records the outcome. The key doubles as the provider's idempotency key, so a
resend after a crash between the provider's answer and our commit is deduplicated there.
"""

import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from hotline import enqueue
from hotline.models import SmsMessage, SmsStatus
from hotline.privacy import mask_phone

logger = logging.getLogger(__name__)

BACKEND_ALIASES = {
    "console": "hotline.sms.ConsoleSmsBackend",
    "http": "hotline.sms.HttpSmsBackend",
}


class SmsError(Exception):
    """The provider refused the message for good (bad number, bad request …)."""


class SmsRetryableError(SmsError):
    """A temporary failure (5xx, timeout, connection refused): try again later."""


class RetryLaterError(Exception):
    """Raised by `deliver` after recording a temporary failure; the task retries after `countdown`."""

    def __init__(self, countdown: float):
        super().__init__(f"retry in {countdown:.0f} s")
        self.countdown = countdown


class SmsBackend(Protocol):
    def send(self, *, phone: str, text: str, key: str) -> str:
        """Send one message; return the provider's message id. Raise SmsRetryableError or SmsError."""
        ...


class ConsoleSmsBackend:
    """Writes the message to the log instead of sending it: the default for demos and development."""

    def send(self, *, phone: str, text: str, key: str) -> str:
        logger.info("SMS to %s (key %s): %s", mask_phone(phone), key, text)
        return f"console-{uuid.uuid4().hex}"


class HttpSmsBackend:
    """POSTs {"phone", "text", "key"} as JSON to SMS_HTTP_URL with an Idempotency-Key header.

    Expects a 2xx answer with {"id": "<provider message id>"}; 5xx, 429, timeouts and connection
    errors are retryable, other 4xx answers are final.
    """

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT
        if not self.url:
            raise SmsError("SMS_HTTP_URL is not set")

    def send(self, *, phone: str, text: str, key: str) -> str:
        headers = {"Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps({"phone": phone, "text": text, "key": key}).encode()
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise SmsRetryableError(f"SMS provider answered HTTP {exc.code}") from exc
            raise SmsError(f"SMS provider answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsRetryableError(f"SMS provider unreachable: {reason}") from exc
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        return str(payload.get("id", "")) if isinstance(payload, dict) else ""


def get_backend() -> SmsBackend:
    path = BACKEND_ALIASES.get(settings.SMS_BACKEND, settings.SMS_BACKEND)
    return import_string(path)()


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): exponential, capped."""
    return min(settings.SMS_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1), settings.SMS_RETRY_BACKOFF_MAX_SECONDS)


def enqueue_on_commit(*, sms_ids: list[int]) -> None:
    """Hand the messages to the workers once the transaction that recorded them commits.

    A broker outage does not fail the request that already committed its work; the rows stay
    pending and the requeue sweep sends them later.
    """
    from hotline.tasks import send_sms  # the tasks module imports this one

    for sms_id in sms_ids:
        enqueue.on_commit(send_sms, sms_id)


def queue_sms(*, phone: str, text: str, key: str) -> SmsMessage:
    """Record an SMS under `key` (once: a second call returns the first record) and enqueue it."""
    with transaction.atomic():
        sms, created = SmsMessage.objects.get_or_create(key=key, defaults={"phone": phone, "text": text})
        if created:
            enqueue_on_commit(sms_ids=[sms.pk])
    return sms


def deliver(*, sms_id: int) -> SmsMessage | None:
    """Send one recorded SMS if it is still pending; None when there was nothing to do.

    The row stays locked while the provider is called, so concurrent deliveries of the same
    message (a duplicate enqueue, the sweep) skip it instead of sending it again. Raises
    RetryLaterError after recording a temporary failure, unless SMS_MAX_ATTEMPTS is reached.
    """
    retry: RetryLaterError | None = None
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update(skip_locked=True).filter(pk=sms_id, status=SmsStatus.PENDING)
        sms = sms.first()
        if sms is None:
            return None
        sms.attempts += 1
        now = timezone.now()
        try:
            sms.provider_id = get_backend().send(phone=sms.phone, text=sms.text, key=sms.key)[:200]
        except SmsRetryableError as exc:
            sms.last_error = str(exc)[:500]
            if sms.attempts >= settings.SMS_MAX_ATTEMPTS:
                sms.status = SmsStatus.FAILED
            else:
                retry = RetryLaterError(backoff(sms.attempts))
                sms.next_attempt_at = now + timedelta(seconds=retry.countdown)
        except SmsError as exc:
            sms.last_error = str(exc)[:500]
            sms.status = SmsStatus.FAILED
        else:
            sms.status = SmsStatus.SENT
            sms.sent_at = now
            sms.last_error = ""
        sms.save()
    log = logger.warning if sms.status == SmsStatus.FAILED else logger.info
    log("SMS %s to %s: %s after %d attempt(s)", sms.key, mask_phone(sms.phone), sms.status, sms.attempts)
    if retry is not None:
        raise retry
    return sms


def due_for_requeue(*, grace: timedelta = timedelta(minutes=1), limit: int = 500) -> list[int]:
    """Pending messages whose enqueue or retry should have run more than `grace` ago."""
    cutoff = timezone.now() - grace
    rows = SmsMessage.objects.filter(status=SmsStatus.PENDING, next_attempt_at__lt=cutoff)
    return list(rows.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
