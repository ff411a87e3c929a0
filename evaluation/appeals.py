"""Writes for exclusions and appeals (不纳入考核 / 申诉)."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Assignment, AssignmentRole, ReviewStatus
from evaluation.models import Appeal, AppealKind, Callback, CallbackStatus
from evaluation.permissions import is_evaluation_admin
from hotline.errors import DomainError
from hotline.models import NotificationKind, Unit, User
from hotline.notifications import notify_roles, notify_unit
from hotline.roles import OVERSIGHT_ROLES
from hotline.uploads import check_upload
from intake import services as intake_services
from intake.lifecycle import Action
from intake.models import Ticket
from intake.selectors import notification_body


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
        if callback_id is not None:
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
            roles=OVERSIGHT_ROLES,
            kind=NotificationKind.APPEAL_REQUESTED,
            title=_("Appeal to review: %(number)s") % {"number": ticket.number},
            body=notification_body(ticket=ticket, detail=f"{unit.name} · {AppealKind(kind).label}"),
            link=reverse("evaluation:appeal_detail", args=[appeal.pk]),
            key=f"appeal:{appeal.pk}:requested",
        )
    return appeal


def decide_appeal(*, appeal_id: int, actor: User, approve: bool, note: str = "") -> Appeal:
    """A hotline supervisor approves (the ticket or callback leaves the rates) or rejects; logged."""
    found = Appeal.objects.filter(pk=appeal_id).only("ticket_id").first()
    if found is None or not is_evaluation_admin(user=actor):
        raise DomainError("not_found", _("Not found."), status=404)
    if not approve and not note.strip():
        raise DomainError(
            "invalid", _("The input is not valid."), status=400, fields={"note": [_("Say why it is rejected.")]}
        )

    def lock(ticket: Ticket) -> Appeal:
        pending = Appeal.objects.select_for_update(of=("self",)).select_related("unit").get(pk=appeal_id)
        if pending.status != ReviewStatus.PENDING:
            raise DomainError("appeal_decided", _("This appeal has already been decided."))
        return pending

    with transaction.atomic():
        appeal, ticket, _event = intake_services.locked_transition(
            ticket_id=found.ticket_id,
            action=Action.DECIDE_EXCLUSION,
            actor=actor,
            note=note,
            payload={"appeal": appeal_id, "approved": approve},
            lock=lock,
        )
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
