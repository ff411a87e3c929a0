"""Writes for evaluation: callbacks and their survey SMS, reopening, appeals, the monthly rankings."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch import services as dispatch_services
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReviewStatus
from evaluation import rates as rates_module
from evaluation.lines import build_lines
from evaluation.models import (
    Appeal,
    AppealKind,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    MonthlyRanking,
    RankingAudit,
    Resolution,
    Satisfaction,
    UnitResult,
)
from evaluation.permissions import CALLBACK_ALERT_ROLES, EVALUATION_ADMIN_ROLES, is_evaluation_admin
from evaluation.rates import parameters_for
from evaluation.scoring import Counts
from hotline.deadlines import deadline_after, tier_duration
from hotline.errors import DomainError
from hotline.models import NotificationKind, Unit, UnitKind, User
from hotline.months import previous_month
from hotline.notifications import notify_roles, notify_unit
from hotline.sms import queue_sms
from hotline.uploads import check_upload
from intake import services as intake_services
from intake.lifecycle import Action, Status, allowed_actions
from intake.models import Caller, Ticket
from intake.phones import is_mobile
from intake.selectors import notification_body


def compute_month(*, month: date, unit_kind: str, actor: User | None = None, reason: str = "") -> MonthlyRanking:
    """Compute the draft ranking of one unit kind for one month (see compute_rankings)."""
    (ranking,) = compute_rankings(month=month, unit_kinds=[unit_kind], actor=actor, reason=reason)
    return ranking


def compute_rankings(
    *,
    month: date,
    unit_kinds: Iterable[str],
    actor: User | None = None,
    reason: str = "",
    skip_published: bool = False,
    keep_drafts: bool = False,
) -> list[MonthlyRanking]:
    """Compute draft rankings of the given unit kinds for one month, for evaluation admins to
    review before publishing; returns the drafts computed.

    A kind with a draft has its draft computed again (unless `keep_drafts`). A kind already
    published gets a new draft version, which needs a reason (it will replace what units have
    seen); with `skip_published` a published kind is left alone.
    """
    month = month.replace(day=1)
    unit_kinds = list(unit_kinds)
    # The month's current (published) versions and drafts, by kind, in one query.
    states = list(
        MonthlyRanking.objects.filter(month=month, unit_kind__in=unit_kinds)
        .filter(Q(is_current=True) | Q(published_at__isnull=True))
        .values_list("unit_kind", "is_current")
    )
    published = {kind for kind, is_current in states if is_current}
    drafts = {kind for kind, is_current in states if not is_current}
    if keep_drafts:
        unit_kinds = [kind for kind in unit_kinds if kind not in drafts]
    if skip_published:
        unit_kinds = [kind for kind in unit_kinds if kind not in published or kind in drafts]
    elif (published - drafts) & set(unit_kinds) and not reason.strip():
        raise DomainError(
            "invalid",
            _("This month is published: give a reason for computing it again."),
            status=400,
            fields={"reason": [_("Required.")]},
        )
    if not unit_kinds:
        return []
    per_unit, places = rates_module.unit_counts(month=month), rates_module.unit_places()
    return [
        _compute_draft(
            month=month,
            unit_kind=unit_kind,
            ranked=rates_module.ranked_counts(per_unit=per_unit, unit_kind=unit_kind, places=places),
            actor=actor,
            reason=reason.strip(),
        )
        for unit_kind in unit_kinds
    ]


def _compute_draft(
    *, month: date, unit_kind: str, ranked: dict[int, Counts], actor: User | None, reason: str
) -> MonthlyRanking:
    parameters = parameters_for(unit_kind=unit_kind, month=month)
    try:
        with transaction.atomic():
            draft = (
                MonthlyRanking.objects.select_for_update()
                .filter(month=month, unit_kind=unit_kind, published_at__isnull=True)
                .first()
            )
            if draft is not None:
                draft.results.all().delete()
                draft.scheme, draft.computed_by, draft.computed_at = parameters.as_json(), actor, timezone.now()
                draft.reason = reason or draft.reason
                draft.save(update_fields=["scheme", "computed_by", "computed_at", "reason"])
            else:
                last = MonthlyRanking.objects.filter(month=month, unit_kind=unit_kind).order_by("-version").first()
                draft = MonthlyRanking.objects.create(
                    month=month,
                    unit_kind=unit_kind,
                    version=last.version + 1 if last else 1,
                    is_current=False,
                    scheme=parameters.as_json(),
                    computed_by=actor,
                    reason=reason if last else "",
                )
            UnitResult.objects.bulk_create(
                build_lines(
                    ranking=draft,
                    month=month,
                    unit_kind=unit_kind,
                    parameters=parameters,
                    ranked=ranked,
                    listed=rates_module.listed_units(unit_kind=unit_kind),
                )
            )
            RankingAudit.objects.create(ranking=draft, action="computed", actor=actor, reason=reason)
    except IntegrityError:
        # Another worker created the same draft first: theirs is the draft.
        return MonthlyRanking.objects.get(month=month, unit_kind=unit_kind, published_at__isnull=True)
    return draft


def publish_ranking(*, ranking_id: int, actor: User | None) -> MonthlyRanking:
    """Freeze a draft and make it the month's current ranking (the previous version, if any, is
    kept as superseded). An empty draft cannot be published."""
    with transaction.atomic():
        draft = MonthlyRanking.objects.select_for_update().filter(pk=ranking_id).first()
        if draft is None:
            raise DomainError("not_found", _("No such ranking."), status=404)
        if not draft.is_draft:
            raise DomainError("already_published", _("This ranking is already published."), status=409)
        if not draft.results.filter(Q(required_response__gt=0) | Q(callbacks_answered__gt=0)).exists():
            raise DomainError(
                "empty_ranking", _("Nothing was counted in this month: there is nothing to publish."), status=409
            )
        MonthlyRanking.objects.select_for_update().filter(
            month=draft.month, unit_kind=draft.unit_kind, is_current=True
        ).update(is_current=False)
        draft.published_at, draft.published_by, draft.is_current = timezone.now(), actor, True
        draft.save(update_fields=["published_at", "published_by", "is_current"])
        RankingAudit.objects.create(ranking=draft, action="published", actor=actor, reason=draft.reason)
    return draft


def publish_month(*, month: date, unit_kinds: Iterable[str], actor: User | None) -> list[MonthlyRanking]:
    """Publish the month's drafts of the given kinds (kinds without a draft are skipped)."""
    drafts = MonthlyRanking.objects.filter(month=month.replace(day=1), unit_kind__in=list(unit_kinds)).filter(
        published_at__isnull=True
    )
    return [publish_ranking(ranking_id=pk, actor=actor) for pk in drafts.values_list("pk", flat=True)]


def _notify_drafts(*, month: date) -> int:
    return notify_roles(
        roles=EVALUATION_ADMIN_ROLES,
        kind=NotificationKind.RANKING_DRAFT,
        title=_("The %(month)s rankings are ready for review") % {"month": f"{month:%Y-%m}"},
        body=_("Check the drafts and publish them; units see a ranking once it is published."),
        link=f"{reverse('evaluation:ranking')}?month={month:%Y-%m}",
        key=f"ranking-draft:{month:%Y-%m}",
    )


RANKED_KINDS = (
    UnitKind.STREET,
    UnitKind.DISTRICT,
    UnitKind.CITY_DEPARTMENT,
    UnitKind.DISTRICT_DEPARTMENT,
    UnitKind.STATE_ENTERPRISE,
    UnitKind.PLATFORM_COMPANY,
)


def compute_previous_month(*, today: date | None = None) -> list[MonthlyRanking]:
    """The monthly task: drafts of last month (Asia/Shanghai) for every ranked unit kind not yet
    computed; evaluation admins are told to review and publish them. Running twice does nothing."""
    month = previous_month((today or timezone.localdate()).replace(day=1))
    drafts = compute_rankings(month=month, unit_kinds=RANKED_KINDS, skip_published=True, keep_drafts=True)
    if drafts:
        transaction.on_commit(lambda: _notify_drafts(month=month))
    return drafts


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
    # One transaction (the sweep calls this outside any): a closed ticket never keeps live assignments.
    with transaction.atomic():
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
            body=notification_body(ticket=ticket, detail=f"{unit.name} · {AppealKind(kind).label}"),
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
            body=notification_body(ticket=ticket, detail=appeal.decision_note),
            link=reverse("evaluation:appeal_detail", args=[appeal.pk]),
            key=f"appeal:{appeal.pk}:decided",
        )
    return appeal
