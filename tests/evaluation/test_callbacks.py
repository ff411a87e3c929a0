"""Callbacks: due queue, attempts, closing, reopening, merged callers, the online survey and its SMS."""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone, translation

from dispatch import services as dispatch_services
from dispatch.models import Assignment, AssignmentStatus
from evaluation import callbacks as callback_services
from evaluation import rankings as ranking_services
from evaluation.callbacks import CallbackAnswer
from evaluation.models import Callback, CallbackStatus, Resolution, Satisfaction
from hotline.errors import DomainError
from hotline.models import Notification, Role, SmsMessage
from intake import services as intake_services
from intake.lifecycle import Action, Status
from intake.models import Channel, Kind, Ticket, TicketEvent
from intake.services import NewTicket, Outcome
from tests.conftest import ROOT, run_at_once
from tests.evaluation.conftest import PUBLIC_BASE_URL
from tests.factories import CategoryFactory, StreetFactory

pytestmark = pytest.mark.django_db

SATISFIED = CallbackAnswer(reached=True, resolution=Resolution.RESOLVED, satisfaction=Satisfaction.SATISFIED)
FAILED = CallbackAnswer(
    reached=True, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED, unit_at_fault=True
)
NOT_REACHED = CallbackAnswer(reached=False)


@pytest.fixture
def people(make_user):
    street = StreetFactory()
    return {
        "street": street,
        "agent": make_user(Role.AGENT),
        "dispatcher": make_user(Role.DISPATCHER),
        "officer": make_user(Role.UNIT_OFFICER, unit=street),
        "callback": make_user(Role.CALLBACK_AGENT),
    }


def replied_ticket(people, *, phone: str = "13800138000") -> Ticket:
    """A ticket taken in, dispatched to the street, signed and replied to."""
    ticket = intake_services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=CategoryFactory(),
            description="楼道灯坏了一个月",
            phone=phone,
            street=people["street"],
        ),
        actor=people["agent"],
    ).ticket
    lead = dispatch_services.dispatch_ticket(
        ticket_id=ticket.pk, lead_unit_id=people["street"].pk, actor=people["dispatcher"]
    )
    dispatch_services.sign(assignment_id=lead.pk, actor=people["officer"])
    dispatch_services.reply(assignment_id=lead.pk, actor=people["officer"], text="已更换灯泡", outcome="resolved")
    return Ticket.objects.get(pk=ticket.pk)


def test_replied_ticket_becomes_due_once(people):
    ticket = replied_ticket(people)
    assert callback_services.open_due_callbacks() == 1
    assert callback_services.open_due_callbacks() == 0
    callback = Callback.objects.get()
    assert (callback.ticket, callback.unit, callback.is_primary) == (ticket, people["street"], True)
    replied_at = Assignment.objects.get(ticket=ticket).replied_at
    assert callback.due_at == replied_at + timedelta(hours=48)


def test_satisfied_callback_closes_the_ticket_and_its_assignments(people):
    ticket = replied_ticket(people)
    callback_services.open_due_callbacks()
    callback = callback_services.record_callback(
        callback_id=Callback.objects.get().pk, answer=SATISFIED, actor=people["callback"]
    )
    assert callback.status == CallbackStatus.DONE
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert not Assignment.objects.filter(ticket=ticket, ended_at__isnull=True).exists()


def test_a_completed_callback_cannot_be_submitted_twice(people):
    replied_ticket(people)
    callback_services.open_due_callbacks()
    callback_id = Callback.objects.get().pk
    callback_services.record_callback(callback_id=callback_id, answer=SATISFIED, actor=people["callback"])
    with pytest.raises(DomainError) as error:
        callback_services.record_callback(callback_id=callback_id, answer=FAILED, actor=people["callback"])
    assert error.value.code == "callback_done"
    assert Callback.objects.get().resolution == Resolution.RESOLVED


def test_three_unreached_attempts_close_as_not_reached(people):
    ticket = replied_ticket(people)
    callback_services.open_due_callbacks()
    callback_id = Callback.objects.get().pk
    for _ in range(2):
        assert callback_services.record_callback(
            callback_id=callback_id, answer=NOT_REACHED, actor=people["callback"]
        ).status == (CallbackStatus.PENDING)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.AWAITING_CALLBACK
    final = callback_services.record_callback(callback_id=callback_id, answer=NOT_REACHED, actor=people["callback"])
    assert (final.status, final.attempts) == (CallbackStatus.NOT_REACHED, 3)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_unsatisfied_with_the_unit_at_fault_reopens_with_a_new_deadline(people):
    # Given a replied ticket and its callback
    ticket = replied_ticket(people)
    callback_services.open_due_callbacks()
    old_due = Assignment.objects.get(ticket=ticket).due_at
    # When the caller is unsatisfied and the unit is at fault
    callback_services.record_callback(callback_id=Callback.objects.get().pk, answer=FAILED, actor=people["callback"])
    # Then the ticket is back in progress at the same unit, with a new deadline and a notification
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    lead = Assignment.objects.get(ticket=ticket, ended_at__isnull=True)
    assert (lead.unit, lead.status) == (people["street"], AssignmentStatus.SIGNED)
    assert lead.due_at > old_due
    assert lead.due_at > timezone.now() + timedelta(days=6)
    assert Notification.objects.filter(recipient=people["officer"], kind="reopened").exists()
    assert ticket.events.filter(action=Action.REOPEN).count() == 1
    # And after the next reply a second-round callback becomes due
    dispatch_services.reply(assignment_id=lead.pk, actor=people["officer"], text="已彻底修复", outcome="resolved")
    assert callback_services.open_due_callbacks() == 1
    assert sorted(Callback.objects.values_list("round", flat=True)) == [1, 2]


def test_unsatisfied_without_fault_closes(people):
    ticket = replied_ticket(people)
    callback_services.open_due_callbacks()
    answer = CallbackAnswer(reached=True, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED)
    callback_services.record_callback(callback_id=Callback.objects.get().pk, answer=answer, actor=people["callback"])
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_merged_repeat_callers_are_called_back_too(people):
    ticket = replied_ticket(people)
    child = intake_services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=CategoryFactory(),
            description="同上",
            phone="13900139000",
        ),
        actor=people["agent"],
        outcome=Outcome.MERGE,
        merge_into_id=ticket.pk,
    ).ticket
    assert callback_services.open_due_callbacks() == 2
    secondary = Callback.objects.get(is_primary=False)
    assert secondary.caller == child.caller
    # The secondary callback records the answer but does not decide the ticket
    callback_services.record_callback(callback_id=secondary.pk, answer=FAILED, actor=people["callback"])
    assert Ticket.objects.get(pk=ticket.pk).status == Status.AWAITING_CALLBACK


def test_overdue_without_reply_is_called_back(people):
    ticket = intake_services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.HELP,
            category=CategoryFactory(),
            description="无人处理",
            phone="13800138000",
        ),
        actor=people["agent"],
    ).ticket
    lead = dispatch_services.dispatch_ticket(
        ticket_id=ticket.pk, lead_unit_id=people["street"].pk, actor=people["dispatcher"]
    )
    assert callback_services.open_due_callbacks() == 0
    Assignment.objects.filter(pk=lead.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert callback_services.open_due_callbacks() == 1
    callback_services.record_callback(callback_id=Callback.objects.get().pk, answer=FAILED, actor=people["callback"])
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED  # still the unit's to handle


def test_online_survey_link(people):
    ticket = replied_ticket(people)
    callback_services.open_due_callbacks()
    callback = Callback.objects.get()
    token = callback_services.survey_token(callback_id=callback.pk)
    callback_services.answer_survey_online(
        token=token,
        answer=CallbackAnswer(reached=True, resolution=Resolution.RESOLVED, satisfaction=Satisfaction.BASICALLY),
    )
    callback.refresh_from_db()
    assert (callback.status, callback.answered_online, callback.satisfaction) == (
        CallbackStatus.DONE,
        True,
        Satisfaction.BASICALLY,
    )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    with pytest.raises(DomainError) as error:
        callback_services.answer_survey_online(token=token + "x", answer=SATISFIED)
    assert error.value.status == 404


def test_reached_needs_both_answers(people):
    replied_ticket(people)
    callback_services.open_due_callbacks()
    with pytest.raises(DomainError) as error:
        callback_services.record_callback(
            callback_id=Callback.objects.get().pk, answer=CallbackAnswer(reached=True), actor=people["callback"]
        )
    assert set(error.value.fields) == {"resolution", "satisfaction"}
    # The messages say what to do, not the question again
    with translation.override("zh-hans"):
        assert [str(m) for m in error.value.fields["resolution"]] == ["请选择诉求是否已解决。"]
    assert Callback.objects.get().attempts == 0


def reopened_and_replied_again(people) -> Ticket:
    """A ticket whose first callback failed (so it reopened), replied to again by its unit."""
    ticket = replied_ticket(people)
    callback_services.open_due_callbacks()
    callback_services.record_callback(callback_id=Callback.objects.get().pk, answer=FAILED, actor=people["callback"])
    lead = Assignment.objects.get(ticket=ticket, ended_at__isnull=True)
    dispatch_services.reply(assignment_id=lead.pk, actor=people["officer"], text="已彻底修复", outcome="resolved")
    return ticket


def test_a_reopened_ticket_counts_once_by_its_second_callback(people):
    # Given a ticket reopened after an unsatisfied callback, handled again and called back again
    ticket = reopened_and_replied_again(people)
    callback_services.open_due_callbacks()
    second = Callback.objects.get(round=2)
    callback_services.record_callback(callback_id=second.pk, answer=SATISFIED, actor=people["callback"])
    # When the month is evaluated
    month = timezone.localdate().replace(day=1)
    ranking = ranking_services.compute_month(month=month, unit_kind="street")
    # Then the ticket counts once for the unit, by its latest round answered in the month
    result = ranking.results.get(unit=people["street"])
    assert (result.callbacks_answered, result.resolved, result.satisfied) == (1, 1, 1)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


# The survey SMS: every caller called back is texted the link to answer online


def merge_repeat_call(ticket: Ticket, people, *, phone: str = "13900139000") -> Ticket:
    """A second caller reports the same matter; the agent merges it into `ticket`."""
    return intake_services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=CategoryFactory(),
            description="同上",
            phone=phone,
            caller_name="李四",
        ),
        actor=people["agent"],
        outcome=Outcome.MERGE,
        merge_into_id=ticket.pk,
    ).ticket


def test_every_caller_called_back_is_texted_a_survey_link_that_records_their_answer(people, settings, client):
    # Given a public address and a replied ticket whose repeat caller was merged into it
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    ticket = replied_ticket(people, phone="13800138000")
    merge_repeat_call(ticket, people, phone="13900139000")
    # When the callbacks open, from a context whose language is English (an operator's command)
    with translation.override("en"):
        assert callback_services.open_due_callbacks() == 2
    # Then each caller has one SMS, in Chinese, naming the tracking number and no caller name
    primary, merged = Callback.objects.get(is_primary=True), Callback.objects.get(is_primary=False)
    messages = {message.phone: message for message in SmsMessage.objects.all()}
    assert set(messages) == {"13800138000", "13900139000"}
    assert {message.key for message in messages.values()} == {
        f"callback-survey:{primary.pk}",
        f"callback-survey:{merged.pk}",
    }
    text = messages["13900139000"].text
    assert text.startswith("12345热线：请评价您的诉求")
    assert ticket.number in text
    assert "李四" not in text
    valid_until = timezone.localtime() + timedelta(days=7)
    assert f"{valid_until:%Y-%m-%d}" in text
    # And the link, followed, shows the survey page of the merged caller's callback
    link = re.search(r"https://\S+/", text).group()
    assert link.startswith(f"{PUBLIC_BASE_URL}/survey/")
    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200
    assert ticket.number in page.content.decode()
    # And answering there records that callback's result, online
    response = client.post(path, {"resolution": "resolved", "satisfaction": "satisfied"})
    assert response.status_code == 200
    merged.refresh_from_db()
    assert (merged.status, merged.answered_online, merged.satisfaction) == (
        CallbackStatus.DONE,
        True,
        Satisfaction.SATISFIED,
    )


def test_a_second_sweep_texts_nobody_again(people, settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    replied_ticket(people)
    callback_services.open_due_callbacks()
    assert callback_services.open_due_callbacks() == 0
    assert SmsMessage.objects.filter(key__startswith="callback-survey:").count() == 1


def test_a_reopened_tickets_next_callback_is_texted_anew(people, settings):
    # Given a ticket reopened after its first callback, and replied to again
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    reopened_and_replied_again(people)
    # When the second round's callback opens
    callback_services.open_due_callbacks()
    # Then the caller gets the second round's link too
    second = Callback.objects.get(round=2)
    assert SmsMessage.objects.filter(key=f"callback-survey:{second.pk}").exists()
    assert SmsMessage.objects.filter(key__startswith="callback-survey:").count() == 2


def test_without_a_public_address_callbacks_open_but_nobody_is_texted(people, settings):
    settings.PUBLIC_BASE_URL = ""
    replied_ticket(people)
    assert callback_services.open_due_callbacks() == 1
    assert Callback.objects.get().status == CallbackStatus.PENDING
    assert not SmsMessage.objects.exists()


def test_a_landline_caller_is_phoned_not_texted(people, settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    replied_ticket(people, phone="01065123456")
    assert callback_services.open_due_callbacks() == 1
    assert not SmsMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_text_each_caller_once(people, settings, monkeypatch):
    # Given five replied tickets, each with a merged repeat caller
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    for index in range(5):
        merge_repeat_call(replied_ticket(people, phone=f"1380013800{index}"), people, phone=f"1390013900{index}")
    # (each sweep pauses before its inserts, so both have read all five tickets as due)
    callback_due = callback_services._callback_due

    def slow_callback_due(after):
        time.sleep(0.05)
        return callback_due(after)

    monkeypatch.setattr(callback_services, "_callback_due", slow_callback_due)
    # When two sweeps run at once on two connections
    opened = run_at_once(callback_services.open_due_callbacks, callback_services.open_due_callbacks)
    # Then the ten callbacks were opened once between them, and each caller has exactly one SMS
    assert sum(opened) == Callback.objects.count() == 10
    per_callback = {f"callback-survey:{pk}" for pk in Callback.objects.values_list("pk", flat=True)}
    surveys = SmsMessage.objects.filter(key__startswith="callback-survey:")  # (the replies' SMS aside)
    assert sorted(surveys.values_list("key", flat=True)) == sorted(per_callback)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("https://12345.example.gov.cn/", "https://12345.example.gov.cn"),
        ("https://12345.example.gov.cn/survey", None),
        ("12345.example.gov.cn", None),
    ],
)
def test_the_public_address_is_an_http_origin_checked_at_startup(tmp_path, value, accepted):
    code = "import django; django.setup(); from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "HOTLINE_VAR_DIR": str(tmp_path)}
    env["PUBLIC_BASE_URL"] = value
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    if accepted:
        assert (result.returncode, result.stdout.strip()) == (0, accepted), result.stderr
    else:
        assert result.returncode != 0
        assert "PUBLIC_BASE_URL must be an http(s) origin" in result.stderr


def test_closing_a_ticket_without_a_caller_is_all_or_nothing(people, monkeypatch):
    # Given a replied ticket with no caller to call back
    ticket = replied_ticket(people)
    Ticket.objects.filter(pk=ticket.pk).update(caller=None)
    # When the sweep closes it but crashes before ending its assignments
    real = dispatch_services.close_assignments

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(dispatch_services, "close_assignments", crash)
    with pytest.raises(RuntimeError):
        callback_services.open_due_callbacks()
    # Then nothing was closed: the ticket still awaits its callback and nothing was recorded
    assert Ticket.objects.get(pk=ticket.pk).status == Status.AWAITING_CALLBACK
    assert not TicketEvent.objects.filter(ticket=ticket, action=Action.CLOSE).exists()
    # And the next sweep closes the ticket and its assignments together
    monkeypatch.setattr(dispatch_services, "close_assignments", real)
    callback_services.open_due_callbacks()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert not Assignment.objects.filter(ticket=ticket, ended_at__isnull=True).exists()
