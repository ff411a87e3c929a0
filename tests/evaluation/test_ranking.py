"""Monthly rankings: counts from the database, the minimum sample, classes, drafts and published
versions, SQL aggregates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Assignment, ReviewStatus
from evaluation import rankings as ranking_services
from evaluation import rates
from evaluation.models import (
    Appeal,
    AppealKind,
    Callback,
    CallbackStatus,
    EvaluationScheme,
    MonthlyRanking,
    RankingAudit,
    Resolution,
    Satisfaction,
    ScoreAdjustment,
    UnitResult,
)
from hotline.errors import DomainError
from hotline.models import Unit, UnitKind
from intake.models import Ticket
from tests.factories import (
    CallbackFactory,
    DistrictFactory,
    LeadAssignmentFactory,
    StreetFactory,
    TicketFactory,
    UserFactory,
    allow_small_samples,
    at,
    published,
)

pytestmark = pytest.mark.django_db
OCTOBER = date(2026, 10, 1)
SEPTEMBER = date(2026, 9, 1)


def approved(kind: AppealKind, **fields) -> Appeal:
    return Appeal.objects.create(
        kind=kind,
        status=ReviewStatus.APPROVED,
        reason="不属于本单位职责",
        requested_by=UserFactory(),
        decided_at=at(2026, 10, 20),
        **fields,
    )


@pytest.fixture
def street_a():
    """A street with a month of work whose rates are computed by hand in the test below."""
    allow_small_samples()
    street = StreetFactory()
    dispatched = at(2026, 10, 5)
    # Response: 1 and 7 in time; 2 contacted late; 3 signed late; 4 returned; 5 excluded; 6 in September.
    LeadAssignmentFactory(unit=street)
    late_contact = LeadAssignmentFactory(unit=street)
    late_contact.first_contacted_at = late_contact.first_contact_due_at + timedelta(minutes=1)
    late_contact.save()
    LeadAssignmentFactory(unit=street, signed_at=dispatched + timedelta(hours=2))
    LeadAssignmentFactory(unit=street, returned=True)
    excluded = LeadAssignmentFactory(unit=street)
    approved(AppealKind.EXCLUDE_TICKET, ticket=excluded.ticket, unit=street)
    LeadAssignmentFactory(unit=street, dispatched_at=at(2026, 9, 29))
    LeadAssignmentFactory(unit=street, ticket=TicketFactory(caller=None), first_contacted_at=None)
    # Callbacks: four count; a merged caller, an unreached one, the excluded ticket's and an
    # appealed result do not.
    CallbackFactory(unit=street)
    CallbackFactory(unit=street, satisfaction=Satisfaction.BASICALLY)
    CallbackFactory(unit=street, resolution=Resolution.PARTLY, satisfaction=Satisfaction.BASICALLY)
    CallbackFactory(unit=street, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED)
    CallbackFactory(unit=street, is_primary=False)
    CallbackFactory(unit=street, status=CallbackStatus.NOT_REACHED, resolution="", satisfaction="")
    CallbackFactory(
        unit=street, ticket=excluded.ticket, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED
    )
    appealed = CallbackFactory(unit=street, resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED)
    approved(AppealKind.CALLBACK_RESULT, ticket=appealed.ticket, unit=street, callback=appealed)
    CallbackFactory(unit=street, completed_at=at(2026, 11, 1, 0))  # November
    CallbackFactory(unit=None)  # no unit to evaluate: counts for nobody
    ScoreAdjustment.objects.create(
        unit=street, month=OCTOBER, points=Decimal(2), reason="创新工作加分", created_by=UserFactory()
    )
    return street


def test_hand_computed_month(street_a):
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    result = UnitResult.objects.get(ranking=ranking, unit=street_a)
    assert (result.required_response, result.responded_in_time, result.excluded) == (5, 2, 1)
    assert (result.callbacks_answered, result.resolved, result.partly_resolved) == (4, 2, 1)
    assert (result.satisfied, result.basically_satisfied) == (1, 2)
    assert result.response_rate == Decimal("0.4000")
    assert result.resolution_rate == Decimal("0.5000")
    assert result.satisfaction_rate == Decimal("0.6500")
    assert result.adjustment == Decimal("2.00")
    assert result.composite == Decimal("57.75")  # 55.75 by the 10/45/45 preset, + 2 bonus points
    assert ranking.scheme["response_weight"] == "0.10"


def test_a_reopened_ticket_counts_once_a_month_with_its_latest_round():
    # Given a ticket called back unsatisfied, reopened and called back satisfied in October, and
    # another whose second round was answered in November
    allow_small_samples()
    street = StreetFactory()
    twice = TicketFactory()
    unsatisfied = {"resolution": Resolution.UNRESOLVED, "satisfaction": Satisfaction.UNSATISFIED}
    CallbackFactory(ticket=twice, unit=street, round=1, completed_at=at(2026, 10, 8), **unsatisfied)
    CallbackFactory(ticket=twice, unit=street, round=2, completed_at=at(2026, 10, 20))
    across = TicketFactory()
    CallbackFactory(ticket=across, unit=street, round=1, completed_at=at(2026, 10, 28), **unsatisfied)
    CallbackFactory(ticket=across, unit=street, round=2, completed_at=at(2026, 11, 3))
    # When October and November are counted
    october = rates.unit_counts(month=OCTOBER)[street.pk]
    november = rates.unit_counts(month=date(2026, 11, 1))[street.pk]
    # Then October counts each ticket once, by its latest October round
    assert (october.callbacks_answered, october.resolved, october.satisfied) == (2, 1, 1)
    # And November counts the second ticket's November round
    assert (november.callbacks_answered, november.satisfied) == (1, 1)
    # And the drill-down lists the same callbacks as the count
    listed = rates.counted_callbacks(first=OCTOBER).filter(unit=street)
    assert sorted((c.ticket_id, c.round) for c in listed) == sorted([(twice.pk, 2), (across.pk, 1)])


def _street_with(responded: int, required: int = 10, month: date = OCTOBER, street=None, callbacks: int = 5):
    """A street's month: `required` lead assignments of which `responded` in time, and
    `callbacks` answered callbacks, all satisfied."""
    street = street or StreetFactory()
    dispatched = at(month.year, month.month, 3)
    for index in range(required):
        if index < responded:
            LeadAssignmentFactory(unit=street, dispatched_at=dispatched)
        else:
            LeadAssignmentFactory(unit=street, dispatched_at=dispatched, signed_at=dispatched + timedelta(hours=3))
    for _ in range(callbacks):
        CallbackFactory(unit=street, completed_at=dispatched + timedelta(days=5))
    return street


def test_a_unit_below_the_minimum_sample_is_listed_without_rank_or_class():
    # Given (with the default minimum of 5 and 5) a street with one dispatched ticket and one
    # perfect callback, and two streets with full samples
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(advanced_count=1, rectify_count=1)
    tiny = _street_with(responded=1, required=1, callbacks=1)
    no_tickets = StreetFactory()
    CallbackFactory(unit=no_tickets)
    good = _street_with(responded=9)
    poor = _street_with(responded=4)
    # When October is ranked
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    results = {r.unit_id: r for r in ranking.results.all()}
    # Then the small samples are listed with their rates but without composite, rank or class
    for unit in (tiny, no_tickets):
        line = results[unit.pk]
        assert (line.sample_sufficient, line.rank, line.composite) == (False, None, None)
        assert (line.is_advanced, line.is_improved, line.is_rectify) == (False, False, False)
    assert results[tiny.pk].response_rate == Decimal("1.0000")
    # And an empty denominator is an empty rate, not 100 %
    assert results[no_tickets.pk].response_rate is None
    # And only the full samples are ranked, the best one advanced
    assert (results[good.pk].rank, results[good.pk].is_advanced) == (1, True)
    assert (results[poor.pk].rank, results[poor.pk].is_rectify) == (2, True)
    # And the ranking lists ranked lines first
    assert [r.unit_id for r in ranking.results.all()][:2] == [good.pk, poor.pk]


def test_every_active_street_and_functional_zone_is_listed_even_without_requests():
    # Given a street with a month of work, a quiet street, a functional zone, and a street no longer active
    busy = _street_with(responded=9)
    quiet = StreetFactory()
    zone = StreetFactory(kind=UnitKind.FUNCTIONAL_ZONE)
    closed = StreetFactory(is_active=False)
    # When October is ranked
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    results = {r.unit_id: r for r in ranking.results.all()}
    # Then every active street and zone has a line; the quiet ones without rates, rank or class
    assert set(results) == {busy.pk, quiet.pk, zone.pk}
    assert closed.pk not in results
    for unit in (quiet, zone):
        line = results[unit.pk]
        assert (line.required_response, line.callbacks_answered, line.rank, line.response_rate) == (0, 0, None, None)
        assert not line.sample_sufficient
    assert results[busy.pk].rank == 1


def test_the_minimum_sample_comes_from_the_scheme():
    # Given a scheme asking for 12 tickets requiring a response
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(minimum_responses=12)
    street = _street_with(responded=10)
    # When ranked
    line = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET).results.get(unit=street)
    # Then ten are too few, and the parameters used are kept with the ranking
    assert line.sample_sufficient is False
    assert line.ranking.scheme["minimum_responses"] == 12


def test_improved_by_score_margin_or_rank_rise():
    # Given a scheme of no advanced class, bottom 1 rectify, improved at +5 points or 3 places up
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(
        advanced_count=0, rectify_count=1, improved_margin=Decimal(5), improved_rank_rise=3
    )
    # September: composites 100, 99 … 95 (10 response points per ticket in time of ten, 90 from callbacks)
    streets = [_street_with(responded=10 - i, month=SEPTEMBER) for i in range(6)]
    published(month=SEPTEMBER, unit_kind=UnitKind.STREET)
    # October: S4 gains 4 points and rises from 5th to 1st; S2 gains 2 points and two places
    for street, responded in zip(streets, [10, 10, 10, 5, 10, 1], strict=True):
        _street_with(responded=responded, street=street)
    # When October is ranked
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    results = {r.unit_id: r for r in ranking.results.all()}
    # Then last month's figures are on every line
    assert [results[s.pk].rank for s in streets] == [1, 1, 1, 5, 1, 6]
    assert results[streets[2].pk].previous_composite == Decimal("98.00")
    assert results[streets[2].pk].composite_change == Decimal("2.00")
    # And only the rise of 4 places makes a unit improved (no rise in score reached 5 points)
    assert [results[s.pk].is_improved for s in streets] == [False, False, False, False, True, False]
    assert [results[s.pk].is_rectify for s in streets] == [False, False, False, False, False, True]


def test_improved_by_score_and_never_when_advanced():
    # Given top 1 advanced, improved at +5 points or 20 places
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(
        advanced_count=1, rectify_count=0, improved_margin=Decimal(5), improved_rank_rise=20
    )
    best, riser, flat = (_street_with(responded=r, month=SEPTEMBER) for r in (10, 2, 5))
    published(month=SEPTEMBER, unit_kind=UnitKind.STREET)
    _street_with(responded=10, street=best)
    _street_with(responded=9, street=riser)
    _street_with(responded=5, street=flat)
    # When October is ranked
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    results = {r.unit_id: r for r in ranking.results.all()}
    # Then the riser gained 7 points (rank 3 → 2): improved; the best stays advanced, not improved
    assert results[riser.pk].composite_change == Decimal("7.00")
    assert [results[s.pk].is_improved for s in (best, riser, flat)] == [False, True, False]
    assert [results[s.pk].is_advanced for s in (best, riser, flat)] == [True, False, False]


def _requests(street: Unit, count: int, month: date) -> None:
    """`count` requests located in `street`, received in `month`."""
    tickets = [TicketFactory(street=street, district=street.parent) for _ in range(count)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(created_at=at(month.year, month.month, 10))


def test_governance_focus_is_the_busiest_tenth_and_reached_means_at_the_city_average():
    # Given 10 ranked streets, one with far more requests over August–October than the others,
    # one with many requests in July only (outside the three months), and a minimum of 3 requests
    allow_small_samples()
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(governance_minimum=3)
    streets = [_street_with(responded=10 if i != 0 else 6) for i in range(10)]
    for street in streets:
        _requests(street, 3, date(2026, 8, 1))
    _requests(streets[0], 12, OCTOBER)
    _requests(streets[1], 20, date(2026, 7, 1))
    # When October is ranked
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    results = {r.unit_id: r for r in ranking.results.all()}
    # Then the busiest tenth (one street) is the governance focus, with its demand recorded
    assert [s.pk for s in streets if results[s.pk].is_governance_focus] == [streets[0].pk]
    assert results[streets[0].pk].demand == 15
    assert results[streets[1].pk].demand == 3
    # And it did not reach the standard: its response rate (60 %) is below the city's (96 %)
    assert results[streets[0].pk].governance_met is False
    assert results[streets[1].pk].governance_met is None


def test_governance_focus_per_10000_residents_when_every_population_is_loaded():
    # Given a big street with the most requests and a small one with the most per resident
    allow_small_samples()
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(governance_minimum=3)
    big = _street_with(responded=10)
    small = _street_with(responded=10)
    others = [_street_with(responded=10) for _ in range(8)]
    for street, count in [(big, 10), (small, 4), *[(s, 3) for s in others]]:
        _requests(street, count, OCTOBER)
    Unit.objects.filter(pk=big.pk).update(population=200_000)
    Unit.objects.filter(pk__in=[small.pk, *[s.pk for s in others]]).update(population=20_000)
    # When October is ranked
    ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    # Then the small street (2 per 10,000 residents) is the focus, not the big one (0.5)
    assert [r.unit_id for r in ranking.results.all() if r.is_governance_focus] == [small.pk]
    # And with rates at the city's it reached the standard
    assert ranking.results.get(unit=small).governance_met is True


def test_draft_then_publish_then_recompute_with_a_reason(street_a):
    # Given a computed month: a draft that units do not see
    admin = UserFactory()
    draft = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET, actor=admin)
    assert (draft.version, draft.is_draft, draft.is_current) == (1, True, False)
    # When late data arrives and the draft is computed again, it is the same draft, refreshed
    CallbackFactory(unit=street_a)
    again = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET, actor=admin)
    assert again.pk == draft.pk
    assert UnitResult.objects.get(ranking=draft, unit=street_a).callbacks_answered == 5
    # And publishing freezes it
    ranking_services.publish_ranking(ranking_id=draft.pk, actor=admin)
    draft.refresh_from_db()
    assert (draft.is_draft, draft.is_current, draft.published_by) == (False, True, admin)
    with pytest.raises(DomainError) as refused:
        ranking_services.publish_ranking(ranking_id=draft.pk, actor=admin)
    assert refused.value.code == "already_published"
    # And the monthly task leaves a published month alone
    assert ranking_services.compute_previous_month(today=date(2026, 11, 1)) != []  # the other kinds' drafts
    assert MonthlyRanking.objects.filter(month=OCTOBER, unit_kind=UnitKind.STREET).count() == 1
    # And computing it again needs a reason and makes a draft version 2, the published one still current
    CallbackFactory(unit=street_a)
    with pytest.raises(DomainError):
        ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    second = ranking_services.compute_month(
        month=OCTOBER, unit_kind=UnitKind.STREET, actor=admin, reason="申诉复核后重算"
    )
    assert (second.version, second.is_draft) == (2, True)
    assert MonthlyRanking.objects.get(month=OCTOBER, unit_kind=UnitKind.STREET, is_current=True).pk == draft.pk
    # And once published it replaces version 1, which is kept unchanged
    ranking_services.publish_ranking(ranking_id=second.pk, actor=admin)
    assert list(
        MonthlyRanking.objects.filter(month=OCTOBER, unit_kind=UnitKind.STREET).values_list("version", "is_current")
    ) == [(2, True), (1, False)]
    assert UnitResult.objects.get(ranking=draft, unit=street_a).callbacks_answered == 5
    assert UnitResult.objects.get(ranking=second, unit=street_a).callbacks_answered == 6
    assert list(
        RankingAudit.objects.filter(ranking__unit_kind=UnitKind.STREET)
        .order_by("id")
        .values_list("ranking__version", "action", "reason")
    ) == [
        (1, "computed", ""),
        (1, "computed", ""),
        (1, "published", ""),
        (2, "computed", "申诉复核后重算"),
        (2, "published", "申诉复核后重算"),
    ]


def test_an_empty_month_cannot_be_published(db):
    draft = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    with pytest.raises(DomainError) as refused:
        ranking_services.publish_ranking(ranking_id=draft.pk, actor=None)
    assert refused.value.code == "empty_ranking"
    assert not MonthlyRanking.objects.filter(is_current=True).exists()


def test_the_district_is_ranked_on_the_tickets_dispatched_to_it_not_its_units():
    # Given a district's streets with their own tickets, and 4 tickets the hotline dispatched to the
    # district, 3 signed in time, of which 2 it passed down to a street (whose callbacks count for both)
    district = DistrictFactory()
    street = _street_with(responded=5, street=StreetFactory(parent=district))
    _street_with(responded=10, street=StreetFactory(parent=district))
    _street_with(responded=3, required=4, street=district, callbacks=2)
    for own in Assignment.objects.filter(unit=district)[:2]:
        LeadAssignmentFactory(ticket=own.ticket, unit=street, parent=own, dispatched_at=own.dispatched_at)
    Callback.objects.filter(unit=district).update(passed_down_to=street)
    # When the month's district and street rankings are computed
    districts = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.DISTRICT)
    streets = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    # Then the district counts its own four, not its streets' twenty
    result = districts.results.get()
    assert (result.unit, result.required_response, result.responded_in_time) == (district, 4, 3)
    assert result.callbacks_answered == 2
    # And the street counts its own ten and the two passed down to it, with both callbacks
    line = streets.results.get(unit=street)
    assert (line.required_response, line.responded_in_time, line.callbacks_answered) == (12, 7, 7)


def test_previous_month_task_drafts_every_kind_once(street_a):
    rankings = ranking_services.compute_previous_month(today=date(2026, 11, 1))
    assert {r.unit_kind for r in rankings} == set(ranking_services.RANKED_KINDS)
    assert all(r.month == OCTOBER and r.is_draft for r in rankings)
    assert ranking_services.compute_previous_month(today=date(2026, 11, 1)) == []


def test_ranking_is_a_constant_number_of_queries(django_assert_max_num_queries):
    for responded in range(8):
        _street_with(responded=responded, required=8)
    with django_assert_max_num_queries(16):
        ranking = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    assert ranking.results.count() == 8


def test_every_kind_of_a_month_is_ranked_from_one_pass_over_the_month(street_a):
    # Given a month with dispatched and called-back tickets
    # When all six rankings are computed
    with CaptureQueriesContext(connection) as queries:
        rankings = ranking_services.compute_rankings(month=OCTOBER, unit_kinds=ranking_services.RANKED_KINDS)
    # Then the month's assignments and callbacks were each aggregated once, not once per kind
    scans = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "dispatch_assignment"' in sql for sql in scans) == 1
    assert sum('FROM "evaluation_callback"' in sql for sql in scans) == 1
    assert len(rankings) == len(ranking_services.RANKED_KINDS)
    # And the district ranking does not fold its street's counts in: it had no ticket of its own
    by_kind = {ranking.unit_kind: ranking for ranking in rankings}
    street = by_kind[UnitKind.STREET].results.get(unit=street_a)
    district = by_kind[UnitKind.DISTRICT].results.get(unit=street_a.parent)
    assert street.required_response > 0
    assert (district.required_response, district.callbacks_answered) == (0, 0)


def test_a_confidential_caller_is_not_the_units_to_contact(db):
    # Given a street's two October tickets signed in time and never contacted by the unit, one of a
    # caller who asked for confidentiality (the hotline contacts them)
    street = StreetFactory()
    LeadAssignmentFactory(unit=street, ticket=TicketFactory(confidential=True), first_contacted_at=None)
    LeadAssignmentFactory(unit=street, first_contacted_at=None)
    # When the month's counts are taken
    counts = rates.unit_counts(month=OCTOBER)[street.pk]
    # Then both require a response and only the confidential one was answered in time
    assert (counts.required_response, counts.responded_in_time) == (2, 1)
