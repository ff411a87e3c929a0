"""SMS gateway: pluggable backends, and delivery that calls the provider at most once per attempt.

Every SMS is first recorded as an `SmsMessage` with a unique key (DESIGN.md §11); the Celery
task `hotline.tasks.send_sms` then calls `deliver`, which claims a pending row for one attempt
(status "sending", committed), calls the provider outside any transaction and records the outcome.
A crash between the provider's acceptance and that record leaves the row "sending": we cannot
know whether it went out. The sweep then marks it "unknown" for an operator, and never resends
it, unless SMS_PROVIDER_DEDUPLICATES says the provider drops a repeated Idempotency-Key (the
message's key, sent with every attempt): then it is resent, and the provider makes it exactly once.
"""

import http.client
import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
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


class SmsOutcomeUnknownError(SmsRetryableError):
    """The request reached the provider but no answer came back (read timeout, dropped connection):
    it may have been sent. Retried only where the provider deduplicates the Idempotency-Key."""


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

    Expects a 2xx answer with {"id": "<provider message id>"}; 5xx, 429 and failures to connect
    are retryable, other 4xx answers are final; no answer to a request sent is SmsOutcomeUnknownError.
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
        except urllib.error.URLError as exc:
            # urlopen wraps what fails before the request is sent (connect, DNS, TLS).
            raise SmsRetryableError(f"SMS provider unreachable: {exc.reason}") from exc
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise SmsOutcomeUnknownError(f"SMS provider did not answer: {exc!r}") from exc
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

    The attempt is claimed in its own committed transaction before the provider is called, so no
    other delivery (a duplicate enqueue, the sweep, a redelivered task after a crash) calls the
    provider for it again. Raises RetryLaterError after recording a temporary failure, unless
    SMS_MAX_ATTEMPTS is reached. Not to be called inside a transaction: the claim must commit.
    """
    sms = _claim(sms_id=sms_id)
    if sms is None:
        return None
    retry: RetryLaterError | None = None
    now = timezone.now()
    try:
        sms.provider_id = get_backend().send(phone=sms.phone, text=sms.text, key=sms.key)[:200]
    except SmsOutcomeUnknownError as exc:
        sms.last_error = str(exc)[:500]
        if settings.SMS_PROVIDER_DEDUPLICATES:
            retry = _retry_or_fail(sms, now=now)
        else:
            sms.status = SmsStatus.UNKNOWN
    except SmsRetryableError as exc:
        sms.last_error = str(exc)[:500]
        retry = _retry_or_fail(sms, now=now)
    except SmsError as exc:
        sms.last_error = str(exc)[:500]
        sms.status = SmsStatus.FAILED
    else:
        sms.status = SmsStatus.SENT
        sms.sent_at = now
        sms.last_error = ""
    sms.save(update_fields=["status", "provider_id", "last_error", "next_attempt_at", "sent_at", "updated_at"])
    log = logger.info if sms.status == SmsStatus.SENT or retry is not None else logger.warning
    log("SMS %s to %s: %s after %d attempt(s)", sms.key, mask_phone(sms.phone), sms.status, sms.attempts)
    if retry is not None:
        raise retry
    return sms


def _claim(*, sms_id: int) -> SmsMessage | None:
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update(skip_locked=True).filter(pk=sms_id, status=SmsStatus.PENDING)
        sms = sms.first()
        if sms is None:
            return None
        sms.attempts += 1
        sms.status = SmsStatus.SENDING
        sms.save(update_fields=["attempts", "status", "updated_at"])
    return sms


def _retry_or_fail(sms: SmsMessage, *, now: datetime) -> RetryLaterError | None:
    if sms.attempts >= settings.SMS_MAX_ATTEMPTS:
        sms.status = SmsStatus.FAILED
        return None
    retry = RetryLaterError(backoff(sms.attempts))
    sms.status = SmsStatus.PENDING
    sms.next_attempt_at = now + timedelta(seconds=retry.countdown)
    return retry


def settle_interrupted(*, now: datetime | None = None) -> int:
    """Messages left "sending" by a crash (older than SMS_SENDING_TIMEOUT): "unknown" for an
    operator to check with the provider, or back to pending where the provider deduplicates.
    The number settled."""
    now = now or timezone.now()
    stuck = SmsMessage.objects.filter(status=SmsStatus.SENDING, updated_at__lt=now - settings.SMS_SENDING_TIMEOUT)
    if settings.SMS_PROVIDER_DEDUPLICATES:
        settled = stuck.update(status=SmsStatus.PENDING, next_attempt_at=now, updated_at=now)
    else:
        settled = stuck.update(
            status=SmsStatus.UNKNOWN,
            last_error="interrupted while sending: not resent, check with the provider",
            updated_at=now,
        )
    if settled:
        logger.warning(
            "%d SMS interrupted while sending, now %s",
            settled,
            "pending" if settings.SMS_PROVIDER_DEDUPLICATES else "unknown",
        )
    return settled


def due_for_requeue(*, grace: timedelta = timedelta(minutes=1), limit: int = 500) -> list[int]:
    """Pending messages whose enqueue or retry should have run more than `grace` ago."""
    cutoff = timezone.now() - grace
    rows = SmsMessage.objects.filter(status=SmsStatus.PENDING, next_attempt_at__lt=cutoff)
    return list(rows.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
