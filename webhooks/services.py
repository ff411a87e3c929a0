"""Writes for outbound webhooks: subscriptions, the outbox, sending, replay and retention.

Outbox. The event's writer (intake.services' transition, ticket creation and overlay events;
evaluation's ranking publication) calls `record_ticket_event` / `record_ranking_published` inside
its transaction: matching active subscriptions get one `Delivery` row each, in one INSERT, and the
sending is enqueued once the transaction commits. The active subscriptions are kept per process
(hotline.reference): with none, recording costs no query.

Sending (at least once). `send` claims a due delivery in a short committed transaction (status
"sending" with a lease, FOR UPDATE SKIP LOCKED), POSTs it outside any transaction, and records the
outcome and an attempt row. A worker that dies mid-send leaves the row "sending"; once its lease
(WEBHOOK_LEASE) ends, the sweep makes it due again and it is sent again with the same event id.
Failures retry with exponential backoff and jitter; after WEBHOOK_MAX_ATTEMPTS the row is dead
until replayed.

Order. At most `max_in_flight` requests per subscription at once (claims lock the subscription
row). Deliveries of one ticket to one subscription are sent in event order: a delivery is not
claimed while an earlier one of the same ticket is still open (pending, sending or failed); a dead
one no longer holds the next back. Events without a ticket (rankings) have no order.
"""

import json
import logging
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import enqueue, reference
from hotline.errors import DomainError
from hotline.models import Category, Unit, User
from hotline.privacy import redact_identity
from hotline.roles import has_role
from intake.lifecycle import Action
from intake.models import Channel, Ticket
from webhooks import signing
from webhooks.models import OPEN_STATUSES, Delivery, DeliveryAttempt, DeliveryStatus, EventType, Subscription

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CALLER_PERMISSION = "webhooks.receive_caller_data"

# The ticket actions announced, and as what. Closing at intake (answered directly, transferred,
# explained) closes the ticket as the callback's CLOSE does.
ACTION_EVENTS: dict[str, EventType] = {
    Action.CREATE: EventType.TICKET_CREATED,
    Action.DISPATCH: EventType.TICKET_DISPATCHED,
    Action.SIGN: EventType.TICKET_SIGNED,
    Action.REPLY: EventType.TICKET_REPLIED,
    Action.CLOSE: EventType.TICKET_CLOSED,
    Action.ANSWER_DIRECTLY: EventType.TICKET_CLOSED,
    Action.CLOSE_AT_INTAKE: EventType.TICKET_CLOSED,
    Action.REOPEN: EventType.TICKET_REOPENED,
    Action.MARK_OVERDUE: EventType.TICKET_OVERDUE,
}


# --- Subscriptions ------------------------------------------------------------------------------


def may_receive_caller_data(*, user: User) -> bool:
    """Whether the client may have callers' names and numbers in its webhooks (a permission an
    administrator grants, `webhooks.receive_caller_data`)."""
    return user.is_active and user.has_perm(CALLER_PERMISSION)


def _invalid(fields: dict[str, list[str]]) -> DomainError:
    return DomainError("invalid", _("The input is not valid."), status=400, fields=fields)


def check_subscription(*, owner: User, subscription: Subscription) -> None:
    """Refuse (DomainError, with field messages) a subscription `owner` may not have as it stands:
    the API's writes and the admin's form both ask."""
    url, include_caller, event_types = subscription.url, subscription.include_caller, subscription.event_types
    errors: dict[str, list[str]] = {}
    for name in ("units", "categories"):
        ids = getattr(subscription, name)
        if not isinstance(ids, list) or not all(isinstance(pk, int) and not isinstance(pk, bool) for pk in ids):
            errors[name] = [_("Give a list of ids.")]
    channels = subscription.channels
    if not isinstance(channels, list) or set(channels) - set(Channel.values):
        errors["channels"] = [_("Unknown channel.")]
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        errors["url"] = [_("Enter an http(s) URL.")]
    elif parts.scheme != "https" and not settings.WEBHOOK_ALLOW_HTTP:
        errors["url"] = [_("The endpoint must use https.")]
    if not event_types:
        errors["event_types"] = [_("Choose at least one event type.")]
    elif not isinstance(event_types, list) or set(event_types) - set(EventType.values):
        errors["event_types"] = [_("Unknown event type.")]
    if include_caller and not may_receive_caller_data(user=owner):
        errors["include_caller"] = [_("This client may not receive caller data.")]
    if errors:
        raise _invalid(errors)


SUBSCRIPTION_FIELDS = (
    "name",
    "url",
    "event_types",
    "units",
    "categories",
    "channels",
    "include_caller",
    "is_active",
    "max_in_flight",
)


def create_subscription(*, owner: User, **fields: Any) -> Subscription:
    """A new subscription of `owner` with a generated secret (shown to the client once)."""
    subscription = Subscription(owner=owner, secret=signing.new_secret(), **fields)
    check_subscription(owner=owner, subscription=subscription)
    with transaction.atomic():
        subscription.save()
        reference.changed()
    return subscription


def update_subscription(*, subscription_id: int, owner: User, **fields: Any) -> Subscription:
    with transaction.atomic():
        subscription = _own(subscription_id=subscription_id, owner=owner, lock=True)
        for name, value in fields.items():
            if name not in SUBSCRIPTION_FIELDS:
                raise ValueError(f"{name} is not a subscription field")
            setattr(subscription, name, value)
        check_subscription(owner=owner, subscription=subscription)
        subscription.save()
        reference.changed()
    return subscription


def delete_subscription(*, subscription_id: int, owner: User) -> None:
    with transaction.atomic():
        _own(subscription_id=subscription_id, owner=owner, lock=True).delete()
        reference.changed()


def rotate_secret(*, subscription_id: int, owner: User | None) -> Subscription:
    """A new signing secret; the old one stops signing at once."""
    with transaction.atomic():
        subscription = _own(subscription_id=subscription_id, owner=owner, lock=True)
        subscription.secret = signing.new_secret()
        subscription.save(update_fields=["secret", "updated_at"])
    return subscription


def _own(*, subscription_id: int, owner: User | None, lock: bool = False) -> Subscription:
    """The subscription if `owner` owns it (None: an administrator); otherwise not found."""
    rows = Subscription.objects.filter(pk=subscription_id)
    if owner is not None:
        rows = rows.filter(owner=owner)
    subscription = (rows.select_for_update() if lock else rows).first()
    if subscription is None:
        raise DomainError("not_found", _("Not found."), status=404)
    return subscription


# --- Recording events (the outbox) ---------------------------------------------------------------


@dataclass(frozen=True)
class ActiveSubscription:
    """What matching needs of an active subscription, kept per process."""

    id: int
    event_types: frozenset[str]
    units: frozenset[int]
    categories: frozenset[int]
    channels: frozenset[str]
    with_caller: bool


def _load_active() -> tuple[ActiveSubscription, ...]:
    rows = Subscription.objects.filter(is_active=True, owner__is_active=True).select_related("owner").order_by("pk")
    return tuple(
        ActiveSubscription(
            id=row.pk,
            event_types=frozenset(row.event_types),
            units=frozenset(row.units),
            categories=frozenset(row.categories),
            channels=frozenset(row.channels),
            with_caller=row.include_caller and may_receive_caller_data(user=row.owner),
        )
        for row in rows
    )


def active_subscriptions() -> tuple[ActiveSubscription, ...]:
    """The active subscriptions, read once per process and again after any change (reference)."""
    return reference.derived("webhooks:active-subscriptions", _load_active)


def _unit(unit_id: int | None) -> dict[str, Any] | None:
    unit = reference.get(Unit, pk=unit_id) if unit_id else None
    return {"id": unit.pk, "name": unit.name} if unit else None


def _lead_unit_id(*, ticket: Ticket, action: str, event_payload: dict[str, Any]) -> int | None:
    if action == Action.DISPATCH and event_payload.get("lead"):
        return int(event_payload["lead"])  # the assignment is written after the transition
    assignment = apps.get_model("dispatch", "Assignment")
    return (
        assignment.objects.filter(ticket_id=ticket.pk, role="lead", ended_at__isnull=True, parent__isnull=True)
        .values_list("unit_id", flat=True)
        .first()
    )


def _ticket_body(*, ticket: Ticket, lead_unit_id: int | None, chain: list[Category]) -> dict[str, Any]:
    caller = ticket.caller if ticket.caller_id else None
    names = [caller.name] if caller and caller.name else []
    phones = [caller.phone] if caller else []

    def text(value: str) -> str:
        # Client systems read ticket text redacted; a confidential caller's ticket carries none.
        return "" if ticket.confidential else redact_identity(value, names=names, phones=phones)

    category = chain[0] if chain else None
    return {
        "number": ticket.number,
        "status": ticket.status,
        "kind": ticket.kind,
        "channel": ticket.channel,
        # A platform's request carries its own id: the platform's subscription (filtered to its
        # channel) hears of the reply and status changes by it.
        "external_id": ticket.external_id,
        "external_url": ticket.external_url,
        "urgency": ticket.urgency,
        "category": {"id": category.pk, "code": category.code, "name": category.name} if category else None,
        "district": _unit(ticket.district_id),
        "street": _unit(ticket.street_id),
        "lead_unit": _unit(lead_unit_id),
        "title": text(ticket.title),
        "public_reply": text(ticket.public_reply),
        "confidential": ticket.confidential,
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }


def _caller_body(ticket: Ticket) -> dict[str, Any] | None:
    if ticket.confidential or not ticket.caller_id:
        return None
    caller = ticket.caller
    return {
        "name": caller.name,
        "phone": caller.phone,
        "is_enterprise": caller.is_enterprise,
        "enterprise_name": caller.enterprise_name,
    }


def _envelope(*, event_id: uuid.UUID, event_type: str, occurred_at: datetime) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "event_id": str(event_id),
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "event": None,
        "ticket": None,
        "caller": None,
        "ranking": None,
    }


def _insert(rows: list[Delivery]) -> list[Delivery]:
    """Insert the outbox rows and send them once the event's transaction commits."""
    if not rows:
        return rows
    Delivery.objects.bulk_create(rows)
    from webhooks.tasks import send_delivery  # the tasks module imports this one

    for row in rows:
        enqueue.on_commit(send_delivery, row.pk)
    return rows


@dataclass(frozen=True)
class TicketEventRecord:
    """One ticket event to announce: the event log's action, statuses, acting unit and details."""

    action: str
    from_status: str
    to_status: str
    payload: dict[str, Any]
    occurred_at: datetime | None = None


def listens(*, actions: Iterable[str]) -> bool:
    """Whether an active subscription takes the events of any of these ticket actions: where
    none does, recording them writes nothing (and costs no query)."""
    event_types = {ACTION_EVENTS[action] for action in actions if action in ACTION_EVENTS}
    return bool(event_types) and any(event_types & sub.event_types for sub in active_subscriptions())


def record_ticket_event(*, ticket: Ticket, event: TicketEventRecord) -> list[Delivery]:
    """Write the outbox rows of one ticket event, inside the event's transaction. Without an
    active subscription for its type this costs no query."""
    event_type = ACTION_EVENTS.get(event.action)
    if event_type is None:
        return []
    candidates = [sub for sub in active_subscriptions() if event_type in sub.event_types]
    if not candidates:
        return []
    candidates = [sub for sub in candidates if not sub.channels or ticket.channel in sub.channels]
    if not candidates:
        return []
    category = reference.get(Category, pk=ticket.category_id)
    chain = reference.category_chain(category) if category else []
    chain_ids = {node.pk for node in chain}
    lead_unit_id = _lead_unit_id(ticket=ticket, action=event.action, event_payload=event.payload)
    places = {ticket.district_id, ticket.street_id, lead_unit_id} - {None}
    matched = [
        sub
        for sub in candidates
        if (not sub.units or sub.units & places) and (not sub.categories or sub.categories & chain_ids)
    ]
    if not matched:
        return []
    event_id = uuid.uuid4()
    now = timezone.now()
    body = _envelope(event_id=event_id, event_type=event_type, occurred_at=event.occurred_at or now)
    body["event"] = {"action": event.action, "from_status": event.from_status, "to_status": event.to_status}
    body["ticket"] = _ticket_body(ticket=ticket, lead_unit_id=lead_unit_id, chain=chain)
    with_caller = {**body, "caller": _caller_body(ticket)} if any(sub.with_caller for sub in matched) else body
    return _insert(
        [
            Delivery(
                subscription_id=sub.id,
                event_id=event_id,
                event_type=event_type,
                ticket_id=ticket.pk,
                payload=with_caller if sub.with_caller else body,
                next_attempt_at=now,
            )
            for sub in matched
        ]
    )


def record_ticket_events(*, ticket_ids: Iterable[int], action: str, payloads: dict[int, dict[str, Any]]) -> int:
    """The bulk form for the sweeps' overlay events (overdue marks): one event per ticket."""
    if not listens(actions=[action]):
        return 0
    written = 0
    for ticket in Ticket.objects.filter(pk__in=list(ticket_ids)).select_related("caller").order_by("pk"):
        record = TicketEventRecord(
            action=action, from_status=ticket.status, to_status=ticket.status, payload=payloads.get(ticket.pk, {})
        )
        written += len(record_ticket_event(ticket=ticket, event=record))
    return written


def record_ranking_published(*, ranking: Any) -> list[Delivery]:
    """Announce a published monthly ranking (evaluation.rankings.publish_ranking), inside its
    transaction. Ticket filters do not apply to it."""
    matched = [sub for sub in active_subscriptions() if EventType.RANKING_PUBLISHED in sub.event_types]
    if not matched:
        return []
    event_id = uuid.uuid4()
    now = timezone.now()
    body = _envelope(event_id=event_id, event_type=EventType.RANKING_PUBLISHED, occurred_at=now)
    body["ranking"] = {
        "id": ranking.pk,
        "month": f"{ranking.month:%Y-%m}",
        "unit_kind": ranking.unit_kind,
        "version": ranking.version,
        "published_at": ranking.published_at.isoformat() if ranking.published_at else now.isoformat(),
    }
    return _insert(
        [
            Delivery(
                subscription_id=sub.id,
                event_id=event_id,
                event_type=EventType.RANKING_PUBLISHED,
                payload=body,
                next_attempt_at=now,
            )
            for sub in matched
        ]
    )


# --- Sending -------------------------------------------------------------------------------------


def backoff(attempt: int) -> float:
    """Seconds before the retry that follows failed attempt `attempt` (1, 2, …): exponential,
    capped, with jitter (a random point in the upper half) so that retries do not come in waves."""
    ceiling = min(settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1), settings.WEBHOOK_BACKOFF_MAX_SECONDS)
    return ceiling * random.uniform(0.5, 1.0)  # jitter, not a secret


def _sendable(*, now: datetime) -> QuerySet[Delivery]:
    """Deliveries due now and not held back by an earlier open delivery of the same ticket."""
    earlier = Delivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        ticket_id=OuterRef("ticket_id"),
        id__lt=OuterRef("id"),
        status__in=OPEN_STATUSES,
    )
    return Delivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=now
    ).filter(~Exists(earlier))


def _in_flight(*, subscription_id: int, now: datetime) -> int:
    return Delivery.objects.filter(
        subscription_id=subscription_id, status=DeliveryStatus.SENDING, lease_until__gt=now
    ).count()


@dataclass(frozen=True)
class Claimed:
    delivery: Delivery
    subscription: Subscription


def _claim(*, delivery_id: int) -> Claimed | None:
    subscription_id = Delivery.objects.filter(pk=delivery_id).values_list("subscription_id", flat=True).first()
    if subscription_id is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        # NO KEY UPDATE: serialises the endpoint's claims without blocking the inserts of new
        # deliveries (their foreign-key check takes KEY SHARE).
        subscription = Subscription.objects.select_for_update(no_key=True).filter(pk=subscription_id).first()
        if subscription is None or not subscription.is_active:
            return None
        if _in_flight(subscription_id=subscription.pk, now=now) >= subscription.max_in_flight:
            return None
        delivery = _sendable(now=now).filter(pk=delivery_id).select_for_update(skip_locked=True, of=("self",)).first()
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.lease_until = now + settings.WEBHOOK_LEASE
        delivery.save(update_fields=["status", "attempts", "lease_until"])
    return Claimed(delivery=delivery, subscription=subscription)


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The request body exactly as signed and sent: compact JSON, keys sorted, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(*, subscription: Subscription, delivery: Delivery) -> Outcome:
    body = body_bytes(delivery.payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "12345-hotline-webhooks/1",
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret=subscription.secret, timestamp=timestamp, body=body),
        signing.EVENT_ID_HEADER: str(delivery.event_id),
        signing.EVENT_TYPE_HEADER: delivery.event_type,
    }
    started = time.monotonic()
    try:
        response = requests.post(
            subscription.url,
            data=body,
            headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_HTTP_TIMEOUT),
            allow_redirects=False,
        )
        response.close()
    except requests.RequestException as exc:
        return Outcome(None, int((time.monotonic() - started) * 1000), f"{type(exc).__name__}: {exc}"[:500])
    latency = int((time.monotonic() - started) * 1000)
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Outcome(response.status_code, latency, error)


def send(*, delivery_id: int) -> Delivery | None:
    """Send one delivery if it can go now (due, not held back, a free slot); None otherwise.
    Not to be called inside a transaction: the claim must commit before the request."""
    claimed = _claim(delivery_id=delivery_id)
    if claimed is None:
        return None
    delivery, subscription = claimed.delivery, claimed.subscription
    outcome = _post(subscription=subscription, delivery=delivery)
    retry_in = _record(delivery=delivery, outcome=outcome)
    from webhooks.tasks import send_delivery  # the tasks module imports this one

    if retry_in is not None:
        _publish(send_delivery, delivery.pk, countdown=retry_in)
    # A slot is free and, delivered or dead, the ticket's next event may go.
    enqueue_due(subscription_id=subscription.pk)
    return delivery


def _record(*, delivery: Delivery, outcome: Outcome) -> float | None:
    """Record the attempt's outcome; the seconds to the retry, if one follows."""
    now = timezone.now()
    retry_in: float | None = None
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery_id=delivery.pk,
            number=delivery.attempts,
            attempted_at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            succeeded=outcome.succeeded,
            error=outcome.error,
        )
        current = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts)
            .first()
        )
        if current is None:  # the lease ran out and the row moved on (sent again, or replayed)
            return None
        current.last_status_code = outcome.status_code
        current.last_latency_ms = outcome.latency_ms
        current.last_error = outcome.error
        current.lease_until = None
        if outcome.succeeded:
            current.status = DeliveryStatus.DELIVERED
            current.delivered_at = now
        elif current.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            current.status = DeliveryStatus.DEAD
        else:
            retry_in = backoff(current.attempts)
            current.status = DeliveryStatus.FAILED
            current.next_attempt_at = now + timedelta(seconds=retry_in)
        current.save()
    level = logging.INFO if outcome.succeeded or retry_in is not None else logging.WARNING
    logger.log(level, "webhook %s %s: %s after %d attempt(s)", delivery.event_type, delivery.event_id,
               current.status, current.attempts)  # fmt: skip
    return retry_in


def _publish(task: Any, *args: Any, countdown: float | None = None) -> None:
    """Hand a send to the workers; with the broker away the sweep finds the row later."""
    from hotline import degraded

    try:
        task.apply_async(args=args, countdown=countdown)
    except degraded.REDIS_ERRORS as error:
        degraded.record(what=f"enqueue {task.name}", error=error)


def enqueue_due(*, subscription_id: int, now: datetime | None = None) -> int:
    """Enqueue the subscription's deliveries that can go now, as many as it has free slots."""
    now = now or timezone.now()
    subscription = Subscription.objects.filter(pk=subscription_id, is_active=True).first()
    if subscription is None:
        return 0
    free = subscription.max_in_flight - _in_flight(subscription_id=subscription_id, now=now)
    if free <= 0:
        return 0
    ids = list(
        _sendable(now=now).filter(subscription_id=subscription_id).order_by("id").values_list("pk", flat=True)[:free]
    )
    from webhooks.tasks import send_delivery  # the tasks module imports this one

    for pk in ids:
        _publish(send_delivery, pk)
    return len(ids)


def sweep(*, now: datetime | None = None) -> int:
    """Beat's catch-up: rows left "sending" past their lease (the worker died mid-send) become
    due again (or dead, at the last attempt), and every subscription's due deliveries are
    enqueued, also those whose enqueue or retry the broker lost. Safe to run twice or at once:
    a duplicate enqueue finds nothing to claim. The number enqueued."""
    now = now or timezone.now()
    stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=now)
    interrupted = "interrupted while sending: sent again"
    dead = stuck.filter(attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS).update(
        status=DeliveryStatus.DEAD, lease_until=None, last_error=interrupted
    )
    revived = stuck.update(status=DeliveryStatus.FAILED, lease_until=None, next_attempt_at=now, last_error=interrupted)
    if dead or revived:
        logger.warning("webhooks: %d interrupted deliveries due again, %d dead", revived, dead)
    due = (
        _sendable(now=now)
        .filter(subscription__is_active=True)
        .order_by()
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    return sum(enqueue_due(subscription_id=pk, now=now) for pk in list(due))


# --- Replay and retention ------------------------------------------------------------------------


def replay(*, delivery_id: int, owner: User | None) -> Delivery:
    """Send a delivery again (same event id: receivers that have it drop it), with a fresh count
    of attempts. Only a delivery that is not under way: delivered, failed or dead. `owner` None:
    an administrator."""
    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(pk=delivery_id)
        if owner is not None:
            rows = rows.filter(subscription__owner=owner)
        delivery = rows.first()
        if delivery is None:
            raise DomainError("not_found", _("Not found."), status=404)
        if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            raise DomainError("delivery_in_progress", _("This delivery is already on its way."), status=409)
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.lease_until = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "lease_until"])
        from webhooks.tasks import send_delivery  # the tasks module imports this one

        enqueue.on_commit(send_delivery, delivery.pk)
    return delivery


@dataclass(frozen=True)
class PruneResult:
    deliveries: int
    attempts: int


def _delete_in_batches(rows: QuerySet[Any], *, batch: int) -> int:
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            rows.model.objects.filter(pk__in=ids).delete()
            deleted += len(ids)


def prune(*, now: datetime | None = None, batch: int = 5000) -> PruneResult:
    """Delete the delivery log past WEBHOOK_RETENTION: attempts, and deliveries that are done
    (delivered or dead). Open deliveries are kept whatever their age."""
    now = now or timezone.now()
    cutoff = now - settings.WEBHOOK_RETENTION
    attempts = _delete_in_batches(DeliveryAttempt.objects.filter(attempted_at__lt=cutoff), batch=batch)
    done = Delivery.objects.filter(created_at__lt=cutoff).filter(
        Q(status=DeliveryStatus.DELIVERED) | Q(status=DeliveryStatus.DEAD)
    )
    return PruneResult(deliveries=_delete_in_batches(done, batch=batch), attempts=attempts)


def is_api_client(*, user: User) -> bool:
    from hotline.models import Role

    return has_role(user=user, roles={Role.API_CLIENT})
