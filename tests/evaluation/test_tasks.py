"""Evaluation's beat tasks through a real Celery worker on the Redis broker."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from dispatch.models import AssignmentStatus, ReplyOutcome
from evaluation import rankings as ranking_services
from evaluation import tasks
from evaluation.models import Callback, CallbackStatus, MonthlyRanking, UnitResult
from hotline import months
from hotline.models import Notification, NotificationKind, Role, SmsMessage, SmsStatus
from intake.lifecycle import Status
from intake.models import Ticket
from tests.conftest import wait_until
from tests.evaluation.conftest import PUBLIC_BASE_URL, pending_callback
from tests.factories import CallbackFactory, CallerFactory, LeadAssignmentFactory, StreetFactory, TicketFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_monthly_task_drafts_last_months_rankings_through_a_worker(celery_worker, make_user):
    # Given a street that worked last month, and a city admin (committed: the worker reads the database)
    admin = make_user(Role.CITY_ADMIN, username="ranking-admin")
    last_month = months.previous_month(timezone.localdate().replace(day=1))
    dispatched = datetime(last_month.year, last_month.month, 5, 10, tzinfo=timezone.get_default_timezone())
    street = StreetFactory()
    LeadAssignmentFactory(unit=street, dispatched_at=dispatched)
    LeadAssignmentFactory(unit=street, dispatched_at=dispatched, signed_at=dispatched + timedelta(hours=4))
    CallbackFactory(unit=street, completed_at=dispatched + timedelta(days=3))
    # When beat's monthly task is enqueued on the broker
    tasks.compute_previous_month.delay()
    # Then the worker drafts last month's ranking of every ranked kind, once, for review
    wait_until(lambda: MonthlyRanking.objects.filter(month=last_month).count() == len(ranking_services.RANKED_KINDS))
    ranking = MonthlyRanking.objects.get(month=last_month, unit_kind="street")
    assert (ranking.version, ranking.is_draft, ranking.is_current, ranking.computed_by) == (1, True, False, None)
    result = UnitResult.objects.get(ranking=ranking, unit=street)
    assert (result.required_response, result.responded_in_time, result.callbacks_answered) == (2, 1, 1)
    # And the evaluation admins are told to review them
    wait_until(lambda: Notification.objects.filter(recipient=admin, kind=NotificationKind.RANKING_DRAFT).exists())
    # And a second delivery of the task (here run in-process) computes nothing again
    assert tasks.compute_previous_month.apply().get() == []
    assert MonthlyRanking.objects.filter(month=last_month).count() == len(ranking_services.RANKED_KINDS)


def test_the_callback_sweep_texts_the_survey_link_through_a_worker(survey_sms_worker, sms_provider, settings):
    # Given a ticket its street replied to an hour ago (committed: the worker reads the database)
    now = timezone.now()
    ticket = TicketFactory(status=Status.AWAITING_CALLBACK, caller=CallerFactory(phone="13812345678"))
    LeadAssignmentFactory(
        ticket=ticket,
        unit=StreetFactory(),
        dispatched_at=now - timedelta(days=2),
        status=AssignmentStatus.REPLIED,
        replied_at=now - timedelta(hours=1),
        reply="已更换路灯灯泡。",
        outcome=ReplyOutcome.RESOLVED,
    )
    # When beat's callback sweep is enqueued on the broker
    tasks.open_due_callbacks.delay()
    # Then the worker opens the callback and the provider receives its survey link, once
    wait_until(lambda: SmsMessage.objects.filter(status=SmsStatus.SENT).exists())
    callback = Callback.objects.get(ticket=ticket)
    message = SmsMessage.objects.get()
    assert message.key == f"callback-survey:{callback.pk}"
    [request] = sms_provider.requests
    assert request["body"]["phone"] == "13812345678"
    assert request["body"]["text"].startswith("12345热线：")
    assert ticket.number in request["body"]["text"]
    assert f"{PUBLIC_BASE_URL}/survey/" in request["body"]["text"]
    # And a second run of the sweep (here in-process, with the same public address) texts nobody again
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    assert tasks.open_due_callbacks.apply().get() == 0
    assert SmsMessage.objects.count() == 1


def test_the_overdue_sweep_closes_an_abandoned_callback_through_a_worker(celery_worker, make_user):
    # Given a callback still pending five days and an hour after its window, another one past its
    # window within the grace period, and a callback agent (committed: the worker reads the database)
    street = StreetFactory()
    agent = make_user(Role.CALLBACK_AGENT)
    abandoned = pending_callback(unit=street, due_in=-timedelta(days=5, hours=1))
    pending_callback(unit=street, due_in=-timedelta(hours=1))
    # When beat's overdue sweep is enqueued on the broker
    tasks.sweep_overdue_callbacks.delay()
    # Then the worker closes the abandoned callback as not reached, and its ticket with it
    wait_until(lambda: Ticket.objects.get(pk=abandoned.ticket_id).status == Status.CLOSED)
    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.completed_by) == (CallbackStatus.NOT_REACHED, None)
    # And the callback agent is told that one callback is past its window
    wait_until(lambda: Notification.objects.filter(recipient=agent).exists())
    assert Notification.objects.get(recipient=agent).title == "1 个回访已超过回访期限"
