"""What the pages read: hot spots against each cluster's own baseline, monthly-topic candidates,
the district table with its per-10k volume and rates, and the scope of each role."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics import selectors, services
from analytics.models import COUNT_FIELDS, MonthlyRollup
from analytics.periods import Period
from analytics.selectors import EVERYTHING, Scope
from evaluation.models import Resolution, Satisfaction
from hotline.models import Role, Unit
from hotline.months import add_months
from tests.factories import (
    CallbackFactory,
    LeadAssignmentFactory,
    StreetFactory,
    at,
    month_start,
    series,
    sum_district_months,
)

pytestmark = pytest.mark.django_db


def months_before(month: date, counts: list[int]) -> dict[date, int]:
    """counts[0] for the month len(counts) months before `month`, …, counts[-1] for the month before."""
    return {add_months(month, index - len(counts)): count for index, count in enumerate(counts)}


def test_hot_spots_find_a_planted_surge_and_leave_steady_categories_alone(city):
    # Given last month and the six before it, in a generated city
    month = add_months(month_start(timezone.localdate()), -1)
    surge, steady, noisy, small = city.tree.leaves
    one, two = city.streets[0], city.streets[1]
    # a category at one street that jumps from about 6 a month to 30 (the planted surge),
    series(city, category=surge, street=one, counts={**months_before(month, [5, 6, 5, 7, 5, 6]), month: 30}, seed=1)
    # the same street's steady category, a noisy but steady one elsewhere, and a small jump below the minimum volume
    series(city, category=steady, street=one, counts={**months_before(month, [20] * 6), month: 21}, seed=2)
    series(
        city, category=noisy, street=two, counts={**months_before(month, [15, 25, 18, 22, 16, 24]), month: 26}, seed=3
    )
    series(city, category=small, street=two, counts={**months_before(month, [1, 2, 1, 2, 1, 1]), month: 8}, seed=4)
    services.refresh_rollups()
    # When the hot spots of last month are computed
    found = selectors.hot_spots(scope=EVERYTHING, month=month)
    # Then only the surge is flagged, with its baseline and the tickets behind it
    assert found.enough_history
    assert [(spot.category_id, spot.street_id) for spot in found.spots] == [(surge.pk, one.pk)]
    spot = found.spots[0]
    assert (spot.count, spot.baseline, spot.mean) == (30, [5, 6, 5, 7, 5, 6], 5.7)
    assert spot.score > 3
    assert f"category={surge.pk}" in spot.url
    assert f"street={one.pk}" in spot.url
    assert f"created_after={month:%Y-%m}-01" in spot.url
    # And a district supervisor of the other district sees none of it
    scope = Scope(everything=False, district_ids=frozenset({city.districts[1].pk}))
    assert selectors.hot_spots(scope=scope, month=month).spots == []


def test_hot_spots_need_a_few_months_of_history(city):
    # Given only two months of data before the surge
    month = add_months(month_start(timezone.localdate()), -1)
    series(
        city, category=city.tree.leaves[0], street=city.streets[0], counts={**months_before(month, [1, 1]), month: 40}
    )
    services.refresh_rollups()
    # When the hot spots are computed, then nothing is flagged: the baseline is too short to tell
    found = selectors.hot_spots(scope=EVERYTHING, month=month)
    assert (found.enough_history, found.spots) == (False, [])


def rollup(month: date, category, **counts) -> MonthlyRollup:
    return MonthlyRollup.objects.create(month=month, category=category, kind="complaint", channel="phone", **counts)


def test_topic_candidates_are_frequent_categories_with_low_resolution(city, settings):
    # Given October's rollups: heating frequent and poorly resolved, parking frequent and well
    # resolved, water poorly resolved but with too few callbacks to tell
    settings.ANALYTICS_TOPIC_MIN_CALLBACKS = 10
    october = date(2025, 10, 1)
    cold, _stop, water, parking = city.tree.leaves
    rollup(october, cold, received=200, callbacks_answered=50, callbacks_resolved=20)
    rollup(october, parking, received=150, callbacks_answered=40, callbacks_resolved=36)
    rollup(october, water, received=30, callbacks_answered=5, callbacks_resolved=0)
    # When the monthly-topic candidates of October are listed
    topics = selectors.topic_candidates(scope=EVERYTHING, period=Period.month(october))
    # Then heating (second level) alone is a candidate, below the overall 56/95
    assert topics.overall_resolution == Decimal("0.5895")
    assert [(c.name, c.received, c.resolution) for c in topics.candidates] == [("供暖", 200, Decimal("0.4000"))]
    assert topics.candidates[0].unresolved_estimate == 120
    assert f"category={cold.parent_id}" in topics.candidates[0].url


def test_district_table_has_volume_per_10k_residents_and_the_three_rates(city, settings):
    # Given October's rollups in both districts (populations 500,000 and 1,200,000)
    east, west = city.districts
    october = date(2025, 10, 1)
    leaf = city.tree.leaves[0]
    MonthlyRollup.objects.create(
        month=october,
        category=leaf,
        kind="complaint",
        channel="phone",
        district=east,
        received=250,
        dispatched=100,
        response_required=80,
        signed_in_time=60,
        callbacks_answered=50,
        callbacks_resolved=40,
        callbacks_partly_resolved=5,
        callbacks_satisfied=30,
        callbacks_basically_satisfied=10,
    )
    MonthlyRollup.objects.create(month=october, category=leaf, kind="help", channel="web", district=west, received=60)
    sum_district_months()
    # When the district table of October is read
    lines = {line.district: line for line in selectors.district_table(scope=EVERYTHING, period=Period.month(october))}
    # Then volume per 10k residents and the rates follow DESIGN.md §6 (basically satisfied counts 0.8)
    assert (lines[east].received, lines[east].per_10k) == (250, Decimal("5.00"))
    assert (lines[west].received, lines[west].per_10k) == (60, Decimal("0.50"))
    # And the rates are the district ranking's: nothing was dispatched or called back here
    assert (lines[east].rates.response, lines[east].rates.resolution) == (None, None)
    # When the east district signs 3 of the 4 tickets dispatched to it in time and 5 callbacks are
    # answered (and a street of the east, ranked on its own, misses its only one)
    for index in range(4):
        signed = at(2025, 10, 3) + timedelta(minutes=20 if index < 3 else 200)
        LeadAssignmentFactory(unit=east, dispatched_at=at(2025, 10, 3), signed_at=signed)
    street = StreetFactory(parent=east)
    LeadAssignmentFactory(unit=street, dispatched_at=at(2025, 10, 3), signed_at=at(2025, 10, 3, 9))
    for resolution, satisfaction in [*[(Resolution.RESOLVED, Satisfaction.SATISFIED)] * 3,
                                     (Resolution.PARTLY, Satisfaction.BASICALLY),
                                     (Resolution.UNRESOLVED, Satisfaction.BASICALLY)]:  # fmt: skip
        CallbackFactory(unit=east, resolution=resolution, satisfaction=satisfaction, completed_at=at(2025, 10, 9))
    lines = {line.district: line for line in selectors.district_table(scope=EVERYTHING, period=Period.month(october))}
    # Then they follow DESIGN.md §6 (basically satisfied counts 0.8, partly resolved 0)
    rates = lines[east].rates
    assert (rates.response, rates.resolution, rates.satisfaction) == (
        Decimal("0.7500"),
        Decimal("0.6000"),
        Decimal("0.9200"),
    )
    assert lines[west].rates.resolution is None
    # And a unit leader sees only the rows of their unit (none here)
    scope = Scope(everything=False, unit_ids=frozenset({city.handlers[0].pk}))
    assert selectors.district_table(scope=scope, period=Period.month(october)) == []


def test_scope_follows_the_role(city, make_user):
    east = city.districts[0]
    assert selectors.analytics_scope(user=make_user(Role.CITY_ADMIN)) == EVERYTHING
    assert selectors.analytics_scope(user=make_user(Role.HOTLINE_SUPERVISOR)) == EVERYTHING
    district = selectors.analytics_scope(user=make_user(Role.DISTRICT_SUPERVISOR, east))
    assert (district.everything, district.district_ids, district.unit_ids) == (False, {east.pk}, frozenset())
    leader = selectors.analytics_scope(user=make_user(Role.UNIT_LEADER, city.streets[0]))
    assert (leader.everything, leader.district_ids, leader.unit_ids) == (False, frozenset(), {city.streets[0].pk})
    for role in (Role.AGENT, Role.DISPATCHER, Role.UNIT_OFFICER, Role.CALLBACK_AGENT):
        assert selectors.analytics_scope(user=make_user(role, city.streets[0])) is None


def test_monthly_trend_has_the_three_rates_of_each_month(city):
    # Given 2025's rollups: March in two rows (two kinds) with callbacks, April with dispatched
    # tickets but no answered callback, May with requests only
    leaf = city.tree.leaves[0]
    rollup(
        date(2025, 3, 1),
        leaf,
        received=6,
        dispatched=6,
        response_required=4,
        signed_in_time=3,
        callbacks_answered=3,
        callbacks_resolved=2,
        callbacks_satisfied=1,
        callbacks_basically_satisfied=1,
    )
    MonthlyRollup.objects.create(
        month=date(2025, 3, 1),
        category=leaf,
        kind="help",
        channel="web",
        received=2,
        dispatched=2,
        response_required=2,
        signed_in_time=1,
        callbacks_answered=2,
        callbacks_resolved=1,
        callbacks_partly_resolved=1,
        callbacks_satisfied=1,
        callbacks_basically_satisfied=1,
    )
    rollup(date(2025, 4, 1), leaf, received=3, dispatched=2, response_required=2, signed_in_time=2)
    rollup(date(2025, 5, 1), leaf, received=4, answered_directly=4)
    sum_district_months()
    # When the trend of 2025 is read
    trend = selectors.monthly_trend(scope=EVERYTHING, period=Period.year(2025))
    rates = dict(zip(trend.months, trend.rates, strict=True))
    # Then March sums both rows: 4 of 6 signed in time, 3 of 5 resolved (partly counts 0),
    # (2 satisfied + 0.8 × 2 basically satisfied) / 5
    march = rates[date(2025, 3, 1)]
    assert (march.response, march.resolution, march.satisfaction) == (
        Decimal("0.6667"),
        Decimal("0.6000"),
        Decimal("0.7200"),
    )
    # And April has a response rate but, without answered callbacks, no resolution or satisfaction rate
    april = rates[date(2025, 4, 1)]
    assert (april.response, april.resolution, april.satisfaction) == (Decimal("1.0000"), None, None)
    # And a month with no dispatched request has no rate at all, not 0
    for month in (date(2025, 1, 1), date(2025, 5, 1), date(2025, 12, 1)):
        assert (rates[month].response, rates[month].resolution, rates[month].satisfaction) == (None, None, None)
    # And each month's rates are those of that month's own totals
    assert march == selectors.summary(scope=EVERYTHING, period=Period.month(date(2025, 3, 1))).rates
    assert trend.received[2:5] == [8, 3, 4]


def test_monthly_trend_rates_weigh_basically_satisfied_by_the_configured_factor(city, settings):
    # Given a month of 4 answered callbacks, 1 satisfied and 2 basically satisfied, and k = 0.5
    settings.EVALUATION_DEFAULT_PARAMETERS = {
        **settings.EVALUATION_DEFAULT_PARAMETERS,
        "basically_satisfied_factor": Decimal("0.5"),
    }
    rollup(
        date(2025, 6, 1),
        city.tree.leaves[0],
        received=4,
        dispatched=4,
        callbacks_answered=4,
        callbacks_satisfied=1,
        callbacks_basically_satisfied=2,
    )
    sum_district_months()
    # When the trend of June is read (the twelve months ending with June)
    trend = selectors.monthly_trend(scope=EVERYTHING, period=Period.month(date(2025, 6, 1)))
    # Then June's satisfaction rate is (1 + 0.5 × 2) / 4, and June is the trend's last month
    assert trend.months[-1] == date(2025, 6, 1)
    assert trend.rates[-1].satisfaction == Decimal("0.5000")
    assert trend.rates[-1].response is None


def test_monthly_trend_rates_follow_the_scope(city):
    # Given March rollups in both districts
    east, west = city.districts
    leaf = city.tree.leaves[0]
    march = date(2025, 3, 1)
    rollup(march, leaf, district=east, received=2, dispatched=2, callbacks_answered=2, callbacks_resolved=2)
    rollup(march, leaf, district=west, received=2, dispatched=2, callbacks_answered=2, callbacks_resolved=0)
    sum_district_months()
    # When the trend of March is read for the west's supervisor and for everything
    west_only = Scope(everything=False, district_ids=frozenset({west.pk}))
    mine = selectors.monthly_trend(scope=west_only, period=Period.month(march))
    everything = selectors.monthly_trend(scope=EVERYTHING, period=Period.month(march))
    # Then the supervisor's resolution rate is the west's alone, the city's both districts'
    assert mine.rates[-1].resolution == Decimal("0.0000")
    assert everything.rates[-1].resolution == Decimal("0.5000")


def test_a_small_district_volume_per_10000_residents_is_not_shown_as_zero(city):
    # Given 9 requests in a district of 2.2 million residents
    east, _west = city.districts
    Unit.objects.filter(pk=east.pk).update(population=2_200_000)
    MonthlyRollup.objects.create(
        month=date(2025, 10, 1), category=city.tree.leaves[0], kind="complaint", channel="phone", district=east,
        received=9,
    )  # fmt: skip
    sum_district_months()
    # Then its volume per 10,000 residents reads 0.04, not 0.0
    lines = {
        line.district: line
        for line in selectors.district_table(scope=EVERYTHING, period=Period.month(date(2025, 10, 1)))
    }
    assert lines[east].per_10k == Decimal("0.04")


def _sums(rows) -> dict[str, int]:
    totals = rows.aggregate(**{name: Coalesce(Sum(name), 0) for name in COUNT_FIELDS})
    return {name: totals[name] for name in COUNT_FIELDS}


def test_district_figures_are_the_monthly_rollups_sums_for_the_city_and_a_district(city, populate):
    # Given generated tickets over the last hundred days in both districts, rollups refreshed
    populate(200)
    now = timezone.now()
    this_month = month_start(timezone.localdate(now))
    year = Period.year(this_month.year)
    west = city.districts[1]
    for scope, rows in (
        (EVERYTHING, MonthlyRollup.objects.all()),
        (Scope(everything=False, district_ids=frozenset({west.pk})), MonthlyRollup.objects.filter(district=west)),
    ):
        # When the year's summary, trend and district table and the screen are read for the scope
        summary = selectors.summary(scope=scope, period=year)
        trend = selectors.monthly_trend(scope=scope, period=year)
        districts = selectors.district_table(scope=scope, period=year)
        screen = selectors.screen(scope=scope, now=now)
        # Then each is the sum of the scope's monthly rollup rows (the rows the district rollup sums)
        assert summary.counts == _sums(rows)
        assert trend.counts == [_sums(rows.filter(month=month)) for month in trend.months]
        assert districts
        assert all(line.counts == _sums(rows.filter(district=line.district)) for line in districts)
        assert screen.month_counts == _sums(rows.filter(month=this_month))
        month_rows = rows.filter(month=this_month)
        assert all(
            tile.received_month == _sums(month_rows.filter(district=tile.district_id))["received"]
            for tile in screen.tiles
        )
