"""Reads for intake: permission-scoped ticket querysets, repeat candidates, knowledge base."""

import hmac
import operator
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Manager,
    Max,
    Min,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.models import Role, Unit, UnitKind, User
from hotline.privacy import redact_identity
from hotline.roles import has_role
from hotline.selectors import is_hotline_staff, scoped_unit_ids
from intake.lifecycle import Action, Status
from intake.models import (
    Caller,
    Channel,
    ExternalPlatform,
    KnowledgeArticle,
    ProactiveImport,
    SmsPreferenceChange,
    Ticket,
    TicketEvent,
)
from intake.phones import is_mobile, normalize_phone


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def visible_tickets(*, user: User) -> QuerySet[Ticket]:
    """Tickets a user may see: all for the hotline; for unit staff, those assigned to their units;
    for a client system, also those it took in itself.

    Assignments belong to the dispatch app; this reads its model, never writes it.
    """
    unit_ids = scoped_unit_ids(user=user)
    tickets = Ticket.objects.all()
    if unit_ids is None:
        return tickets
    return tickets.filter(Q(pk__in=_assigned_ticket_ids(unit_ids)) | Q(created_by=user))


def _assigned_ticket_ids(unit_ids: set[int]) -> QuerySet[Model, dict[str, Any]]:
    from django.apps import apps

    # Looked up by name (dispatch builds on intake): the stubs know it only as a Model.
    assignments: Manager[Model] = apps.get_model("dispatch", "Assignment")._default_manager
    return assignments.filter(unit_id__in=unit_ids).values("ticket_id")


# --- What callers wrote, as each reader may see it (DESIGN.md §7) ---------------------------


def reads_callers_words(*, user: User) -> bool:
    """Hotline staff read descriptions in full; unit staff, and everyone else, without the caller's
    identity (the live lead unit may reveal it: dispatch.services.reveal_description)."""
    return is_hotline_staff(user=user)


def without_identity(text: str, *, ticket: Ticket) -> str:
    """`text` about `ticket` without phone, ID numbers, e-mails, and its caller's name and number.
    Reads `ticket.caller`: select it with the ticket."""
    caller = ticket.caller
    if caller is None:
        return redact_identity(text)
    return redact_identity(text, names=(caller.name,), phones=(caller.phone,))


def ticket_headline(*, ticket: Ticket) -> str:
    """The tracking number and summary (the title, else the description's start) that name a
    ticket in notifications, without the caller's identity since units read them. Reads
    `ticket.caller`: select it with the ticket."""
    summary = without_identity(ticket.title or ticket.description[:200], ticket=ticket)[:60]
    return f"{ticket.number} {summary}".strip()


def notification_body(*, ticket: Ticket, detail: str = "") -> str:
    """A notification's body about a ticket: its headline, then what happened (a note, a reason)."""
    return "\n".join(part for part in (ticket_headline(ticket=ticket), detail) if part)


def text_for(*, user: User, ticket: Ticket, text: str) -> str:
    """Free text about a ticket (description, summary, address, notes) as `user` may read it."""
    return text if reads_callers_words(user=user) else without_identity(text, ticket=ticket)


def text_match(*, user: User | None, value: str, prefix: str = "") -> Q:
    """Tickets numbered `value` or whose summary or description contains it. Unit staff search
    neither for what looks like identity nor in confidential tickets' text: a hit would confirm
    who wrote them. `prefix` reaches the ticket from another model ("ticket__")."""
    number = Q(**{f"{prefix}number": value})
    text = Q(**{f"{prefix}title__icontains": value}) | Q(**{f"{prefix}description__icontains": value})
    if user is not None and reads_callers_words(user=user):
        return number | text
    if redact_identity(value) != value:
        return number
    return number | (text & Q(**{f"{prefix}confidential": False}))


def ticket_list(*, user: User) -> QuerySet[Ticket]:
    return visible_tickets(user=user).select_related("category", "caller", "district", "street").order_by("-id")


def _with_timeline(*, user: User) -> QuerySet[Ticket]:
    events = TicketEvent.objects.select_related("actor", "unit").order_by("created_at", "id")
    return (
        visible_tickets(user=user)
        .select_related("category", "caller", "district", "street", "parent")
        .prefetch_related(Prefetch("events", queryset=events))
    )


def ticket_detail(*, user: User, ticket_id: int) -> Ticket:
    """One ticket with everything its page shows; Ticket.DoesNotExist (→ 404) when not visible."""
    return (
        _with_timeline(user=user)
        .select_related("category__parent__parent", "article", "created_by")
        .prefetch_related(Prefetch("merged", queryset=Ticket.objects.select_related("caller").order_by("id")))
        .get(pk=ticket_id)
    )


def api_ticket_detail(*, user: User, ticket_id: int) -> Ticket:
    """One ticket as the API's detail renders it, with fewer joins than the page: at scale,
    planning the page's ten-table join cost more than running it."""
    merged = Ticket.objects.only("id", "number", "parent_id").order_by("id")
    return _with_timeline(user=user).prefetch_related(Prefetch("merged", queryset=merged)).get(pk=ticket_id)


def is_contact_of(*, ticket_id: int, caller_id: int) -> bool:
    """Whether the caller called about this ticket or about one merged into it (its page lists both)."""
    return Ticket.objects.filter(Q(pk=ticket_id) | Q(parent_id=ticket_id), caller_id=caller_id).exists()


def last_sms_preference_changes(*, caller_ids: list[int]) -> dict[int, SmsPreferenceChange]:
    """Each caller's latest switch of their SMS by hotline staff, with who made it; callers never
    switched are absent. A caller is switched a few times at most, so all are read."""
    changes = SmsPreferenceChange.objects.filter(caller_id__in=caller_ids).select_related("user")
    latest: dict[int, SmsPreferenceChange] = {}
    for change in changes.order_by("-created_at", "-id"):
        latest.setdefault(change.caller_id, change)
    return latest


def caller_by_phone(*, phone: str) -> Caller | None:
    return Caller.objects.filter(phone=normalize_phone(phone)).first()


def caller_history(*, caller: Caller, limit: int = 20) -> list[Ticket]:
    return list(caller.tickets.select_related("category").order_by("-id")[:limit])


REPEAT_REASONS = {
    "same_caller": _("same caller"),
    "same_place": _("same category and place"),
    "similar_text": _("similar description"),
}


@dataclass
class RepeatCandidate:
    ticket: Ticket
    reasons: list[str] = field(default_factory=list)  # keys of REPEAT_REASONS

    @property
    def reason_labels(self) -> list[str]:
        return [str(REPEAT_REASONS[reason]) for reason in self.reasons]


def repeat_candidates(
    *,
    phone: str = "",
    category_id: int | None = None,
    street_id: int | None = None,
    text: str = "",
    exclude_ticket_id: int | None = None,
    limit: int = 10,
) -> list[RepeatCandidate]:
    """Open tickets the new contact may repeat (DESIGN.md §4), each with why it matched:
    the same caller; the same category in the same street/township within the window;
    a textually similar description (trigram word similarity on PostgreSQL, a substring
    match on SQLite). `exclude_ticket_id` leaves out a stored ticket and its own children.
    """
    open_tickets = Ticket.objects.filter(closed_at__isnull=True).exclude(status=Status.RECEIVED)
    if exclude_ticket_id is not None:
        # In the query, so that a ticket matching itself takes no place within `limit`.
        open_tickets = open_tickets.exclude(Q(pk=exclude_ticket_id) | Q(parent_id=exclude_ticket_id))
    found: dict[int, RepeatCandidate] = {}

    def add(queryset: QuerySet[Ticket], reason: str) -> None:
        for ticket in queryset.select_related("category", "district", "street")[:limit]:
            found.setdefault(ticket.pk, RepeatCandidate(ticket)).reasons.append(reason)

    if phone:
        add(open_tickets.filter(caller__phone=phone).order_by("-created_at"), "same_caller")
    if category_id and street_id:
        since = timezone.now() - timedelta(days=settings.HOTLINE_REPEAT_WINDOW_DAYS)
        add(
            open_tickets.filter(category_id=category_id, street_id=street_id, created_at__gte=since).order_by(
                "-created_at"
            ),
            "same_place",
        )
    text = text.strip()
    if len(text) >= 4:
        similar: QuerySet[Ticket]
        if _is_postgres():
            similar = (
                open_tickets.filter(description__trigram_word_similar=text)
                .annotate(similarity=TrigramWordSimilarity(text, "description"))
                .order_by("-similarity")
            )
        else:
            similar = open_tickets.filter(description__icontains=text[:12]).order_by("-created_at")
        add(similar, "similar_text")
    return sorted(found.values(), key=lambda c: (-len(c.reasons), -c.ticket.pk))[:limit]


def ticket_repeat_candidates(*, ticket: Ticket, limit: int = 10) -> list[RepeatCandidate]:
    """The repeat candidates of a stored ticket, found as the desk finds them for a new contact.

    The ticket needs its caller loaded.
    """
    return repeat_candidates(
        phone=ticket.caller.phone if ticket.caller else "",
        category_id=ticket.category_id,
        street_id=ticket.street_id,
        text=ticket.description,
        exclude_ticket_id=ticket.pk,
        limit=limit,
    )


def search_articles(*, query: str, include_internal: bool = True, limit: int = 20) -> QuerySet[KnowledgeArticle]:
    """Knowledge-base articles valid today whose title or body contains every term.

    Substring match works for Chinese without word segmentation; on PostgreSQL the trigram
    GIN indexes on UPPER(title) and UPPER(body) serve it and results rank by trigram word
    similarity to the title; on SQLite (the demo) they rank by recency.
    """
    articles = with_terms(articles=active_articles(include_internal=include_internal), query=query)
    if query.split() and _is_postgres():
        articles = articles.annotate(rank=TrigramWordSimilarity(query, "title")).order_by("-rank", "-updated_at")
    else:
        articles = articles.order_by("-updated_at")
    return articles[:limit]


# The first this many words of a description are matched against the articles (enough for
# what the caller says first, which is what the matter is; a bounded query).
ARTICLE_TEXT_TERMS = 60
# Shared words an article needs to be offered for the description alone: one alone is chance.
ARTICLE_MIN_TEXT_HITS = 2
_WORDS = re.compile(r"[\u3400-\u9fff]+|[a-zA-Z0-9]{2,}")


def text_terms(text: str) -> list[str]:
    """The words of free text an article may share with it, in order: each two-character piece of
    its Chinese (暖气不热 → 暖气, 气不, 不热; no word segmentation needed), each word of two ASCII
    letters or digits or more."""
    terms: list[str] = []
    for run in _WORDS.findall(text):
        if "\u3400" <= run[0] <= "\u9fff":
            terms += [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            terms.append(run.lower())
    return list(dict.fromkeys(terms))[:ARTICLE_TEXT_TERMS]


def desk_articles(*, query: str, category_id: int | None, description: str, limit: int = 10) -> list[KnowledgeArticle]:
    """The desk's knowledge-base panel: valid articles (internal ones too) for what the agent has
    so far. Articles of the chosen category come first, then those of its sibling categories,
    each ranked by how much of the description they share (a shared word in the title counts
    twice), then the other articles sharing enough of it. The panel's own search box (`query`)
    narrows to the articles containing its terms, all of them shown in that order. With neither
    category nor description, as `search_articles`. Two queries.
    """
    terms = text_terms(description)
    if category_id is None and not terms:
        return list(search_articles(query=query, limit=limit))
    articles = with_terms(articles=active_articles(), query=query)
    tags = KnowledgeArticle.categories.through.objects.filter(knowledgearticle_id=OuterRef("pk"))
    category_rank = (
        Case(
            When(Exists(tags.filter(category_id=category_id)), then=Value(2)),
            When(Exists(tags.filter(category__parent__children=category_id)), then=Value(1)),
            default=Value(0),
        )
        if category_id is not None
        else Value(0)
    )
    text_hits = ExpressionWrapper(
        reduce(
            operator.add,
            [
                Case(
                    When(title__icontains=term, then=Value(2)),
                    When(body__icontains=term, then=Value(1)),
                    default=Value(0),
                )
                for term in terms
            ],
            Value(0),
        ),
        output_field=IntegerField(),
    )
    articles = articles.annotate(category_rank=category_rank, text_hits=text_hits)
    if not query.split():
        articles = articles.filter(Q(category_rank__gt=0) | Q(text_hits__gte=ARTICLE_MIN_TEXT_HITS))
    return list(articles.order_by("-category_rank", "-text_hits", "-updated_at", "-id")[:limit])


def active_articles(*, include_internal: bool = True) -> QuerySet[KnowledgeArticle]:
    """Knowledge-base articles valid today, with their categories; internal ones only if asked."""
    today = timezone.localdate()
    articles = KnowledgeArticle.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today), Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    if not include_internal:
        articles = articles.filter(is_public=True)
    return articles.prefetch_related("categories")


def with_terms(*, articles: QuerySet[KnowledgeArticle], query: str) -> QuerySet[KnowledgeArticle]:
    """The articles whose title or body contains every whitespace-separated term of `query`."""
    for term in query.split():
        articles = articles.filter(Q(title__icontains=term) | Q(body__icontains=term))
    return articles


def streets() -> QuerySet[Unit]:
    """Active streets/townships and functional zones, for district → street pickers."""
    return Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE], is_active=True).order_by(
        "code", "name"
    )


def article_list(*, query: str = "") -> QuerySet[KnowledgeArticle]:
    """Every article, also expired or not yet valid ones, for the knowledge-base pages."""
    articles = KnowledgeArticle.objects.select_related("updated_by").prefetch_related("categories")
    return with_terms(articles=articles, query=query).order_by("-updated_at", "-id")


@dataclass
class PublicStatus:
    """What a citizen may see of their ticket: no caller data, no internal notes."""

    number: str
    status: str  # of the ticket that handles the matter: the parent when this one was merged
    merged: bool
    received_at: datetime
    dispatched_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    public_reply: str


def public_status(*, number: str, phone_last4: str) -> PublicStatus | None:
    """The public view of a ticket; None both for an unknown number and for wrong phone digits,
    so that the status page cannot tell which numbers exist.
    """
    ticket = Ticket.objects.select_related("caller", "parent").filter(number=number.strip()).first()
    expected = ticket.caller.phone[-4:] if ticket is not None and ticket.caller is not None else ""
    given = phone_last4.strip()
    if ticket is None or not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        return None
    matter = ticket.parent or ticket
    dates = {
        row["action"]: row
        for row in TicketEvent.objects.filter(ticket=matter, action__in=[Action.DISPATCH, Action.REPLY])
        .values("action")
        .annotate(first=Min("created_at"), last=Max("created_at"))
    }
    return PublicStatus(
        number=ticket.number,
        status=matter.status,
        merged=ticket.parent_id is not None,
        received_at=ticket.created_at,
        dispatched_at=dates.get(Action.DISPATCH, {}).get("first"),
        replied_at=dates.get(Action.REPLY, {}).get("last"),
        closed_at=matter.closed_at if matter.status == Status.CLOSED else None,
        public_reply=matter.public_reply,
    )


def proactive_tickets() -> QuerySet[Ticket]:
    """The proactive tickets (未诉先办), newest first: hotline staff only see this list."""
    return (
        Ticket.objects.filter(channel=Channel.PROACTIVE)
        .select_related("category", "district", "street")
        .order_by("-id")
    )


def recent_proactive_imports(*, limit: int = 10) -> list[ProactiveImport]:
    return list(ProactiveImport.objects.select_related("created_by").order_by("-id")[:limit])


# --- External platforms' inbound channels ------------------------------------------------------


def platform_of_client(*, user: User) -> ExternalPlatform | None:
    """The external platform whose API client `user` is, if any (active or not). Only API clients
    can be one: for everyone else (the agents' intake) this reads nothing."""
    if not user.is_authenticated or not has_role(user=user, roles=(Role.API_CLIENT,)):
        return None
    return ExternalPlatform.objects.filter(client=user).first()


def platform_of_channel(*, channel: str) -> ExternalPlatform | None:
    return ExternalPlatform.objects.filter(channel=channel).first()


class ExternalReference(TypedDict):
    channel: str
    external_id: str
    external_url: str


def external_reference(ticket: Ticket) -> ExternalReference | None:
    """The external platform's reference of a ticket it transferred (None for the hotline's own
    tickets): what a reply pushed back to the platform names the request by. The webhooks'
    payloads carry it; it reads no other row."""
    if not ticket.external_id:
        return None
    return {"channel": ticket.channel, "external_id": ticket.external_id, "external_url": ticket.external_url}


def sms_phone(*, caller: Caller | None) -> str:
    """The number to text a caller at (reply results, callback surveys): a mobile number of a
    caller who has not asked to get no SMS; "" when there is none."""
    if caller is None or caller.sms_opt_out or not is_mobile(caller.phone):
        return ""
    return caller.phone
