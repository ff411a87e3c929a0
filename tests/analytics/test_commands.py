"""rebuild_rollups: the full rebuild and a range of days, from the command line."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.models import DailyRollup
from tests.analytics import expected
from tests.factories import generate

pytestmark = pytest.mark.django_db


def test_rebuild_rollups_command(city, capsys):
    # Given tickets and no rollups
    now = timezone.now()
    generate(city, count=50, first=now - timedelta(days=20), days=18)
    # When the full rebuild runs
    call_command("rebuild_rollups")
    # Then the rollups are the ticket figures
    assert "Recomputed the rollups of" in capsys.readouterr().out
    assert expected.daily_rows() == expected.expected_daily(timezone.now())
    # When two consecutive days are lost and rebuilt by range (the first with tickets and the next:
    # the generator may leave a day without any)
    first = min(key[0] for key in expected.daily_rows())
    days = [first, first + timedelta(days=1)]
    DailyRollup.objects.filter(day__in=days).delete()
    call_command("rebuild_rollups", "--from", days[0].isoformat(), "--to", days[1].isoformat())
    assert "of 2 day(s)" in capsys.readouterr().out
    assert expected.daily_rows() == expected.expected_daily(timezone.now())


def test_rebuild_rollups_refuses_bad_dates():
    with pytest.raises(CommandError):
        call_command("rebuild_rollups", "--from", "2025-13-01")
    with pytest.raises(CommandError):
        call_command("rebuild_rollups", "--from", "2025-03-02", "--to", "2025-03-01")
