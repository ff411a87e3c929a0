"""Reads for Open311: services (leaf categories), public request lists, client keys, tokens."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from dispatch.models import Assignment, AssignmentRole
from hotline.models import Category, Unit, UnitKind
from intake.lifecycle import Action
from intake.models import Ticket, TicketEvent
from open311.models import Open311Client

# Events whose time and public label the `extensions=true` notes history shows.
PUBLIC_NOTE_ACTIONS = (
    Action.DISPATCH,
    Action.SIGN,
    Action.REPLY,
    Action.CLOSE,
    Action.ANSWER_DIRECTLY,
    Action.CLOSE_AT_INTAKE,
    Action.MERGE,
)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def client_by_key(*, key: str) -> Open311Client | None:
    """The active client holding this api_key, or None."""
    return Open311Client.objects.select_related("user").filter(key_digest=key_digest(key), is_active=True).first()


def services() -> QuerySet[Category]:
    """Open311 services: the active third-level categories, with their group and keyword ancestors."""
    return Category.objects.filter(level=3, is_active=True).select_related("parent__parent").order_by("code")


def service_by_code(*, code: str) -> Category | None:
    return services().filter(code=code).first()


def street_by_code(*, code: str) -> Unit | None:
    """A street/township or functional zone by its official 12-digit code (Open311 address_id)."""
    return (
        Unit.objects.select_related("parent")
        .filter(code=code, kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE], is_active=True)
        .first()
    )


def _public_tickets(*, with_notes: bool) -> QuerySet[Ticket]:
    """Tickets with what their public representation reads, in a fixed number of queries."""
    # The hotline's lead answers for the ticket, whoever its district passed it down to.
    live_leads = Assignment.objects.filter(
        role=AssignmentRole.LEAD, parent__isnull=True, ended_at__isnull=True
    ).select_related("unit")
    actions = [Action.CREATE, *PUBLIC_NOTE_ACTIONS] if with_notes else [Action.CREATE]
    events = TicketEvent.objects.filter(action__in=actions).order_by("created_at", "id")
    return Ticket.objects.select_related("category", "street", "caller", "parent").prefetch_related(
        Prefetch("assignments", queryset=live_leads, to_attr="live_leads"),
        Prefetch("events", queryset=events, to_attr="public_events"),
    )


@dataclass(frozen=True)
class RequestQuery:
    """A validated GET requests query (open311/views.py turns the parameters into one)."""

    numbers: list[str] | None = None  # overrides every other filter, as the spec says
    service_codes: list[str] | None = None
    is_open: bool | None = None  # None: open and closed
    start: datetime | None = None
    end: datetime | None = None
    offset: int = 0
    limit: int = 1000


def public_requests(*, query: RequestQuery, with_notes: bool = False) -> list[Ticket]:
    """One page of tickets, newest first.

    Ordered by id, which grows with the creation time: the primary key index, read
    backwards, yields the newest tickets of a date range without sorting the whole range.
    """
    tickets = _public_tickets(with_notes=with_notes)
    if query.numbers is not None:
        tickets = tickets.filter(number__in=query.numbers)
    else:
        if query.service_codes:
            tickets = tickets.filter(category__code__in=query.service_codes)
        if query.is_open is not None:
            tickets = tickets.filter(closed_at__isnull=query.is_open)
        if query.start is not None:
            tickets = tickets.filter(created_at__gte=query.start)
        if query.end is not None:
            tickets = tickets.filter(created_at__lte=query.end)
    return list(tickets.order_by("-id")[query.offset : query.offset + query.limit])


def public_request(*, number: str, with_notes: bool = False) -> Ticket | None:
    return _public_tickets(with_notes=with_notes).filter(number=number).first()


def ticket_number_by_token(*, client: Open311Client, token: str) -> str | None:
    """The tracking number of the ticket this client created with this idempotency token."""
    return (
        Ticket.objects.filter(idempotency_key=idempotency_key_for(client=client, token=token))
        .values_list("number", flat=True)
        .first()
    )


def idempotency_key_for(*, client: Open311Client, token: str) -> str:
    """Tokens are per client: two clients that pick the same token get different tickets."""
    return f"open311:{client.pk}:{key_digest(token)[:40]}"
