"""Reads for webhooks: a client's own subscriptions and their delivery log."""

from django.db.models import QuerySet

from hotline.models import User
from webhooks.models import Delivery, Subscription


def subscriptions_of(*, owner: User) -> QuerySet[Subscription]:
    return Subscription.objects.filter(owner=owner).order_by("id")


def deliveries_of(*, owner: User, subscription_id: int) -> QuerySet[Delivery]:
    """The delivery log of one of the owner's subscriptions, newest first."""
    return Delivery.objects.filter(subscription_id=subscription_id, subscription__owner=owner).order_by("-id")
