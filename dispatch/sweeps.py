"""Deadline enforcement (DESIGN.md §5): periodic sweeps over the live assignments' deadlines.

Each sweep reads a bounded batch of due candidates through a partial index on live rows and
handles them set-based, in transactions of HOTLINE_SWEEP_COMMIT_EVERY rows: it locks the rows
it can get at once (SKIP LOCKED, so a sweep never waits on a user or on another sweep, and
never deadlocks) with the same condition that picked them, so each row it locks is still due;
the ticket's status is checked again under the ticket's lock (while a return is under review
the clock is stopped and nothing fires). It writes the events through
`intake.services.record_overlay_events`, advances the assignments' markers and sends the
notifications in bulk. A second or concurrent sweep finds the markers moved (or the rows
locked) and does nothing for them; a worker killed mid-batch rolls back the group in progress,
which the next run does again. Notifications carry a unique key as well, so nothing is sent twice.

Below a district (an assignment its sub-centre passed down), a late or overdue unit is escalated
to the district's own staff first: the district answers for the ticket to the hotline, and its
own assignment is marked by its own deadlines in the same sweeps.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.alerts import next_alert, reminder_schedule
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReminderStage
from dispatch.services import assignment_link
from dispatch.steps import STEPS, StepName
from hotline.models import NotificationKind, Role, Unit, UnitKind
from hotline.notifications import Notice, notify_units_bulk
from hotline.roles import UNIT_STAFF_ROLES
from intake import services as intake_services
from intake.lifecycle import CLOCK_RUNNING, Action
from intake.selectors import notification_body
from intake.services import OverlayEntry

# The statuses in which a deadline alert fires: the urge step's, from the step table. Sorted, for a
# stable query; the same set as the condition of the partial index assignment_live_due (a test holds
# them together).
LIVE = tuple(sorted(STEPS[StepName.URGE].statuses))


@dataclass(frozen=True)
class SweepResult:
    handled: int
    skipped: int


def _district_of(unit: Unit) -> Unit | None:
    if unit.kind == UnitKind.DISTRICT:
        return unit
    parent = unit.parent
    return parent if parent is not None and parent.kind == UnitKind.DISTRICT else None


def _lock(pks: list[int], due: Q) -> list[Assignment]:
    """The candidates this run may handle: locked now (others are busy) and still `due` under the
    lock (PostgreSQL evaluates the condition again on the row version it locks). With the ticket
    and its caller, which the notifications name (intake.selectors.notification_body)."""
    return list(
        Assignment.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("unit__parent", "ticket__caller", "parent")
        .filter(due, pk__in=pks)
        .order_by("pk")
    )


def _candidates(due: Q, *, deadline: str, batch: int | None) -> QuerySet:
    """The ids of a bounded batch of due assignments, the soonest `deadline` first."""
    return (
        Assignment.objects.filter(due)
        .order_by(deadline, "pk")
        .values_list("pk", flat=True)[: batch or settings.HOTLINE_SWEEP_BATCH]
    )


def _in_commit_groups(pks: list[int], handle: Callable[[list[int]], int]) -> int:
    handled, size = 0, settings.HOTLINE_SWEEP_COMMIT_EVERY
    for start in range(0, len(pks), size):
        with transaction.atomic():
            handled += handle(pks[start : start + size])
    return handled


def _update_each(assignments: list[Assignment], fields: list[str]) -> None:
    """Write each row's own values of `fields`: on PostgreSQL one UPDATE from unnested arrays,
    as bulk_update's per-row CASE expressions cost more to build than the update takes to run."""
    if connection.vendor != "postgresql":
        Assignment.objects.bulk_update(assignments, fields)
        return
    if not assignments:
        return
    columns = [Assignment._meta.get_field(name) for name in fields]
    arrays = ", ".join(["%s::bigint[]", *(f"%s::{column.db_type(connection)}[]" for column in columns)])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Assignment._meta.db_table} a SET "
            + ", ".join(f"{c.column} = v.{c.column}" for c in columns)
            + f" FROM unnest({arrays}) AS v(id, {', '.join(c.column for c in columns)}) WHERE a.id = v.id",
            [[a.pk for a in assignments], *([getattr(a, c.attname) for a in assignments] for c in columns)],
        )


def _write_events(
    action: Action, assignments: list[Assignment], payload: Callable[[Assignment], dict]
) -> list[Assignment]:
    """Events for the assignments whose tickets accept the action now; returns those assignments."""
    entries = [
        OverlayEntry(ticket_id=a.ticket_id, unit_id=a.unit_id, payload={"assignment": a.pk, **payload(a)})
        for a in assignments
    ]
    written = {
        entry.payload["assignment"] for entry in intake_services.record_overlay_events(action=action, entries=entries)
    }
    return [a for a in assignments if a.pk in written]


def _mark_once(
    due: Q,
    *,
    deadline: str,
    batch: int | None,
    action: Action,
    marker: str,
    now: datetime,
    notices: Callable[[Assignment], list[Notice]],
) -> SweepResult:
    """Mark each due assignment once, the soonest `deadline` first: the event, the `marker` field
    set to `now` (which takes it out of `due`), the unit told."""
    pks = list(_candidates(due, deadline=deadline, batch=batch))

    def handle(group: list[int]) -> int:
        marked = _write_events(action, _lock(group, due), lambda a: {})
        Assignment.objects.filter(pk__in=[a.pk for a in marked]).update(**{marker: now})
        notify_units_bulk(notices=[n for a in marked for n in notices(a)])
        return len(marked)

    handled = _in_commit_groups(pks, handle)
    return SweepResult(handled, len(pks) - handled)


def sweep_late_signs(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Live assignments not signed by their sign deadline: marked once (feeds the response rate)."""
    now = now or timezone.now()
    due = Q(
        ended_at__isnull=True,
        status=AssignmentStatus.DISPATCHED,
        late_sign_marked_at__isnull=True,
        sign_due_at__lte=now,
        ticket__status__in=CLOCK_RUNNING,
    )
    return _mark_once(
        due,
        deadline="sign_due_at",
        batch=batch,
        action=Action.MARK_LATE_SIGN,
        marker="late_sign_marked_at",
        now=now,
        notices=lambda a: [
            Notice(
                a.unit_id,
                UNIT_STAFF_ROLES,
                NotificationKind.URGED,
                _("Not signed in time: sign now"),
                assignment_link(a.pk),
                f"late-sign:{a.pk}",
                notification_body(ticket=a.ticket),
            ),
            *_to_district(a, _("Not signed in time: %(unit)s"), key=f"late-sign:{a.pk}"),
        ],
    )


def sweep_late_contacts(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Signed leads whose caller was not contacted by the first-contact deadline: marked once and
    the unit urged (the contact counts for the response rate). Tickets without a caller have
    nobody to contact, and confidential callers are contacted through the hotline."""
    now = now or timezone.now()
    due = Q(
        ended_at__isnull=True,
        first_contacted_at__isnull=True,
        late_contact_marked_at__isnull=True,
        first_contact_due_at__lte=now,
        status=AssignmentStatus.SIGNED,
        ticket__status__in=CLOCK_RUNNING,
        ticket__caller__isnull=False,
        ticket__confidential=False,
    )
    return _mark_once(
        due,
        deadline="first_contact_due_at",
        batch=batch,
        action=Action.MARK_LATE_CONTACT,
        marker="late_contact_marked_at",
        now=now,
        notices=lambda a: [
            Notice(
                a.unit_id,
                UNIT_STAFF_ROLES,
                NotificationKind.URGED,
                _("Caller not contacted in time: contact them now"),
                assignment_link(a.pk),
                f"late-contact:{a.pk}",
                notification_body(ticket=a.ticket),
            ),
            *_to_district(a, _("Caller not contacted in time: %(unit)s"), key=f"late-contact:{a.pk}"),
        ],
    )


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


def _alert_due(now: datetime) -> Q:
    """Live assignments whose next deadline alert is due."""
    return Q(ended_at__isnull=True, status__in=LIVE, next_alert_at__lte=now, ticket__status__in=CLOCK_RUNNING)


def alert_candidates(*, now: datetime, batch: int | None = None) -> QuerySet:
    """The ids of the live assignments whose next deadline alert is due, soonest first."""
    return _candidates(_alert_due(now), deadline="next_alert_at", batch=batch)


def sweep_deadline_alerts(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Reminders at 75 % of the time and 1 h before the deadline, and at the deadline: overdue,
    escalated to the district supervisors (the hotline supervisors for units outside a district).
    Each stage fires once per deadline."""
    now = now or timezone.now()
    pks = list(alert_candidates(now=now, batch=batch))

    def handle(group: list[int]) -> int:
        due = _lock(group, _alert_due(now))
        stage_of = {
            a.pk: _alert_to_fire(stored=a.next_alert_stage, dispatched_at=a.dispatched_at, due_at=a.due_at, now=now)
            for a in due
        }
        overdue = [a for a in due if stage_of[a.pk] == ReminderStage.OVERDUE]
        reminded = [a for a in due if stage_of[a.pk] != ReminderStage.OVERDUE]
        fired = _write_events(Action.MARK_OVERDUE, overdue, lambda a: {"reminder": ReminderStage.OVERDUE})
        fired += _write_events(Action.URGE, reminded, lambda a: {"reminder": stage_of[a.pk]})
        notices = []
        for assignment in fired:
            stage = stage_of[assignment.pk]
            notices += _notices(assignment, stage=stage)
            if stage == ReminderStage.OVERDUE:
                assignment.overdue_at = now
            assignment.next_alert_stage, assignment.next_alert_at = next_alert(assignment=assignment, after_stage=stage)
        _update_each(fired, ["next_alert_stage", "next_alert_at", "overdue_at"])
        notify_units_bulk(notices=notices)
        return len(fired)

    handled = _in_commit_groups(pks, handle)
    return SweepResult(handled, len(pks) - handled)


def _to_district(assignment: Assignment, title: str, *, key: str) -> list[Notice]:
    """For a unit the district passed the ticket down to, the district's staff told as well."""
    if assignment.parent is None:
        return []
    return [
        Notice(
            assignment.parent.unit_id,
            UNIT_STAFF_ROLES,
            NotificationKind.ESCALATED,
            title % {"unit": assignment.unit.name},
            assignment_link(assignment.pk),
            key,
            notification_body(ticket=assignment.ticket),
        )
    ]


def _notices(assignment: Assignment, *, stage: str) -> list[Notice]:
    due = f"{timezone.localtime(assignment.due_at):%Y-%m-%d %H:%M}"
    link = assignment_link(assignment.pk)
    key = f"{stage}:{assignment.pk}:{assignment.due_at.isoformat()}"
    body = notification_body(ticket=assignment.ticket)
    unit_staff = (assignment.unit_id, UNIT_STAFF_ROLES)
    if stage != ReminderStage.OVERDUE:
        title = _("Deadline reminder: due %(due)s") % {"due": due}
        return [Notice(*unit_staff, NotificationKind.REMINDER, title, link, key, body)]
    overdue = _("Overdue since %(due)s") % {"due": due}
    notices = [Notice(*unit_staff, NotificationKind.OVERDUE, overdue, link, key, body)]
    if assignment.parent is not None:
        # A unit below a district answers to the district first; the district's own assignment
        # escalates further when its deadline passes.
        notices += _to_district(assignment, _("Escalated: %(unit)s is overdue"), key=key)
    elif assignment.role == AssignmentRole.LEAD:
        title = _("Escalated: %(unit)s is overdue") % {"unit": assignment.unit.name}
        district = _district_of(assignment.unit)
        if district is not None:
            supervisors = (district.pk, (Role.DISTRICT_SUPERVISOR,))
        else:  # city departments, enterprises and platforms answer to the hotline itself
            supervisors = (None, (Role.HOTLINE_SUPERVISOR,))
        notices.append(Notice(*supervisors, NotificationKind.ESCALATED, title, link, key, body))
    return notices
