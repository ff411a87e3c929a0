"""`manage.py run_sweep`: the beat's sweeps run by hand."""

from io import StringIO

import pytest
from django.core.management import call_command, get_commands

pytestmark = pytest.mark.django_db


def test_run_sweep_all_runs_every_sweep_once_from_the_core_app():
    # Given nothing to do
    out = StringIO()
    # When an operator runs every sweep
    call_command("run_sweep", "all", stdout=out)
    # Then each sweep ran once, in order, and reported what it did; the command is the hotline app's
    names = [line.split(":")[0] for line in out.getvalue().splitlines()]
    assert names == ["late-signs", "late-contacts", "deadline-alerts", "callbacks", "overdue-callbacks", "sms"]
    assert get_commands()["run_sweep"] == "hotline"
