"""Writes for callbacks (回访): opening them with their survey SMS, attempts and what follows
(the ticket closed or reopened), the callback window enforced."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch import services as dispatch_services
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus
from evaluation.models import Callback, CallbackAttempt, CallbackStatus, Resolution, Satisfaction
from hotline.deadlines import deadline_after, tier_duration
from hotline.errors import DomainError
from hotline.models import NotificationKind, User
from hotline.notifications import notify_roles, notify_unit
from hotline.roles import CALLBACK_ALERT_ROLES
from hotline.sms import queue_sms
from intake import services as intake_services
from intake.lifecycle import Action, Status, allowed_actions
from intake.models import Caller, Channel, Ticket
from intake.selectors import notification_body, sms_phone


def _callback_due(after: datetime) -> datetime:
    return after + settings.CALLBACK_WINDOW


def open_due_callbacks(*, now: datetime | None = None, batch: int = 500) -> int:
    """Create the callbacks that became due: tickets replied to (awaiting callback) and tickets
    whose handling deadline passed without a reply. Idempotent and bounded: the NOT EXISTS
    filter and the unique (ticket, caller, round) key make a second or concurrent run add nothing.

    One primary callback per ticket (its own caller: it counts in the rates) plus one for each
    merged repeat caller, each texted its survey link. A ticket without any caller to call
    closes at once.
    """
    now = now or timezone.now()
    callbacks = Callback.objects.filter(ticket=OuterRef("ticket_id"))
    # Rounds: a callback opened after this reply (or, for a missed deadline, since this dispatch)
    # means the callback for this round exists already.
    last_round = Subquery(callbacks.order_by("-round").values("round")[:1], output_field=IntegerField())
    # The hotline's lead: a unit a district passed the ticket down to answers to the district.
    lead = Assignment.objects.filter(
        role=AssignmentRole.LEAD, parent__isnull=True, ended_at__isnull=True
    ).select_related("ticket__caller")
    replied = lead.filter(ticket__status=Status.AWAITING_CALLBACK, status=AssignmentStatus.REPLIED).filter(
        ~Exists(callbacks.filter(created_at__gte=OuterRef("replied_at")))
    )
    overdue = lead.filter(
        ticket__status__in=[Status.DISPATCHED, Status.IN_PROGRESS],
        status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED],
        due_at__lt=now,
    ).filter(
        ~Exists(callbacks.filter(created_at__gte=OuterRef("dispatched_at"))),
        # Someone to call: an overdue ticket without any caller (a proactive one) would otherwise
        # come back every run and, in numbers (an imported list of risk points), fill the batch.
        Q(ticket__caller__isnull=False) | Exists(Ticket.objects.filter(parent=OuterRef("ticket_id"))),
    )
    created = 0
    for source in (replied, overdue):
        for assignment in source.annotate(last_round=last_round).order_by("id")[:batch]:
            created += _open_callbacks(assignment=assignment, round=(assignment.last_round or 0) + 1)
    return created


def _open_callbacks(*, assignment: Assignment, round: int) -> int:
    ticket = assignment.ticket
    # A replied assignment has its reply time; the handling deadline is only a fallback.
    due_at = _callback_due(assignment.replied_at or assignment.due_at or timezone.now())
    merged_callers = Caller.objects.filter(pk__in=ticket.merged.values("caller_id")).order_by("pk")
    if ticket.caller_id is not None:
        merged_callers = merged_callers.exclude(pk=ticket.caller_id)
    if ticket.caller_id is None and not merged_callers.exists():
        if ticket.status == Status.AWAITING_CALLBACK:
            # A proactive ticket (未诉先办) is the hotline's own work: closed on the unit's reply.
            proactive = ticket.channel == Channel.PROACTIVE
            note = _("Proactive ticket: closed on the unit's reply.") if proactive else _("No caller to call back.")
            _close_ticket(ticket_id=ticket.pk, note=note)
        return 0
    # The result counts for the unit the district passed the ticket down to as well.
    passed_down_to = (
        Assignment.objects.filter(parent=assignment, role=AssignmentRole.LEAD, ended_at__isnull=True)
        .values_list("unit_id", flat=True)
        .first()
    )
    callbacks = [
        Callback(
            ticket=ticket,
            caller=caller,
            unit=assignment.unit,
            passed_down_to_id=passed_down_to,
            round=round,
            due_at=due_at,
            is_primary=caller == ticket.caller,
        )
        for caller in [ticket.caller, *merged_callers]
    ]
    if ticket.caller_id is None:
        callbacks = callbacks[1:]
    # The callbacks and their SMS commit together: a crash leaves neither, and the next sweep
    # opens both.
    with transaction.atomic():
        opened = [callback for callback in callbacks if _insert_once(callback)]
        for callback in opened:
            _queue_survey_sms(callback=callback)
    return len(opened)


def _insert_once(callback: Callback) -> bool:
    """Insert the callback unless its (ticket, caller, round) exists: a concurrent sweep's insert
    waits for the first one's commit and then fails here, so only the sweep that created a
    callback texts its caller."""
    try:
        with transaction.atomic():
            callback.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _queue_survey_sms(*, callback: Callback) -> None:
    """Text the caller the signed link to answer the callback online, once per callback. Without
    PUBLIC_BASE_URL there is no absolute link to send, and a caller without a mobile number or who
    asked for no SMS is not texted: the callback agents phone instead."""
    phone = sms_phone(caller=callback.caller)
    if not settings.PUBLIC_BASE_URL or not phone:
        return
    link = settings.PUBLIC_BASE_URL + reverse("evaluation:survey", args=[survey_token(callback_id=callback.pk)])
    valid_until = timezone.localtime() + timedelta(seconds=settings.CALLBACK_SURVEY_MAX_AGE)
    # The citizen's SMS is in the hotline's language, whoever runs the sweep (beat, an operator).
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "12345 hotline: please tell us how your request %(number)s was handled: %(link)s "
            "(the link is valid until %(until)s)."
        ) % {"number": callback.ticket.number, "link": link, "until": f"{valid_until:%Y-%m-%d %H:%M}"}
    queue_sms(phone=phone, text=text, key=f"callback-survey:{callback.pk}")


def _close_ticket(*, ticket_id: int, note: str = "", actor: User | None = None) -> None:
    # One transaction (the sweep calls this outside any): a closed ticket never keeps live assignments.
    with transaction.atomic():
        intake_services.locked_transition(
            ticket_id=ticket_id,
            action=Action.CLOSE,
            actor=actor,
            note=note,
            lock=lambda ticket: dispatch_services.close_assignments(ticket_id=ticket.pk),
        )


@dataclass(frozen=True)
class CallbackAnswer:
    reached: bool
    resolution: str = ""
    satisfaction: str = ""
    unit_at_fault: bool = False
    comment: str = ""


def _validate_answer(answer: CallbackAnswer) -> None:
    if not answer.reached:
        return
    errors = {}
    if answer.resolution not in Resolution.values:
        errors["resolution"] = [_("Choose whether the matter was resolved.")]
    if answer.satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("Choose whether the caller was satisfied.")]
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields=errors)


def record_callback(*, callback_id: int, answer: CallbackAnswer, actor: User | None, online: bool = False) -> Callback:
    """One callback attempt, and what follows from it (DESIGN.md §4).

    Not reached: counted; after CALLBACK_MAX_ATTEMPTS the callback closes as not reached. Reached:
    the answers are recorded. For the primary callback of a ticket awaiting callback, an
    unresolved or unsatisfied answer with the unit at fault reopens the ticket (重办) to the same
    unit with a new deadline; any other final outcome closes the ticket. A second submission of
    an already completed callback is refused (409) and changes nothing.
    """
    _validate_answer(answer)
    found = Callback.objects.filter(pk=callback_id).only("ticket_id").first()
    if found is None:
        raise DomainError("not_found", _("Not found."), status=404)

    def lock(ticket: Ticket) -> Callback:
        pending = Callback.objects.select_for_update().get(pk=callback_id)
        if pending.status != CallbackStatus.PENDING:
            raise DomainError("callback_done", _("This callback has already been completed."))
        return pending

    with transaction.atomic():
        callback, ticket, _event = intake_services.locked_transition(
            ticket_id=found.ticket_id,
            action=Action.CALLBACK_ATTEMPT,
            actor=actor,
            note=answer.comment,
            payload={"callback": callback_id, "reached": answer.reached, "online": online},
            lock=lock,
        )
        callback.attempts += 1
        CallbackAttempt.objects.create(callback=callback, reached=answer.reached, note=answer.comment, by=actor)
        if answer.reached:
            callback.status = CallbackStatus.DONE
            callback.resolution = answer.resolution
            callback.satisfaction = answer.satisfaction
            callback.unit_at_fault = answer.unit_at_fault
            callback.comment = answer.comment
            callback.answered_online = online
        elif callback.attempts >= settings.CALLBACK_MAX_ATTEMPTS:
            callback.status = CallbackStatus.NOT_REACHED
        failed = answer.resolution == Resolution.UNRESOLVED or answer.satisfaction == Satisfaction.UNSATISFIED
        reopen = answer.reached and failed and answer.unit_at_fault
        _settle(callback=callback, ticket=ticket, actor=actor, reopen=reopen)
    return callback


def _settle(*, callback: Callback, ticket: Ticket, actor: User | None, reopen: bool = False) -> None:
    """Save a callback after an attempt, or after the sweep gave up on it. A completed one is
    stamped, and the primary callback of a ticket awaiting callback decides the ticket: reopened
    (重办) when `reopen`, otherwise closed."""
    if callback.status != CallbackStatus.PENDING:
        callback.completed_at = timezone.now()
        callback.completed_by = actor
    callback.save()
    if callback.is_primary and callback.status != CallbackStatus.PENDING and ticket.status == Status.AWAITING_CALLBACK:
        if reopen:
            _reopen(ticket=ticket, actor=actor, callback=callback)
        else:
            _close_ticket(ticket_id=ticket.pk, actor=actor)


def _reopen(*, ticket: Ticket, actor: User | None, callback: Callback) -> None:
    due_at = deadline_after(start=timezone.now(), duration=tier_duration(ticket.deadline_tier))
    lead, _ticket, _event = intake_services.locked_transition(
        ticket_id=ticket.pk,
        action=Action.REOPEN,
        actor=actor,
        note=callback.comment,
        payload={"callback": callback.pk, "due_at": due_at.isoformat()},
        lock=lambda locked: dispatch_services.reopen_lead(ticket_id=locked.pk, due_at=due_at),
    )
    notify_unit(
        unit=lead.unit,
        kind=NotificationKind.REOPENED,
        title=_("Reopened after the callback: %(number)s") % {"number": ticket.number},
        body=notification_body(ticket=ticket, detail=callback.comment),
        link=dispatch_services.assignment_link(lead.pk),
        key=f"reopen:{ticket.pk}:{callback.round}",
    )


@dataclass(frozen=True)
class OverdueCallbacks:
    given_up: int  # closed as not reached, CALLBACK_GIVE_UP_AFTER past their window
    overdue: int  # still pending past their window
    notified: int  # new digest notifications


def sweep_overdue_callbacks(*, now: datetime | None = None, batch: int | None = None) -> OverdueCallbacks:
    """The callback window enforced (DESIGN.md §5). Callbacks still pending CALLBACK_GIVE_UP_AFTER
    past their window close as not reached, as after the last unreached attempt. Then, while any
    callback is past its window, the callback agents and hotline supervisors get one digest an hour
    with their number, linked to the queue filtered on overdue. Safe to run twice or concurrently:
    each callback is re-checked under its lock, and the digest's key is its hour."""
    now = now or timezone.now()
    given_up = _give_up_callbacks(now=now, batch=batch or settings.HOTLINE_SWEEP_BATCH)
    # One COUNT over the partial index of pending callbacks by due time (callback_pending_due).
    overdue = Callback.objects.filter(status=CallbackStatus.PENDING, due_at__lt=now).count()
    notified = _notify_overdue(count=overdue, now=now) if overdue else 0
    return OverdueCallbacks(given_up=given_up, overdue=overdue, notified=notified)


def _give_up_callbacks(*, now: datetime, batch: int) -> int:
    cutoff = now - settings.CALLBACK_GIVE_UP_AFTER
    candidates = (
        Callback.objects.filter(status=CallbackStatus.PENDING, due_at__lt=cutoff)
        .order_by("due_at", "id")
        .values_list("pk", "ticket_id")[:batch]
    )
    return sum(_give_up(callback_id=pk, ticket_id=ticket_id, cutoff=cutoff) for pk, ticket_id in candidates)


def _give_up(*, callback_id: int, ticket_id: int, cutoff: datetime) -> int:
    """Close one abandoned callback as not reached, in its own transaction; 1 if this run did.

    The ticket is locked before the callback, as record_callback locks them, with SKIP LOCKED: a
    ticket an agent or another sweep holds is theirs, and under the lock the callback is re-read
    still pending. A ticket back at the hotline (a return approved) is left alone: it waits
    for its next dispatch.
    """
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(skip_locked=True).filter(pk=ticket_id)
        status = locked.values_list("status", flat=True).first()
        if status is None or Action.GIVE_UP_CALLBACK not in allowed_actions(status):
            return 0
        callback = (
            Callback.objects.select_for_update(skip_locked=True)
            .filter(pk=callback_id, status=CallbackStatus.PENDING, due_at__lt=cutoff)
            .first()
        )
        if callback is None:
            return 0
        ticket, _event = intake_services.transition(
            ticket_id=ticket_id,
            action=Action.GIVE_UP_CALLBACK,
            actor=None,
            note=_("Not reached within the callback window and its grace period: closed as not reached."),
            payload={"callback": callback_id},
        )
        callback.status = CallbackStatus.NOT_REACHED
        _settle(callback=callback, ticket=ticket, actor=None)
    return 1


def _notify_overdue(*, count: int, now: datetime) -> int:
    title = ngettext("%(count)s callback is past its window", "%(count)s callbacks are past their window", count)
    return notify_roles(
        roles=CALLBACK_ALERT_ROLES,
        kind=NotificationKind.CALLBACKS_OVERDUE,
        title=title % {"count": count},
        link=f"{reverse('evaluation:callback_queue')}?overdue=true",
        key=f"callbacks-overdue:{timezone.localtime(now):%Y-%m-%dT%H}",
    )


SURVEY_SALT = "evaluation.callback-survey"


def survey_token(*, callback_id: int) -> str:
    return signing.TimestampSigner(salt=SURVEY_SALT).sign(str(callback_id))


def callback_from_token(*, token: str) -> Callback:
    """The callback a citizen's survey link names; DomainError 404 when forged or expired."""
    try:
        callback_id = signing.TimestampSigner(salt=SURVEY_SALT).unsign(token, max_age=settings.CALLBACK_SURVEY_MAX_AGE)
    except signing.BadSignature as error:
        raise DomainError("not_found", _("This survey link is not valid or has expired."), status=404) from error
    return Callback.objects.select_related("ticket").get(pk=int(callback_id))


def answer_survey_online(*, token: str, answer: CallbackAnswer) -> Callback:
    """The citizen's own answer through the SMS link: the same rules as a call; an unresolved or
    unsatisfied answer is taken as the unit's fault (an agent can still appeal it for the unit)."""
    callback = callback_from_token(token=token)
    failed = answer.resolution == Resolution.UNRESOLVED or answer.satisfaction == Satisfaction.UNSATISFIED
    answer = CallbackAnswer(
        reached=True,
        resolution=answer.resolution,
        satisfaction=answer.satisfaction,
        unit_at_fault=failed,
        comment=answer.comment,
    )
    return record_callback(callback_id=callback.pk, answer=answer, actor=None, online=True)
