"""Monthly rankings: counts from the database, classes, frozen snapshots, SQL aggregates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import ReviewStatus
from evaluation import services
from evaluation.models import (
    Appeal,
    AppealKind,
    CallbackStatus,
    EvaluationScheme,
    GovernanceFocus,
    MonthlyRanking,
    RankingAudit,
    Resolution,
    Satisfaction,
    ScoreAdjustment,
    UnitResult,
)
from hotline.errors import DomainError
from hotline.models import UnitKind
from tests.evaluation.factories import CallbackFactory, LeadAssignmentFactory, at
from tests.factories import DistrictFactory, StreetFactory, UserFactory
from tests.intake.factories import TicketFactory

pytestmark = pytest.mark.django_db
OCTOBER = date(2026, 10, 1)


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
    ranking = services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
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


def test_published_month_is_frozen_and_recompute_is_audited(street_a):
    # Given a published month
    first = services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    # When later data arrives and the monthly task runs again
    CallbackFactory(unit=street_a)
    again = services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    # Then nothing changes
    assert again.pk == first.pk
    assert UnitResult.objects.get(ranking=first, unit=street_a).callbacks_answered == 4
    # And an explicit recompute needs a reason, makes version 2 and is audited
    with pytest.raises(DomainError):
        services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET, recompute=True)
    admin = UserFactory()
    second = services.compute_month(
        month=OCTOBER, unit_kind=UnitKind.STREET, recompute=True, actor=admin, reason="申诉复核后重算"
    )
    assert second.version == 2
    assert UnitResult.objects.get(ranking=second, unit=street_a).callbacks_answered == 5
    assert list(MonthlyRanking.objects.filter(month=OCTOBER).values_list("version", "is_current")) == [
        (2, True),
        (1, False),
    ]
    assert UnitResult.objects.get(ranking=first, unit=street_a).callbacks_answered == 4
    assert list(RankingAudit.objects.values_list("action", "actor", "reason").order_by("id")) == [
        ("computed", None, ""),
        ("recomputed", admin.pk, "申诉复核后重算"),
    ]


def _street_with(responded: int, required: int = 10, month: date = OCTOBER, street=None):
    street = street or StreetFactory()
    for index in range(required):
        dispatched = at(month.year, month.month, 3)
        if index < responded:
            LeadAssignmentFactory(unit=street, dispatched_at=dispatched)
        else:
            LeadAssignmentFactory(unit=street, dispatched_at=dispatched, signed_at=dispatched + timedelta(hours=3))
    return street


def test_classes_on_a_month_and_the_month_before():
    # Given six streets with a scheme of top 2 advanced, bottom 2 rectify, 1 improved
    EvaluationScheme.objects.filter(unit_kind=UnitKind.STREET).update(
        advanced_count=2, rectify_count=2, improved_count=1
    )
    september = date(2026, 9, 1)
    streets = [_street_with(responded=10 - i, month=september) for i in range(6)]  # S0 best … S5 worst
    services.compute_month(month=september, unit_kind=UnitKind.STREET)
    # In October S5 jumps from 6th to 3rd, S0 stays first; S3 is on the governance-focus list
    for street, responded in zip(streets, [10, 9, 5, 4, 3, 8], strict=True):
        _street_with(responded=responded, street=street)
    GovernanceFocus.objects.create(unit=streets[3], valid_from=date(2026, 1, 1))
    ranking = services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    results = {r.unit_id: r for r in ranking.results.all()}
    ranks = [results[s.pk].rank for s in streets]
    assert ranks == [1, 2, 4, 5, 6, 3]
    assert [results[s.pk].is_advanced for s in streets] == [True, True, False, False, False, False]
    assert [results[s.pk].is_improved for s in streets] == [False, False, False, False, False, True]
    assert [results[s.pk].is_rectify for s in streets] == [False, False, False, True, True, False]
    assert [results[s.pk].is_governance_focus for s in streets] == [False, False, False, True, False, False]
    assert results[streets[5].pk].rank_change == 3


def test_district_ranking_aggregates_the_district_units():
    district = DistrictFactory()
    _street_with(responded=5, street=StreetFactory(parent=district))
    _street_with(responded=10, street=StreetFactory(parent=district))
    ranking = services.compute_month(month=OCTOBER, unit_kind=UnitKind.DISTRICT)
    result = ranking.results.get()
    assert (result.unit, result.required_response, result.responded_in_time) == (district, 20, 15)


def test_previous_month_task_covers_every_kind(street_a):
    rankings = services.compute_previous_month(today=date(2026, 11, 1))
    assert {r.unit_kind for r in rankings} == set(services.RANKED_KINDS)
    assert all(r.month == OCTOBER for r in rankings)


def test_ranking_is_a_constant_number_of_queries(django_assert_max_num_queries):
    for responded in range(8):
        _street_with(responded=responded, required=8)
    with django_assert_max_num_queries(13):
        ranking = services.compute_month(month=OCTOBER, unit_kind=UnitKind.STREET)
    assert ranking.results.count() == 8


def test_every_kind_of_a_month_is_ranked_from_one_pass_over_the_month(street_a):
    # Given a month with dispatched and called-back tickets
    # When all six rankings are computed
    with CaptureQueriesContext(connection) as queries:
        rankings = services.compute_rankings(month=OCTOBER, unit_kinds=services.RANKED_KINDS)
    # Then the month's assignments and callbacks were each aggregated once, not once per kind
    scans = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "dispatch_assignment"' in sql for sql in scans) == 1
    assert sum('FROM "evaluation_callback"' in sql for sql in scans) == 1
    assert len(rankings) == len(services.RANKED_KINDS)
    # And the district ranking folds the street's counts into its district
    by_kind = {ranking.unit_kind: ranking for ranking in rankings}
    street = by_kind[UnitKind.STREET].results.get(unit=street_a)
    district = by_kind[UnitKind.DISTRICT].results.get(unit=street_a.parent)
    assert street.required_response > 0
    assert (district.required_response, district.callbacks_answered) == (
        street.required_response,
        street.callbacks_answered,
    )


def test_a_confidential_caller_is_not_the_units_to_contact(db):
    # Given a street's two October tickets signed in time and never contacted by the unit, one of a
    # caller who asked for confidentiality (the hotline contacts them)
    street = StreetFactory()
    LeadAssignmentFactory(unit=street, ticket=TicketFactory(confidential=True), first_contacted_at=None)
    LeadAssignmentFactory(unit=street, first_contacted_at=None)
    # When the month's counts are taken
    counts = services.unit_counts(month=OCTOBER)[street.pk]
    # Then both require a response and only the confidential one was answered in time
    assert (counts.required_response, counts.responded_in_time) == (2, 1)
