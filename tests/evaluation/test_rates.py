"""One definition of the three rates: a generated month computed three ways (by hand from the
raw rows, by the rankings and their drill-downs, by the analytics district table) agrees for
every unit and district, before and after publishing."""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from dispatch.models import Assignment, AssignmentRole, ReviewStatus
from evaluation import rankings as ranking_services
from evaluation import rates, selectors
from evaluation.models import Appeal, AppealKind, Callback, CallbackStatus, Resolution, Satisfaction
from evaluation.scoring import Counts, RateSums
from evaluation.selectors import Metric
from hotline import months
from hotline.models import Role, Unit, UnitKind
from tests.factories import (
    CallbackFactory,
    DistrictFactory,
    LeadAssignmentFactory,
    StreetFactory,
    TicketFactory,
    UnitFactory,
    UserFactory,
    allow_small_samples,
    at,
)

pytestmark = pytest.mark.django_db
OCTOBER = date(2026, 10, 1)
START, END = months.month_bounds(OCTOBER)


@pytest.fixture
def generated_month() -> dict[str, list[Unit]]:
    """Two districts with streets and a district department each, and a city department: October
    2026 with late signs, late contacts, returns, confidential callers, reopened tickets, exclusions
    and appealed callbacks, and some rows of September and November around it. The districts
    handle tickets too, and pass most of them down to one of their units."""
    allow_small_samples()
    rng = random.Random(20261001)
    districts = [DistrictFactory(), DistrictFactory()]
    units = [StreetFactory(parent=district) for district in districts for _ in range(3)]
    units += [UnitFactory(kind=UnitKind.DISTRICT_DEPARTMENT, parent=district) for district in districts]
    units.append(UnitFactory(kind=UnitKind.CITY_DEPARTMENT))
    units += districts
    requester = UserFactory()
    for unit in units:
        for _ in range(rng.randint(6, 14)):
            day = rng.choice([date(2026, 9, 30), *[date(2026, 10, d) for d in range(1, 32)], date(2026, 11, 1)])
            dispatched = at(day.year, day.month, day.day, rng.choice([0, 9, 23]))
            no_caller = {"caller": None} if rng.random() < 0.05 else {}
            ticket = TicketFactory(confidential=rng.random() < 0.1, **no_caller)
            signed = dispatched + timedelta(minutes=rng.choice([20, 50, 90])) if rng.random() < 0.9 else None
            lead = LeadAssignmentFactory(ticket=ticket, unit=unit, dispatched_at=dispatched, signed_at=signed)
            if signed and rng.random() < 0.2:
                lead.first_contacted_at = lead.first_contact_due_at + timedelta(minutes=5)
            lead.returned = rng.random() < 0.1
            lead.save()
            below = None
            if unit.kind == UnitKind.DISTRICT and signed and rng.random() < 0.7:
                below = LeadAssignmentFactory(
                    ticket=ticket,
                    parent=lead,
                    unit=rng.choice([u for u in units if u.parent_id == unit.pk]),
                    dispatched_at=signed + timedelta(minutes=10),
                    signed_at=signed + timedelta(minutes=rng.choice([30, 120])),
                )
                if rng.random() < 0.1:
                    Appeal.objects.create(
                        kind=AppealKind.EXCLUDE_TICKET, status=ReviewStatus.APPROVED, ticket=ticket,
                        unit=below.unit, reason="不属于本单位职责", requested_by=requester, decided_at=dispatched,
                    )  # fmt: skip
            if rng.random() < 0.08:
                Appeal.objects.create(
                    kind=AppealKind.EXCLUDE_TICKET, status=ReviewStatus.APPROVED, ticket=ticket, unit=unit,
                    reason="不属于本单位职责", requested_by=requester, decided_at=dispatched,
                )  # fmt: skip
            for round_ in range(1, rng.choice([1, 1, 2, 3]) + 1):
                answered = rng.random() < 0.85
                callback = CallbackFactory(
                    ticket=ticket,
                    unit=unit,
                    passed_down_to=below.unit if below else None,
                    round=round_,
                    is_primary=rng.random() < 0.95,
                    status=CallbackStatus.DONE if answered else CallbackStatus.NOT_REACHED,
                    resolution=rng.choice(list(Resolution)) if answered else "",
                    satisfaction=rng.choice(list(Satisfaction)) if answered else "",
                    completed_at=dispatched + timedelta(days=rng.choice([2, 5, 12]), hours=round_),
                )
                if answered and rng.random() < 0.05:
                    Appeal.objects.create(
                        kind=AppealKind.CALLBACK_RESULT, status=ReviewStatus.APPROVED, ticket=ticket, unit=unit,
                        callback=callback, reason="回访结果有误", requested_by=requester, decided_at=dispatched,
                    )  # fmt: skip
    return {"districts": districts, "units": units}


def by_hand() -> dict[int, Counts]:
    """DESIGN.md §6 read literally, in Python over every row of the month."""
    excluded = set(
        Appeal.objects.filter(kind=AppealKind.EXCLUDE_TICKET, status=ReviewStatus.APPROVED).values_list(
            "ticket_id", "unit_id"
        )
    )
    appealed = set(
        Appeal.objects.filter(kind=AppealKind.CALLBACK_RESULT, status=ReviewStatus.APPROVED).values_list(
            "callback_id", flat=True
        )
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    leads = Assignment.objects.filter(role=AssignmentRole.LEAD).select_related("ticket")
    for lead in leads:
        if not START <= lead.dispatched_at < END:
            continue
        if (lead.ticket_id, lead.unit_id) in excluded:
            counts[lead.unit_id]["excluded"] += 1
            continue
        counts[lead.unit_id]["required_response"] += 1
        contacted = (
            lead.ticket.caller_id is None
            or lead.ticket.confidential
            or (lead.first_contacted_at is not None and lead.first_contacted_at <= lead.first_contact_due_at)
        )
        signed = lead.signed_at is not None and lead.signed_at <= lead.sign_due_at
        counts[lead.unit_id]["responded_in_time"] += int(signed and contacted and not lead.returned)
    answered = [
        c
        for c in Callback.objects.filter(is_primary=True, status=CallbackStatus.DONE)
        if START <= c.completed_at < END and c.unit_id is not None
    ]
    latest = {}
    for callback in answered:
        if callback.ticket_id not in latest or callback.round > latest[callback.ticket_id].round:
            latest[callback.ticket_id] = callback
    for callback in latest.values():
        # The result counts for the hotline's lead and for the unit its district passed it to.
        for unit_id in (callback.unit_id, callback.passed_down_to_id):
            if unit_id is None or (callback.ticket_id, unit_id) in excluded or callback.pk in appealed:
                continue
            line = counts[unit_id]
            line["callbacks_answered"] += 1
            line["resolved"] += callback.resolution == Resolution.RESOLVED
            line["partly_resolved"] += callback.resolution == Resolution.PARTLY
            line["satisfied"] += callback.satisfaction == Satisfaction.SATISFIED
            line["basically_satisfied"] += callback.satisfaction == Satisfaction.BASICALLY
    return {unit_id: Counts(**values) for unit_id, values in counts.items()}


def test_the_counts_by_hand_by_the_ranking_and_by_its_drill_downs_agree(generated_month):
    # Given a generated month
    expected = by_hand()
    assert sum(c.callbacks_answered for c in expected.values()) > 20
    # When the rankings count it
    counted = rates.unit_counts(month=OCTOBER)
    # Then every unit's counts are the hand-made ones
    assert counted == expected
    # And the tickets behind each figure of every unit's published line are those counts
    for kind in (UnitKind.STREET, UnitKind.DISTRICT, UnitKind.DISTRICT_DEPARTMENT, UnitKind.CITY_DEPARTMENT):
        ranking = ranking_services.publish_ranking(
            ranking_id=ranking_services.compute_month(month=OCTOBER, unit_kind=kind).pk, actor=None
        )
        for line in ranking.results.select_related("unit"):
            unit = line.unit

            def listed(metric: str, unit: Unit = unit) -> int:
                if metric in Metric.RESPONSE:
                    return selectors.response_rows(unit=unit, month=OCTOBER, metric=metric).count()
                return selectors.callback_rows(unit=unit, month=OCTOBER, metric=metric).count()

            assert listed(Metric.RESPONSE_REQUIRED) == line.required_response
            assert listed(Metric.RESPONSE_FAILED) == line.required_response - line.responded_in_time
            assert listed(Metric.EXCLUDED) == line.excluded
            assert listed(Metric.CALLBACKS_ANSWERED) == line.callbacks_answered
            assert listed(Metric.NOT_SATISFIED) == line.callbacks_answered - line.satisfied


def _district_rates(api_client, path: str, params: dict, key: str) -> dict[int, tuple]:
    body = api_client.get(path, params).json()
    return {
        line[key]: (line["response_rate"], line["resolution_rate"], line["satisfaction_rate"])
        for line in body["results"]
    }


def test_analytics_districts_and_the_district_ranking_agree_before_and_after_publishing(
    api_client, make_user, generated_month
):
    api_client.force_authenticate(make_user(Role.CITY_ADMIN))
    districts = generated_month["districts"]
    # Given October's district ranking computed as a draft
    draft = ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.DISTRICT)
    # When analytics shows the month before it is published (counted now)
    analytics = _district_rates(api_client, "/api/v1/analytics/districts/", {"period": "2026-10"}, "district")
    # Then every district's three rates are the draft's
    for line in draft.results.all():
        expected = tuple(None if r is None else f"{r:.4f}" for r in (
            line.response_rate, line.resolution_rate, line.satisfaction_rate))  # fmt: skip
        assert analytics[line.unit_id] == expected
    # When it is published and a late answer arrives afterwards
    ranking_services.publish_ranking(ranking_id=draft.pk, actor=None)
    CallbackFactory(unit=districts[0], resolution=Resolution.UNRESOLVED, satisfaction=Satisfaction.UNSATISFIED)
    # Then the analytics district figures are still the published ranking's, district by district
    analytics = _district_rates(api_client, "/api/v1/analytics/districts/", {"period": "2026-10"}, "district")
    ranking = _district_rates(
        api_client, "/api/v1/ranking-results/", {"month": "2026-10-01", "unit_kind": "district"}, "unit"
    )
    assert set(ranking) == {d.pk for d in districts}
    for district in districts:
        assert analytics[district.pk] == ranking[district.pk]
    # And they are the frozen figures: counted now, the district has one more answered callback
    frozen = draft.results.get(unit=districts[0]).callbacks_answered
    live = rates.ranked_counts(
        per_unit=rates.unit_counts(month=OCTOBER), unit_kind=UnitKind.DISTRICT, places=rates.unit_places()
    )
    assert live[districts[0].pk].callbacks_answered == frozen + 1


def test_a_year_adds_each_months_counts_with_that_months_factors(generated_month):
    # Given October published with one scheme and November counted now
    ranking_services.publish_ranking(
        ranking_id=ranking_services.compute_month(month=OCTOBER, unit_kind=UnitKind.DISTRICT).pk, actor=None
    )
    november = date(2026, 11, 1)
    # When the two months are summed
    both = rates.district_rate_sums(months=[OCTOBER, november])
    october = rates.district_rate_sums(months=[OCTOBER])
    later = rates.district_rate_sums(months=[november])
    # Then each district's sums are the months' sums
    for district in generated_month["districts"]:
        assert both[district.pk] == october[district.pk] + later.get(district.pk, RateSums())
    assert any(district in later for district in both)  # November has rows of its own
