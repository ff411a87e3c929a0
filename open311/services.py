"""Writes for Open311: client keys, and service requests turned into tickets."""

import hmac
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline import services as hotline_services
from hotline.models import Category, Unit
from intake import selectors as intake_selectors
from intake import services as intake_services
from intake.models import Channel, Kind, Ticket
from intake.services import NewTicket, Outcome
from open311 import selectors
from open311.models import Open311Client

KEY_BYTES = 32


def _set_key(client: Open311Client, key: str) -> None:
    client.key_digest = selectors.key_digest(key)
    client.key_prefix = key[:8]


@transaction.atomic
def create_client(*, name: str, is_active: bool = True, key: str | None = None) -> tuple[Open311Client, str]:
    """A new client with its own API-client user in the hotline centre; returns it and its key.

    The key is returned only here (and by rotate_key): the database keeps its digest.
    """
    key = key or secrets.token_urlsafe(KEY_BYTES)
    user = hotline_services.create_api_client_user(name=name, username_prefix="open311")
    client = Open311Client(name=name, user=user, is_active=is_active)
    _set_key(client, key)
    client.save()
    return client, key


def rotate_key(*, client_id: int, key: str | None = None) -> str:
    """Replace a client's key; the old one stops working at once."""
    key = key or secrets.token_urlsafe(KEY_BYTES)
    with transaction.atomic():
        client = Open311Client.objects.select_for_update().get(pk=client_id)
        _set_key(client, key)
        client.save(update_fields=["key_digest", "key_prefix"])
    return key


def demo_key(*, password: str) -> str:
    """A stable demo key: the same for the same SECRET_KEY and demo password, so reruns keep it."""
    return hmac.new(settings.SECRET_KEY.encode(), f"open311-demo:{password}".encode(), "sha256").hexdigest()


@dataclass
class ServiceRequest:
    """A validated Open311 POST requests body."""

    category: Category
    description: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str = ""
    street: Unit | None = None
    phone: str = ""
    caller_name: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    attributes: dict[str, str | list[str]] = field(default_factory=dict)


def submit_request(*, client: Open311Client, request: ServiceRequest, token: str | None = None) -> Ticket:
    """Take in an Open311 service request as a ticket queued for dispatch.

    Repeat contacts are not merged automatically: an Open311 citizen cannot be asked which
    open matter they mean. The ticket is created and the numbers of the open tickets of the
    same caller, or of the same category in the same street/township within the repeat
    window, go into its creation event, for the agent desk to merge. A `token` (the client's
    idempotency key) makes retries return the first ticket.
    """
    candidates = intake_selectors.repeat_candidates(
        phone=request.phone,
        category_id=request.category.pk,
        street_id=request.street.pk if request.street else None,
    )
    extra = {
        "open311": {
            "client": client.name,
            "account_id": request.account_id,
            "device_id": request.device_id,
            "media_url": request.media_url,
            "attributes": request.attributes,
        },
        "repeat_candidates": [candidate.ticket.number for candidate in candidates],
    }
    data = NewTicket(
        channel=Channel.OPEN311,
        kind=Kind.HELP,
        category=request.category,
        description=request.description,
        title=request.description[:40] or request.category.name,
        phone=request.phone,
        caller_name=request.caller_name,
        street=request.street,
        address=request.address,
        latitude=request.latitude,
        longitude=request.longitude,
        extra=extra,
    )
    key = selectors.idempotency_key_for(client=client, token=token) if token else None
    # submit_intake owns its transaction (and takes the ticket number before it, so the
    # day's counter row stays unlocked): not wrapped in another one here.
    ticket = intake_services.submit_intake(
        data=data, actor=client.user, outcome=Outcome.DISPATCH, idempotency_key=key
    ).ticket
    Open311Client.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return ticket
