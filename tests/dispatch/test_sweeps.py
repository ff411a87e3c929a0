"""Deadline sweeps: reminders, late signs, overdue and escalation, once each, at the right moment."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from dispatch import alerts, services, sweeps
from dispatch.models import Assignment, ReminderStage
from hotline.models import DeadlineTier, Holiday, HolidayKind, Notification, NotificationKind
from intake import services as intake_services
from intake.lifecycle import Action
from intake.models import Ticket, TicketEvent
from intake.services import OverlayEntry
from tests.conftest import run_at_once

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def events(assignment: Assignment, action: Action) -> int:
    return TicketEvent.objects.filter(ticket_id=assignment.ticket_id, action=action).count()


def run_all(now: datetime) -> None:
    sweeps.sweep_late_signs(now=now)
    sweeps.sweep_deadline_alerts(now=now)


@pytest.mark.parametrize(
    ("tier", "span"),
    [
        (DeadlineTier.EMERGENCY, timedelta(hours=2)),
        (DeadlineTier.UTILITY, timedelta(hours=24)),
        (DeadlineTier.GENERAL, timedelta(days=7)),
        (DeadlineTier.COMPLEX, timedelta(days=15)),
    ],
)
def test_reminders_and_overdue_fire_at_their_moments_and_not_before(tier, span, org, staff, dispatched):
    # Given a ticket of the tier dispatched now and signed
    lead = dispatched(org.street_a, deadline_tier=tier)
    services.sign(assignment_id=lead.pk, actor=staff.officer_a)
    start = lead.dispatched_at
    assert lead.due_at == start + span
    schedule = alerts.reminder_schedule(dispatched_at=start, due_at=lead.due_at)
    # (for 2 h, "1 h before" comes at 50 %, before "75 %": the schedule is in time order)
    assert [stage for stage, _at in schedule][-1] == ReminderStage.OVERDUE
    assert {at for _stage, at in schedule} == {start + span * 0.75, start + span - timedelta(hours=1), start + span}
    second = timedelta(seconds=1)
    # Then each alert fires at its moment, not a second before, and once
    for fired, (stage, at) in enumerate(schedule):
        run_all(at - second)
        assert events(lead, Action.URGE) + events(lead, Action.MARK_OVERDUE) == fired, stage
        run_all(at)
        assert events(lead, Action.URGE) + events(lead, Action.MARK_OVERDUE) == fired + 1, stage
    assert events(lead, Action.MARK_OVERDUE) == 1
    lead.refresh_from_db()
    assert (lead.overdue_at, lead.next_alert_stage, lead.next_alert_at) == (lead.due_at, ReminderStage.DONE, None)
    # and the overdue is escalated to the district supervisor; the unit got both reminders
    assert (
        Notification.objects.filter(recipient=staff.district_supervisor, kind=NotificationKind.ESCALATED).count() == 1
    )
    assert Notification.objects.filter(recipient=staff.officer_a, kind=NotificationKind.REMINDER).count() == 2
    # Nothing more ever fires for this deadline
    run_all(lead.due_at + timedelta(days=30))
    assert events(lead, Action.URGE) + events(lead, Action.MARK_OVERDUE) == 3


def test_a_late_sweep_sends_the_overdue_alert_not_stale_reminders(org, staff, dispatched):
    lead = dispatched(org.street_a)
    run_all(lead.due_at + timedelta(hours=5))
    assert events(lead, Action.URGE) == 0
    assert events(lead, Action.MARK_OVERDUE) == 1


def test_late_sign_is_marked_once_at_the_sign_deadline(org, staff, dispatched):
    lead = dispatched(org.street_a)
    run_all(lead.sign_due_at - timedelta(seconds=1))
    assert events(lead, Action.MARK_LATE_SIGN) == 0
    run_all(lead.sign_due_at)
    run_all(lead.sign_due_at + timedelta(minutes=5))
    assert events(lead, Action.MARK_LATE_SIGN) == 1
    lead.refresh_from_db()
    assert lead.late_sign_marked_at is not None
    assert Notification.objects.filter(recipient=staff.officer_a, key=f"late-sign:{lead.pk}").count() == 1


def test_a_signed_or_replied_assignment_gets_no_alerts(org, staff, dispatched):
    lead = dispatched(org.street_a)
    services.sign(assignment_id=lead.pk, actor=staff.officer_a)
    services.reply(assignment_id=lead.pk, actor=staff.officer_a, text="已处理", outcome="resolved")
    run_all(lead.due_at + timedelta(days=1))
    assert events(lead, Action.MARK_LATE_SIGN) == events(lead, Action.URGE) == events(lead, Action.MARK_OVERDUE) == 0


def test_an_approved_extension_moves_the_alerts(org, staff, dispatched):
    lead = dispatched(org.street_a)
    services.sign(assignment_id=lead.pk, actor=staff.officer_a)
    request = services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=3, reason="需协调")
    services.decide_extension(extension_request_id=request.pk, actor=staff.dispatcher, approve=True)
    lead.refresh_from_db()
    old_due = lead.due_at - timedelta(days=3)
    run_all(old_due)
    assert events(lead, Action.MARK_OVERDUE) == 0
    run_all(lead.due_at)
    assert events(lead, Action.MARK_OVERDUE) == 1


@override_settings(HOTLINE_DEADLINE_MODE="working_days")
def test_working_day_deadline_across_national_day_and_a_make_up_workday(org, staff, dispatched):
    # Given National Day 2026-10-01..07 and Saturday 10-10 as a make-up workday
    for day in range(1, 8):
        Holiday.objects.create(date=f"2026-10-{day:02d}", kind=HolidayKind.HOLIDAY, name="国庆节")
    Holiday.objects.create(date="2026-10-10", kind=HolidayKind.WORKDAY, name="国庆调休")
    # When a general (7 working days) ticket is dispatched on Wednesday 2026-09-30 at 10:00
    with time_machine.travel(datetime(2026, 9, 30, 10, 0, tzinfo=TZ), tick=False):
        lead = dispatched(org.street_a)
    # Then the deadline skips the holiday week and counts the make-up Saturday: 10-08, 09, 10, 12, 13, 14, 15
    assert timezone.localtime(lead.due_at) == datetime(2026, 10, 15, 10, 0, tzinfo=TZ)
    run_all(datetime(2026, 10, 15, 9, 59, tzinfo=TZ))
    assert events(lead, Action.MARK_OVERDUE) == 0
    run_all(datetime(2026, 10, 15, 10, 0, tzinfo=TZ))
    assert events(lead, Action.MARK_OVERDUE) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_fire_each_alert_once(org, staff, dispatched):
    # Given 20 overdue assignments
    leads = [dispatched(org.street_a) for _ in range(20)]
    later = max(lead.due_at for lead in leads) + timedelta(minutes=1)
    # When two sweeps run at once on two connections
    run_at_once(*[lambda: sweeps.sweep_deadline_alerts(now=later)] * 2)
    # Then every assignment got exactly one overdue event and one escalation
    for lead in leads:
        assert events(lead, Action.MARK_OVERDUE) == 1
    assert Notification.objects.filter(kind=NotificationKind.ESCALATED).count() == 20


def test_a_caller_not_contacted_by_the_first_contact_deadline_is_marked_once_and_the_unit_urged(org, staff, dispatched):
    # Given a signed ticket whose caller has not been contacted
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    due = lead.first_contact_due_at
    assert due == lead.signed_at + timedelta(hours=2)
    # When the sweep runs a second before the first-contact deadline
    sweeps.sweep_late_contacts(now=due - timedelta(seconds=1))
    # Then nothing happens yet
    assert events(lead, Action.MARK_LATE_CONTACT) == 0
    # When it runs at the deadline, and again
    assert sweeps.sweep_late_contacts(now=due).handled == 1
    assert sweeps.sweep_late_contacts(now=due + timedelta(hours=1)).handled == 0
    # Then the ticket's log shows it once, and the unit's staff are urged once
    assert events(lead, Action.MARK_LATE_CONTACT) == 1
    assert Assignment.objects.get(pk=lead.pk).late_contact_marked_at == due
    urged = Notification.objects.filter(kind=NotificationKind.URGED, key=f"late-contact:{lead.pk}")
    assert set(urged.values_list("recipient", flat=True)) == {staff.officer_a.pk, staff.leader_a.pk}


def test_a_caller_contacted_in_time_or_no_caller_at_all_is_never_marked(org, staff, dispatched):
    # Given a signed ticket whose caller was contacted, and one without a caller
    contacted = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    services.record_first_contact(assignment_id=contacted.pk, actor=staff.officer_a)
    anonymous = services.sign(assignment_id=dispatched(org.street_a, caller=None).pk, actor=staff.officer_a)
    # When the sweep runs long after their deadlines
    result = sweeps.sweep_late_contacts(now=timezone.now() + timedelta(days=1))
    # Then neither is marked
    assert (result.handled, result.skipped) == (0, 0)
    assert events(contacted, Action.MARK_LATE_CONTACT) + events(anonymous, Action.MARK_LATE_CONTACT) == 0


def test_the_clock_stops_while_a_return_is_under_review(org, staff, dispatched):
    # Given an emergency ticket (sign within 15 min, handle within 2 h) whose unit asks at once to return it
    lead = dispatched(org.street_a, deadline_tier=DeadlineTier.EMERGENCY)
    request = services.request_return(
        assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单"
    )
    # When the sweeps run past both deadlines while the hotline has not decided
    run_all(lead.due_at + timedelta(hours=1))
    # Then nothing is marked and nobody is reminded, urged or escalated: the unit cannot act meanwhile
    assert events(lead, Action.MARK_LATE_SIGN) + events(lead, Action.URGE) + events(lead, Action.MARK_OVERDUE) == 0
    deadline_kinds = [NotificationKind.URGED, NotificationKind.REMINDER, NotificationKind.OVERDUE]
    assert not Notification.objects.filter(kind__in=[*deadline_kinds, NotificationKind.ESCALATED]).exists()
    # When the return is rejected three hours after it was asked
    with time_machine.travel(request.requested_at + timedelta(hours=3), tick=False):
        services.decide_return(return_request_id=request.pk, actor=staff.dispatcher, approve=False, note="属地职责")
    # Then the deadlines moved by the review's three hours, and the sign deadline fires at its new moment only
    moved = Assignment.objects.get(pk=lead.pk)
    assert (moved.sign_due_at, moved.due_at) == (
        lead.sign_due_at + timedelta(hours=3),
        lead.due_at + timedelta(hours=3),
    )
    sweeps.sweep_late_signs(now=moved.sign_due_at - timedelta(seconds=1))
    assert events(lead, Action.MARK_LATE_SIGN) == 0
    sweeps.sweep_late_signs(now=moved.sign_due_at)
    assert events(lead, Action.MARK_LATE_SIGN) == 1


def test_tickets_under_review_do_not_hold_up_the_sweeps_batches(org, staff, dispatched):
    # Given a ticket under review whose deadlines came first, and another one late after it
    paused = dispatched(org.street_a)
    services.request_return(assignment_id=paused.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单")
    late = dispatched(org.street_b)
    # When the sweeps run with room for one assignment per batch
    now = late.due_at + timedelta(hours=1)
    sweeps.sweep_late_signs(now=now, batch=1)
    sweeps.sweep_deadline_alerts(now=now, batch=1)
    # Then the batch went to the ticket whose clock runs
    assert events(late, Action.MARK_LATE_SIGN) == 1
    assert events(late, Action.MARK_OVERDUE) == 1


@pytest.mark.parametrize("action", [Action.MARK_LATE_SIGN, Action.URGE, Action.MARK_OVERDUE])
def test_the_state_machine_refuses_deadline_marks_on_a_ticket_under_review(action, org, staff, dispatched):
    # Given a ticket under return review (a sweep that read it as a candidate just before is too late)
    lead = dispatched(org.street_a)
    services.request_return(assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单")
    # When a sweep writes its mark, which checks the ticket's status under the ticket's lock
    entry = OverlayEntry(ticket_id=lead.ticket_id, unit_id=lead.unit_id, payload={"assignment": lead.pk})
    written = intake_services.record_overlay_events(action=action, entries=[entry])
    # Then nothing is written
    assert written == []
    assert events(lead, action) == 0


def test_an_overdue_unit_outside_any_district_is_escalated_to_the_hotline_supervisors(org, staff, dispatched):
    # Given a ticket led by a city department (no district above it)
    lead = dispatched(org.department, category=org.functional_matter)
    # When its deadline passes
    run_all(lead.due_at)
    # Then the hotline supervisors are told, not a district supervisor
    escalated = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert list(escalated.values_list("recipient", flat=True)) == [staff.hotline_supervisor.pk]
    assert escalated.get().link == f"/workbench/{lead.pk}/"
    assert Notification.objects.filter(recipient=staff.department_officer, kind=NotificationKind.OVERDUE).count() == 1


def test_the_sweep_reads_the_open_deadline_index(org, staff, dispatched):
    # Given 100,000 ended assignments and 1,000 live ones
    lead = dispatched(org.street_a)
    open_tickets = Ticket.objects.bulk_create(
        Ticket(
            number=f"20260101{index:06d}",
            channel="phone",
            kind="help",
            category=lead.ticket.category,
            description="待办",
            deadline_tier=DeadlineTier.GENERAL,
            status="dispatched",
        )
        for index in range(1000)
    )
    columns = (
        "ticket_id, unit_id, role, status, dispatched_at, sign_due_at, due_at, reply, outcome, explanation, "
        "returned, ended_at, next_alert_stage, next_alert_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO dispatch_assignment ({columns}) "
            "SELECT %s, %s, 'assist', 'ended', now() - interval '30 days', now(), now(), '', '', '', "
            "false, now(), 'done', NULL FROM generate_series(1, 100000)",
            [lead.ticket_id, org.street_b.pk],
        )
        cursor.execute(
            f"INSERT INTO dispatch_assignment ({columns}) "
            "SELECT t, %s, 'lead', 'dispatched', now(), now(), now() + interval '7 days', '', '', '', "
            "false, NULL, '75', now() + (t %% 1000 || ' minutes')::interval FROM unnest(%s::bigint[]) t",
            [org.department.pk, [ticket.pk for ticket in open_tickets]],
        )
        cursor.execute("ANALYZE dispatch_assignment")
        cursor.execute("ANALYZE intake_ticket")
    # When the sweep's candidate query is planned
    plan = sweeps.alert_candidates(now=timezone.now(), batch=500).explain()
    # Then it reads one of the partial indexes on live deadlines (which one is the planner's
    # choice at this size), never the ended rows
    assert "assignment_live_next_alert" in plan or "assignment_live_due" in plan, plan
    assert "Seq Scan on dispatch_assignment" not in plan, plan


def test_the_live_deadline_index_holds_the_statuses_the_step_table_urges_in():
    # Given the step table's statuses in which the sweeps urge (sweeps.LIVE)
    # When the partial index on live deadlines is read
    index = next(index for index in Assignment._meta.indexes if index.name == "assignment_live_due")
    # Then its condition names the same statuses, so that the sweeps' queries can use it
    assert set(dict(index.condition.children)["status__in"]) == set(sweeps.LIVE)
