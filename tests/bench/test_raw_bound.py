"""The benchmark's raw-SQL bound computes the very counts the rankings do: otherwise "evaluation
/ raw SQL" compares the evaluation with something else."""

from datetime import UTC, date, datetime

import pytest

from bench.run import raw_evaluation
from evaluation import rates
from evaluation.lines import governance_demand
from hotline import generator
from hotline import services as hotline_services
from hotline.models import UnitKind

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)
OCTOBER = date(2026, 10, 1)


def test_the_raw_bound_counts_what_the_rankings_count():
    # Given a generated history (districts passing tickets down, returns, reopenings, exclusions)
    hotline_services.load_units(rows=hotline_services.read_unit_rows())
    hotline_services.load_categories(tree=hotline_services.read_category_tree())
    generator.generate_here(tickets=4000, years=0.5, now=NOW)
    # When last month is counted by the rankings and by the hand-written SQL
    counts = rates.unit_counts(month=OCTOBER)
    response, callbacks, demand = raw_evaluation(month=OCTOBER)
    # Then every unit's response and callback counts, and every street's 治理 demand, are the same
    assert {unit: (required, in_time, excluded) for unit, required, in_time, excluded in response} == {
        unit: (c.required_response, c.responded_in_time, c.excluded)
        for unit, c in counts.items()
        if c.required_response or c.excluded
    }
    assert {unit: tuple(row) for unit, *row in callbacks} == {
        unit: (c.callbacks_answered, c.resolved, c.partly_resolved, c.satisfied, c.basically_satisfied)
        for unit, c in counts.items()
        if c.callbacks_answered
    }
    parameters = rates.parameters_for(unit_kind=UnitKind.STREET, month=OCTOBER)
    assert dict(demand) == governance_demand(month=OCTOBER, parameters=parameters)
    assert sum(c.required_response for c in counts.values()) > 100
