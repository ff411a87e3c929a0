"""Writes for evaluation: callbacks and their survey SMS, reopening, appeals, the monthly rankings."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch import services as dispatch_services
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReviewStatus
from evaluation.models import (
    Appeal,
    AppealKind,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    EvaluationScheme,
    GovernanceFocus,
    MonthlyRanking,
    RankingAudit,
    Resolution,
    Satisfaction,
    ScoreAdjustment,
    UnitResult,
)
from evaluation.permissions import CALLBACK_ALERT_ROLES, EVALUATION_ADMIN_ROLES, is_evaluation_admin
from evaluation.scoring import Counts, Parameters, competition_ranks, rates
from hotline.deadlines import deadline_after, tier_duration
from hotline.errors import DomainError
from hotline.models import NotificationKind, Unit, UnitKind, User
from hotline.notifications import notify_roles, notify_unit
from hotline.sms import queue_sms
from hotline.uploads import check_upload
from intake import services as intake_services
from intake.lifecycle import Action, Status, allowed_actions
from intake.models import Caller, Ticket
from intake.phones import is_mobile


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in the hotline's time zone, as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _percent(points: int) -> Decimal:
    return (Decimal(points) / 100).quantize(Decimal("0.01"))


def parameters_for(*, unit_kind: str, month: date) -> Parameters:
    """The scheme in force for the kind and month, or the configured default preset."""
    scheme = (
        EvaluationScheme.objects.filter(unit_kind=unit_kind, valid_from__lte=month)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=month))
        .order_by("-valid_from")
        .first()
    )
    if scheme is None:
        return Parameters(**settings.EVALUATION_DEFAULT_PARAMETERS)
    return Parameters(
        response_weight=_percent(scheme.response_weight),
        resolution_weight=_percent(scheme.resolution_weight),
        satisfaction_weight=_percent(scheme.satisfaction_weight),
        basically_satisfied_factor=scheme.basically_satisfied_factor,
        partly_resolved_factor=scheme.partly_resolved_factor,
        advanced_count=scheme.advanced_count,
        improved_count=scheme.improved_count,
        rectify_count=scheme.rectify_count,
    )


def approved_appeal(kind: str, **outer: str) -> Exists:
    """Whether an approved appeal of `kind` matches the outer row: each keyword names an appeal
    field and the outer column it must equal (ticket="ticket_id", callback="id" …)."""
    return Exists(
        Appeal.objects.filter(kind=kind, status=ReviewStatus.APPROVED, **{k: OuterRef(v) for k, v in outer.items()})
    )


def responded_in_time() -> Q:
    """A lead assignment answered in time: signed by the sign deadline, not returned, and the
    caller contacted by the first-contact deadline (unless there is no caller, or a confidential
    one, whom the hotline contacts)."""
    contacted = (
        Q(first_contacted_at__isnull=False, first_contacted_at__lte=F("first_contact_due_at"))
        | Q(ticket__caller__isnull=True)
        | Q(ticket__confidential=True)
    )
    return Q(returned=False, signed_at__isnull=False, signed_at__lte=F("sign_due_at")) & contacted


def unit_counts(*, month: date) -> dict[int, Counts]:
    """Per handling unit, the month's counts behind the three rates, in two aggregate queries.

    Response: lead assignments dispatched in the month, in time as `responded_in_time` says (a
    return counts against the unit). Resolution and satisfaction: primary
    callbacks completed in the month and answered. Tickets with an approved exclusion for the
    unit, and callbacks with an approved appeal, leave both numerator and denominator.
    """
    start, end = month_bounds(month)
    excluded_ticket = approved_appeal(AppealKind.EXCLUDE_TICKET, ticket="ticket_id", unit="unit_id")
    in_time = responded_in_time()
    response_rows = (
        Assignment.objects.filter(role=AssignmentRole.LEAD, dispatched_at__gte=start, dispatched_at__lt=end)
        .annotate(is_excluded=excluded_ticket)
        .values("unit_id")
        .annotate(
            required=Count("id", filter=Q(is_excluded=False)),
            in_time=Count("id", filter=in_time & Q(is_excluded=False)),
            excluded=Count("id", filter=Q(is_excluded=True)),
        )
        .order_by()
    )
    callback_rows = (
        Callback.objects.filter(is_primary=True, status=CallbackStatus.DONE, unit__isnull=False)
        .filter(completed_at__gte=start, completed_at__lt=end)
        .filter(~excluded_ticket, ~approved_appeal(AppealKind.CALLBACK_RESULT, callback="id"))
        .values("unit_id")
        .annotate(
            answered=Count("id"),
            resolved=Count("id", filter=Q(resolution=Resolution.RESOLVED)),
            partly=Count("id", filter=Q(resolution=Resolution.PARTLY)),
            satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basically=Count("id", filter=Q(satisfaction=Satisfaction.BASICALLY)),
        )
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in response_rows:
        counts.setdefault(row["unit_id"], {}).update(
            required_response=row["required"], responded_in_time=row["in_time"], excluded=row["excluded"]
        )
    for row in callback_rows:
        counts.setdefault(row["unit_id"], {}).update(
            callbacks_answered=row["answered"],
            resolved=row["resolved"],
            partly_resolved=row["partly"],
            satisfied=row["satisfied"],
            basically_satisfied=row["basically"],
        )
    return {unit_id: Counts(**values) for unit_id, values in counts.items()}


@dataclass(frozen=True)
class UnitPlace:
    kind: str
    parent_id: int | None
    parent_kind: str | None


def unit_places() -> dict[int, UnitPlace]:
    return {
        unit_id: UnitPlace(kind, parent_id, parent_kind)
        for unit_id, kind, parent_id, parent_kind in Unit.objects.values_list("id", "kind", "parent", "parent__kind")
    }


def ranked_unit(*, unit_kind: str, place: UnitPlace, unit_id: int) -> int | None:
    """The unit of the `unit_kind` ranking a handling unit's counts go to, if any: itself; for
    streets also functional zones, which are dispatched to like streets; for the district
    ranking, a district itself and everything directly under a district."""
    if unit_kind == UnitKind.DISTRICT:
        if place.kind == UnitKind.DISTRICT:
            return unit_id
        return place.parent_id if place.parent_kind == UnitKind.DISTRICT else None
    if unit_kind == UnitKind.STREET:
        return unit_id if place.kind in (UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE) else None
    return unit_id if place.kind == unit_kind else None


def ranked_counts(*, per_unit: dict[int, Counts], unit_kind: str, places: dict[int, UnitPlace]) -> dict[int, Counts]:
    """The per-unit counts folded into the units of one ranking."""
    ranked: dict[int, Counts] = {}
    for unit_id, counts in per_unit.items():
        target = ranked_unit(unit_kind=unit_kind, place=places[unit_id], unit_id=unit_id)
        if target is not None:
            ranked[target] = ranked[target] + counts if target in ranked else counts
    return ranked


def _build_results(
    *, ranking: MonthlyRanking, month: date, unit_kind: str, parameters: Parameters, ranked: dict[int, Counts]
) -> list[UnitResult]:
    counts = {unit_id: c for unit_id, c in ranked.items() if c.has_volume}
    adjustments = dict(
        ScoreAdjustment.objects.filter(month=month, unit_id__in=counts)
        .values("unit_id")
        .annotate(total=Sum("points"))
        .values_list("unit_id", "total")
    )
    scored = []
    for unit_id, unit_counts in counts.items():
        adjustment = adjustments.get(unit_id, Decimal(0))
        scored.append(
            (unit_id, unit_counts, adjustment, rates(counts=unit_counts, parameters=parameters, adjustment=adjustment))
        )
    # Best composite first; ties broken by satisfaction, resolution, then unit id for a stable order.
    scored.sort(key=lambda item: (-item[3].composite, -item[3].satisfaction, -item[3].resolution, item[0]))
    ranks = competition_ranks([item[3].composite for item in scored])
    previous = dict(
        UnitResult.objects.filter(
            ranking__month=previous_month(month), ranking__unit_kind=unit_kind, ranking__is_current=True
        ).values_list("unit_id", "rank")
    )
    focus = set(
        GovernanceFocus.objects.filter(valid_from__lte=month)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=month))
        .values_list("unit_id", flat=True)
    )
    results = []
    ranked_count = len(scored)
    for (unit_id, unit_counts, adjustment, unit_rates), rank in zip(scored, ranks, strict=True):
        results.append(
            UnitResult(
                ranking=ranking,
                unit_id=unit_id,
                **unit_counts.__dict__,
                response_rate=unit_rates.response,
                resolution_rate=unit_rates.resolution,
                satisfaction_rate=unit_rates.satisfaction,
                adjustment=adjustment,
                composite=unit_rates.composite,
                rank=rank,
                previous_rank=previous.get(unit_id),
                is_advanced=rank <= parameters.advanced_count,
                is_governance_focus=unit_id in focus,
            )
        )
    for result in results:
        result.is_rectify = not result.is_advanced and result.rank > ranked_count - parameters.rectify_count
    risers = sorted(
        (r for r in results if not r.is_advanced and r.rank_change is not None and r.rank_change > 0),
        key=lambda r: (-r.rank_change, r.rank),
    )
    for result in risers[: parameters.improved_count]:
        result.is_improved = True
    return results


def compute_month(
    *, month: date, unit_kind: str, actor: User | None = None, reason: str = "", recompute: bool = False
) -> MonthlyRanking:
    """Compute and publish the ranking of one unit kind for one month (see compute_rankings)."""
    (ranking,) = compute_rankings(month=month, unit_kinds=[unit_kind], actor=actor, reason=reason, recompute=recompute)
    return ranking


def compute_rankings(
    *,
    month: date,
    unit_kinds: Iterable[str],
    actor: User | None = None,
    reason: str = "",
    recompute: bool = False,
) -> list[MonthlyRanking]:
    """Compute and publish the rankings of the given unit kinds for one month.

    The month's counts are aggregated once per handling unit and folded into each ranking.
    A published month is frozen: without `recompute` an existing snapshot is returned as it
    is (the monthly task may run twice). With `recompute` (a reason is required) a new version
    becomes current, the old one is kept, and both moves are in the audit trail.
    """
    if recompute and not reason.strip():
        raise DomainError(
            "invalid",
            _("Give a reason for recomputing a published month."),
            status=400,
            fields={"reason": [_("Required.")]},
        )
    month = month.replace(day=1)
    per_unit: dict[int, Counts] | None = None
    places: dict[int, UnitPlace] = {}
    rankings = []
    for unit_kind in unit_kinds:
        current = MonthlyRanking.objects.filter(month=month, unit_kind=unit_kind, is_current=True).first()
        if current is not None and not recompute:
            rankings.append(current)
            continue
        if per_unit is None:
            per_unit, places = unit_counts(month=month), unit_places()
        ranked = ranked_counts(per_unit=per_unit, unit_kind=unit_kind, places=places)
        rankings.append(
            _publish(month=month, unit_kind=unit_kind, current=current, ranked=ranked, actor=actor, reason=reason)
        )
    return rankings


def _publish(
    *,
    month: date,
    unit_kind: str,
    current: MonthlyRanking | None,
    ranked: dict[int, Counts],
    actor: User | None,
    reason: str,
) -> MonthlyRanking:
    parameters = parameters_for(unit_kind=unit_kind, month=month)
    try:
        with transaction.atomic():
            version = 1
            if current is not None:
                locked = MonthlyRanking.objects.select_for_update().get(pk=current.pk)
                if not locked.is_current:
                    raise IntegrityError("a concurrent recompute won")
                MonthlyRanking.objects.filter(pk=locked.pk).update(is_current=False)
                version = locked.version + 1
            ranking = MonthlyRanking.objects.create(
                month=month,
                unit_kind=unit_kind,
                version=version,
                scheme=parameters.as_json(),
                computed_by=actor,
                reason=reason if version > 1 else "",
            )
            UnitResult.objects.bulk_create(
                _build_results(ranking=ranking, month=month, unit_kind=unit_kind, parameters=parameters, ranked=ranked)
            )
            RankingAudit.objects.create(
                ranking=ranking, action="recomputed" if version > 1 else "computed", actor=actor, reason=reason
            )
    except IntegrityError:
        # Another worker published the same version first: theirs is the snapshot.
        return MonthlyRanking.objects.get(month=month, unit_kind=unit_kind, is_current=True)
    return ranking


RANKED_KINDS = (
    UnitKind.STREET,
    UnitKind.DISTRICT,
    UnitKind.CITY_DEPARTMENT,
    UnitKind.DISTRICT_DEPARTMENT,
    UnitKind.STATE_ENTERPRISE,
    UnitKind.PLATFORM_COMPANY,
)


def compute_previous_month(*, today: date | None = None) -> list[MonthlyRanking]:
    """The monthly task: last month (Asia/Shanghai) for every ranked unit kind."""
    month = previous_month((today or timezone.localdate()).replace(day=1))
    return compute_rankings(month=month, unit_kinds=RANKED_KINDS)


# Callbacks (回访)


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
    lead = Assignment.objects.filter(role=AssignmentRole.LEAD, ended_at__isnull=True).select_related("ticket__caller")
    replied = lead.filter(ticket__status=Status.AWAITING_CALLBACK, status=AssignmentStatus.REPLIED).filter(
        ~Exists(callbacks.filter(created_at__gte=OuterRef("replied_at")))
    )
    overdue = lead.filter(
        ticket__status__in=[Status.DISPATCHED, Status.IN_PROGRESS],
        status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED],
        due_at__lt=now,
    ).filter(~Exists(callbacks.filter(created_at__gte=OuterRef("dispatched_at"))))
    created = 0
    for source in (replied, overdue):
        for assignment in source.annotate(last_round=last_round).order_by("id")[:batch]:
            created += _open_callbacks(assignment=assignment, round=(assignment.last_round or 0) + 1)
    return created


def _open_callbacks(*, assignment: Assignment, round: int) -> int:
    ticket = assignment.ticket
    due_at = _callback_due(assignment.replied_at or assignment.due_at)
    merged_callers = (
        Caller.objects.filter(pk__in=ticket.merged.values("caller_id")).exclude(pk=ticket.caller_id).order_by("pk")
    )
    if ticket.caller_id is None and not merged_callers.exists():
        if ticket.status == Status.AWAITING_CALLBACK:
            _close_ticket(ticket_id=ticket.pk, note=_("No caller to call back."))
        return 0
    callbacks = [Callback(ticket=ticket, caller=ticket.caller, unit=assignment.unit, round=round, due_at=due_at)]
    callbacks += [
        Callback(ticket=ticket, caller=caller, unit=assignment.unit, round=round, due_at=due_at, is_primary=False)
        for caller in merged_callers
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
    PUBLIC_BASE_URL there is no absolute link to send: the callback agents phone instead."""
    phone = callback.caller.phone if callback.caller else ""
    if not settings.PUBLIC_BASE_URL or not is_mobile(phone):
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
    intake_services.transition(ticket_id=ticket_id, action=Action.CLOSE, actor=actor, note=note)
    dispatch_services.close_assignments(ticket_id=ticket_id)


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
        errors["resolution"] = [_("Was the matter resolved?")]
    if answer.satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("Was the caller satisfied?")]
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
    callback = Callback.objects.filter(pk=callback_id).only("ticket_id").first()
    if callback is None:
        raise DomainError("not_found", _("Not found."), status=404)
    with transaction.atomic():
        ticket, _event = intake_services.transition(
            ticket_id=callback.ticket_id,
            action=Action.CALLBACK_ATTEMPT,
            actor=actor,
            note=answer.comment,
            payload={"callback": callback_id, "reached": answer.reached, "online": online},
        )
        callback = Callback.objects.select_for_update().get(pk=callback_id)
        if callback.status != CallbackStatus.PENDING:
            raise DomainError("callback_done", _("This callback has already been completed."))
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
    intake_services.transition(
        ticket_id=ticket.pk,
        action=Action.REOPEN,
        actor=actor,
        note=callback.comment,
        payload={"callback": callback.pk, "due_at": due_at.isoformat()},
    )
    lead = dispatch_services.reopen_lead(ticket_id=ticket.pk, due_at=due_at)
    notify_unit(
        unit=lead.unit,
        kind=NotificationKind.REOPENED,
        title=_("Reopened after the callback: %(number)s") % {"number": ticket.number},
        body=callback.comment,
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


# Exclusions and appeals (不纳入考核 / 申诉)


def request_appeal(
    *,
    ticket_id: int,
    unit: Unit,
    kind: str,
    reason: str,
    actor: User,
    callback_id: int | None = None,
    attachment: UploadedFile | None = None,
) -> Appeal:
    """A unit asks to take a ticket out of its rates, or to set aside a callback result.

    Only the ticket's (lead) units may appeal, one open appeal per ticket, unit and kind.
    """
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Give the reason.")]
    if kind not in AppealKind.values:
        errors["kind"] = [_("Choose what the appeal is about.")]
    callback = None
    if kind == AppealKind.CALLBACK_RESULT:
        callback = Callback.objects.filter(pk=callback_id, ticket_id=ticket_id, status=CallbackStatus.DONE).first()
        if callback is None:
            errors["callback"] = [_("Choose a completed callback of this ticket.")]
    attachment_name = ""
    if attachment is not None:
        try:
            attachment_name, _type = check_upload(
                attachment, field_name="attachment", max_bytes=settings.EVALUATION_ATTACHMENT_MAX_BYTES
            )
        except DomainError as error:
            errors.update(error.fields)
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields=errors)
    if not Assignment.objects.filter(ticket_id=ticket_id, unit=unit, role=AssignmentRole.LEAD).exists():
        raise DomainError("not_found", _("Not found."), status=404)
    with transaction.atomic():
        ticket, _event = intake_services.transition(
            ticket_id=ticket_id,
            action=Action.REQUEST_EXCLUSION,
            actor=actor,
            unit=unit,
            note=reason,
            payload={"kind": kind, "callback": callback.pk if callback else None},
        )
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    ticket_id=ticket_id,
                    unit=unit,
                    kind=kind,
                    callback=callback,
                    reason=reason,
                    attachment=attachment or "",
                    attachment_name=attachment_name,
                    requested_by=actor,
                )
        except IntegrityError as error:
            raise DomainError("appeal_open", _("An appeal of this kind is already open or approved.")) from error
        notify_roles(
            roles=EVALUATION_ADMIN_ROLES,
            kind=NotificationKind.APPEAL_REQUESTED,
            title=_("Appeal to review: %(number)s") % {"number": ticket.number},
            body=f"{unit.name} · {AppealKind(kind).label}",
            link=reverse("evaluation:appeal_detail", args=[appeal.pk]),
            key=f"appeal:{appeal.pk}:requested",
        )
    return appeal


def decide_appeal(*, appeal_id: int, actor: User, approve: bool, note: str = "") -> Appeal:
    """A hotline supervisor approves (the ticket or callback leaves the rates) or rejects; logged."""
    appeal = Appeal.objects.filter(pk=appeal_id).only("ticket_id").first()
    if appeal is None or not is_evaluation_admin(user=actor):
        raise DomainError("not_found", _("Not found."), status=404)
    if not approve and not note.strip():
        raise DomainError(
            "invalid", _("The input is not valid."), status=400, fields={"note": [_("Say why it is rejected.")]}
        )
    with transaction.atomic():
        ticket, _event = intake_services.transition(
            ticket_id=appeal.ticket_id,
            action=Action.DECIDE_EXCLUSION,
            actor=actor,
            note=note,
            payload={"appeal": appeal_id, "approved": approve},
        )
        appeal = Appeal.objects.select_for_update(of=("self",)).select_related("unit").get(pk=appeal_id)
        if appeal.status != ReviewStatus.PENDING:
            raise DomainError("appeal_decided", _("This appeal has already been decided."))
        appeal.status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        appeal.decided_by = actor
        appeal.decided_at = timezone.now()
        appeal.decision_note = note.strip()
        appeal.save()
        notify_unit(
            unit=appeal.unit,
            kind=NotificationKind.APPEAL_DECIDED,
            title=(_("Appeal approved: %(number)s") if approve else _("Appeal rejected: %(number)s"))
            % {"number": ticket.number},
            body=appeal.decision_note,
            link=reverse("evaluation:appeal_detail", args=[appeal.pk]),
            key=f"appeal:{appeal.pk}:decided",
        )
    return appeal
