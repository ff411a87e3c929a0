"""Writes for dispatch: dispatch, sign, contact, progress, returns, extensions, whistle, reply, supervise,
and the district sub-centre's second level: passing a ticket down, deciding its units' requests,
confirming their replies.

Every step is a ticket transition written through `intake.services.locked_transition`, the one
locking protocol: it locks the ticket row first, then the assignment and request rows, so that all
writers take the locks in the same order. A unit's step is checked under those locks against the
table of steps (dispatch/steps.py). Permission failures are 404 (DomainError "not_found"), bad input 400, a step
that the current state does not allow 409.
"""

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch import alerts, feedback, permissions, steps
from dispatch.models import (
    EXPLAINED_OUTCOMES,
    HANDLING_KINDS,
    OVERRIDE_REASON_MAX_LENGTH,
    STREET_KINDS,
    WHISTLE_KINDS,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Attachment,
    ExtensionRequest,
    Level,
    ProgressNote,
    ReplyOutcome,
    ReturnReason,
    ReturnRequest,
    ReviewStatus,
    RoutingRule,
)
from dispatch.steps import Party, StepName
from hotline.deadlines import Days, deadline_after, tier_duration
from hotline.errors import DomainError
from hotline.models import Category, DeadlineTier, NotificationKind, Unit, UnitKind, User
from hotline.notifications import notify_roles, notify_unit
from hotline.permissions import require
from hotline.roles import DISPATCH_ROLES
from hotline.uploads import check_upload
from intake import selectors as intake_selectors
from intake import services as intake_services
from intake.lifecycle import Action
from intake.models import Ticket, TicketEvent

ReviewRequest = TypeVar("ReviewRequest", ReturnRequest, ExtensionRequest)


def _invalid(field_name: str, message: str) -> DomainError:
    return DomainError("invalid", _("The input is not valid."), status=400, fields={field_name: [message]})


def _conflict(code: str, message: str) -> DomainError:
    return DomainError(code, message, status=409)


def assignment_link(assignment_id: int) -> str:
    return reverse("dispatch:assignment", args=[assignment_id])


# Dispatch


def _sign_duration(ticket: Ticket) -> timedelta:
    if ticket.deadline_tier == DeadlineTier.EMERGENCY:
        return settings.HOTLINE_SIGN_DEADLINE_EMERGENCY
    return settings.HOTLINE_SIGN_DEADLINE


def _handling_units(
    *,
    lead_unit_id: int,
    assist_unit_ids: Sequence[int],
    fields: tuple[str, str] = ("lead_unit", "assist_units"),
) -> tuple[Unit, list[Unit]]:
    """The lead and assisting units, checked: active handling units, no unit twice. `fields`
    names the input's lead and assisting fields for the errors."""
    lead_field, assist_field = fields
    assist_ids = list(dict.fromkeys(assist_unit_ids))
    if lead_unit_id in assist_ids:
        raise _invalid(assist_field, _("The lead unit cannot also assist."))
    units = Unit.objects.in_bulk([lead_unit_id, *assist_ids])
    lead = units.get(lead_unit_id)
    if lead is None or not lead.is_active or lead.kind not in HANDLING_KINDS:
        raise _invalid(lead_field, _("Choose an active handling unit."))
    assists = [units[pk] for pk in assist_ids if pk in units]
    if len(assists) != len(assist_ids) or any(not u.is_active or u.kind not in HANDLING_KINDS for u in assists):
        raise _invalid(assist_field, _("Choose active handling units."))
    return lead, assists


def _new_assignment(
    *,
    ticket: Ticket,
    unit: Unit,
    role: AssignmentRole,
    actor: User | None,
    now: datetime,
    due_at: datetime | None = None,
    whistled_by: Assignment | None = None,
    parent: Assignment | None = None,
) -> Assignment:
    due_at = due_at or deadline_after(start=now, duration=tier_duration(ticket.deadline_tier))
    assignment = Assignment(
        ticket=ticket,
        unit=unit,
        role=role,
        whistled_by=whistled_by,
        parent=parent,
        dispatched_at=now,
        dispatched_by=actor,
        # Never after the handling deadline: a unit the district passes a ticket down to late in
        # the district's time signs by then.
        sign_due_at=max(now, min(deadline_after(start=now, duration=_sign_duration(ticket)), due_at)),
        due_at=due_at,
    )
    alerts.schedule_alerts(assignment=assignment, now=now)
    return assignment


def _notify_new(assignments: Sequence[Assignment], *, kind: str, title: str) -> None:
    if not assignments:
        return
    body = intake_selectors.notification_body(ticket=assignments[0].ticket)
    for assignment in assignments:
        notify_unit(
            unit=assignment.unit,
            kind=kind,
            title=title,
            body=body,
            link=assignment_link(assignment.pk),
            key=f"assignment:{assignment.pk}:new",
        )


def _clean_override_reason(override_reason: str) -> str:
    reason = override_reason.strip()
    if len(reason) > OVERRIDE_REASON_MAX_LENGTH:
        raise _invalid(
            "override_reason",
            _("Keep the reason within %(max)s characters.") % {"max": OVERRIDE_REASON_MAX_LENGTH},
        )
    return reason


def _check_lead_for(ticket: Ticket, *, lead: Unit, override_reason: str) -> None:
    """A functional-department matter goes to a department, not a street/township (the dispatch
    catalogue), unless the dispatcher gives the reason to do so anyway."""
    if lead.kind in STREET_KINDS and not override_reason and ticket.category.is_functional:
        message = _(
            "This is a functional-department matter: %(category)s belongs to the responsible department, "
            "not to %(unit)s. Give a reason to dispatch it to a street/township anyway."
        ) % {"category": ticket.category.name, "unit": lead.name}
        raise DomainError("functional_to_street", message, status=409, fields={"override_reason": [message]})


def _dispatch(
    *, ticket_id: int, lead: Unit, assists: Sequence[Unit], actor: User, note: str, override_reason: str = ""
) -> Assignment:
    """Inside a transaction: the DISPATCH transition and the new assignments, dispatched at the
    event's time (which is how pages find an override reason in the event log)."""
    payload = {"lead": lead.pk, "lead_name": lead.name, "assist": [unit.pk for unit in assists]}
    if override_reason:
        payload["override_reason"] = override_reason
    ticket, event = intake_services.transition(
        ticket_id=ticket_id,
        action=Action.DISPATCH,
        actor=actor,
        note=note,
        payload=payload,
        check=lambda ticket: _check_lead_for(ticket, lead=lead, override_reason=override_reason),
    )
    now = event.created_at
    created = Assignment.objects.bulk_create(
        [
            _new_assignment(ticket=ticket, unit=lead, role=AssignmentRole.LEAD, actor=actor, now=now),
            *(
                _new_assignment(ticket=ticket, unit=u, role=AssignmentRole.ASSIST, actor=actor, now=now)
                for u in assists
            ),
        ]
    )
    _notify_new(created, kind=NotificationKind.DISPATCHED, title=_("New ticket to sign"))
    return created[0]


def dispatch_ticket(
    *,
    ticket_id: int,
    lead_unit_id: int,
    actor: User,
    assist_unit_ids: Sequence[int] = (),
    note: str = "",
    override_reason: str = "",
) -> Assignment:
    """Send a ticket awaiting dispatch to a lead unit and optional assisting units; returns the lead's.

    A functional-department matter sent to a street/township is refused (409 "functional_to_street")
    unless `override_reason` says why; the reason is kept in the DISPATCH event's payload."""
    require(permissions.can_dispatch(user=actor))
    lead, assists = _handling_units(lead_unit_id=lead_unit_id, assist_unit_ids=assist_unit_ids)
    override_reason = _clean_override_reason(override_reason)
    with transaction.atomic():
        return _dispatch(
            ticket_id=ticket_id, lead=lead, assists=assists, actor=actor, note=note, override_reason=override_reason
        )


@dataclass
class DispatchItem:
    ticket_id: int
    lead_unit_id: int
    assist_unit_ids: Sequence[int] = ()


@dataclass
class BulkResult:
    """Each item succeeds or fails on its own; failures carry the error's code and message."""

    done: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def bulk_dispatch(*, items: Sequence[DispatchItem], actor: User, note: str = "") -> BulkResult:
    """Dispatch many tickets from the queue; one transaction per ticket, so one failure stops none.

    There is no override here: a functional-department matter sent to a street/township fails
    with "functional_to_street" and is dispatched from its own page, with a reason."""
    require(permissions.can_dispatch(user=actor))
    result = BulkResult()
    for item in items:
        try:
            assignment = dispatch_ticket(
                ticket_id=item.ticket_id,
                lead_unit_id=item.lead_unit_id,
                assist_unit_ids=item.assist_unit_ids,
                actor=actor,
                note=note,
            )
        except Ticket.DoesNotExist:
            result.failed.append({"id": item.ticket_id, "code": "not_found", "message": _("Not found.")})
        except DomainError as error:
            result.failed.append({"id": item.ticket_id, "code": error.code, "message": error.message})
        else:
            result.done.append(assignment.pk)
    return result


# Steps of the units


def _for_unit_staff(*, assignment_id: int, actor: User) -> Assignment:
    """The assignment if the actor works for its unit; otherwise not found."""
    assignment = Assignment.objects.select_related("unit", "ticket", "parent__unit").filter(pk=assignment_id).first()
    require(assignment is not None and steps.may_take(Party.UNIT_STAFF, user=actor, assignment=assignment))
    assert assignment is not None  # refused above
    return assignment


def _parent_due_at(assignment: Assignment) -> datetime | None:
    """The handling deadline of the district's assignment above `assignment`, None at the hotline's
    level: no deadline below a district ends after it."""
    if assignment.parent_id is None:
        return None
    return Assignment.objects.values_list("due_at", flat=True).get(pk=assignment.parent_id)


def _within_parent(at: datetime, *, parent_due_at: datetime | None) -> datetime:
    return at if parent_due_at is None else min(at, parent_due_at)


def _step(
    *,
    assignment: Assignment,
    step: StepName,
    actor: User,
    note: str = "",
    payload: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    check: Callable[[Assignment, Ticket], None] | None = None,
) -> tuple[Assignment, Ticket, TicketEvent]:
    """Take a unit's step on `assignment`: its transition, with the assignment locked and the step
    checked against the table (then `check`, for rules that depend on the input)."""
    entry = steps.STEPS[step]
    if entry.action is None:
        raise ValueError(f"{step} writes no transition: check it with steps.check_step")

    def lock(ticket: Ticket) -> Assignment:
        current = Assignment.objects.select_for_update().select_related("unit").get(pk=assignment.pk)
        steps.check_step(entry, assignment=current, ticket=ticket, now=timezone.now())
        if check is not None:
            check(current, ticket)
        return current

    return intake_services.locked_transition(
        ticket_id=assignment.ticket_id,
        action=entry.action,
        actor=actor,
        lock=lock,
        unit=assignment.unit,
        note=note,
        payload={"assignment": assignment.pk, **(payload or {})},
        changes=changes,
    )


def sign(*, assignment_id: int, actor: User) -> Assignment:
    """签收: the unit acknowledges the ticket; the lead's signing puts the ticket in progress."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    step = StepName.ASSIST_SIGN
    if assignment.is_lead:
        step = StepName.SIGN if assignment.level == Level.HOTLINE else StepName.SUB_SIGN
    with transaction.atomic():
        assignment, ticket, _event = _step(assignment=assignment, step=step, actor=actor)
        now = timezone.now()
        assignment.status = AssignmentStatus.SIGNED
        assignment.signed_at = now
        assignment.signed_by = actor
        # A confidential caller is contacted through the hotline, not by the unit (DESIGN.md §7):
        # the unit has a first-contact deadline only for a caller it may call.
        if assignment.is_lead and ticket.caller_id is not None and not ticket.confidential:
            assignment.first_contact_due_at = _within_parent(
                deadline_after(start=now, duration=settings.HOTLINE_FIRST_CONTACT_DEADLINE),
                parent_due_at=_parent_due_at(assignment),
            )
        assignment.save(update_fields=["status", "signed_at", "signed_by", "first_contact_due_at"])
    return assignment


def bulk_sign(*, assignment_ids: Sequence[int], actor: User) -> BulkResult:
    result = BulkResult()
    for assignment_id in dict.fromkeys(assignment_ids):
        try:
            sign(assignment_id=assignment_id, actor=actor)
        except DomainError as error:
            result.failed.append({"id": assignment_id, "code": error.code, "message": error.message})
        else:
            result.done.append(assignment_id)
    return result


def record_first_contact(*, assignment_id: int, actor: User, note: str = "") -> Assignment:
    """The lead unit reached the caller (part of the response rate)."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    with transaction.atomic():
        assignment, _ticket, _event = _step(assignment=assignment, step=StepName.RECORD_CONTACT, actor=actor, note=note)
        assignment.first_contacted_at = timezone.now()
        assignment.save(update_fields=["first_contacted_at"])
        if assignment.parent_id is not None:
            # The district answers for the contact its unit made (its own response rate).
            Assignment.objects.filter(
                pk=assignment.parent_id, first_contacted_at__isnull=True, first_contact_due_at__isnull=False
            ).update(first_contacted_at=assignment.first_contacted_at)
    return assignment


def add_progress(*, assignment_id: int, actor: User, text: str, files: Sequence[UploadedFile] = ()) -> ProgressNote:
    """A handling note with optional photos and documents, by the lead or an assisting unit."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    text = text.strip()
    if not text:
        raise _invalid("text", _("Describe the progress."))
    checked = [
        (upload, *check_upload(upload, field_name="files", max_bytes=settings.HOTLINE_ATTACHMENT_MAX_BYTES))
        for upload in files
    ]
    with transaction.atomic():
        assignment, _ticket, _event = _step(
            assignment=assignment,
            step=StepName.ADD_PROGRESS,
            actor=actor,
            note=text,
            payload={"files": [name for _upload, name, _type in checked]},
        )
        note = ProgressNote.objects.create(assignment=assignment, author=actor, text=text)
        for upload, name, content_type in checked:
            attachment = Attachment(note=note, name=name, size=upload.size or 0, content_type=content_type)
            attachment.file.save(name, upload, save=False)
            attachment.save()
    return note


def _read_personal_data(*, assignment_id: int, actor: User, step: StepName, purpose: str) -> Ticket:
    """The ticket, for the live lead unit reading its caller's personal data (a step of the table:
    never for a confidential caller), recorded in PersonalDataAccess each time."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    ticket = Ticket.objects.select_related("caller").get(pk=assignment.ticket_id)
    steps.check_step(steps.STEPS[step], assignment=assignment, ticket=ticket, now=timezone.now())
    assert ticket.caller is not None  # the step refuses a ticket without a caller
    intake_services.record_personal_data_access(user=actor, caller=ticket.caller, ticket=ticket, purpose=purpose)
    return ticket


def reveal_caller_phone(*, assignment_id: int, actor: User) -> str:
    """The caller's full number for the live lead unit to call back while it handles the ticket."""
    ticket = _read_personal_data(
        assignment_id=assignment_id, actor=actor, step=StepName.REVEAL_PHONE, purpose="first_contact"
    )
    assert ticket.caller is not None  # _read_personal_data refused a ticket without one
    return ticket.caller.phone


@dataclass(frozen=True)
class TicketText:
    """A ticket's free text as the caller gave it."""

    title: str
    description: str
    address: str


def reveal_description(*, assignment_id: int, actor: User) -> TicketText:
    """The description (with summary and address) unredacted, for the live lead unit when the
    caller's identity stands in the way of the handling. Never for a caller who asked for
    confidentiality: their identity does not reach the unit."""
    ticket = _read_personal_data(
        assignment_id=assignment_id, actor=actor, step=StepName.REVEAL_DESCRIPTION, purpose="full_description"
    )
    return TicketText(title=ticket.title, description=ticket.description, address=ticket.address)


# Returns (退单)


def request_return(*, assignment_id: int, actor: User, reason: str, legal_basis: str, note: str = "") -> ReturnRequest:
    """The lead unit says "not ours" before signing; the hotline reviews it (time stops meanwhile).
    A unit the district passed the ticket down to asks the district instead, and the district's
    own clock runs on."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    if reason not in ReturnReason.values:
        raise _invalid("reason", _("Choose a reason."))
    if not legal_basis.strip():
        raise _invalid("legal_basis", _("Cite the legal basis or the responsibility list."))
    with transaction.atomic():
        assignment, ticket, _event = _step(
            assignment=assignment,
            step=StepName.SUB_REQUEST_RETURN
            if assignment.is_lead and assignment.level == Level.DISTRICT
            else StepName.REQUEST_RETURN,
            actor=actor,
            note=legal_basis.strip(),
            payload={"reason": reason},
        )
        now = timezone.now()
        assignment.returned = True
        assignment.save(update_fields=["returned"])
        request = ReturnRequest.objects.create(
            assignment=assignment,
            reason=reason,
            legal_basis=legal_basis.strip(),
            note=note.strip(),
            requested_by=actor,
            requested_at=now,
            # A district decides its units' returns whenever they come.
            needs_supervisor=assignment.parent_id is None
            and now > assignment.dispatched_at + settings.HOTLINE_RETURN_WINDOW,
        )
        body = f"{assignment.unit.name} · {ReturnReason(reason).label}"
        title = _("Return request to review: %(number)s") % {"number": ticket.number}
        key = f"return:{request.pk}:requested"
        if assignment.parent is not None:
            notify_unit(
                unit=assignment.parent.unit,
                kind=NotificationKind.RETURN_REQUESTED,
                title=title,
                body=intake_selectors.notification_body(ticket=ticket, detail=body),
                link=assignment_link(assignment.pk),
                key=key,
            )
            return request
        notify_roles(
            roles=permissions.return_reviewer_roles(late=request.needs_supervisor),
            kind=NotificationKind.RETURN_REQUESTED,
            title=title,
            body=intake_selectors.notification_body(
                ticket=ticket, detail=f"{body} · {_('late: supervisor decides')}" if request.needs_supervisor else body
            ),
            link=reverse("dispatch:return_review", args=[request.pk]),
            key=key,
        )
    return request


def _lock_pending(model: type[ReviewRequest], pk: int) -> ReviewRequest:
    """Lock a pending review request (after the ticket); a decided one is a conflict."""
    request = model.objects.select_for_update().get(pk=pk)
    if request.status != ReviewStatus.PENDING:
        raise _conflict("already_decided", _("This request has already been decided."))
    return request


def _record_decision(
    request: ReviewRequest,
    *,
    assignment: Assignment,
    actor: User,
    approve: bool,
    note: str,
    now: datetime,
    kind: str,
    title: str,
    key: str,
) -> None:
    """The end of every review (return or extension): the decision saved on the locked request,
    and the unit told."""
    request.status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = note
    request.save()
    notify_unit(
        unit=assignment.unit,
        kind=kind,
        title=title,
        body=intake_selectors.notification_body(ticket=assignment.ticket, detail=note),
        link=assignment_link(assignment.pk),
        key=key,
    )


def _may_review(*, actor: User, assignment: Assignment, late: bool = False) -> bool:
    """Who decides a unit's return or extension request: the district's staff for a unit it passed
    the ticket down to, the hotline otherwise (late returns: its supervisors)."""
    if assignment.parent is not None:
        return assignment.parent.unit_id in permissions.acting_unit_ids(user=actor)
    return permissions.can_review_return(user=actor, late=late)


def decide_return(
    *,
    return_request_id: int,
    actor: User,
    approve: bool,
    note: str = "",
    redispatch_to_id: int | None = None,
    assist_unit_ids: Sequence[int] = (),
    override_reason: str = "",
) -> ReturnRequest:
    """Approve (optionally re-dispatching at once) or reject a return request.

    Approval ends the ticket's assignments and puts it back in the dispatch queue (or, with
    `redispatch_to_id`, dispatches it again in the same transaction). Rejection sends it back
    to the unit, whose deadlines move by the time the review took. Re-dispatching follows
    `dispatch_ticket`'s rule on functional-department matters and `override_reason`.

    A unit the district passed the ticket down to returns it to the district: its staff decide,
    approval puts the ticket back in the district's queue (or passes it at once to another of its
    units), and a rejection moves the unit's deadlines, never past the district's own.
    """
    request = (
        ReturnRequest.objects.select_related("assignment__unit", "assignment__ticket", "assignment__parent")
        .filter(pk=return_request_id)
        .first()
    )
    require(
        request is not None and _may_review(actor=actor, assignment=request.assignment, late=request.needs_supervisor)
    )
    assert request is not None  # refused above
    note = note.strip()
    if not approve and not note:
        raise _invalid("note", _("Give the reason for rejecting the return."))
    if redispatch_to_id is not None and not approve:
        raise _invalid("redispatch_to", _("Only an approved return is re-dispatched."))
    assignment = request.assignment
    district = assignment.parent
    redispatch = None
    if redispatch_to_id is not None:
        redispatch = (
            _handling_units(lead_unit_id=redispatch_to_id, assist_unit_ids=assist_unit_ids)
            if district is None
            else _district_units(
                district_id=district.unit_id,
                lead_unit_id=redispatch_to_id,
                assist_unit_ids=assist_unit_ids,
                fields=("redispatch_to", "assist_units"),
            )
        )
    override_reason = _clean_override_reason(override_reason)
    if district is None:
        action = Action.APPROVE_RETURN if approve else Action.REJECT_RETURN
    else:
        action = Action.SUB_APPROVE_RETURN if approve else Action.SUB_REJECT_RETURN
    with transaction.atomic():
        now = timezone.now()
        locked, _ticket, _event = intake_services.locked_transition(
            ticket_id=assignment.ticket_id,
            action=action,
            actor=actor,
            note=note,
            payload={"assignment": assignment.pk, "unit": assignment.unit_id, "return_request": request.pk},
            lock=lambda ticket: _lock_pending(ReturnRequest, return_request_id),
        )
        request = locked
        # The returning unit's level: the whole ticket, or the district's units on it.
        live = Assignment.objects.filter(ticket_id=assignment.ticket_id, ended_at__isnull=True)
        if district is not None:
            live = live.filter(parent=district)
        if approve:
            live.filter(pk=assignment.pk).update(status=AssignmentStatus.RETURNED, ended_at=now)
            # Assisting units were dispatched with this lead: the new dispatch decides anew.
            live.exclude(pk=assignment.pk).update(status=AssignmentStatus.ENDED, ended_at=now)
        elif district is None:
            pause = now - request.requested_at
            live.update(
                sign_due_at=F("sign_due_at") + pause,
                due_at=F("due_at") + pause,
                first_contact_due_at=F("first_contact_due_at") + pause,
            )
        else:
            # The units below have signed nothing that sets a contact deadline: the lead had not signed.
            pause, district_due = now - request.requested_at, _parent_due_at(assignment)
            live.update(
                sign_due_at=Least(F("sign_due_at") + pause, district_due),
                due_at=Least(F("due_at") + pause, district_due),
            )
        if not approve:
            for moved in live:
                alerts.schedule_alerts(assignment=moved, now=now)
                moved.save(update_fields=["next_alert_stage", "next_alert_at"])
        if redispatch is not None:
            lead, assists = redispatch
            if district is None:
                _dispatch(
                    ticket_id=assignment.ticket_id,
                    lead=lead,
                    assists=assists,
                    actor=actor,
                    note=note,
                    override_reason=override_reason,
                )
            else:
                _pass_down(
                    district_assignment=district,
                    lead=lead,
                    assists=assists,
                    actor=actor,
                    note=note,
                    due_at=None,
                    override_reason=override_reason,
                )
            request.redispatched_to = lead
        if district is None:
            rejected = _("Return rejected: %(number)s: please sign and handle the ticket")
        else:
            rejected = _("Return rejected by the district: %(number)s: please sign and handle the ticket")
        _record_decision(
            request,
            assignment=assignment,
            actor=actor,
            approve=approve,
            note=note,
            now=now,
            kind=NotificationKind.RETURN_DECIDED,
            title=(_("Return approved: %(number)s") if approve else rejected) % {"number": assignment.ticket.number},
            key=f"return:{request.pk}:decided",
        )
    return request


# Extensions (延期)


def request_extension(*, assignment_id: int, actor: User, extra_days: int, reason: str) -> ExtensionRequest:
    """Ask for more time, before the deadline; at most settings.HOTLINE_MAX_EXTENSIONS per assignment
    (a denied request does not count). The hotline decides; for a unit the district passed the
    ticket down to, the district."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    if not 1 <= extra_days <= settings.HOTLINE_MAX_EXTENSION_DAYS:
        raise _invalid(
            "extra_days",
            _("Ask for 1 to %(max)s days.") % {"max": settings.HOTLINE_MAX_EXTENSION_DAYS},
        )
    if not reason.strip():
        raise _invalid("reason", _("Give the reason for the extension."))
    with transaction.atomic():
        return _file_extension(assignment=assignment, actor=actor, extra_days=extra_days, reason=reason.strip())


def _file_extension(
    *, assignment: Assignment, actor: User, extra_days: int, reason: str, passed_up_from: int | None = None
) -> ExtensionRequest:
    """Inside a transaction: the REQUEST_EXTENSION step and the request, its reviewers told."""
    payload: dict[str, Any] = {"extra_days": extra_days}
    if passed_up_from is not None:
        payload["passed_up_from"] = passed_up_from
    assignment, ticket, _event = _step(
        assignment=assignment, step=StepName.REQUEST_EXTENSION, actor=actor, note=reason, payload=payload
    )
    assert assignment.due_at is not None  # a dispatched assignment always has its deadline
    request = ExtensionRequest.objects.create(
        assignment=assignment,
        extra_days=extra_days,
        reason=reason,
        requested_by=actor,
        previous_due_at=assignment.due_at,
    )
    days = ngettext("Extension by %(days)s day", "Extension by %(days)s days", extra_days) % {"days": extra_days}
    title = _("Extension request to review: %(number)s") % {"number": ticket.number}
    body = intake_selectors.notification_body(ticket=ticket, detail=f"{assignment.unit.name} · {days}")
    key = f"extension:{request.pk}:requested"
    if assignment.parent is not None:
        notify_unit(
            unit=assignment.parent.unit,
            kind=NotificationKind.EXTENSION_REQUESTED,
            title=title,
            body=body,
            link=assignment_link(assignment.pk),
            key=key,
        )
    else:
        notify_roles(
            roles=DISPATCH_ROLES,
            kind=NotificationKind.EXTENSION_REQUESTED,
            title=title,
            body=body,
            link=reverse("dispatch:returns"),
            key=key,
        )
    return request


def decide_extension(
    *, extension_request_id: int, actor: User, approve: bool, note: str = "", pass_up: bool = False
) -> ExtensionRequest:
    """Approve (the deadline moves by the days asked) or deny (with a reason; the deadline stays).

    A district deciding for a unit it passed the ticket down to cannot move the unit's deadline
    past its own: it passes the request up instead (`pass_up`), asking the hotline for the same
    days on its own assignment; the hotline's decision then decides both."""
    request = (
        ExtensionRequest.objects.select_related("assignment__unit", "assignment__ticket", "assignment__parent__unit")
        .filter(pk=extension_request_id)
        .first()
    )
    require(request is not None and _may_review(actor=actor, assignment=request.assignment))
    assert request is not None  # refused above
    note = note.strip()
    if not approve and not note and not pass_up:
        raise _invalid("note", _("Give the reason for denying the extension."))
    assignment = request.assignment
    if pass_up:
        if assignment.parent is None:
            raise _invalid("pass_up", _("Only a district passes a request up to the hotline."))
        return _pass_extension_up(request=request, actor=actor, note=note)
    with transaction.atomic():
        request = _decide_extension(request=request, actor=actor, approve=approve, note=note)
        below = ExtensionRequest.objects.filter(passed_up_to=request, status=ReviewStatus.PENDING).first()
        if below is not None:
            # The hotline decided what a district passed up: the unit's request follows, within the
            # district's new deadline.
            _decide_extension(request=below, actor=actor, approve=approve, note=note)
    return request


def _decide_extension(*, request: ExtensionRequest, actor: User, approve: bool, note: str) -> ExtensionRequest:
    """Inside a transaction: the decision's transition on the locked request and assignment."""
    assignment = request.assignment

    def lock(ticket: Ticket) -> tuple[ExtensionRequest, Assignment]:
        pending = _lock_pending(ExtensionRequest, request.pk)
        current = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if current.ended_at is not None or current.status != AssignmentStatus.SIGNED:
            raise _conflict("assignment_not_open", _("The unit is no longer handling this ticket."))
        return pending, current

    (request, current), _ticket, _event = intake_services.locked_transition(
        ticket_id=assignment.ticket_id,
        action=Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION,
        actor=actor,
        note=note,
        payload={"assignment": assignment.pk, "unit": assignment.unit_id, "extra_days": request.extra_days},
        lock=lock,
    )
    if approve:
        assert current.due_at is not None  # a dispatched assignment always has its deadline
        due_at = deadline_after(start=current.due_at, duration=Days(days=request.extra_days))
        district_due = _parent_due_at(current)
        if district_due is not None and due_at > district_due:
            if request.passed_up_to_id is None:
                raise DomainError(
                    "after_parent_deadline",
                    _("The new deadline would end after the district's own: pass the request up to the hotline."),
                    status=409,
                )
            due_at = district_due  # the hotline granted the district less than the unit asked
        current.due_at = due_at
        alerts.schedule_alerts(assignment=current)
        current.save(update_fields=["due_at", "next_alert_stage", "next_alert_at"])
        request.granted_due_at = current.due_at
    _record_decision(
        request,
        assignment=assignment,
        actor=actor,
        approve=approve,
        note=note,
        now=timezone.now(),
        kind=NotificationKind.EXTENSION_DECIDED,
        title=(_("Extension approved: %(number)s") if approve else _("Extension denied: %(number)s"))
        % {"number": assignment.ticket.number},
        key=f"extension:{request.pk}:decided",
    )
    return request


def _pass_extension_up(*, request: ExtensionRequest, actor: User, note: str) -> ExtensionRequest:
    """The district asks the hotline for the unit's days on its own assignment; the unit's request
    stays pending, linked to the district's, until the hotline decides."""
    assignment = request.assignment
    assert assignment.parent is not None  # checked by the caller
    district_assignment = Assignment.objects.select_related("unit", "ticket", "parent__unit").get(
        pk=assignment.parent.pk
    )
    with transaction.atomic():
        # The ticket first, as every writer here locks (its transition takes the lock again).
        Ticket.objects.select_for_update().get(pk=assignment.ticket_id)
        pending = _lock_pending(ExtensionRequest, request.pk)
        if pending.passed_up_to_id is not None:
            raise _conflict("already_decided", _("This request has already been decided."))
        upward = _file_extension(
            assignment=district_assignment,
            actor=actor,
            extra_days=pending.extra_days,
            reason=f"{pending.reason}\n\n{note}" if note else pending.reason,
            passed_up_from=pending.pk,
        )
        pending.passed_up_to = upward
        pending.save(update_fields=["passed_up_to"])
    return pending


# The district sub-centre (区分中心): passing a district's ticket down a level

# Units that assist anywhere in the city, whichever district passes a ticket down (utilities).
CITY_WIDE_ASSISTING_KINDS = frozenset({UnitKind.STATE_ENTERPRISE})


def _district_units(
    *,
    district_id: int,
    lead_unit_id: int,
    assist_unit_ids: Sequence[int],
    fields: tuple[str, str] = ("lead", "assisting"),
) -> tuple[Unit, list[Unit]]:
    """The lead and assisting units a district may pass its ticket down to, checked: active handling
    units inside the district (its streets/townships and departments); assisting units may also be
    the city-wide utilities."""
    lead, assists = _handling_units(lead_unit_id=lead_unit_id, assist_unit_ids=assist_unit_ids, fields=fields)
    lead_field, assist_field = fields
    if lead.parent_id != district_id:
        raise _invalid(lead_field, _("Choose a unit inside the district."))
    if any(unit.parent_id != district_id and unit.kind not in CITY_WIDE_ASSISTING_KINDS for unit in assists):
        raise _invalid(assist_field, _("Assisting units must be inside the district, or city-wide utilities."))
    return lead, assists


def _pass_down(
    *,
    district_assignment: Assignment,
    lead: Unit,
    assists: Sequence[Unit],
    actor: User,
    note: str,
    due_at: datetime | None,
    override_reason: str = "",
) -> list[Assignment]:
    """Inside a transaction: the SUBDISPATCH step on the district's assignment and the new
    assignments below it, due by `due_at` or the district's own deadline, never after it."""
    unit_ids = [lead.pk, *(unit.pk for unit in assists)]

    def check(current: Assignment, ticket: Ticket) -> None:
        assert current.due_at is not None  # a dispatched assignment always has its deadline
        if current.due_at <= timezone.now():
            raise DomainError(
                "after_parent_deadline",
                _("The district's own deadline has passed: ask the hotline for an extension first."),
                status=409,
            )
        if due_at is not None and due_at > current.due_at:
            raise DomainError(
                "after_parent_deadline",
                _("A deadline below the district cannot end after the district's own (%(due)s).")
                % {"due": f"{timezone.localtime(current.due_at):%Y-%m-%d %H:%M}"},
                status=400,
                fields={"due_at": [_("Choose a deadline no later than the district's own.")]},
            )
        _check_lead_for(ticket, lead=lead, override_reason=override_reason)
        if Assignment.objects.filter(ticket=ticket, unit_id__in=unit_ids, ended_at__isnull=True).exists():
            raise _conflict("already_assigned", _("A chosen unit is already working on this ticket."))

    payload: dict[str, Any] = {
        "lead": lead.pk,
        "lead_name": lead.name,
        "assist": [unit.pk for unit in assists],
        "due_at": due_at.isoformat() if due_at else None,
    }
    if override_reason:
        payload["override_reason"] = override_reason
    current, ticket, event = _step(
        assignment=district_assignment, step=StepName.SUBDISPATCH, actor=actor, note=note, payload=payload, check=check
    )
    now = event.created_at
    created = Assignment.objects.bulk_create(
        [
            _new_assignment(
                ticket=ticket,
                unit=unit,
                role=AssignmentRole.LEAD if unit == lead else AssignmentRole.ASSIST,
                actor=actor,
                now=now,
                due_at=due_at or current.due_at,
                parent=current,
            )
            for unit in [lead, *assists]
        ]
    )
    _notify_new(
        created,
        kind=NotificationKind.DISPATCHED,
        title=_("New ticket from %(district)s to sign") % {"district": current.unit.name},
    )
    return created


def subdispatch(
    *,
    assignment_id: int,
    actor: User,
    lead_unit_id: int,
    assist_unit_ids: Sequence[int] = (),
    note: str = "",
    due_at: datetime | None = None,
    override_reason: str = "",
) -> list[Assignment]:
    """区里再往下派: the district's staff pass the district's signed ticket down to one lead unit
    inside the district (and assisting units). Returns the new assignments, the lead's first.

    The district's assignment stays open: it answers for the ticket until its unit replies and it
    confirms the reply (`confirm_reply`). The new deadlines never end after the district's own."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    # A step the assignment does not allow is refused before its input is read (which units are
    # inside depends on the assignment's unit being a district); checked again under the lock.
    steps.check_step(
        steps.STEPS[StepName.SUBDISPATCH], assignment=assignment, ticket=assignment.ticket, now=timezone.now()
    )
    lead, assists = _district_units(
        district_id=assignment.unit_id, lead_unit_id=lead_unit_id, assist_unit_ids=assist_unit_ids
    )
    if due_at is not None and due_at <= timezone.now():
        raise _invalid("due_at", _("Choose a deadline in the future."))
    override_reason = _clean_override_reason(override_reason)
    with transaction.atomic():
        return _pass_down(
            district_assignment=assignment,
            lead=lead,
            assists=assists,
            actor=actor,
            note=note.strip(),
            due_at=due_at,
            override_reason=override_reason,
        )


# Whistle, reply, supervision


def whistle(*, assignment_id: int, actor: User, unit_ids: Sequence[int], note: str = "") -> list[Assignment]:
    """吹哨报到: the lead street summons departments, who sign and reply to it as assisting units."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    unit_ids = list(dict.fromkeys(unit_ids))
    if not unit_ids:
        raise _invalid("units", _("Choose the departments to summon."))
    units = Unit.objects.in_bulk(unit_ids)
    if any(pk not in units or not units[pk].is_active or units[pk].kind not in WHISTLE_KINDS for pk in unit_ids):
        raise _invalid("units", _("Only active departments and enterprises can be summoned."))

    def not_taken(current: Assignment, ticket: Ticket) -> None:
        taken = Assignment.objects.filter(ticket=ticket, unit_id__in=unit_ids, ended_at__isnull=True)
        if taken.exists():
            raise _conflict("already_assigned", _("A chosen unit is already working on this ticket."))

    with transaction.atomic():
        lead, ticket, _event = _step(
            assignment=assignment,
            step=StepName.WHISTLE,
            actor=actor,
            check=not_taken,
            note=note.strip(),
            payload={"units": unit_ids, "unit_names": [units[pk].name for pk in unit_ids]},
        )
        now = timezone.now()
        created = Assignment.objects.bulk_create(
            [
                _new_assignment(
                    ticket=ticket,
                    unit=units[pk],
                    role=AssignmentRole.ASSIST,
                    actor=actor,
                    now=now,
                    due_at=lead.due_at,
                    whistled_by=lead,
                    parent=lead.parent,
                )
                for pk in unit_ids
            ]
        )
        _notify_new(created, kind=NotificationKind.WHISTLE, title=_("Summoned by a street: sign and co-handle"))
    return created


def reply(*, assignment_id: int, actor: User, text: str, outcome: str, explanation: str = "") -> Assignment:
    """The final reply (办结反馈). An assisting unit replies to the lead; the lead's reply goes to the
    caller and the hotline, and the ticket awaits the callback. A unit the district passed the
    ticket down to replies to the district, which confirms (or edits) it as its own reply."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    text, explanation = text.strip(), explanation.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write the result.")]
    if outcome not in ReplyOutcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    elif outcome in EXPLAINED_OUTCOMES and not explanation:
        errors["explanation"] = [_("Explain what could not be resolved and why.")]
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields=errors)
    changes = None
    payload: dict[str, Any] = {"outcome": outcome, "explanation": explanation}
    step = StepName.ASSIST_REPLY
    if assignment.is_lead and assignment.level == Level.DISTRICT:
        step = StepName.SUB_REPLY
    elif assignment.is_lead:
        step = StepName.REPLY
        # What the citizen reads on the status page, written by the reply's own transition.
        changes = {"public_reply": f"{text}\n\n{explanation}" if explanation else text}
    with transaction.atomic():
        if step == StepName.REPLY and (confirmed := _replied_sub_lead(assignment)) is not None:
            payload |= {"confirms": confirmed.pk, "edited": _reply_of(confirmed) != (text, outcome, explanation)}
        assignment, ticket, _event = _step(
            assignment=assignment, step=step, actor=actor, note=text, payload=payload, changes=changes
        )
        now = timezone.now()
        assignment.status = AssignmentStatus.REPLIED
        assignment.replied_at = now
        assignment.replied_by = actor
        assignment.reply = text
        assignment.outcome = outcome
        assignment.explanation = explanation
        assignment.save(update_fields=["status", "replied_at", "replied_by", "reply", "outcome", "explanation"])
        if step == StepName.REPLY:
            # 双反馈: the hotline-level lead's reply is final; the caller is texted in this transaction.
            feedback.queue_reply_feedback(assignment=assignment, ticket=ticket)
        if assignment.is_lead:
            # Assisting units that have not replied by now are done: the ticket left the units (for
            # a unit below a district: the units the district passed it down to).
            unreplied = Assignment.objects.filter(
                ticket=ticket,
                ended_at__isnull=True,
                status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED],
            )
            if step == StepName.SUB_REPLY:
                unreplied = unreplied.filter(parent_id=assignment.parent_id)
            unreplied.update(status=AssignmentStatus.ENDED, ended_at=now)
        if step == StepName.SUB_REPLY:
            assert assignment.parent is not None  # a sub-reply is the reply of a unit below a district
            notify_unit(
                unit=assignment.parent.unit,
                kind=NotificationKind.SUB_REPLIED,
                title=_("Reply to confirm: %(number)s") % {"number": ticket.number},
                body=intake_selectors.notification_body(ticket=ticket, detail=f"{assignment.unit.name} · {text}"),
                link=assignment_link(assignment.parent.pk),
                key=f"assignment:{assignment.pk}:replied:{now.isoformat()}",
            )
    return assignment


def _replied_sub_lead(assignment: Assignment) -> Assignment | None:
    """The live lead below the district's assignment that has replied to it, if any."""
    return Assignment.objects.filter(
        parent_id=assignment.pk, role=AssignmentRole.LEAD, ended_at__isnull=True, status=AssignmentStatus.REPLIED
    ).first()


def _reply_of(assignment: Assignment) -> tuple[str, str, str]:
    return assignment.reply, assignment.outcome, assignment.explanation


def confirm_reply(
    *, assignment_id: int, actor: User, text: str = "", outcome: str = "", explanation: str | None = None
) -> Assignment:
    """The district confirms the reply of the unit it passed the ticket down to as its own reply to
    the hotline; what it gives (`text`, `outcome`, `explanation`) replaces the unit's words."""
    assignment = _for_unit_staff(assignment_id=assignment_id, actor=actor)
    sub_lead = _replied_sub_lead(assignment)
    if sub_lead is None:
        raise _conflict("nothing_to_confirm", _("No unit of the district has replied to this ticket yet."))
    if explanation is None:
        explanation = sub_lead.explanation if outcome in ("", sub_lead.outcome) else ""
    return reply(
        assignment_id=assignment.pk,
        actor=actor,
        text=text.strip() or sub_lead.reply,
        outcome=outcome or sub_lead.outcome,
        explanation=explanation,
    )


def supervise(*, assignment_id: int, actor: User, comment: str) -> TicketEvent:
    """督办: a unit leader, district supervisor, or the district that passed the ticket down presses
    the unit, which is notified."""
    assignment = Assignment.objects.select_related("unit", "parent").filter(pk=assignment_id).first()
    require(assignment is not None and steps.may_take(Party.SUPERVISOR, user=actor, assignment=assignment))
    assert assignment is not None  # refused above
    comment = comment.strip()
    if not comment:
        raise _invalid("comment", _("Write the supervision comment."))
    with transaction.atomic():
        _current, _ticket, event = _step(assignment=assignment, step=StepName.SUPERVISE, actor=actor, note=comment)
        notify_unit(
            unit=assignment.unit,
            kind=NotificationKind.SUPERVISED,
            title=_("Supervision: %(number)s") % {"number": assignment.ticket.number},
            body=intake_selectors.notification_body(ticket=assignment.ticket, detail=comment),
            link=assignment_link(assignment.pk),
            key=f"supervise:{event.pk}",
        )
    return event


def reopen_lead(*, ticket_id: int, due_at: datetime) -> Assignment:
    """重办: under the REOPEN transition's lock (the evaluation's callback, through
    intake.services.locked_transition), the lead unit that replied handles the ticket again,
    already signed, until the new deadline. Its last reply stays on the row until it replies
    again; the event log keeps every reply. A district that had passed the ticket down gets it
    back with its unit, which handles it again under the same deadline."""
    with transaction.atomic():
        leads = list(
            Assignment.objects.select_for_update()
            .select_related("unit")
            .filter(ticket_id=ticket_id, role=AssignmentRole.LEAD, ended_at__isnull=True)
            .exclude(parent__isnull=False, status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED])
            .order_by("pk")
        )
        for lead in leads:
            lead.status = AssignmentStatus.SIGNED
            lead.due_at = due_at
            alerts.schedule_alerts(assignment=lead)
            lead.save(update_fields=["status", "due_at", "next_alert_stage", "next_alert_at"])
    return next(lead for lead in leads if lead.parent_id is None)


def close_assignments(*, ticket_id: int) -> int:
    """When the ticket closes (after the callback): its assignments stop being live.

    For the evaluation app's close step, under the CLOSE transition's lock (through
    intake.services.locked_transition); those without a reply are marked ended."""
    now = timezone.now()
    live = Assignment.objects.filter(ticket_id=ticket_id, ended_at__isnull=True)
    ended = live.exclude(status=AssignmentStatus.REPLIED).update(status=AssignmentStatus.ENDED, ended_at=now)
    return ended + live.update(ended_at=now)


# The dispatch catalogue (派单目录)


@dataclass
class RuleData:
    category: Category
    unit: Unit
    valid_from: date
    district: Unit | None = None
    street: Unit | None = None
    valid_until: date | None = None
    note: str = ""


def _validate_rule(data: RuleData) -> RuleData:
    errors: dict[str, list[str]] = {}
    if data.street is not None:
        if data.street.kind not in STREET_KINDS:
            errors["street"] = [_("This unit is not a street/township.")]
        elif data.district is None:
            data.district = data.street.parent
        elif data.street.parent_id != data.district.pk:
            errors["street"] = [_("This street/township is not in the chosen district.")]
    if data.district is not None and data.district.kind != UnitKind.DISTRICT:
        errors["district"] = [_("This unit is not a district.")]
    if not data.unit.is_active or data.unit.kind not in HANDLING_KINDS:
        errors["unit"] = [_("Choose an active handling unit.")]
    elif data.category.is_functional and data.unit.kind in STREET_KINDS:
        errors["unit"] = [_("A functional-department matter is never dispatched to a street/township.")]
    if data.valid_until is not None and data.valid_until < data.valid_from:
        errors["valid_until"] = [_("The end date is before the start date.")]
    if errors:
        raise DomainError("invalid", _("The input is not valid."), status=400, fields=errors)
    return data


def create_rule(*, data: RuleData, actor: User) -> RoutingRule:
    require(permissions.can_edit_catalogue(user=actor))
    data = _validate_rule(data)
    return RoutingRule.objects.create(**vars(data), created_by=actor)


def update_rule(*, rule_id: int, data: RuleData, actor: User) -> RoutingRule:
    """Change a rule. One not yet in effect changes in place; one in effect is ended the day before
    the change applies (today at the earliest) and a new version takes over."""
    require(permissions.can_edit_catalogue(user=actor))
    data = _validate_rule(data)
    today = timezone.localdate()
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule_id)
        if rule.valid_from >= today:
            for name, value in vars(data).items():
                setattr(rule, name, value)
            rule.save()
            return rule
        if rule.valid_until is not None and rule.valid_until < today:
            raise _conflict("rule_expired", _("This rule has expired; create a new one instead."))
        data.valid_from = max(data.valid_from, today)
        if data.valid_until is not None and data.valid_until < data.valid_from:
            raise _invalid("valid_until", _("The end date is before the start date."))
        rule.valid_until = data.valid_from - timedelta(days=1)
        rule.save(update_fields=["valid_until"])
        return RoutingRule.objects.create(**vars(data), replaces=rule, created_by=actor)


def retire_rule(*, rule_id: int, actor: User) -> None:
    """Remove a rule from today on: deleted if it never took effect, otherwise ended yesterday."""
    require(permissions.can_edit_catalogue(user=actor))
    today = timezone.localdate()
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule_id)
        if rule.valid_from >= today:
            rule.delete()
        elif rule.valid_until is None or rule.valid_until >= today:
            rule.valid_until = today - timedelta(days=1)
            rule.save(update_fields=["valid_until"])


# The shipped catalogue (dispatch/data/catalogue.csv)

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "catalogue.csv"


def read_catalogue_rows(path: Path = CATALOGUE_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@dataclass(frozen=True)
class CatalogueLoadResult:
    created: int
    unchanged: int


def _catalogue_error(line: int, message: str) -> DomainError:
    return DomainError("invalid_catalogue", f"catalogue row {line}: {message}", status=400)


def _expand_catalogue_row(
    row: Mapping[str, str],
    *,
    line: int,
    districts: Sequence[Unit],
    city_units: Mapping[str, Unit],
    district_units: Mapping[tuple[int | None, str], Unit],
) -> list[tuple[Unit | None, Unit]]:
    """The (district or None for city-wide, unit) pairs of one catalogue line."""
    scope, _sep, name = row["target"].partition(":")
    fallback = row.get("fallback", "").strip()
    if scope == "city":
        if fallback or name not in city_units:
            raise _catalogue_error(line, f"unknown city unit {name!r}, or a fallback for a city target")
        return [(None, city_units[name])]
    if scope != "district" or fallback not in city_units:
        raise _catalogue_error(line, "a target is city:<unit> or district:<department> with a city fallback")
    pairs: list[tuple[Unit | None, Unit]] = [(None, city_units[fallback])]
    for district in districts:
        full_name = name.format(short=district.name.removesuffix("区")) if "{" in name else district.name + name
        # A department some districts lack (农业农村局 in the central districts): the fallback serves them.
        if (department := district_units.get((district.pk, full_name))) is not None:
            pairs.append((district, department))
    if len(pairs) == 1:
        raise _catalogue_error(line, f"no district has a department {name!r}")
    return pairs


def load_catalogue(
    *, rows: Iterable[Mapping[str, str]], valid_from: date, actor: User | None = None
) -> CatalogueLoadResult:
    """Load the shipped dispatch catalogue (rows of `read_catalogue_rows`). Idempotent.

    A line whose rule (category, place, unit) is already in effect or scheduled is left alone,
    whoever made it; the others become rules valid from `valid_from`. Rules are never ended here,
    so the supervisors' own rules and changes stay. A line naming an unknown category or unit is
    a DomainError "invalid_catalogue", and nothing is loaded.
    """
    categories = Category.objects.in_bulk(field_name="code")
    city = Unit.objects.get(kind=UnitKind.CITY)
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code"))
    city_units = {unit.name: unit for unit in Unit.objects.filter(parent=city).exclude(kind=UnitKind.DISTRICT)}
    district_units = {
        (unit.parent_id, unit.name): unit
        for unit in Unit.objects.filter(kind=UnitKind.DISTRICT_DEPARTMENT, parent__kind=UnitKind.DISTRICT)
    }
    existing: set[tuple[int, int | None, int | None, int]] = set(
        RoutingRule.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)).values_list(
            "category_id", "district_id", "street_id", "unit_id"
        )
    )
    new: dict[tuple[int, int | None, None, int], RoutingRule] = {}
    unchanged = 0
    for line, row in enumerate(rows, start=1):
        category = categories.get(row["category_code"])
        if category is None:
            raise _catalogue_error(line, f"unknown category {row['category_code']!r}")
        pairs = _expand_catalogue_row(
            row, line=line, districts=districts, city_units=city_units, district_units=district_units
        )
        for district, unit in pairs:
            data = _validate_rule(
                RuleData(category=category, unit=unit, district=district, valid_from=valid_from, note=row["note"])
            )
            key = (category.pk, district.pk if district else None, None, unit.pk)
            if key in existing:
                unchanged += 1
            elif key not in new:
                new[key] = RoutingRule(**vars(data), created_by=actor)
    with transaction.atomic():
        RoutingRule.objects.bulk_create(new.values())
    return CatalogueLoadResult(created=len(new), unchanged=unchanged)
