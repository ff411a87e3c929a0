"""Reads for intake: permission-scoped ticket querysets, repeat candidates, knowledge base."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.models import User
from hotline.selectors import scoped_unit_ids
from intake.lifecycle import Status
from intake.models import Caller, KnowledgeArticle, Ticket, TicketEvent
from intake.phones import normalize_phone


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def visible_tickets(*, user: User) -> QuerySet[Ticket]:
    """Tickets a user may see: all for the hotline; for unit staff, those assigned to their units.

    Assignments belong to the dispatch app; this reads its reverse relation, never writes it.
    """
    unit_ids = scoped_unit_ids(user=user)
    tickets = Ticket.objects.all()
    if unit_ids is None:
        return tickets
    return tickets.filter(pk__in=_assigned_ticket_ids(unit_ids))


def _assigned_ticket_ids(unit_ids: set[int]) -> QuerySet:
    from django.apps import apps

    assignment = apps.get_model("dispatch", "Assignment")
    return assignment.objects.filter(unit_id__in=unit_ids).values("ticket_id")


def ticket_list(*, user: User) -> QuerySet[Ticket]:
    return visible_tickets(user=user).select_related("category", "caller", "district", "street").order_by("-id")


def ticket_detail(*, user: User, ticket_id: int) -> Ticket:
    """One ticket with everything its page shows; Ticket.DoesNotExist (→ 404) when not visible."""
    events = TicketEvent.objects.select_related("actor", "unit").order_by("created_at", "id")
    return (
        visible_tickets(user=user)
        .select_related("category__parent__parent", "caller", "district", "street", "article", "parent", "created_by")
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("merged", queryset=Ticket.objects.select_related("caller").order_by("id")),
        )
        .get(pk=ticket_id)
    )


def ticket_by_number(*, number: str) -> Ticket | None:
    return Ticket.objects.select_related("category", "caller").filter(number=number).first()


def caller_by_phone(*, phone: str) -> Caller | None:
    return Caller.objects.filter(phone=normalize_phone(phone)).first()


def caller_history(*, caller: Caller, limit: int = 20) -> list[Ticket]:
    return list(caller.tickets.select_related("category").order_by("-id")[:limit])


@dataclass
class RepeatCandidate:
    ticket: Ticket
    reasons: list[str] = field(default_factory=list)


def repeat_candidates(
    *,
    phone: str = "",
    category_id: int | None = None,
    street_id: int | None = None,
    text: str = "",
    limit: int = 10,
) -> list[RepeatCandidate]:
    """Open tickets the new contact may repeat (DESIGN.md §4), each with why it matched:
    the same caller; the same category in the same street/township within the window;
    a textually similar description (trigram word similarity on PostgreSQL, a substring
    match on SQLite).
    """
    open_tickets = Ticket.objects.filter(closed_at__isnull=True).exclude(status=Status.RECEIVED)
    found: dict[int, RepeatCandidate] = {}

    def add(queryset: QuerySet[Ticket], reason: str) -> None:
        for ticket in queryset.select_related("category", "street")[:limit]:
            found.setdefault(ticket.pk, RepeatCandidate(ticket)).reasons.append(reason)

    if phone:
        add(open_tickets.filter(caller__phone=phone).order_by("-created_at"), str(_("same caller")))
    if category_id and street_id:
        since = timezone.now() - timedelta(days=settings.HOTLINE_REPEAT_WINDOW_DAYS)
        add(
            open_tickets.filter(category_id=category_id, street_id=street_id, created_at__gte=since).order_by(
                "-created_at"
            ),
            str(_("same category and place")),
        )
    text = text.strip()
    if len(text) >= 4:
        if _is_postgres():
            similar = (
                open_tickets.filter(description__trigram_word_similar=text)
                .annotate(similarity=TrigramWordSimilarity(text, "description"))
                .order_by("-similarity")
            )
        else:
            similar = open_tickets.filter(description__icontains=text[:12]).order_by("-created_at")
        add(similar, str(_("similar description")))
    return sorted(found.values(), key=lambda c: (-len(c.reasons), -c.ticket.pk))[:limit]


def search_articles(*, query: str, include_internal: bool = True, limit: int = 20) -> QuerySet[KnowledgeArticle]:
    """Knowledge-base articles valid today whose title or body contains every term.

    Substring match works for Chinese without word segmentation; on PostgreSQL the trigram
    GIN indexes on UPPER(title) and UPPER(body) serve it and results rank by trigram word
    similarity to the title; on SQLite (the demo) they rank by recency.
    """
    today = timezone.localdate()
    articles = KnowledgeArticle.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today), Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    if not include_internal:
        articles = articles.filter(is_public=True)
    terms = query.split()
    for term in terms:
        articles = articles.filter(Q(title__icontains=term) | Q(body__icontains=term))
    if terms and _is_postgres():
        articles = articles.annotate(rank=TrigramWordSimilarity(query, "title")).order_by("-rank", "-updated_at")
    else:
        articles = articles.order_by("-updated_at")
    return articles.prefetch_related("categories")[:limit]
