"""Writes for intake: callers, ticket creation, the one transition service, intake outcomes,
proactive tickets (未诉先办)."""

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from hotline import reference
from hotline import services as hotline_services
from hotline.errors import DomainError
from hotline.models import Category, DeadlineTier, Unit, UnitKind, User
from hotline.permissions import require
from hotline.places import resolve_place
from hotline.roles import PROACTIVE_ROLES, holds
from hotline.selectors import is_hotline_staff
from intake import selectors
from intake.classifier.suggestions import suggestion_rank
from intake.lifecycle import CLOSED_STATES, TRANSITIONS, Action, Status, refusal_message, target_of
from intake.models import (
    CLIENT_CHANNELS,
    CLOSING_DISPOSITIONS,
    Caller,
    CategoryModel,
    Channel,
    Disposition,
    ExternalPlatform,
    Kind,
    KnowledgeArticle,
    PersonalDataAccess,
    ProactiveImport,
    SmsPreferenceChange,
    Ticket,
    TicketEvent,
    Urgency,
)
from intake.proactive import IMPORT_COLUMNS, IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, PROACTIVE_KIND
from intake.ticket_insert import CallerInput, insert_ticket


def default_tier(*, category: Category, urgency: str) -> str:
    """Emergencies get 2 h whatever their category; otherwise the category's tier."""
    return DeadlineTier.EMERGENCY if urgency == Urgency.EMERGENCY else category.default_tier


def _validate_new_ticket(
    *, category: Category, district: Unit | None, street: Unit | None, tier: str, tier_reason: str, default: str
) -> None:
    errors: dict[str, list[str]] = {}
    if category.level != 3 or not category.is_active:
        errors["category"] = [_("Choose an active category of the third level.")]
    if district is not None and district.kind != UnitKind.DISTRICT:
        errors["district"] = [_("This unit is not a district.")]
    if street is not None:
        if street.kind not in (UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE):
            errors["street"] = [_("This unit is not a street/township.")]
        elif district is not None and street.parent_id != district.pk:
            errors["street"] = [_("This street/township is not in the chosen district.")]
    if tier != default and not tier_reason.strip():
        errors["tier_override_reason"] = [_("Give a reason for changing the deadline tier.")]
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields=errors)


@dataclass
class NewTicket:
    """What an agent, a citizen form or an API client submits for one contact."""

    channel: str
    kind: str
    category: Category
    description: str
    phone: str = ""
    caller_name: str = ""
    is_enterprise: bool = False
    enterprise_name: str = ""
    confidential: bool = False
    district: Unit | None = None
    street: Unit | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    title: str = ""
    urgency: str = Urgency.NORMAL
    deadline_tier: str | None = None
    tier_override_reason: str = ""
    # The platform's own reference and link, for a request an external platform transferred.
    external_id: str = ""
    external_url: str = ""
    # The caller asked to get no SMS (reply results, callback surveys).
    sms_opt_out: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# How far back the catch-up sweep looks for tickets whose ranking task was lost.
RANK_CATCH_UP = timedelta(days=2)


@dataclass(frozen=True)
class Located:
    street: Unit | None
    community_code: str | None
    payload: dict[str, Any]  # how the place was found, for the creation event


def locate(*, district: Unit | None, street: Unit | None, address: str, text: str) -> Located:
    """The ticket's street and community (定位派). A street given is kept, with the community the
    address names in it; without one, the street the address (or, naming none, the text) names
    within the given district, if the resolver is at least PLACE_AUTOFILL_CONFIDENCE sure.
    Less sure, the place stays empty for the dispatcher: never a confident wrong street."""
    match = resolve_place(address=address, text=text, district=district.name if district else "")
    if match is None:
        return Located(street=street, community_code=None, payload={})
    if street is not None:
        community = match.community_in(street.pk)
        return Located(street=street, community_code=community.code if community else None, payload={})
    if match.street is None or match.confidence < settings.PLACE_AUTOFILL_CONFIDENCE:
        return Located(street=None, community_code=None, payload={})
    resolved = reference.get(Unit, pk=match.street.id)
    if resolved is None or (district is not None and resolved.parent_id != district.pk):
        return Located(street=None, community_code=None, payload={})
    payload = {"place_resolved": {"street": resolved.pk, "confidence": match.confidence}}
    return Located(street=resolved, community_code=match.community.code if match.community else None, payload=payload)


@dataclass(frozen=True)
class Step:
    """A transition as data: what `transition` applies to a stored ticket, or `create_ticket`
    to a new one as it is inserted."""

    action: Action
    changes: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    # False when an earlier submission (the same idempotency key, or a platform's external id) made it.
    created: bool


def create_ticket(
    *,
    data: NewTicket,
    actor: User | None,
    idempotency_key: str | None = None,
    first_step: Step | None = None,
) -> Ticket:
    """Create a ticket with its creation event, in status received or, with a `first_step`,
    in the status that step leads to from received (checked against the transition table).

    A first step costs no lock and no UPDATE: nobody else can see the row before it is
    inserted, so the ticket is written once, in its final state, with both events. The write
    gives it its tracking number (intake.numbers).
    With an idempotency key, a repeated submission returns the ticket the first one made
    (also when both arrive at once: the unique key decides, the loser reads the winner's).
    """
    existing = _submitted_before(data=data, idempotency_key=idempotency_key)
    if existing:
        return existing
    return _insert_new(data=data, actor=actor, idempotency_key=idempotency_key, first_step=first_step).ticket


def _insert_new(
    *, data: NewTicket, actor: User | None, idempotency_key: str | None, first_step: Step | None
) -> Submission:
    """`create_ticket` after its look for an earlier submission: the ticket written, or the one
    an earlier submission with the same key wrote meanwhile (`created` false)."""
    located = locate(district=data.district, street=data.street, address=data.address, text=data.description)
    street = located.street
    parent = street.parent if street else None
    district = data.district or (parent if parent and parent.kind == UnitKind.DISTRICT else None)
    default = default_tier(category=data.category, urgency=data.urgency)
    tier = data.deadline_tier or default
    _validate_new_ticket(
        category=data.category,
        district=district,
        street=street,
        tier=tier,
        tier_reason=data.tier_override_reason,
        default=default,
    )
    status, changes = Status.RECEIVED, {}
    if first_step is not None:
        _check_move(action=first_step.action, status=Status.RECEIVED)
        status, changes = target_of(first_step.action, Status.RECEIVED), first_step.changes
    ticket = Ticket(
        channel=Channel(data.channel),
        kind=Kind(data.kind),
        category=data.category,
        confidential=data.confidential,
        district=district,
        street=street,
        community_id=located.community_code,
        address=data.address,
        latitude=data.latitude,
        longitude=data.longitude,
        title=data.title or data.description[:40],
        description=data.description,
        urgency=Urgency(data.urgency),
        deadline_tier=DeadlineTier(tier),
        tier_override_reason=data.tier_override_reason if tier != default else "",
        created_by=actor,
        idempotency_key=idempotency_key or None,
        external_id=data.external_id,
        external_url=data.external_url if data.external_id else "",
        status=status,
        closed_at=timezone.now() if status in CLOSED_STATES else None,
        **changes,
    )
    events = [
        TicketEvent(
            ticket=ticket,
            action=Action.CREATE,
            from_status="",
            to_status=Status.RECEIVED,
            actor=actor,
            payload={"channel": ticket.channel, **located.payload, **data.extra},
        )
    ]
    if first_step is not None:
        events.append(
            TicketEvent(
                ticket=ticket,
                action=first_step.action,
                from_status=Status.RECEIVED,
                to_status=status,
                actor=actor,
                note=first_step.note,
                payload=first_step.payload,
            )
        )
    caller = (
        CallerInput(
            phone=data.phone,
            name=data.caller_name,
            is_enterprise=data.is_enterprise,
            enterprise_name=data.enterprise_name,
            sms_opt_out=data.sms_opt_out,
        )
        if data.phone
        else None
    )
    # On PostgreSQL the write is one statement: a transaction only where the webhooks' outbox
    # writes more in it, or around it to recover from a lost race inside the caller's own.
    in_transaction = connection.in_atomic_block or connection.vendor != "postgresql" or announces(events)
    try:
        # A savepoint only where there is a lost race to recover from.
        savepoint = idempotency_key is not None or bool(data.external_id)
        with transaction.atomic(savepoint=savepoint) if in_transaction else nullcontext():
            insert_ticket(ticket=ticket, events=events, caller=caller)
            for event in events:
                _announce(ticket=ticket, event=event)
    except IntegrityError:
        existing = _submitted_before(data=data, idempotency_key=idempotency_key)
        if existing:
            return Submission(ticket=existing, created=False)
        raise
    return Submission(ticket=ticket, created=True)


def _submitted_before(*, data: NewTicket, idempotency_key: str | None) -> Ticket | None:
    """The ticket an earlier submission of the same contact made: the same idempotency key, or
    the same external id on the same channel (a platform posting its request again)."""
    if idempotency_key:
        existing = Ticket.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return existing
    if data.external_id:
        return Ticket.objects.filter(channel=data.channel, external_id=data.external_id).first()
    return None


def record_suggestion_ranks(*, ticket_ids: Sequence[int]) -> int:
    """Where each ticket's recorded category stood among the active model's suggestions for its
    text (smart dispatch's acceptance rate); tickets already ranked are left alone, so a repeated
    or concurrent run changes nothing. Without a model nothing is ranked. The number ranked."""
    ranked = 0
    now = timezone.now()
    tickets = Ticket.objects.filter(pk__in=ticket_ids, suggestion_rank__isnull=True)
    for pk, title, description, category_id in tickets.values_list("pk", "title", "description", "category_id"):
        category = reference.get(Category, pk=category_id)
        if category is None:  # no category, or one deleted since: nothing to rank against
            continue
        chain = [node.pk for node in reference.category_chain(category)]
        reading = suggestion_rank(category_chain=chain, title=title, text=description)
        if reading is None:
            break
        # updated_at moves so that the analytics rollups count the ticket again.
        ranked += Ticket.objects.filter(pk=pk, suggestion_rank__isnull=True).update(
            suggestion_rank=reading.rank, suggestion_model_version=reading.model_version, updated_at=now
        )
    return ranked


def rank_recent_suggestions(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Rank the tickets taken in since the last run, in a worker every 30 seconds (beat): the
    classifier stays off the intake's hot path, and so does a broker message per ticket. Those
    taken in since the active model was trained and within RANK_CATCH_UP, so a worker that was
    down catches up; tickets from before any model stay unranked. A batch every 30 seconds ranks
    far more than the city's busiest hour takes in."""
    now = now or timezone.now()
    trained_at = CategoryModel.objects.filter(is_active=True).values_list("trained_at", flat=True).first()
    if trained_at is None:
        return 0
    pending = Ticket.objects.filter(
        created_at__gte=max(trained_at, now - RANK_CATCH_UP), suggestion_rank__isnull=True, category__isnull=False
    )
    return record_suggestion_ranks(ticket_ids=list(pending.order_by("pk").values_list("pk", flat=True)[:batch]))


def _check_move(*, action: Action, status: str) -> None:
    if status not in TRANSITIONS[action].sources:
        raise DomainError("invalid_transition", refusal_message(action, status))


def transition(
    *,
    ticket_id: int,
    action: Action,
    actor: User | None,
    unit: Unit | None = None,
    note: str = "",
    payload: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    check: Callable[[Ticket], None] | None = None,
) -> tuple[Ticket, TicketEvent]:
    """The one way a ticket changes state.

    Locks the ticket row, checks the action against the transition table (and `check`,
    for rules that depend on more than the status), applies the status and any field
    `changes`, and writes one append-only event. Raises DomainError("invalid_transition")
    when the move is not allowed, leaving everything unchanged.
    """
    # The table alone decides the status and its closing time: `changes` may not write them.
    if {"status", "closed_at"} & set(changes or {}):
        raise ValueError("transition(changes=) may not set status or closed_at: the transition table does")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        _check_move(action=action, status=ticket.status)
        if check is not None:
            check(ticket)
        from_status = ticket.status
        ticket.status = target_of(action, ticket.status)
        for name, value in (changes or {}).items():
            setattr(ticket, name, value)
        if ticket.status in CLOSED_STATES and ticket.closed_at is None:
            ticket.closed_at = timezone.now()
        elif ticket.status not in CLOSED_STATES:
            ticket.closed_at = None
        ticket.save(update_fields=["status", "closed_at", "updated_at", *(changes or {})])
        event = TicketEvent.objects.create(
            ticket=ticket,
            action=action,
            from_status=from_status,
            to_status=ticket.status,
            actor=actor,
            unit=unit,
            note=note,
            payload=payload or {},
        )
        _announce(ticket=ticket, event=event)
    return ticket, event


def announces(events: list[TicketEvent]) -> bool:
    """Whether announcing these events writes webhook deliveries (a subscription takes them)."""
    from webhooks.services import listens  # webhooks reads intake's models

    return listens(actions=[event.action for event in events])


def _announce(*, ticket: Ticket, event: TicketEvent) -> None:
    """The event's webhook deliveries, written in its transaction (the outbox: webhooks.services).
    No subscription for the event: no query."""
    from webhooks.services import TicketEventRecord, record_ticket_event  # webhooks reads intake's models

    record_ticket_event(
        ticket=ticket,
        event=TicketEventRecord(
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            payload=event.payload,
            occurred_at=event.created_at,
        ),
    )


Locked = TypeVar("Locked")


def locked_transition(
    *,
    ticket_id: int,
    action: Action,
    actor: User | None,
    lock: Callable[[Ticket], Locked],
    unit: Unit | None = None,
    note: str = "",
    payload: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> tuple[Locked, Ticket, TicketEvent]:
    """The locking protocol of every step that writes more than the ticket: the transition locks
    the ticket row and checks the move, then `lock(ticket)` locks and checks the step's own rows
    (an assignment, a request, a callback, an appeal), always after the ticket, so that all
    writers take the locks in one order. A refusal `lock` raises leaves everything unchanged.
    Rows of another app are locked by that app's service, which may write them there too (the
    evaluation's CLOSE and REOPEN end or reopen dispatch's assignments).

    Returns what `lock` returned, the ticket and the event. Runs inside the caller's transaction,
    which then writes the step on the rows still locked; the ticket's own fields change only
    through the transition (`changes`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked_transition() runs inside the caller's transaction: its locks end with it")
    locked: list[Locked] = []
    ticket, event = transition(
        ticket_id=ticket_id,
        action=action,
        actor=actor,
        unit=unit,
        note=note,
        payload=payload,
        changes=changes,
        check=lambda ticket: locked.append(lock(ticket)),
    )
    return locked[0], ticket, event


def _check_article(*, article: KnowledgeArticle, actor: User | None) -> None:
    """An answer cites an article valid today; an internal one only from the hotline's own staff
    (client systems answer citizens, and GET /articles/ does not show them internal ones)."""
    today = timezone.localdate()
    if (article.valid_from and article.valid_from > today) or (article.valid_until and article.valid_until < today):
        message = _("This knowledge-base article is not valid today.")
    elif not article.is_public and (actor is None or not is_hotline_staff(user=actor)):
        message = _("This knowledge-base article is internal: only hotline staff may answer with it.")
    else:
        return
    raise DomainError("invalid", message, status=400, fields={"article": [message]})


def answering(*, actor: User | None, article: KnowledgeArticle | None = None, answer: str = "") -> Step:
    """A direct answer at intake: a knowledge-base article or a written answer, then closed."""
    if article is None and not answer.strip():
        raise DomainError(
            "invalid",
            _("Choose a knowledge-base article or write the answer."),
            status=400,
            fields={"answer": [_("Choose a knowledge-base article or write the answer.")]},
        )
    if article is not None:
        _check_article(article=article, actor=actor)
    return Step(
        action=Action.ANSWER_DIRECTLY,
        payload={"article": article.pk if article else None},
        changes={"disposition": Disposition.ANSWERED_DIRECTLY, "article": article, "answer": answer},
    )


def closing_at_intake(*, disposition: str, note: str = "") -> Step:
    """Transferred to 110/119/120/122, told the legal route, or explained: closed, not dispatched."""
    if disposition not in CLOSING_DISPOSITIONS:
        raise DomainError(
            "invalid",
            _("This outcome does not close a ticket at intake."),
            status=400,
            fields={"disposition": [_("This outcome does not close a ticket at intake.")]},
        )
    return Step(
        action=Action.CLOSE_AT_INTAKE,
        note=note,
        payload={"disposition": disposition},
        changes={"disposition": disposition, "answer": note},
    )


QUEUEING = Step(action=Action.QUEUE_FOR_DISPATCH, changes={"disposition": Disposition.DISPATCHED})


def _apply(*, ticket_id: int, actor: User | None, step: Step) -> Ticket:
    ticket, _event = transition(
        ticket_id=ticket_id,
        action=step.action,
        actor=actor,
        note=step.note,
        payload=step.payload,
        changes=step.changes,
    )
    return ticket


def answer_directly(
    *, ticket_id: int, actor: User, article: KnowledgeArticle | None = None, answer: str = ""
) -> Ticket:
    return _apply(ticket_id=ticket_id, actor=actor, step=answering(actor=actor, article=article, answer=answer))


def close_at_intake(*, ticket_id: int, actor: User, disposition: str, note: str = "") -> Ticket:
    return _apply(ticket_id=ticket_id, actor=actor, step=closing_at_intake(disposition=disposition, note=note))


def queue_for_dispatch(*, ticket_id: int, actor: User | None) -> Ticket:
    return _apply(ticket_id=ticket_id, actor=actor, step=QUEUEING)


def merge_into(*, ticket_id: int, parent_id: int, actor: User | None) -> Ticket:
    """Merge a repeat contact into an open ticket; its caller is called back with the parent's."""
    if ticket_id == parent_id:
        raise DomainError("invalid_merge", _("A ticket cannot be merged into itself."))
    with transaction.atomic():
        # Lock both rows in id order, so two merges in opposite directions cannot deadlock.
        locked = {
            t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[ticket_id, parent_id]).order_by("pk")
        }
        parent = locked[parent_id]
        if parent.status in CLOSED_STATES or parent.status == Status.RECEIVED:
            raise DomainError("invalid_merge", _("Merge only into an open ticket that has been taken in."))
        ticket, _event = transition(
            ticket_id=ticket_id,
            action=Action.MERGE,
            actor=actor,
            payload={"parent": parent.number},
            changes={"parent": parent, "disposition": parent.disposition},
        )
        transition(
            ticket_id=parent_id,
            action=Action.ADD_CONTACT,
            actor=actor,
            payload={"child": ticket.number, "caller": ticket.caller_id},
        )
    return ticket


class Outcome:
    """What the agent chose at the end of intake."""

    DISPATCH = "dispatch"
    ANSWER = "answer"
    CLOSE = "close"
    MERGE = "merge"


def _check_channel(*, data: NewTicket, actor: User | None) -> NewTicket:
    """The contact with its channel as the actor may post it: an external platform's client
    posts for its platform's channel only (taken from its credential when the body names none),
    each request with the platform's reference; nobody else sends an external reference."""
    platform = selectors.platform_of_client(user=actor) if actor is not None else None
    errors: dict[str, list[str]] = {}
    if platform is None:
        if not data.channel:
            errors["channel"] = [_("Choose the channel.")]
        if data.external_id or data.external_url:
            errors["external_id"] = [_("Only the client of an external platform sends an external reference.")]
    else:
        if not platform.is_active:
            raise DomainError("channel_inactive", _("This external platform's channel is switched off."), status=403)
        if data.channel and data.channel != platform.channel:
            errors["channel"] = [
                _("This client posts for the channel “%(channel)s” only.") % {"channel": platform.get_channel_display()}
            ]
        if not data.external_id.strip():
            errors["external_id"] = [_("Give the platform's reference of the request.")]
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields=errors)
    return data if platform is None else replace(data, channel=platform.channel)


def submit_intake(
    *,
    data: NewTicket,
    actor: User | None,
    outcome: str = Outcome.DISPATCH,
    idempotency_key: str | None = None,
    article: KnowledgeArticle | None = None,
    answer: str = "",
    disposition: str = "",
    merge_into_id: int | None = None,
) -> Submission:
    """Create a ticket and apply the agent's outcome in one transaction (all or nothing).

    Answering, closing and queueing are the ticket's first step, written with it; a merge
    also changes the open ticket it joins, so it goes through `merge_into` after the insert.

    An external platform's client (ExternalPlatform) posts for its own channel only, each
    request with the platform's external id: the same id again answers the first ticket, with
    nothing updated (`created` false), also when both posts arrive at once.
    """
    data = _check_channel(data=data, actor=actor)
    first_step: Step | None
    if outcome == Outcome.ANSWER:
        first_step = answering(actor=actor, article=article, answer=answer)
    elif outcome == Outcome.CLOSE:
        first_step = closing_at_intake(disposition=disposition, note=answer)
    elif outcome == Outcome.MERGE:
        if merge_into_id is None:
            raise DomainError("invalid", _("Choose the ticket to merge into."), status=400)
        first_step = None
    else:
        first_step = QUEUEING
    # A repeated submission answers before it takes a number: it writes nothing at all.
    existing = _submitted_before(data=data, idempotency_key=idempotency_key)
    if existing:
        return Submission(ticket=existing, created=False)
    # Only a merge writes more than the ticket (on PostgreSQL one statement, committed alone).
    with transaction.atomic() if outcome == Outcome.MERGE else nullcontext():
        # A repeated key answers the first ticket: decided by the insert or its lost race.
        submission = _insert_new(data=data, actor=actor, idempotency_key=idempotency_key, first_step=first_step)
        if outcome == Outcome.MERGE and submission.created and merge_into_id is not None:
            merged = merge_into(ticket_id=submission.ticket.pk, parent_id=merge_into_id, actor=actor)
            submission = Submission(ticket=merged, created=True)
    return submission


def set_sms_opt_out(*, actor: User, ticket_id: int, caller_id: int, opt_out: bool) -> bool:
    """Record that a caller of this ticket (or of one merged into it) asked to get no SMS (reply
    results, callback surveys), or to get them again, as they told hotline staff, and who
    switched it (SmsPreferenceChange). Whether it changed: the same switch again (a double
    submit) records nothing. Anyone but hotline staff, or another ticket's caller, is not found."""
    require(is_hotline_staff(user=actor))
    require(selectors.is_contact_of(ticket_id=ticket_id, caller_id=caller_id))
    with transaction.atomic():
        # Locked: a concurrent switch, or an intake's upsert of the same caller, waits for this one.
        caller = Caller.objects.select_for_update().only("sms_opt_out").get(pk=caller_id)
        if caller.sms_opt_out == opt_out:
            return False
        caller.sms_opt_out = opt_out
        caller.save(update_fields=["sms_opt_out"])
        SmsPreferenceChange.objects.create(caller=caller, ticket_id=ticket_id, user=actor, sms_opt_out=opt_out)
    return True


def record_personal_data_access(*, user: User, caller: Caller, ticket: Ticket | None, purpose: str) -> None:
    PersonalDataAccess.objects.create(user=user, caller=caller, ticket=ticket, purpose=purpose)


def record_personal_data_accesses(*, user: User, reads: list[tuple[Caller, Ticket | None]], purpose: str) -> None:
    """Record several unmasked reads at once (a ticket page shows the caller and every merged contact)."""
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(user=user, caller=caller, ticket=ticket, purpose=purpose) for caller, ticket in reads
    )


@dataclass
class ArticleData:
    """What a supervisor writes into a knowledge-base article."""

    title: str
    body: str
    categories: list[Category] = field(default_factory=list)
    valid_from: date | None = None
    valid_until: date | None = None
    is_public: bool = True
    title_en: str = ""
    body_en: str = ""


def save_article(*, data: ArticleData, actor: User, article_id: int | None = None) -> KnowledgeArticle:
    """Create a knowledge-base article, or update the one with `article_id`."""
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        message = _("The end of the validity period must not be before its start.")
        raise DomainError("invalid", message, status=400, fields={"valid_until": [message]})
    with transaction.atomic():
        if article_id is None:
            article = KnowledgeArticle()
        else:
            article = KnowledgeArticle.objects.select_for_update().get(pk=article_id)
        article.title = data.title
        article.body = data.body
        article.title_en = data.title_en
        article.body_en = data.body_en
        article.valid_from = data.valid_from
        article.valid_until = data.valid_until
        article.is_public = data.is_public
        article.updated_by = actor
        article.save()
        article.categories.set(data.categories)
    return article


@dataclass(frozen=True)
class OverlayEntry:
    """One event of `record_overlay_events`: on which ticket, for which unit, with what details."""

    ticket_id: int
    unit_id: int | None
    payload: dict[str, Any]


def record_overlay_events(*, action: Action, entries: list[OverlayEntry]) -> list[OverlayEntry]:
    """The bulk form of `transition` for the system's status-keeping actions (reminders, late-sign
    and overdue marks), for the deadline sweeps. Runs inside the caller's transaction.

    Locks the tickets it can get at once (SKIP LOCKED: a ticket a user is acting on is left for
    the sweep's next run, so a sweep never waits and never deadlocks), checks each against the
    transition table, writes one event per entry in one INSERT, and returns the entries written.
    """
    rule = TRANSITIONS[action]
    if rule.target is not None:
        raise ValueError(f"{action} changes the status: use transition()")
    ticket_ids = {entry.ticket_id for entry in entries}
    locked = dict(
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ticket_ids)
        .order_by("pk")
        .values_list("pk", "status")
    )
    written = [entry for entry in entries if locked.get(entry.ticket_id) in rule.sources]
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=entry.ticket_id,
            action=action,
            from_status=locked[entry.ticket_id],
            to_status=locked[entry.ticket_id],
            unit_id=entry.unit_id,
            payload=entry.payload,
        )
        for entry in written
    )
    Ticket.objects.filter(pk__in={entry.ticket_id for entry in written}).update(updated_at=timezone.now())
    from webhooks.services import record_ticket_events  # webhooks reads intake's models

    record_ticket_events(
        ticket_ids=[entry.ticket_id for entry in written],
        action=action,
        payloads={entry.ticket_id: entry.payload for entry in written},
    )
    return written


# --- Proactive tickets (主动治理, 未诉先办) --------------------------------------------------------


@dataclass(frozen=True)
class RiskPoint:
    """One proactive ticket to create: where (a place the gazetteer resolves), what and why."""

    place: str
    category: Category
    note: str


def _invalid(field_name: str, message: str) -> DomainError:
    return DomainError("invalid", _("The input is not valid."), status=400, fields={field_name: [message]})


def _proactive_ticket(*, point: RiskPoint, place_field: str = "place") -> NewTicket:
    """The ticket of a risk point, its place resolved to a district and, if the gazetteer is sure
    enough, a street (less sure, the dispatcher picks the street); a DomainError on `place_field`
    when the place names no district."""
    place = point.place.strip()
    match = resolve_place(address=place) if place else None
    if match is None:
        raise _invalid(place_field, _("The place “%(place)s” names no district or street.") % {"place": place})
    district = reference.get(Unit, pk=match.district.id)
    street = None
    if match.street is not None and match.confidence >= settings.PLACE_AUTOFILL_CONFIDENCE:
        street = reference.get(Unit, pk=match.street.id)
    if street is not None and district is not None and street.parent_id != district.pk:
        street = None  # a functional zone outside the district tree: the dispatcher decides
    if not point.note.strip():
        raise _invalid("note", _("Write what to check or do."))
    if len(point.note) > 4000:
        raise _invalid("note", _("Write at most 4000 characters."))
    return NewTicket(
        channel=Channel.PROACTIVE,
        kind=PROACTIVE_KIND,
        category=point.category,
        description=point.note.strip(),
        district=district,
        street=street,
        address=place[:200],
    )


def _create_proactive(*, data: NewTicket, actor: User, extra: dict[str, Any]) -> Ticket:
    """Created (CREATE) and queued for dispatch (QUEUE_FOR_DISPATCH) in one insert, as any intake."""
    data.extra = extra
    return create_ticket(data=data, actor=actor, first_step=QUEUEING)


def create_proactive_ticket(*, actor: User, point: RiskPoint, origin: dict[str, Any] | None = None) -> Ticket:
    """A proactive ticket created by hand by hotline staff, queued for dispatch. `origin` is what
    started it, recorded in its creation event (default: {"proactive": "manual"}; a monthly topic
    passes {"proactive": "topic", "topic": id})."""
    require(holds(user=actor, roles=PROACTIVE_ROLES))
    data = _proactive_ticket(point=point)
    with transaction.atomic():
        return _create_proactive(data=data, actor=actor, extra=origin or {"proactive": "manual"})


@dataclass(frozen=True)
class ImportResult:
    batch: ProactiveImport
    # False when the same file was imported before: nothing was created this time.
    created: bool


def _read_risk_points(*, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of an import file with their line numbers; a DomainError on "file" when the file
    is not a UTF-8 CSV with the expected header."""
    if len(content) > IMPORT_MAX_BYTES:
        raise _invalid("file", _("The file is larger than %(size)s KB.") % {"size": IMPORT_MAX_BYTES // 1024})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _invalid("file", _("The file is not UTF-8 text.")) from error
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if header[: len(IMPORT_COLUMNS)] != list(IMPORT_COLUMNS):
        raise _invalid(
            "file", _("The first line must name the columns: %(columns)s.") % {"columns": ", ".join(IMPORT_COLUMNS)}
        )
    reader.fieldnames = header
    rows = [
        (reader.line_num, {name: (row.get(name) or "").strip() for name in IMPORT_COLUMNS})
        for row in reader
        if any((value or "").strip() for value in row.values() if isinstance(value, str))
    ]
    if not rows:
        raise _invalid("file", _("The file has no risk points."))
    if len(rows) > IMPORT_MAX_ROWS:
        raise _invalid("file", _("Import at most %(count)s risk points at once.") % {"count": IMPORT_MAX_ROWS})
    return rows


def import_risk_points(*, actor: User, content: bytes, file_name: str = "") -> ImportResult:
    """Create one proactive ticket per risk point of an imported CSV (columns place, category code,
    note), all or nothing: when any line is bad, nothing is created and every bad line is reported
    (a DomainError on "file", one message per line). Idempotent per file: the content's hash is
    unique, so the same file imported again, also twice at once, creates nothing."""
    require(holds(user=actor, roles=PROACTIVE_ROLES))
    content_hash = hashlib.sha256(content).hexdigest()
    existing = ProactiveImport.objects.filter(content_hash=content_hash).first()
    if existing is not None:
        return ImportResult(batch=existing, created=False)
    rows = _read_risk_points(content=content)
    categories = {
        category.code: category
        for category in Category.objects.filter(code__in={row["category"] for _line, row in rows})
    }
    tickets: list[NewTicket] = []
    errors: list[str] = []
    for line, row in rows:
        category = categories.get(row["category"])
        if category is None or category.level != 3 or not category.is_active:
            errors.append(
                _("Line %(line)s: “%(code)s” is not the code of an active third-level category.")
                % {"line": line, "code": row["category"]}
            )
            continue
        try:
            tickets.append(_proactive_ticket(point=RiskPoint(place=row["place"], category=category, note=row["note"])))
        except DomainError as error:
            errors.extend(
                _("Line %(line)s: %(message)s") % {"line": line, "message": text}
                for texts in error.fields.values()
                for text in texts
            )
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields={"file": errors})
    try:
        with transaction.atomic():
            batch = ProactiveImport.objects.create(
                content_hash=content_hash, file_name=file_name[:200], ticket_count=len(tickets), created_by=actor
            )
            for data in tickets:
                _create_proactive(data=data, actor=actor, extra={"proactive": "import", "import": batch.pk})
    except IntegrityError:
        # The same file imported at the same time: the first import's batch won the unique hash.
        existing = ProactiveImport.objects.filter(content_hash=content_hash).first()
        if existing is None:
            raise
        return ImportResult(batch=existing, created=False)
    return ImportResult(batch=batch, created=True)


# --- External platforms' inbound channels (其他平台转办) ------------------------------------------

# The platforms' own names, for a client created without one.
PLATFORM_NAMES = {
    Channel.MESSAGE_BOARD: "人民网领导留言板",
    Channel.GOV_SUPERVISION: "国办互联网+督查平台",
    Channel.MINI_PROGRAM: "国家政务服务投诉与建议小程序",
    Channel.MEDIA: "媒体",
}


@dataclass(frozen=True)
class ChannelClient:
    platform: ExternalPlatform
    # The REST token of the platform's client: shown once, when it is made.
    token: str


def create_channel_client(*, channel: str, name: str = "", code: str = "", rotate: bool = False) -> ChannelClient:
    """The inbound channel of an external platform: its API client user and the REST token that
    is the platform's credential. A channel has one platform: asked again, it is refused
    (`channel_client_exists`) unless `rotate`, which gives the existing client a new token (the
    old one stops working at once)."""
    if channel not in CLIENT_CHANNELS:
        raise _invalid("channel", _("An external platform cannot post for this channel."))
    with transaction.atomic():
        platform = ExternalPlatform.objects.select_for_update().filter(channel=channel).first()
        if platform is not None and not rotate:
            raise DomainError(
                "channel_client_exists",
                _("The channel already has its platform's client: rotate its token instead."),
            )
        if platform is None:
            name = (name or PLATFORM_NAMES.get(Channel(channel)) or str(Channel(channel).label))[:100]
            user = hotline_services.create_api_client_user(name=name, username_prefix=f"channel-{channel}")
            platform = ExternalPlatform.objects.create(code=code or channel, name=name, channel=channel, client=user)
        Token.objects.filter(user=platform.client).delete()
        token = Token.objects.create(user=platform.client)
    return ChannelClient(platform=platform, token=token.key)
