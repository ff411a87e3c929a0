"""Deadline enforcement (DESIGN.md §5): periodic sweeps over the live assignments' deadlines.

Each sweep reads a bounded batch of due candidates through a partial index on live rows, then
handles each one in its own short transaction that locks the ticket first (the global lock
order), re-checks the condition under the lock, writes the event and the notifications, and
advances the assignment's marker. A second or concurrent sweep finds the marker moved and does
nothing; a worker killed mid-batch leaves the committed ones done and the rest for the next run.
Notifications carry a unique key as well, so even a replayed step cannot notify twice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.alerts import next_alert, reminder_schedule
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReminderStage
from dispatch.services import assignment_link
from hotline.errors import DomainError
from hotline.models import NotificationKind, Unit, UnitKind
from hotline.notifications import notify_district_supervisors, notify_unit
from intake import services as intake_services
from intake.lifecycle import Action
from intake.models import Ticket, TicketEvent


class _AlreadyHandledError(Exception):
    """The candidate was handled or changed meanwhile: roll back this one, touch nothing."""


@dataclass(frozen=True)
class SweepResult:
    handled: int
    skipped: int


def _district_of(unit: Unit) -> Unit | None:
    if unit.kind == UnitKind.DISTRICT:
        return unit
    parent = unit.parent
    return parent if parent is not None and parent.kind == UnitKind.DISTRICT else None


def _handle_one(
    *,
    assignment_id: int,
    ticket_id: int,
    action: Action,
    payload: dict,
    still_due: Callable[[Assignment], bool],
    step: Callable[[Assignment, TicketEvent], None],
) -> bool:
    """One candidate in its own transaction: ticket lock (via the transition), re-check, step."""
    locked: dict[str, Assignment] = {}

    def check(_ticket: Ticket) -> None:
        current = (
            Assignment.objects.select_for_update(of=("self",)).select_related("unit__parent").get(pk=assignment_id)
        )
        if not still_due(current):
            raise _AlreadyHandledError
        locked["assignment"] = current

    try:
        with transaction.atomic():
            _ticket, event = intake_services.transition(
                ticket_id=ticket_id,
                action=action,
                actor=None,
                payload={"assignment": assignment_id, **payload},
                check=check,
            )
            step(locked["assignment"], event)
    except _AlreadyHandledError:
        return False
    except DomainError:  # the ticket moved on (replied, returned …) since the candidate was read
        return False
    return True


def _in_commit_groups(candidates: list[tuple], handle: Callable[..., bool]) -> int:
    """Handle the candidates in transactions of HOTLINE_SWEEP_COMMIT_EVERY, each one in its own
    savepoint: one commit per group rather than per row, and a crash loses (rolls back) at most
    the group in progress, which the next run does again."""
    handled, size = 0, settings.HOTLINE_SWEEP_COMMIT_EVERY
    for start in range(0, len(candidates), size):
        with transaction.atomic():
            handled += sum(handle(*candidate) for candidate in candidates[start : start + size])
    return handled


def sweep_late_signs(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Live assignments not signed by their sign deadline: marked once (feeds the response rate)."""
    now = now or timezone.now()
    candidates = list(
        Assignment.objects.filter(
            ended_at__isnull=True,
            status=AssignmentStatus.DISPATCHED,
            late_sign_marked_at__isnull=True,
            sign_due_at__lte=now,
        )
        .order_by("sign_due_at", "pk")
        .values_list("pk", "ticket_id")[: batch or settings.HOTLINE_SWEEP_BATCH]
    )

    def still_due(current: Assignment) -> bool:
        return (
            current.ended_at is None
            and current.status == AssignmentStatus.DISPATCHED
            and current.late_sign_marked_at is None
            and current.sign_due_at <= now
        )

    def step(current: Assignment, event: TicketEvent) -> None:
        current.late_sign_marked_at = now
        current.save(update_fields=["late_sign_marked_at"])
        notify_unit(
            unit=current.unit,
            kind=NotificationKind.URGED,
            title=_("Not signed in time: sign now"),
            link=assignment_link(current.pk),
            key=f"late-sign:{current.pk}",
        )

    handled = _in_commit_groups(
        candidates,
        lambda pk, ticket_id: _handle_one(
            assignment_id=pk,
            ticket_id=ticket_id,
            action=Action.MARK_LATE_SIGN,
            payload={},
            still_due=still_due,
            step=step,
        ),
    )
    return SweepResult(handled, len(candidates) - handled)


def _alert_to_fire(*, stored: str, dispatched_at: datetime, due_at: datetime, now: datetime) -> str:
    """The latest alert already due from the stored one on: when a sweep comes late (downtime), a
    stale reminder is not sent after a later one is due; the overdue alert is never skipped."""
    schedule = reminder_schedule(dispatched_at=dispatched_at, due_at=due_at)
    stages = [stage for stage, _at in schedule]
    start = stages.index(stored) if stored in stages else 0
    fire = stored
    for stage, at in schedule[start:]:
        if at <= now:
            fire = stage
    return fire


def sweep_deadline_alerts(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Reminders at 75 % of the time and 1 h before the deadline, and at the deadline: overdue,
    escalated to the district supervisors. Each stage fires once per deadline."""
    now = now or timezone.now()
    candidates = list(
        Assignment.objects.filter(
            ended_at__isnull=True,
            status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED],
            next_alert_at__lte=now,
        )
        .order_by("next_alert_at", "pk")
        .values_list("pk", "ticket_id", "next_alert_stage", "dispatched_at", "due_at")[
            : batch or settings.HOTLINE_SWEEP_BATCH
        ]
    )

    def handle(pk: int, ticket_id: int, stored: str, dispatched_at: datetime, due_at: datetime) -> bool:
        stage = _alert_to_fire(stored=stored, dispatched_at=dispatched_at, due_at=due_at, now=now)

        def still_due(current: Assignment, stored: str = stored) -> bool:
            return (
                current.ended_at is None
                and current.status in (AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED)
                and current.next_alert_stage == stored
                and current.next_alert_at is not None
                and current.next_alert_at <= now
            )

        def step(current: Assignment, event: TicketEvent, stage: str = stage) -> None:
            _fire_alert(current, stage=stage, now=now)

        return _handle_one(
            assignment_id=pk,
            ticket_id=ticket_id,
            action=Action.MARK_OVERDUE if stage == ReminderStage.OVERDUE else Action.URGE,
            payload={"reminder": stage},
            still_due=still_due,
            step=step,
        )

    handled = _in_commit_groups(candidates, handle)
    return SweepResult(handled, len(candidates) - handled)


def _fire_alert(current: Assignment, *, stage: str, now: datetime) -> None:
    due = timezone.localtime(current.due_at)
    link = assignment_link(current.pk)
    key = f"{stage}:{current.pk}:{current.due_at.isoformat()}"
    if stage == ReminderStage.OVERDUE:
        current.overdue_at = now
        title = _("Overdue since %(due)s") % {"due": f"{due:%Y-%m-%d %H:%M}"}
        notify_unit(unit=current.unit, kind=NotificationKind.OVERDUE, title=title, link=link, key=key)
        district = _district_of(current.unit)
        if district is not None and current.role == AssignmentRole.LEAD:
            notify_district_supervisors(
                district=district,
                kind=NotificationKind.ESCALATED,
                title=_("Escalated: %(unit)s is overdue") % {"unit": current.unit.name},
                link=link,
                key=key,
            )
    else:
        title = _("Deadline reminder: due %(due)s") % {"due": f"{due:%Y-%m-%d %H:%M}"}
        notify_unit(unit=current.unit, kind=NotificationKind.REMINDER, title=title, link=link, key=key)
    current.next_alert_stage, current.next_alert_at = next_alert(assignment=current, after_stage=stage)
    current.save(update_fields=["next_alert_stage", "next_alert_at", "overdue_at"])
