"""The demo data leaves every demo unit user something on the workbench, and loads twice the same."""

import pytest
from django.utils import timezone

from dispatch import demo as dispatch_demo
from dispatch import selectors, services
from dispatch.models import Assignment, AssignmentStatus, RoutingRule
from dispatch.steps import StepName
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
    statuses = sorted(Assignment.objects.filter(parent__isnull=True).values_list("unit__name", "status"))
    assert statuses == [
        ("丰台区", AssignmentStatus.SIGNED),
        ("丰台区", AssignmentStatus.SIGNED),
        ("丰台区", AssignmentStatus.SIGNED),
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
    for username in ("xincun", "dahongmen", "water", "fengtai", "fengtai_center"):
        counts = selectors.tab_counts(user=User.objects.get(username=username))
        assert sum(counts.values()) > 0, username


@pytest.mark.django_db
def test_demo_gives_the_district_sub_centre_a_ticket_at_each_step_of_passing_it_down(beijing):
    # Given the demo users and the intake demo
    hotline_demo.load(password="demo-pass-123")
    intake_demo.load(password="demo-pass-123")
    # When the dispatch demo loads (twice: it is idempotent)
    for _run in range(2):
        dispatch_demo.load(password="demo-pass-123")
    # Then the district signed three tickets: one to pass down, one with 新村街道, one its unit replied to
    district = Assignment.objects.filter(unit__name="丰台区", parent__isnull=True)
    assert district.count() == 3
    assert not district.exclude(status=AssignmentStatus.SIGNED).exists()
    below = sorted(Assignment.objects.filter(parent__in=district).values_list("unit__name", "status"))
    assert below == [("大红门街道", AssignmentStatus.REPLIED), ("新村街道", AssignmentStatus.SIGNED)]
    to_pass_down = district.filter(sub_assignments__isnull=True).get()
    to_confirm = district.get(sub_assignments__status=AssignmentStatus.REPLIED)
    # And the sub-centre's dispatcher may take the next step on each: pass down, and confirm the reply
    center = User.objects.get(username="fengtai_center")
    assert StepName.SUBDISPATCH in selectors.available_steps(user=center, assignment=to_pass_down)
    services.confirm_reply(assignment_id=to_confirm.pk, actor=center)
    to_confirm.refresh_from_db()
    assert to_confirm.status == AssignmentStatus.REPLIED
