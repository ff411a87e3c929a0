"""The demo data leaves every demo unit user something on the workbench, and loads twice the same."""

import pytest
from django.utils import timezone

from dispatch import demo as dispatch_demo
from dispatch import selectors, services
from dispatch.models import Assignment, AssignmentStatus, RoutingRule
from hotline import demo as hotline_demo
from hotline.models import User
from intake import demo as intake_demo
from intake.lifecycle import Status
from intake.models import Ticket


@pytest.mark.django_db
def test_demo_fills_the_workbenches_and_is_idempotent(beijing):
    for _run in range(2):
        hotline_demo.load(password="demo-pass-123")
        intake_demo.load(password="demo-pass-123")
        assert dispatch_demo.load(password="demo-pass-123") == []
    statuses = sorted(Assignment.objects.values_list("unit__name", "status"))
    assert statuses == [
        ("大红门街道", AssignmentStatus.SIGNED),
        ("市水务局", AssignmentStatus.DISPATCHED),
        ("新村街道", AssignmentStatus.DISPATCHED),
        ("新村街道", AssignmentStatus.REPLIED),
    ]
    # the shipped catalogue, loaded once
    again = services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())
    assert (again.created, again.unchanged) == (0, RoutingRule.objects.count())
    # one ticket is left for the dispatcher, and each demo unit user has work
    assert Ticket.objects.filter(status=Status.AWAITING_DISPATCH).exists()
    for username in ("xincun", "dahongmen", "water", "fengtai"):
        counts = selectors.tab_counts(user=User.objects.get(username=username))
        assert sum(counts.values()) > 0, username
