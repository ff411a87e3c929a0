"""A city month: the ranking of 343 streets over 300,000 tickets is SQL aggregates, in seconds."""

import time
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from evaluation import rankings as ranking_services
from hotline import services as hotline_services
from hotline.generator import database_dsn, generate
from hotline.models import UnitKind

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_month_of_300000_tickets_ranks_343_streets_in_seconds(django_assert_max_num_queries):
    # Given Beijing's org tree and 300,000 tickets generated over one month (October 2026)
    hotline_services.load_units(rows=hotline_services.read_unit_rows())
    hotline_services.load_categories(tree=hotline_services.read_category_tree())
    generate(dsn=database_dsn(), tickets=300_000, years=31 / 365.25, now=datetime(2026, 11, 1, 8, tzinfo=UTC))
    connection.close()
    # When the month is ranked for streets/townships
    started = time.perf_counter()
    with django_assert_max_num_queries(17):
        ranking = ranking_services.compute_month(month=date(2026, 10, 1), unit_kind=UnitKind.STREET)
    elapsed = time.perf_counter() - started
    # Then every street with tickets is ranked, in a constant number of queries, in seconds
    assert ranking.results.count() >= 300
    assert elapsed < 10, elapsed
