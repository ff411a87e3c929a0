"""The lines of a ranking, computed from the counts of its units: rates, composite score, rank
and classes (先进 top N, 整改 bottom N, 进步 by the improvement rule, 治理 by volume for
streets). Reads only: services persist the lines of a draft, selectors show lines computed on
the fly (a ranking by source)."""

import math
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum

from evaluation.models import MonthlyRanking, ScoreAdjustment, UnitResult
from evaluation.scoring import Counts, Parameters, competition_ranks, rates
from hotline.models import Unit, UnitKind
from hotline.months import add_months, month_bounds, previous_month
from intake.models import Ticket


def governance_demand(*, month: date, parameters: Parameters) -> dict[int, int]:
    """治理类 candidates: per street/township, the requests located there over the scheme's
    window of months ending with `month`, for those with at least the scheme's minimum."""
    first = add_months(month, 1 - parameters.governance_months)
    start, end = month_bounds(first)[0], month_bounds(month)[1]
    rows = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end, street__isnull=False)
        .values("street_id")
        .annotate(n=Count("id"))
        .filter(n__gte=max(parameters.governance_minimum, 1))
        .order_by()
    )
    return {row["street_id"]: row["n"] for row in rows}


def governance_focus(*, demand: dict[int, int], parameters: Parameters) -> set[int]:
    """The share of candidates with the most requests: per 10,000 residents when every candidate's
    population is loaded (a fair comparison of large and small places), by volume otherwise."""
    if not demand:
        return set()
    population = dict(Unit.objects.filter(pk__in=demand, population__gt=0).values_list("pk", "population"))
    if len(population) == len(demand):
        measure = {unit_id: Decimal(n) / population[unit_id] for unit_id, n in demand.items()}
    else:
        measure = {unit_id: Decimal(n) for unit_id, n in demand.items()}
    size = math.ceil(parameters.governance_share * len(demand))
    return set(sorted(measure, key=lambda unit_id: (-measure[unit_id], unit_id))[:size])


def pooled_rates(*, counts: Iterable[Counts], parameters: Parameters) -> tuple[Decimal | None, ...]:
    total = sum(counts, Counts())
    pooled = rates(counts=total, parameters=parameters)
    return pooled.response, pooled.resolution, pooled.satisfaction


def build_lines(
    *,
    ranking: MonthlyRanking,
    month: date,
    unit_kind: str,
    parameters: Parameters,
    ranked: dict[int, Counts],
    listed: Iterable[int] = (),
) -> list[UnitResult]:
    """A line per unit `listed` (every active unit of the kind) and per unit with volume, with its
    rates; those with a sufficient sample ranked and classed (先进 top N, 整改 bottom N, 进步 by the
    improvement rule, 治理 by volume for streets)."""
    counts = {unit_id: ranked.get(unit_id, Counts()) for unit_id in listed}
    counts.update((unit_id, c) for unit_id, c in ranked.items() if c.has_volume)
    adjustments = dict(
        ScoreAdjustment.objects.filter(month=month, unit_id__in=counts)
        .values("unit_id")
        .annotate(total=Sum("points"))
        .values_list("unit_id", "total")
    )
    previous = {
        unit_id: (rank, composite)
        for unit_id, rank, composite in UnitResult.objects.filter(
            ranking__month=previous_month(month), ranking__unit_kind=unit_kind, ranking__is_current=True
        ).values_list("unit_id", "rank", "composite")
    }
    results = {}
    for unit_id, unit_counts in counts.items():
        adjustment = adjustments.get(unit_id, Decimal(0))
        unit_rates = rates(counts=unit_counts, parameters=parameters, adjustment=adjustment)
        before_rank, before_composite = previous.get(unit_id, (None, None))
        results[unit_id] = UnitResult(
            ranking=ranking,
            unit_id=unit_id,
            **unit_counts.__dict__,
            response_rate=unit_rates.response,
            resolution_rate=unit_rates.resolution,
            satisfaction_rate=unit_rates.satisfaction,
            adjustment=adjustment,
            composite=unit_rates.composite,
            sample_sufficient=unit_rates.composite is not None,
            previous_rank=before_rank,
            previous_composite=before_composite,
        )
    # Best composite first; ties broken by satisfaction, resolution, then unit id for a stable order.
    scored = sorted(
        (result for result in results.values() if result.sample_sufficient),
        key=lambda r: (-r.composite, -r.satisfaction_rate, -r.resolution_rate, r.unit_id),
    )
    for result, rank in zip(scored, competition_ranks([r.composite for r in scored]), strict=True):
        result.rank = rank
        result.is_advanced = rank <= parameters.advanced_count
        result.is_rectify = not result.is_advanced and rank > len(scored) - parameters.rectify_count
        composite_change, rank_change = result.composite_change, result.rank_change
        result.is_improved = not result.is_advanced and (
            (composite_change is not None and composite_change >= parameters.improved_margin)
            or (rank_change is not None and rank_change >= parameters.improved_rank_rise)
        )
    if unit_kind == UnitKind.STREET:
        demand = governance_demand(month=month, parameters=parameters)
        focus = governance_focus(demand=demand, parameters=parameters)
        city = pooled_rates(counts=counts.values(), parameters=parameters)
        for unit_id, result in results.items():
            result.demand = demand.get(unit_id)
            result.is_governance_focus = unit_id in focus
            if result.is_governance_focus and result.sample_sufficient:
                own = (result.response_rate, result.resolution_rate, result.satisfaction_rate)
                result.governance_met = all(
                    city_rate is None or rate >= city_rate for rate, city_rate in zip(own, city, strict=True)
                )
    return sorted(results.values(), key=lambda r: (r.rank is None, r.rank or 0, r.unit_id))
