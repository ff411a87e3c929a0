"""Outbound webhooks: API clients' subscriptions, the outbox of deliveries, and the attempt log.

A `Delivery` is written in the same transaction as the event it announces (the outbox), so an
event that committed is never lost and one that rolled back is never sent; Celery sends it later
(webhooks/services.py). Each delivery carries the event's id, which receivers deduplicate on:
delivery is at least once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from intake.models import Ticket


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_DISPATCHED = "ticket.dispatched", _("Ticket dispatched")
    TICKET_SIGNED = "ticket.signed", _("Ticket signed")
    TICKET_REPLIED = "ticket.replied", _("Ticket replied")
    TICKET_CLOSED = "ticket.closed", _("Ticket closed")
    TICKET_REOPENED = "ticket.reopened", _("Ticket reopened")
    TICKET_OVERDUE = "ticket.overdue", _("Ticket overdue")
    RANKING_PUBLISHED = "ranking.published", _("Ranking published")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    # The last attempt failed; another follows at next_attempt_at.
    FAILED = "failed", _("Failed, will retry")
    # WEBHOOK_MAX_ATTEMPTS failed: nothing more is tried unless someone replays it.
    DEAD = "dead", _("Dead (gave up)")


# Still to be delivered: what the sender claims and what holds back a later event of the same ticket.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)


class Subscription(models.Model):
    """An API client's endpoint and the events it wants, optionally narrowed by unit, category and
    channel (an empty filter matches everything)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(pgettext_lazy("web address", "URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=64)
    # JSON lists rather than PostgreSQL arrays, so that the SQLite demo migrates too; they are
    # matched in Python against each process's cached copy (webhooks.services.active_subscriptions).
    event_types = models.JSONField(
        _("event types"), default=list, help_text=_('the events to send, e.g. ["ticket.created"]')
    )
    units = models.JSONField(
        _("units"),
        default=list,
        blank=True,
        help_text=_("unit ids: the ticket's district, street/township or lead unit; empty for all"),
    )
    categories = models.JSONField(
        _("categories"), default=list, blank=True, help_text=_("category ids at any level; empty for all")
    )
    channels = models.JSONField(
        _("channels"), default=list, blank=True, help_text=_("the tickets' intake channels; empty for all")
    )
    include_caller = models.BooleanField(
        _("include caller data"),
        default=False,
        help_text=_("only for clients allowed to receive it; never for confidential callers"),
    )
    is_active = models.BooleanField(pgettext_lazy("in service", "active"), default=True)
    max_in_flight = models.PositiveSmallIntegerField(
        _("concurrent deliveries"), default=4, help_text=_("at most this many requests to the endpoint at once")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        permissions = [("receive_caller_data", _("Can receive caller data in webhooks"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_in_flight__gte=1, max_in_flight__lte=100), name="subscription_max_in_flight_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.url


class Delivery(models.Model):
    """One event for one subscription: the outbox row, and the delivery's current state."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4)
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # delivery_open_by_ticket serves the only query by ticket
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # While "sending": the attempt's lease. A row still sending after it was interrupted (the worker
    # died) and is sent again.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(_("last latency (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_event_once"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENDING) | Q(lease_until__isnull=False),
                name="delivery_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="delivery_delivered_at",
            ),
        ]
        indexes = [
            # The sender's and the sweep's work: only the rows still to deliver.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_open_due",
                condition=Q(status__in=["pending", "sending", "failed"]),
            ),
            # Per-ticket order: is an earlier event of this ticket still open for this endpoint?
            models.Index(
                fields=["subscription", "ticket", "id"],
                name="delivery_open_by_ticket",
                condition=Q(status__in=["pending", "sending", "failed"]),
            ),
            # The endpoint's delivery log, newest first; retention by age.
            models.Index(fields=["subscription", "-id"], name="delivery_by_subscription"),
            models.Index(fields=["created_at"], name="delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: the endpoint's log (status, latency, response code)."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    succeeded = models.BooleanField(_("succeeded"))
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        indexes = [models.Index(fields=["attempted_at"], name="delivery_attempt_at")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
