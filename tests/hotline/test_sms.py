"""SMS: recorded before sending, the provider called at most once per attempt (also across a crash),
retried with backoff, phone never logged."""

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from hotline import notifications, sms, tasks
from hotline.models import SmsMessage, SmsStatus
from tests.conftest import run_at_once, wait_until
from tests.factories import UserFactory

PHONE = "13812345678"


@pytest.fixture
def http_backend(settings, sms_provider):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = sms_provider.url
    settings.SMS_HTTP_TOKEN = "secret-token"
    return sms_provider


@pytest.mark.django_db
def test_an_sms_is_recorded_before_it_is_sent(sms_outbox, settings, django_capture_on_commit_callbacks):
    # Given an SMS kind and a recipient with a mobile number
    settings.HOTLINE_SMS_KINDS = frozenset({"overdue"})
    user = UserFactory(mobile=PHONE)
    # When a notification is sent, the SMS is only enqueued when the transaction commits
    with django_capture_on_commit_callbacks() as callbacks:
        notifications.notify_users(users=[user], kind="overdue", title="工单超期", key="o:1")
    # Then the message is already recorded as pending and nothing has been sent yet
    message = SmsMessage.objects.get()
    assert (message.status, message.attempts, sms_outbox) == (SmsStatus.PENDING, 0, [])
    assert len(callbacks) == 1
    # And when the task runs, the provider is called once the attempt's claim is recorded
    tasks.send_sms.apply(args=[message.pk])
    assert [(s["phone"], s["key"], s["recorded_before"]) for s in sms_outbox] == [(PHONE, message.key, True)]


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_does_not_fail_the_committed_work(monkeypatch, settings):
    # Given an SMS kind and a broker that is down
    settings.HOTLINE_SMS_KINDS = frozenset({"overdue"})

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.send_sms, "apply_async", broker_down)
    user = UserFactory(mobile=PHONE)
    # When a notification commits
    assert notifications.notify_users(users=[user], kind="overdue", title="工单超期", key="o:1") == 1
    # Then the notification and the pending SMS are kept for the sweep to send later
    assert SmsMessage.objects.get().status == SmsStatus.PENDING
    assert notifications.unread_count(user=user) == 1


@pytest.mark.django_db
def test_running_the_task_twice_sends_once(sms_outbox):
    # Given a recorded SMS
    message = sms.queue_sms(phone=PHONE, text="您有新工单", key="k1")
    # When the task is delivered twice (a duplicate enqueue, the sweep)
    tasks.send_sms.apply(args=[message.pk])
    tasks.send_sms.apply(args=[message.pk])
    # Then the backend was called once and the message is sent
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (SmsStatus.SENT, 1, "rec-1")
    assert message.sent_at is not None


@pytest.mark.django_db
def test_queueing_the_same_key_twice_records_one_message(sms_outbox):
    first = sms.queue_sms(phone=PHONE, text="a", key="same")
    second = sms.queue_sms(phone=PHONE, text="b", key="same")
    assert first.pk == second.pk
    assert SmsMessage.objects.count() == 1


class SlowRecordingBackend:
    calls: list[str] = []

    def send(self, *, phone: str, text: str, key: str) -> str:
        self.calls.append(key)
        time.sleep(0.5)
        return "slow-1"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_send_once(settings):
    # Given a committed SMS and a slow provider
    settings.SMS_BACKEND = f"{__name__}.SlowRecordingBackend"
    SlowRecordingBackend.calls = []
    message = SmsMessage.objects.create(phone=PHONE, text="x", key="race")
    # When two workers deliver it at the same time, from two database connections
    results = run_at_once(*[lambda: sms.deliver(sms_id=message.pk)] * 2)
    # Then one sent it and the other skipped the locked row
    assert SlowRecordingBackend.calls == ["race"]
    assert sorted(result is None for result in results) == [False, True]
    assert SmsMessage.objects.get().status == SmsStatus.SENT


class WorkerDiedError(BaseException):
    """The process ends here: nothing after it runs, no exception handler of ours sees it."""


class AcceptThenDieBackend:
    """The provider accepts the message, then the worker dies before recording it."""

    calls: list[str] = []

    def send(self, *, phone: str, text: str, key: str) -> str:
        self.calls.append(key)
        if len(self.calls) == 1:
            raise WorkerDiedError
        return f"accepted-{len(self.calls)}"


@pytest.fixture
def dying_backend(settings) -> list[str]:
    settings.SMS_BACKEND = f"{__name__}.AcceptThenDieBackend"
    AcceptThenDieBackend.calls = []
    return AcceptThenDieBackend.calls


def crash_while_sending(message: SmsMessage) -> None:
    with pytest.raises(WorkerDiedError):
        sms.deliver(sms_id=message.pk)


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_the_provider_accepted_never_sends_again(dying_backend):
    # Given a message whose first attempt reached the provider, after which the worker died
    message = SmsMessage.objects.create(phone=PHONE, text="您有新工单", key="crash")
    crash_while_sending(message)
    # Then the attempt's claim survived the crash
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.SENDING, 1)
    # When the task is delivered again (the broker redelivers it) and the sweep runs, even later
    assert tasks.send_sms.apply(args=[message.pk]).successful()
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        tasks.requeue_pending_sms()
    # Then the provider was called once, and the message waits for an operator as "unknown"
    assert dying_backend == ["crash"]
    message.refresh_from_db()
    assert message.status == SmsStatus.UNKNOWN
    assert "not resent" in message.last_error


@pytest.mark.django_db(transaction=True)
def test_a_crash_is_resent_with_the_same_key_to_a_provider_that_deduplicates(dying_backend, settings):
    # Given a provider that drops a repeated Idempotency-Key, and a crash after it accepted
    settings.SMS_PROVIDER_DEDUPLICATES = True
    message = SmsMessage.objects.create(phone=PHONE, text="您有新工单", key="crash")
    crash_while_sending(message)
    # When the sweep runs after the sending timeout, and the worker delivers what it requeued
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        tasks.requeue_pending_sms()
    tasks.send_sms.apply(args=[message.pk])
    # Then the same key was sent again (the provider sends it once) and the message is sent
    assert dying_backend == ["crash", "crash"]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (SmsStatus.SENT, 2, "accepted-2")


@pytest.mark.django_db(transaction=True)
def test_an_attempt_still_sending_within_the_timeout_is_left_alone(dying_backend):
    message = SmsMessage.objects.create(phone=PHONE, text="x", key="slow")
    crash_while_sending(message)
    assert tasks.requeue_pending_sms() == 0
    message.refresh_from_db()
    assert message.status == SmsStatus.SENDING


@pytest.mark.django_db
def test_a_request_the_provider_never_answered_is_not_resent(http_backend, settings):
    # Given a provider that takes longer than our timeout to answer
    settings.SMS_HTTP_TIMEOUT = 0.3
    http_backend.delay = 1
    message = sms.queue_sms(phone=PHONE, text="x", key="no-answer")
    # When the task runs
    tasks.send_sms.apply(args=[message.pk])
    # Then the provider got it once, and it may have gone out: not retried
    assert len(http_backend.requests) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.UNKNOWN, 1)


@pytest.mark.django_db
def test_a_request_the_provider_never_answered_is_retried_where_it_deduplicates(http_backend, settings):
    settings.SMS_HTTP_TIMEOUT = 0.3
    settings.SMS_PROVIDER_DEDUPLICATES = True
    http_backend.delay = 1
    message = sms.queue_sms(phone=PHONE, text="x", key="no-answer")
    tasks.send_sms.apply(args=[message.pk])
    # Eager retries run at once; each timed out, up to the attempts cap, all with one key
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.FAILED, settings.SMS_MAX_ATTEMPTS)
    assert {r["idempotency_key"] for r in http_backend.requests} == {"no-answer"}


@pytest.mark.django_db
def test_http_backend_retries_a_server_error_and_sends_once(http_backend):
    # Given a provider that answers 500 once, then 200
    http_backend.statuses = [500]
    message = sms.queue_sms(phone=PHONE, text="您有新工单", key="http-1")
    # When the task runs (eagerly: the retry runs at once)
    tasks.send_sms.apply(args=[message.pk])
    # Then the provider saw two requests with the same idempotency key and token, and it is sent
    assert [r["idempotency_key"] for r in http_backend.requests] == ["http-1", "http-1"]
    assert http_backend.requests[0]["authorization"] == "Bearer secret-token"
    assert http_backend.requests[0]["body"] == {"phone": PHONE, "text": "您有新工单", "key": "http-1"}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (SmsStatus.SENT, 2, "prov-2")


@pytest.mark.django_db
def test_a_retryable_failure_is_recorded_with_exponential_backoff(http_backend, settings):
    # Given a provider that keeps failing, base backoff 30 s
    settings.SMS_RETRY_BACKOFF_SECONDS = 30
    http_backend.statuses = [503, 503]
    message = sms.queue_sms(phone=PHONE, text="x", key="backoff")
    # When delivery fails twice
    delays = []
    for _ in range(2):
        before = timezone.now()
        with pytest.raises(sms.RetryLaterError) as retry:
            sms.deliver(sms_id=message.pk)
        delays.append(retry.value.countdown)
        message.refresh_from_db()
        # Then the next attempt is recorded, so the sweep does not hurry it
        assert message.next_attempt_at >= before + timedelta(seconds=retry.value.countdown)
    assert delays == [30, 60]
    assert (message.status, message.attempts, message.last_error) == ("pending", 2, "SMS provider answered HTTP 503")


@pytest.mark.django_db
def test_attempts_are_capped(http_backend, settings):
    settings.SMS_MAX_ATTEMPTS = 3
    http_backend.statuses = [500, 500, 500, 200]
    message = sms.queue_sms(phone=PHONE, text="x", key="cap")
    tasks.send_sms.apply(args=[message.pk])
    message.refresh_from_db()
    assert (message.status, message.attempts, len(http_backend.requests)) == (SmsStatus.FAILED, 3, 3)


@pytest.mark.django_db
def test_a_client_error_fails_without_retry(http_backend):
    http_backend.statuses = [400]
    message = sms.queue_sms(phone=PHONE, text="x", key="bad")
    tasks.send_sms.apply(args=[message.pk])
    message.refresh_from_db()
    assert (message.status, message.attempts, len(http_backend.requests)) == (SmsStatus.FAILED, 1, 1)


@pytest.mark.django_db
def test_an_unreachable_provider_is_retryable(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/sms"  # discard port: connection refused
    message = sms.queue_sms(phone=PHONE, text="x", key="down")
    with pytest.raises(sms.RetryLaterError):
        sms.deliver(sms_id=message.pk)
    message.refresh_from_db()
    assert message.status == SmsStatus.PENDING
    assert "unreachable" in message.last_error


@pytest.mark.django_db
def test_logs_never_contain_the_full_phone(settings, caplog):
    # Given the default console backend
    settings.SMS_BACKEND = "console"
    message = sms.queue_sms(phone=PHONE, text="您有新工单", key="log-1")
    # When the message is delivered
    with caplog.at_level(logging.INFO, logger="hotline.sms"):
        tasks.send_sms.apply(args=[message.pk])
    # Then the log shows the masked number only
    assert "138****5678" in caplog.text
    assert PHONE not in caplog.text
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


@pytest.mark.django_db
def test_the_sweep_picks_only_pending_messages_overdue_for_an_attempt():
    # Given a pending message whose enqueue was lost, a fresh one, a sent one, a failed one
    old = timezone.now() - timedelta(minutes=5)
    lost = SmsMessage.objects.create(phone=PHONE, text="x", key="lost", next_attempt_at=old)
    SmsMessage.objects.create(phone=PHONE, text="x", key="fresh")
    SmsMessage.objects.create(phone=PHONE, text="x", key="sent", status="sent", sent_at=old, next_attempt_at=old)
    SmsMessage.objects.create(phone=PHONE, text="x", key="failed", status="failed", next_attempt_at=old)
    # Then only the lost one is due for a new enqueue
    assert sms.due_for_requeue() == [lost.pk]


@pytest.mark.celery_worker
def test_a_real_worker_retries_with_backoff_and_sends_once(sms_worker, sms_provider):
    # Given a provider that answers 500 twice, then 200, and a worker with 1 s base backoff
    sms_provider.statuses = [500, 500]
    user = UserFactory(mobile=PHONE)
    # When a committed notification of an SMS kind enqueues its SMS on the Redis broker
    notifications.notify_users(users=[user], kind="dispatched", title="您有新工单", key="d:1")
    # Then the worker sends it, backing off 1 s and then 2 s, and records it sent once
    wait_until(lambda: SmsMessage.objects.filter(status=SmsStatus.SENT).exists(), timeout=30)
    message = SmsMessage.objects.get()
    assert (message.attempts, message.provider_id) == (3, "prov-3")
    times = [r["at"] for r in sms_provider.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.9
    assert times[2] - times[1] >= 1.9
    assert {r["idempotency_key"] for r in sms_provider.requests} == {message.key}


@pytest.mark.celery_worker
def test_the_sweep_catches_up_a_lost_enqueue_through_a_real_worker(sms_worker, sms_provider):
    # Given a pending SMS whose enqueue Redis lost a while ago
    message = SmsMessage.objects.create(
        phone=PHONE, text="x", key="lost", next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    # When the beat-scheduled sweep runs
    assert tasks.requeue_pending_sms() == 1
    # Then the worker sends it once
    wait_until(lambda: SmsMessage.objects.filter(pk=message.pk, status=SmsStatus.SENT).exists(), timeout=20)
    assert len(sms_provider.requests) == 1


@pytest.mark.celery_worker
def test_a_real_worker_killed_while_the_provider_holds_the_message_never_sends_it_twice(
    sms_worker, sms_provider, settings
):
    # Given a provider that accepts the message but answers slowly
    sms_provider.delay = 30
    message = sms.queue_sms(phone=PHONE, text="您有新工单", key="killed")
    # When the worker is killed (SIGKILL) while the provider holds the request
    wait_until(lambda: len(sms_provider.requests) == 1, timeout=20)
    sms_worker.kill()
    sms_worker.wait(timeout=10)
    # And the task runs again and the sweep runs after the sending timeout
    tasks.send_sms.apply(args=[message.pk])
    settings.SMS_SENDING_TIMEOUT = timedelta(0)
    tasks.requeue_pending_sms()
    # Then the provider saw it once; it is left "unknown" for an operator
    assert len(sms_provider.requests) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.UNKNOWN, 1)


def test_sms_tasks_go_to_the_hotline_queue_that_every_worker_consumes():
    from pathlib import Path

    from hotline.celery import app

    # Given the per-app routes, the SMS task lands on the "hotline" queue
    assert app.amqp.router.route({}, "hotline.tasks.send_sms")["queue"].name == "hotline"
    # And every worker command consumes it (and every other app's queue)
    root = Path(__file__).resolve().parents[2]
    queues = "celery,hotline,intake,dispatch,evaluation"
    for path in ("scripts/run.py", "docker-compose.yml", "tests/conftest.py"):
        assert queues in (root / path).read_text(), path


@pytest.mark.django_db
def test_the_admin_shows_the_phone_masked(admin_client):
    message = SmsMessage.objects.create(phone=PHONE, text="x", key="adm")
    listing = admin_client.get("/admin/hotline/smsmessage/").content.decode()
    detail = admin_client.get(f"/admin/hotline/smsmessage/{message.pk}/change/").content.decode()
    assert "138****5678" in listing
    assert PHONE not in listing
    assert PHONE not in detail
