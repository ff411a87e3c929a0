"""The callback window enforced (DESIGN.md §5): the hourly digest of callbacks past their window,
and callbacks still not reached after the grace period closed as not reached."""

import threading
import time
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from dispatch.models import Assignment
from evaluation import callbacks as callback_services
from evaluation import rates
from evaluation.callbacks import CallbackAnswer
from evaluation.models import Callback, CallbackAttempt, CallbackStatus, Resolution, Satisfaction
from evaluation.scoring import Counts
from hotline.models import Notification, NotificationKind, Role
from intake.lifecycle import Action, Status
from intake.models import Ticket, TicketEvent
from tests.conftest import run_at_once
from tests.evaluation.conftest import pending_callback

pytestmark = pytest.mark.django_db

GRACE = timedelta(days=5)  # CALLBACK_GIVE_UP_AFTER_DAYS's default
SATISFIED = CallbackAnswer(reached=True, resolution=Resolution.RESOLVED, satisfaction=Satisfaction.SATISFIED)


def abandoned(street, *, past_grace: timedelta = timedelta(hours=1)) -> Callback:
    """A callback nobody completed, due GRACE + `past_grace` ago."""
    return pending_callback(unit=street, due_in=-(GRACE + past_grace))


def five_past_the_hour() -> datetime:
    return timezone.localtime().replace(minute=5, second=0, microsecond=0)


def gave_up_events(ticket_id: int) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket_id=ticket_id, action=Action.GIVE_UP_CALLBACK))


# --- The digest -----------------------------------------------------------------------------------


def test_callback_agents_and_supervisors_get_one_digest_an_hour_with_the_number_overdue(
    client, street, callback_agent, supervisor, city_admin, make_user
):
    # Given two callbacks past their window, one not yet due and one completed late; and people in
    # other roles, and an inactive callback agent
    pending_callback(unit=street, due_in=-timedelta(hours=3))
    pending_callback(unit=street, due_in=-timedelta(hours=2))
    pending_callback(unit=street, due_in=timedelta(days=1))
    done = pending_callback(unit=street, due_in=-timedelta(hours=4))
    callback_services.record_callback(callback_id=done.pk, answer=SATISFIED, actor=callback_agent)
    for role in (Role.DISPATCHER, Role.AGENT):
        make_user(role)
    make_user(Role.UNIT_OFFICER, unit=street)
    make_user(Role.CALLBACK_AGENT, is_active=False)
    now = five_past_the_hour()
    # When the sweep runs
    result = callback_services.sweep_overdue_callbacks(now=now)
    # Then the active callback agent and the hotline supervisor alone are told: two overdue, with
    # a link to the queue filtered on overdue
    assert (result.given_up, result.overdue, result.notified) == (0, 2, 2)
    notices = Notification.objects.order_by("recipient_id")
    assert {notice.recipient for notice in notices} == {callback_agent, supervisor}
    for notice in notices:
        assert notice.kind == NotificationKind.CALLBACKS_OVERDUE
        assert notice.title == "2 个回访已超过回访期限"
        assert notice.link == "/evaluation/callbacks/?overdue=true"
    client.force_login(callback_agent)
    assert "(2)" in client.get(notices[0].link).content.decode()
    # And later runs within the hour add nothing; the next hour brings the next digest
    assert callback_services.sweep_overdue_callbacks(now=now + timedelta(minutes=50)).notified == 0
    assert Notification.objects.count() == 2
    assert callback_services.sweep_overdue_callbacks(now=now + timedelta(hours=1)).notified == 2
    assert Notification.objects.filter(recipient=callback_agent).count() == 2


def test_no_digest_while_no_callback_is_past_its_window(street, callback_agent):
    # Given a callback not yet due and one past its window but completed
    pending_callback(unit=street, due_in=timedelta(hours=1))
    done = pending_callback(unit=street, due_in=-timedelta(hours=1))
    callback_services.record_callback(callback_id=done.pk, answer=SATISFIED, actor=callback_agent)
    # When the sweep runs
    result = callback_services.sweep_overdue_callbacks()
    # Then nobody is told
    assert (result.overdue, result.notified) == (0, 0)
    assert not Notification.objects.exists()


def test_the_digest_counts_in_one_query_over_the_pending_index(
    street, callback_agent, make_user, django_assert_max_num_queries
):
    # Given callbacks past their window (within the grace period) and several people to tell
    for hours in (1, 2, 3):
        pending_callback(unit=street, due_in=-timedelta(hours=hours))
    for _ in range(3):
        make_user(Role.HOTLINE_SUPERVISOR)
    # When the sweep runs
    with django_assert_max_num_queries(8) as captured:
        result = callback_services.sweep_overdue_callbacks(now=five_past_the_hour())
    # Then the callbacks are counted in one aggregate query, which the partial index of pending
    # callbacks by due time can serve
    assert (result.overdue, result.notified) == (3, 4)
    [count] = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: the planner would scan
        cursor.execute(f"EXPLAIN {count}")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "callback_pending_due" in plan


# --- Giving up after the grace period -------------------------------------------------------------


def test_a_callback_past_the_grace_period_closes_as_not_reached_and_its_ticket_closes(street):
    # Given a callback due GRACE and an hour ago, and one due an hour less than GRACE ago
    late = abandoned(street)
    within = abandoned(street, past_grace=-timedelta(hours=1))
    # When the sweep runs
    result = callback_services.sweep_overdue_callbacks()
    # Then the late one is closed as not reached by the system, without an attempt
    assert result.given_up == 1
    late.refresh_from_db()
    assert (late.status, late.completed_by, late.attempts) == (CallbackStatus.NOT_REACHED, None, 0)
    assert late.completed_at is not None
    assert not CallbackAttempt.objects.exists()
    # And its ticket leaves "awaiting callback", closed with its assignments, by the system
    ticket = Ticket.objects.get(pk=late.ticket_id)
    assert ticket.status == Status.CLOSED
    assert not Assignment.objects.filter(ticket=ticket, ended_at__isnull=True).exists()
    events = TicketEvent.objects.filter(ticket=ticket, action__in=[Action.GIVE_UP_CALLBACK, Action.CLOSE])
    assert [(event.action, event.actor, event.to_status) for event in events.order_by("id")] == [
        (Action.GIVE_UP_CALLBACK, None, Status.AWAITING_CALLBACK),
        (Action.CLOSE, None, Status.CLOSED),
    ]
    [event] = gave_up_events(ticket.pk)
    assert event.payload == {"callback": late.pk}
    assert event.note == "超过回访期限及宽限期仍未回访成功，按未联系上结束。"
    # And it is not in the unit's rates (unanswered callbacks leave the denominators)
    month = timezone.localtime(late.completed_at).date().replace(day=1)
    assert rates.unit_counts(month=month).get(street.pk, Counts()).callbacks_answered == 0
    # And the one still within the grace period stays in the queue, its ticket awaiting callback
    within.refresh_from_db()
    assert within.status == CallbackStatus.PENDING
    assert Ticket.objects.get(pk=within.ticket_id).status == Status.AWAITING_CALLBACK


def test_the_grace_period_follows_the_setting(street, settings):
    # Given a grace period of one day and a callback due a day and an hour ago
    settings.CALLBACK_GIVE_UP_AFTER = timedelta(days=1)
    callback = pending_callback(unit=street, due_in=-timedelta(days=1, hours=1))
    # When the sweep runs
    callback_services.sweep_overdue_callbacks()
    # Then it is closed as not reached
    assert Callback.objects.get(pk=callback.pk).status == CallbackStatus.NOT_REACHED


def test_the_grace_period_defaults_to_five_days_from_the_environment():
    assert django_settings.CALLBACK_GIVE_UP_AFTER == GRACE


def test_earlier_unreached_attempts_are_kept_when_the_sweep_gives_up(street, callback_agent):
    # Given an abandoned callback the agent tried twice without reaching the caller
    callback = abandoned(street)
    for _ in range(2):
        callback_services.record_callback(
            callback_id=callback.pk, answer=CallbackAnswer(reached=False), actor=callback_agent
        )
    # When the sweep runs
    callback_services.sweep_overdue_callbacks()
    # Then it closes as not reached with its two attempts, no third one invented
    callback.refresh_from_db()
    assert (callback.status, callback.attempts, callback.completed_by) == (CallbackStatus.NOT_REACHED, 2, None)
    assert CallbackAttempt.objects.filter(callback=callback).count() == 2
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.CLOSED


def test_an_answered_callback_is_untouched(street, callback_agent):
    # Given a callback answered long after its window
    callback = abandoned(street, past_grace=timedelta(days=2))
    callback_services.record_callback(callback_id=callback.pk, answer=SATISFIED, actor=callback_agent)
    before = Callback.objects.get(pk=callback.pk)
    events = TicketEvent.objects.filter(ticket_id=callback.ticket_id).count()
    # When the sweep runs
    assert callback_services.sweep_overdue_callbacks().given_up == 0
    # Then the answer, its author and the ticket's log are as they were
    after = Callback.objects.get(pk=callback.pk)
    assert (after.status, after.completed_at, after.completed_by) == (
        CallbackStatus.DONE,
        before.completed_at,
        callback_agent,
    )
    assert TicketEvent.objects.filter(ticket_id=callback.ticket_id).count() == events


def test_a_callback_of_a_ticket_still_at_the_unit_closes_and_the_ticket_stays_there(street):
    # Given an abandoned callback opened for a missed deadline: the ticket is still in progress
    callback = abandoned(street)
    Ticket.objects.filter(pk=callback.ticket_id).update(status=Status.IN_PROGRESS)
    # When the sweep runs
    callback_services.sweep_overdue_callbacks()
    # Then the callback is closed as not reached and the ticket stays with the unit
    assert Callback.objects.get(pk=callback.pk).status == CallbackStatus.NOT_REACHED
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.IN_PROGRESS
    assert len(gave_up_events(callback.ticket_id)) == 1


def test_a_ticket_back_at_the_hotline_keeps_its_callback_and_the_others_close(street):
    # Given two abandoned callbacks, the older one's ticket returned to the hotline for dispatch
    returned = abandoned(street, past_grace=timedelta(days=1))
    Ticket.objects.filter(pk=returned.ticket_id).update(status=Status.AWAITING_DISPATCH)
    other = abandoned(street)
    # When the sweep runs
    result = callback_services.sweep_overdue_callbacks()
    # Then the returned ticket's callback waits for its next dispatch, and the other one closes
    assert result.given_up == 1
    assert Callback.objects.get(pk=returned.pk).status == CallbackStatus.PENDING
    assert gave_up_events(returned.ticket_id) == []
    assert Callback.objects.get(pk=other.pk).status == CallbackStatus.NOT_REACHED


def test_a_second_sweep_has_no_second_effect(street, callback_agent):
    # Given an abandoned callback the sweep closed
    callback = abandoned(street)
    assert callback_services.sweep_overdue_callbacks().given_up == 1
    events = TicketEvent.objects.filter(ticket_id=callback.ticket_id).count()
    completed_at = Callback.objects.get(pk=callback.pk).completed_at
    # When it runs again
    result = callback_services.sweep_overdue_callbacks()
    # Then nothing more happens
    assert (result.given_up, result.overdue, result.notified) == (0, 0, 0)
    assert TicketEvent.objects.filter(ticket_id=callback.ticket_id).count() == events
    assert Callback.objects.get(pk=callback.pk).completed_at == completed_at


def test_run_sweep_runs_it_by_hand(street):
    # Given an abandoned callback
    abandoned(street)
    out = StringIO()
    # When an operator runs the sweep
    call_command("run_sweep", "overdue-callbacks", stdout=out)
    # Then it is closed and the command says so
    assert "overdue-callbacks: OverdueCallbacks(given_up=1, overdue=0, notified=0)" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_close_each_callback_once_and_send_one_digest(street, callback_agent, monkeypatch):
    # Given four abandoned callbacks and one past its window within the grace period
    callbacks = [abandoned(street, past_grace=timedelta(hours=hours)) for hours in (1, 2, 3, 4)]
    pending_callback(unit=street, due_in=-timedelta(hours=1))
    # (each sweep holds its locks a little, so that both run over the same candidates)
    settle = callback_services._settle

    def slow_settle(**kwargs):
        time.sleep(0.05)
        settle(**kwargs)

    monkeypatch.setattr(callback_services, "_settle", slow_settle)
    # When two sweeps run at once on two connections
    now = five_past_the_hour()
    results = run_at_once(
        lambda: callback_services.sweep_overdue_callbacks(now=now),
        lambda: callback_services.sweep_overdue_callbacks(now=now),
    )
    # Then each callback was closed once between them, each ticket once, and one digest was sent
    assert sum(result.given_up for result in results) == 4
    for callback in callbacks:
        assert len(gave_up_events(callback.ticket_id)) == 1
        assert TicketEvent.objects.filter(ticket_id=callback.ticket_id, action=Action.CLOSE).count() == 1
    assert Callback.objects.filter(status=CallbackStatus.NOT_REACHED).count() == 4
    assert sum(result.notified for result in results) == 1
    assert Notification.objects.get(recipient=callback_agent).kind == NotificationKind.CALLBACKS_OVERDUE


@pytest.mark.django_db(transaction=True)
def test_a_callback_an_agent_is_recording_is_left_to_the_agent(street, callback_agent):
    # Given an abandoned callback whose caller an agent has just reached, not yet committed
    callback = abandoned(street)
    recorded, release = threading.Event(), threading.Event()

    def agent() -> None:
        try:
            with transaction.atomic():
                callback_services.record_callback(callback_id=callback.pk, answer=SATISFIED, actor=callback_agent)
                recorded.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=agent)
    thread.start()
    assert recorded.wait(timeout=30)
    # When the sweep runs meanwhile
    try:
        started = time.monotonic()
        result = callback_services.sweep_overdue_callbacks()
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(timeout=30)
    # Then it neither waited for the agent nor touched the callback: the agent's answer stands
    assert result.given_up == 0
    assert waited < 5
    callback.refresh_from_db()
    assert (callback.status, callback.completed_by) == (CallbackStatus.DONE, callback_agent)
    assert gave_up_events(callback.ticket_id) == []
    # And a later sweep finds nothing to give up
    assert callback_services.sweep_overdue_callbacks().given_up == 0
