"""Two people act on one callback or one appeal at the same moment, from two database connections."""

from collections.abc import Callable

import pytest

from dispatch.models import ReviewStatus
from evaluation import appeals as appeal_services
from evaluation import callbacks as callback_services
from evaluation.callbacks import CallbackAnswer
from evaluation.models import Appeal, AppealKind, CallbackAttempt, Resolution, Satisfaction
from hotline.errors import DomainError
from hotline.models import Role
from intake.lifecycle import Action
from intake.models import TicketEvent
from tests.conftest import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def outcome(call: Callable[[], object]) -> str:
    """ "done", or the code of the DomainError that refused the call."""
    try:
        call()
    except DomainError as error:
        return error.code
    return "done"


def events(ticket_id: int, action: Action) -> int:
    return TicketEvent.objects.filter(ticket_id=ticket_id, action=action).count()


def test_two_agents_recording_one_callback_at_once_record_it_once(make_pending_callback, street, make_user):
    # Given a pending callback and two callback agents who both reached its caller
    callback = make_pending_callback(unit=street)
    agents = [make_user(Role.CALLBACK_AGENT, username=f"agent-{number}") for number in (1, 2)]
    answer = CallbackAnswer(reached=True, resolution=Resolution.RESOLVED, satisfaction=Satisfaction.SATISFIED)
    # When both submit the result at the same moment
    results = run_at_once(
        *[
            lambda agent=agent: outcome(
                lambda: callback_services.record_callback(callback_id=callback.pk, answer=answer, actor=agent)
            )
            for agent in agents
        ]
    )
    # Then one result is recorded and the other refused as already completed: one attempt, one close
    assert sorted(results) == ["callback_done", "done"]
    assert CallbackAttempt.objects.filter(callback=callback).count() == 1
    assert events(callback.ticket_id, Action.CALLBACK_ATTEMPT) == 1
    assert events(callback.ticket_id, Action.CLOSE) == 1


def test_two_supervisors_deciding_one_appeal_at_once_decide_it_once(make_pending_callback, street, make_user):
    # Given an open appeal of the street against a ticket awaiting its callback
    ticket_id = make_pending_callback(unit=street).ticket_id
    officer = make_user(Role.UNIT_OFFICER, unit=street, username="officer")
    appeal = appeal_services.request_appeal(
        ticket_id=ticket_id, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    supervisors = [make_user(Role.HOTLINE_SUPERVISOR, username=f"supervisor-{number}") for number in (1, 2)]
    # When one approves it and the other rejects it at the same moment
    results = dict(
        run_at_once(
            lambda: (
                True,
                outcome(lambda: appeal_services.decide_appeal(appeal_id=appeal.pk, actor=supervisors[0], approve=True)),
            ),
            lambda: (
                False,
                outcome(
                    lambda: appeal_services.decide_appeal(
                        appeal_id=appeal.pk, actor=supervisors[1], approve=False, note="不符"
                    )
                ),
            ),
        )
    )
    # Then one decision stands and the other is refused as already decided: one event
    assert sorted(results.values()) == ["appeal_decided", "done"]
    assert events(ticket_id, Action.DECIDE_EXCLUSION) == 1
    approved = results[True] == "done"
    decided = Appeal.objects.get(pk=appeal.pk)
    assert (decided.status, decided.decided_by) == (
        (ReviewStatus.APPROVED, supervisors[0]) if approved else (ReviewStatus.REJECTED, supervisors[1])
    )
