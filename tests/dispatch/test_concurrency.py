"""Two people act on one assignment at the same moment, from two database connections."""

import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from dispatch import services
from intake.lifecycle import Action
from intake.models import TicketEvent
from tests.conftest import run_at_once, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def race(monkeypatch, requests: list) -> list[int]:
    """Run the requests at once, each in its own thread (its own connection); their status codes.

    The check that runs under the ticket lock is slowed down, so that without the lock both
    requests would pass it before either writes.
    """
    check = services._require_status

    def slow_check(*args, **kwargs):
        time.sleep(0.3)
        return check(*args, **kwargs)

    monkeypatch.setattr(services, "_require_status", slow_check)
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
