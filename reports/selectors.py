"""Reads for 《市民热线反映》: who may see the reports, the stored reports, and every figure a
report prints, for any period (a day, a week, a month, a quarter).

The figures read the rollups (DESIGN.md §11), never the ticket table: the monthly rollup for
whole months, the daily rollup for days and weeks, with analytics' definitions of every count
and rate (analytics.selectors). The street rankings of a month or a quarter come from the
published monthly rankings (evaluation); of a day or a week, from the rates of the rollups.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from analytics import selectors as analytics
from analytics.models import COUNT_FIELDS, DailyRollup, MonthlyRollup
from analytics.periods import Period
from analytics.selectors import EVERYTHING, PHONE_CHANNELS, CategoryLine, HotSpot, Rates, ratio, tickets_url
from evaluation import rates as evaluation_rates
from evaluation import scoring
from evaluation.models import MonthlyRanking, UnitResult
from hotline.models import Unit, UnitKind, User, Zone
from hotline.roles import OVERSIGHT_ROLES, holds
from intake.models import ONLINE_CHANNELS, PLATFORM_CHANNELS, Channel
from reports.models import Report
from reports.periods import ReportKind, ReportPeriod

TOP = 10
DISTRICT_TOP = 3
MOVERS = 5
STREET_KINDS = (UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE)


# --- Access and stored reports ---------------------------------------------------------------------


def can_read_reports(*, user: User) -> bool:
    """City admins and hotline supervisors; everyone else gets 404."""
    return user.is_authenticated and holds(user=user, roles=OVERSIGHT_ROLES)


def latest_reports(*, kind: str | None = None) -> QuerySet[Report]:
    """The latest version of every period (newest period first), with its number of versions."""
    newer = Report.objects.filter(
        kind=OuterRef("kind"), period_start=OuterRef("period_start"), version__gt=OuterRef("version")
    )
    reports = Report.objects.filter(~Exists(newer)).defer("content")
    if kind:
        reports = reports.filter(kind=kind)
    return reports.order_by("-period_start", "kind")


def report_detail(*, report_id: int) -> Report | None:
    return Report.objects.filter(pk=report_id).first()


def report_versions(*, report: Report) -> list[Report]:
    """Every version of the report's period, newest first (without their contents)."""
    return list(
        Report.objects.filter(kind=report.kind, period_start=report.period_start).defer("content").order_by("-version")
    )


def version_counts(*, reports: list[Report]) -> dict[tuple[str, date], int]:
    """Versions per (kind, first day) of the given reports: one query."""
    starts = {report.period_start for report in reports}
    rows = (
        Report.objects.filter(period_start__in=starts).values("kind", "period_start").annotate(n=Count("pk")).order_by()
    )
    return {(row["kind"], row["period_start"]): row["n"] for row in rows}


def has_report(*, period: ReportPeriod) -> bool:
    return Report.objects.filter(kind=period.kind, period_start=period.start).exists()


def next_version(*, period: ReportPeriod) -> int:
    found = Report.objects.filter(kind=period.kind, period_start=period.start).aggregate(last=Max("version"))
    return (found["last"] or 0) + 1


# --- The rollup rows of a period ----------------------------------------------------------------------


def _rows(start: date, end: date) -> tuple[QuerySet[Any], str]:
    """Rollup rows of [start, end) and the name of their date column: the monthly rollup for whole
    months (30 times smaller), the daily one otherwise."""
    if start.day == 1 and end.day == 1:
        return MonthlyRollup.objects.filter(month__gte=start, month__lt=end), "month"
    return DailyRollup.objects.filter(day__gte=start, day__lt=end), "day"


def _sums(condition: Q | None = None, prefix: str = "n_") -> dict[str, Coalesce]:
    return {f"{prefix}{name}": Coalesce(Sum(name, filter=condition), 0) for name in COUNT_FIELDS}


def _counts(row: dict[str, Any], prefix: str = "n_") -> dict[str, int]:
    return {name: row[f"{prefix}{name}"] for name in COUNT_FIELDS}


@dataclass
class Totals:
    counts: dict[str, int]
    previous: dict[str, int]
    phone: int
    online: int
    platforms: int  # transferred by other platforms (PLATFORM_CHANNELS)
    media: int
    proactive: int

    @property
    def received(self) -> int:
        return self.counts["received"]

    @property
    def change(self) -> Decimal | None:
        return analytics.change(self.received, self.previous["received"])

    @property
    def rates(self) -> Rates:
        return Rates.of(self.counts)

    @property
    def previous_rates(self) -> Rates:
        return Rates.of(self.previous)

    def share(self, value: int) -> Decimal | None:
        return ratio(value, self.received)


def totals(*, period: ReportPeriod) -> Totals:
    """The period's counts and the previous period's, with the channels: one query."""
    rows, column = _rows(period.previous().start, period.end)
    current = Q(**{f"{column}__gte": period.start})
    values = rows.aggregate(
        **_sums(current),
        **_sums(~current, prefix="p_"),
        phone=Coalesce(Sum("received", filter=current & Q(channel__in=PHONE_CHANNELS)), 0),
        online=Coalesce(Sum("received", filter=current & Q(channel__in=ONLINE_CHANNELS)), 0),
        platforms=Coalesce(Sum("received", filter=current & Q(channel__in=PLATFORM_CHANNELS)), 0),
        media=Coalesce(Sum("received", filter=current & Q(channel=Channel.MEDIA)), 0),
        proactive=Coalesce(Sum("received", filter=current & Q(channel=Channel.PROACTIVE)), 0),
    )
    return Totals(
        counts=_counts(values),
        previous=_counts(values, "p_"),
        phone=values["phone"],
        online=values["online"],
        platforms=values["platforms"],
        media=values["media"],
        proactive=values["proactive"],
    )


def categories(*, period: ReportPeriod, level: int) -> list[CategoryLine]:
    """Every category of one level with tickets in the period or the previous one, most first: one query."""
    path = analytics.CATEGORY_PATHS[level]
    rows, column = _rows(period.previous().start, period.end)
    current = Q(**{f"{column}__gte": period.start})
    lines = [
        CategoryLine(
            row[f"{path}_id"],
            row[f"{path}__name"],
            row["current"],
            row["before"],
            name_en=row[f"{path}__name_en"],
            url=tickets_url(period_start=period.start, period_end=period.end, category_id=row[f"{path}_id"]),
        )
        for row in rows.values(f"{path}_id", f"{path}__name", f"{path}__name_en")
        .annotate(
            current=Coalesce(Sum("received", filter=current), 0),
            before=Coalesce(Sum("received", filter=~current), 0),
        )
        .order_by()
    ]
    total = sum(line.count for line in lines)
    for line in lines:
        line.share = ratio(line.count, total)
    return sorted(lines, key=lambda line: (-line.count, line.name))


@dataclass
class Movers:
    up: list[CategoryLine]
    down: list[CategoryLine]


def movers(*, lines: list[CategoryLine], top: int = MOVERS) -> Movers:
    """The categories that rose and fell most in tickets on the previous period."""
    up = sorted(
        (line for line in lines if line.count > line.previous), key=lambda line: (line.previous - line.count, line.name)
    )
    down = sorted(
        (line for line in lines if line.count < line.previous), key=lambda line: (line.count - line.previous, line.name)
    )
    return Movers(up=up[:top], down=down[:top])


# --- Hot spots -------------------------------------------------------------------------------------


@dataclass
class HotSpots:
    spots: list[HotSpot]
    baseline_periods: int
    enough_history: bool


def hot_spots(*, period: ReportPeriod, limit: int = 20) -> HotSpots:
    """Category × street clusters that jump against their own recent past: analytics' rule
    (analytics.selectors.hot_spots) with periods of the report's kind as the baseline: the
    previous ANALYTICS_HOTSPOT_BASELINE_MONTHS days, weeks, months or quarters. A month is
    exactly the analytics page's hot spots."""
    if period.kind == ReportKind.MONTHLY:
        found = analytics.hot_spots(scope=EVERYTHING, month=period.start, limit=limit)
        return HotSpots(found.spots, len(found.baseline_months), found.enough_history)
    source = MonthlyRollup if period.month_aligned else DailyRollup
    column = "month" if period.month_aligned else "day"
    first = source.objects.aggregate(first=Min(column))["first"]
    baseline = [
        period.previous(offset)
        for offset in range(settings.ANALYTICS_HOTSPOT_BASELINE_MONTHS, 0, -1)
        if first is not None and period.previous(offset).end > first
    ]
    if len(baseline) < settings.ANALYTICS_HOTSPOT_MIN_BASELINE_MONTHS:
        return HotSpots([], len(baseline), enough_history=False)
    rows, column = _rows(period.start, period.end)
    current = analytics.hot_spot_clusters(rows)
    if not current:
        return HotSpots([], len(baseline), enough_history=True)
    index = {past.start: position for position, past in enumerate(baseline)}
    history: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * len(baseline))
    past_rows, past_column = _rows(baseline[0].start, period.start)
    for row in (
        past_rows.filter(
            category_id__in={r["category_id"] for r in current}, street_id__in={r["street_id"] for r in current}
        )
        .values("category_id", "street_id", past_column)
        .annotate(n=Sum("received"))
        .order_by()
    ):
        position = index.get(ReportPeriod.containing(period.kind, row[past_column]).start)
        if position is not None:
            history[(row["category_id"], row["street_id"])][position] += row["n"]
    spots = []
    for row in current:
        counts = history.get((row["category_id"], row["street_id"]), [0] * len(baseline))
        if (spot := analytics.hot_spot(cluster=row, baseline=counts, start=period.start, end=period.end)) is not None:
            spots.append(spot)
    spots.sort(key=lambda spot: (-spot.score, -spot.count, spot.street))
    return HotSpots(spots[:limit], len(baseline), enough_history=True)


# --- Street rankings ---------------------------------------------------------------------------------


@dataclass
class StreetLine:
    unit: Unit  # with its parent (the district)
    handled: int | None  # tickets dispatched to it in the period (rollup ranking); None from published rankings
    response: Decimal | None
    resolution: Decimal | None
    satisfaction: Decimal | None
    composite: Decimal | None
    rank: int | None = None
    previous_rank: int | None = None
    months_ranked: int = 1

    @property
    def name(self) -> str:
        """ "丰台区新村街道": the street with its district."""
        parent = self.unit.parent
        if parent is not None and parent.kind == UnitKind.DISTRICT:
            return f"{parent.name}{self.unit.name}"
        return self.unit.name

    @property
    def rank_change(self) -> int | None:
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


@dataclass
class DistrictTop:
    district: Unit
    lines: list[StreetLine]


@dataclass
class Standings:
    """The city's top and bottom ten streets/townships and each district's top three."""

    source: str  # "rankings" (published monthly rankings) or "rollups" (rates of the period's rollups)
    ranked: list[StreetLine]  # best first
    unranked: int  # listed but below the minimum sample
    months: list[date] = field(default_factory=list)  # the published months used (rankings)
    minimum_responses: int = 0
    minimum_callbacks: int = 0

    @property
    def top(self) -> list[StreetLine]:
        return self.ranked[:TOP]

    @property
    def bottom(self) -> list[StreetLine]:
        """The last ten, worst first; only when more than ten are ranked (else the top ten is everyone)."""
        return self.ranked[-TOP:][::-1] if len(self.ranked) > TOP else []

    @property
    def district_tops(self) -> list[DistrictTop]:
        by_district: dict[int, DistrictTop] = {}
        for line in self.ranked:
            parent = line.unit.parent
            if parent is None or parent.kind != UnitKind.DISTRICT:
                continue
            top = by_district.setdefault(parent.pk, DistrictTop(parent, []))
            if len(top.lines) < DISTRICT_TOP:
                top.lines.append(line)
        return sorted(by_district.values(), key=lambda top: (top.district.code or "", top.district.name))


def _rank(lines: list[StreetLine]) -> list[StreetLine]:
    scored = sorted(
        ((line.composite, line) for line in lines if line.composite is not None),
        key=lambda item: (-item[0], item[1].name),
    )
    for (_score, line), rank in zip(scored, scoring.competition_ranks([score for score, _line in scored]), strict=True):
        line.rank = rank
    return [line for _score, line in scored]


def _rollup_standings(period: ReportPeriod) -> Standings:
    """Streets/townships by the rates of the tickets dispatched to them that were received in the
    period, scored with the scheme in force for the period's first month (the rankings' weights,
    factors and minimum sample): two queries."""
    parameters = evaluation_rates.parameters_for(unit_kind=UnitKind.STREET, month=period.start.replace(day=1))
    rows, _column = _rows(period.start, period.end)
    per_unit = {
        row["unit_id"]: _counts(row)
        for row in rows.filter(unit__kind__in=STREET_KINDS).values("unit_id").annotate(**_sums()).order_by()
    }
    units = Unit.objects.select_related("parent").in_bulk(list(per_unit))
    lines = []
    for unit_id, counts in per_unit.items():
        result = scoring.rates(
            counts=scoring.Counts(
                required_response=counts["response_required"],
                responded_in_time=counts["signed_in_time"],
                callbacks_answered=counts["callbacks_answered"],
                resolved=counts["callbacks_resolved"],
                partly_resolved=counts["callbacks_partly_resolved"],
                satisfied=counts["callbacks_satisfied"],
                basically_satisfied=counts["callbacks_basically_satisfied"],
            ),
            parameters=parameters,
        )
        lines.append(
            StreetLine(
                units[unit_id],
                counts["dispatched"],
                result.response,
                result.resolution,
                result.satisfaction,
                result.composite,
            )
        )
    ranked = _rank(lines)
    return Standings(
        "rollups",
        ranked,
        unranked=len(lines) - len(ranked),
        minimum_responses=parameters.minimum_responses,
        minimum_callbacks=parameters.minimum_callbacks,
    )


def _ranking_standings(rankings: list[MonthlyRanking]) -> Standings:
    """Streets/townships from published monthly rankings. One month: its ranks as published. A
    quarter: the mean of each unit's monthly composite scores over the months it was ranked in,
    and its rates from the months' counts added up (each month weighted with its own factors)."""
    results = list(
        UnitResult.objects.filter(ranking__in=rankings)
        .select_related("unit__parent", "ranking")
        .order_by("ranking__month", "id")
    )
    if len(rankings) == 1:
        lines = [
            StreetLine(
                result.unit,
                None,
                result.response_rate,
                result.resolution_rate,
                result.satisfaction_rate,
                result.composite,
                rank=result.rank,
                previous_rank=result.previous_rank,
            )
            for result in results
        ]
        ranked = sorted((line for line in lines if line.rank is not None), key=lambda line: (line.rank, line.name))
    else:
        factors = {ranking.pk: evaluation_rates.parameters_of(ranking) for ranking in rankings}
        sums: dict[int, scoring.RateSums] = {}
        scores: dict[int, list[Decimal]] = defaultdict(list)
        units: dict[int, Unit] = {}
        for result in results:
            parameters = factors[result.ranking_id]
            counts = scoring.Counts(
                required_response=result.required_response,
                responded_in_time=result.responded_in_time,
                callbacks_answered=result.callbacks_answered,
                resolved=result.resolved,
                partly_resolved=result.partly_resolved,
                satisfied=result.satisfied,
                basically_satisfied=result.basically_satisfied,
            )
            month_sums = scoring.RateSums.of(
                counts=counts,
                partly_resolved_factor=parameters.partly_resolved_factor,
                basically_satisfied_factor=parameters.basically_satisfied_factor,
            )
            sums[result.unit_id] = sums.get(result.unit_id, scoring.RateSums()) + month_sums
            units[result.unit_id] = result.unit
            if result.composite is not None:
                scores[result.unit_id].append(result.composite)
        lines = []
        for unit_id, unit_sums in sums.items():
            unit_scores = scores.get(unit_id, [])
            mean = (
                (sum(unit_scores, Decimal(0)) / len(unit_scores)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                if unit_scores
                else None
            )
            lines.append(
                StreetLine(
                    units[unit_id],
                    None,
                    unit_sums.response,
                    unit_sums.resolution,
                    unit_sums.satisfaction,
                    mean,
                    months_ranked=len(unit_scores),
                )
            )
        ranked = _rank(lines)
    return Standings(
        "rankings", ranked, unranked=len(lines) - len(ranked), months=sorted(ranking.month for ranking in rankings)
    )


def standings(*, period: ReportPeriod) -> Standings:
    """A month or a quarter: the published street rankings of its months (those published so far);
    a day, a week, or a month without a published ranking: the rates of the period's rollups."""
    if period.month_aligned:
        rankings = list(
            MonthlyRanking.objects.filter(
                unit_kind=UnitKind.STREET,
                is_current=True,
                published_at__isnull=False,
                month__in=period.months(),
            )
        )
        if rankings:
            return _ranking_standings(rankings)
    return _rollup_standings(period)


def busiest_streets(*, period: ReportPeriod, top: int = TOP) -> list[tuple[str, int]]:
    """接诉量前10: the streets/townships with the most requests from their area in the period (by the
    tickets' place), with their counts: one query."""
    rows, _column = _rows(period.start, period.end)
    found = (
        rows.exclude(street=None)
        .values("street_id", "street__name", "street__parent__name")
        .annotate(n=Sum("received"))
        .filter(n__gt=0)
        .order_by("-n", "street__parent__name", "street__name")[:top]
    )
    return [(f"{row['street__parent__name'] or ''}{row['street__name']}", row["n"]) for row in found]


# --- Zones -------------------------------------------------------------------------------------------


@dataclass
class ZoneRow:
    label: str
    received: int
    share: Decimal | None
    per_10k: Decimal | None
    direct_answer_ratio: Decimal | None
    rates: Rates


def zones(*, period: ReportPeriod) -> list[ZoneRow]:
    """The period by the city's zones (中心城区, 城市副中心, 平原新城, 生态涵养区). Whole months: analytics'
    zone table (the rates as the district rankings count them). Days and weeks: summed from the
    daily rollup by the tickets' district, with the rates of those tickets."""
    if period.month_aligned:
        months = len(period.months())
        lines = analytics.zone_table(
            districts=analytics.district_table(scope=EVERYTHING, period=Period(period.start, months))
        )
        total = sum(line.received for line in lines)
        return [
            ZoneRow(
                line.label,
                line.received,
                ratio(line.received, total),
                line.per_10k,
                line.direct_answer_ratio,
                line.rates,
            )
            for line in lines
        ]
    rows, _column = _rows(period.start, period.end)
    per_district = {
        row["district_id"]: _counts(row)
        for row in rows.exclude(district=None).values("district_id").annotate(**_sums()).order_by()
    }
    districts = Unit.objects.filter(kind=UnitKind.DISTRICT).filter(Q(is_active=True) | Q(pk__in=per_district))
    grouped: dict[str, list[tuple[Unit, dict[str, int]]]] = defaultdict(list)
    empty = dict.fromkeys(COUNT_FIELDS, 0)
    for district in districts:
        grouped[district.zone].append((district, per_district.get(district.pk, empty)))
    order = {zone: position for position, zone in enumerate([*Zone.values, ""])}
    total = sum(counts["received"] for counts in per_district.values())
    result = []
    for zone, members in sorted(grouped.items(), key=lambda item: order[item[0]]):
        counts = {name: sum(member[name] for _d, member in members) for name in COUNT_FIELDS}
        population = None if any(not d.population for d, _c in members) else sum(d.population or 0 for d, _c in members)
        per_10k = (Decimal(counts["received"]) * 10000 / population).quantize(Decimal("0.01")) if population else None
        label = str(Zone(zone).label) if zone else str(analytics.ZoneLine(zone, []).label)
        result.append(
            ZoneRow(
                label,
                counts["received"],
                ratio(counts["received"], total),
                per_10k,
                ratio(counts["answered_directly"], counts["received"]),
                Rates.of(counts),
            )
        )
    return result
