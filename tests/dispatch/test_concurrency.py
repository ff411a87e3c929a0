"""Two people act on one assignment or ticket at the same moment, from two database connections."""

import time

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from dispatch import services, steps
from dispatch.models import Assignment
from intake import services as intake_services
from intake.lifecycle import Action, Status
from intake.models import TicketEvent
from tests.conftest import run_at_once, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def race(monkeypatch, requests: list) -> list[int]:
    """Run the requests at once, each in its own thread (its own connection); their status codes.

    The check that runs under the ticket lock is slowed down, so that without the lock both
    requests would pass it before either writes.
    """
    check = steps.check_step

    def slow_check(*args, **kwargs):
        time.sleep(0.3)
        return check(*args, **kwargs)

    monkeypatch.setattr(steps, "check_step", slow_check)
    results = run_at_once(*[lambda request=request: (request().status_code, _backend_pid()) for request in requests])
    # A closed connection's server process ends a moment later: wait for the threads' ones, so
    # that dropping the test database at the end of the run does not find them still there.
    wait_until(lambda: not _alive([backend for _code, backend in results]), timeout=10)
    return sorted(code for code, _backend in results)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _alive(pids: list[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
        return cursor.fetchone()[0] > 0


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_two_officers_sign_at_once_one_wins(org, staff, dispatched, make_user, monkeypatch):
    # Given an assignment and two officers of its unit
    assignment = dispatched(org.street_a)
    colleague = make_user("unit_officer", org.street_a, username="officer_a2")
    url = f"/api/v1/assignments/{assignment.pk}/sign/"
    # When both sign at the same moment
    codes = race(
        monkeypatch,
        [lambda: client_for(staff.officer_a).post(url), lambda: client_for(colleague).post(url)],
    )
    # Then exactly one succeeds, the other gets 409, and one event is written
    assert codes == [200, 409]
    assert TicketEvent.objects.filter(ticket_id=assignment.ticket_id, action=Action.SIGN).count() == 1


def test_two_replies_at_once_one_wins(org, staff, dispatched, make_user, monkeypatch):
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    colleague = make_user("unit_officer", org.street_a, username="officer_a3")
    url = f"/api/v1/assignments/{assignment.pk}/reply/"
    codes = race(
        monkeypatch,
        [
            lambda: client_for(staff.officer_a).post(url, {"text": "已解决", "outcome": "resolved"}),
            lambda: client_for(colleague).post(url, {"text": "已处理完毕", "outcome": "resolved"}),
        ],
    )
    assert codes == [200, 409]
    assert TicketEvent.objects.filter(ticket_id=assignment.ticket_id, action=Action.REPLY).count() == 1


def test_one_dispatcher_dispatches_while_another_merges_one_wins(org, staff, awaiting, make_user, monkeypatch):
    # Given a ticket awaiting dispatch, an open ticket it repeats, and two dispatchers on its page
    parent = awaiting(status=Status.IN_PROGRESS)
    ticket = awaiting()
    dispatching, merging = Client(), Client()
    dispatching.force_login(staff.dispatcher)
    merging.force_login(make_user("dispatcher", org.hotline, username="dispatcher2"))
    # (the transition check under the ticket lock is slowed down: without the lock, both
    # requests would pass it before either writes)
    check = intake_services._check_move

    def slow_check(**kwargs):
        time.sleep(0.3)
        return check(**kwargs)

    monkeypatch.setattr(intake_services, "_check_move", slow_check)
    page = f"/dispatch/tickets/{ticket.pk}/"
    # When one dispatches it to street A and the other merges it at the same moment
    results = run_at_once(
        lambda: ("dispatch", dispatching.post(page, {"lead_unit": org.street_a.pk}), _backend_pid()),
        lambda: ("merge", merging.post(f"{page}merge/", {"parent": parent.pk}), _backend_pid()),
    )
    wait_until(lambda: not _alive([backend for _name, _response, backend in results]), timeout=10)
    # Then exactly one of the two went through (back on the queue); the other is refused on the
    # ticket's page with the reason
    outcome = {name: response for name, response, _backend in results}
    done = [name for name, response in outcome.items() if response.get("Location") == "/dispatch/"]
    assert len(done) == 1
    if done == ["dispatch"]:
        assert outcome["merge"]["Location"] == page
    else:
        assert outcome["dispatch"].status_code == 200
        assert [str(m) for m in outcome["dispatch"].context["messages"]] == ["工单处于“已并单”状态，不能“已派单”。"]
    # And the ticket is in the winner's state only: dispatched without a parent, or merged
    # without an assignment, with one event of the winner and none of the loser
    ticket.refresh_from_db()
    actions = list(ticket.events.values_list("action", flat=True))
    if done == ["dispatch"]:
        assert (ticket.status, ticket.parent_id, actions) == (Status.DISPATCHED, None, [Action.DISPATCH])
        assert Assignment.objects.filter(ticket=ticket).count() == 1
        assert not parent.events.exists()
    else:
        assert (ticket.status, ticket.parent_id, actions) == (Status.MERGED, parent.pk, [Action.MERGE])
        assert not Assignment.objects.filter(ticket=ticket).exists()
        assert list(parent.events.values_list("action", flat=True)) == [Action.ADD_CONTACT]
