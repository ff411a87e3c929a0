"""`manage.py rankings compute|publish`: operators draft and publish a month from the shell."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import MonthlyRanking
from tests.factories import CallbackFactory, LeadAssignmentFactory, StreetFactory, allow_small_samples

pytestmark = pytest.mark.django_db
OCTOBER = date(2026, 10, 1)


def run(*args: str) -> str:
    out = StringIO()
    call_command("rankings", *args, stdout=out)
    return out.getvalue()


def test_compute_then_publish_one_kind():
    # Given a street's October
    allow_small_samples()
    street = StreetFactory()
    LeadAssignmentFactory(unit=street)
    CallbackFactory(unit=street)
    # When an operator computes the street ranking
    assert "2026-10 street v1 draft: 1 units" in run("compute", "--month", "2026-10", "--unit-kind", "street")
    assert MonthlyRanking.objects.get(month=OCTOBER).is_draft
    # And publishes it
    assert "2026-10 street v1 published: 1 units" in run("publish", "--month", "2026-10", "--unit-kind", "street")
    assert MonthlyRanking.objects.get(month=OCTOBER).is_current
    # Then publishing again has nothing to do, and computing again needs a reason
    assert "nothing to publish" in run("publish", "--month", "2026-10", "--unit-kind", "street")
    with pytest.raises(CommandError, match="原因"):
        run("compute", "--month", "2026-10", "--unit-kind", "street")
    assert "v2 draft" in run("compute", "--month", "2026-10", "--unit-kind", "street", "--reason", "数据更正")


def test_every_kind_by_default_and_a_bad_month_is_refused():
    assert len(run("compute", "--month", "2026-10").splitlines()) == 6
    with pytest.raises(CommandError, match="YYYY-MM"):
        run("compute", "--month", "10/2026")
    # An empty month cannot be published: the command says why
    with pytest.raises(CommandError, match="无法发布"):
        run("publish", "--month", "2026-10")
