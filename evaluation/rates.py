"""The one definition of the three rates (三率, DESIGN.md §6): which rows count, in which month,
and for which unit. The rankings, their drill-downs, the analytics district figures and the APIs
all read them from here; the formulas over the counts are in evaluation.scoring.

Response: the lead assignments dispatched in the month. Responded = signed by the sign deadline
and the caller contacted by the first-contact deadline; a returned assignment counts against the
unit that returned it.
Resolution and satisfaction: the primary callbacks completed in the month and answered. A ticket
reopened and called back again within one month counts once: its latest round in the month.

Whose rates: every lead assignment counts for its own unit, at either level of dispatch. A
district is ranked on the tickets the hotline dispatched to it; a unit a district passed a ticket
down to is ranked on it too, as on everything it handled, and the callback's result counts for
both (the callback's `unit` and `passed_down_to`).
An approved appeal excluding a ticket for a unit removes the ticket from both; an approved appeal
against a callback's result removes that callback.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Assignment, AssignmentRole, ReviewStatus
from evaluation.models import (
    Appeal,
    AppealKind,
    Callback,
    CallbackStatus,
    EvaluationScheme,
    MonthlyRanking,
    Resolution,
    Satisfaction,
    UnitResult,
)
from evaluation.scoring import Counts, Parameters, RateSums
from hotline.models import Unit, UnitKind
from hotline.months import month_bounds
from intake.models import ONLINE_CHANNELS, PLATFORM_CHANNELS, Channel

if TYPE_CHECKING:  # the stubs' helper, a development requirement only
    from django_stubs_ext import WithAnnotations


def _percent(points: int) -> Decimal:
    return (Decimal(points) / 100).quantize(Decimal("0.01"))


def parameters_for(*, unit_kind: str, month: date) -> Parameters:
    """The scheme in force for the kind and month, or the configured default preset."""
    return parameters_by_month(unit_kind=unit_kind, months=[month])[month]


def parameters_by_month(*, unit_kind: str, months: list[date]) -> dict[date, Parameters]:
    """The scheme in force for each month (the latest started and not ended), in one query."""
    schemes = list(EvaluationScheme.objects.filter(unit_kind=unit_kind).order_by("-valid_from"))
    found = {}
    for month in months:
        scheme = next(
            (s for s in schemes if s.valid_from <= month and (s.valid_until is None or s.valid_until >= month)), None
        )
        found[month] = _parameters(scheme)
    return found


def _parameters(scheme: EvaluationScheme | None) -> Parameters:
    if scheme is None:
        return Parameters(**settings.EVALUATION_DEFAULT_PARAMETERS)
    return Parameters(
        response_weight=_percent(scheme.response_weight),
        resolution_weight=_percent(scheme.resolution_weight),
        satisfaction_weight=_percent(scheme.satisfaction_weight),
        basically_satisfied_factor=scheme.basically_satisfied_factor,
        partly_resolved_factor=scheme.partly_resolved_factor,
        advanced_count=scheme.advanced_count,
        rectify_count=scheme.rectify_count,
        improved_margin=scheme.improved_margin,
        improved_rank_rise=scheme.improved_rank_rise,
        minimum_responses=scheme.minimum_responses,
        minimum_callbacks=scheme.minimum_callbacks,
        governance_share=scheme.governance_share,
        governance_months=scheme.governance_months,
        governance_minimum=scheme.governance_minimum,
    )


def parameters_of(ranking: MonthlyRanking) -> Parameters:
    """The parameters a ranking was computed with (stored with it as strings and integers)."""
    names = {f.name for f in fields(Parameters)}
    return Parameters(**{k: Decimal(v) if isinstance(v, str) else v for k, v in ranking.scheme.items() if k in names})


def approved_appeal(kind: str, **outer: str) -> Exists:
    """Whether an approved appeal of `kind` matches the outer row: each keyword names an appeal
    field and the outer column it must equal (ticket="ticket_id", callback="id" …)."""
    return Exists(
        Appeal.objects.filter(kind=kind, status=ReviewStatus.APPROVED, **{k: OuterRef(v) for k, v in outer.items()})
    )


def responded_in_time() -> Q:
    """A lead assignment answered in time: signed by the sign deadline, not returned, and the
    caller contacted by the first-contact deadline (unless there is no caller, or a confidential
    one, whom the hotline contacts)."""
    contacted = (
        Q(first_contacted_at__isnull=False, first_contacted_at__lte=F("first_contact_due_at"))
        | Q(ticket__caller__isnull=True)
        | Q(ticket__confidential=True)
    )
    return Q(returned=False, signed_at__isnull=False, signed_at__lte=F("sign_due_at")) & contacted


def _local_month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=timezone.get_default_timezone(), output_field=DateField())


class Source(models.TextChoices):
    """Where requests come from. The rankings evaluate all three together (seed 003: 媒体反映问题、
    网络诉求和12345市民服务热线诉求办理情况一并考评); a ranking can be read by source."""

    HOTLINE = "hotline", _("12345 calls")
    NETWORK = "network", _("Online requests")
    MEDIA = "media", _("Media reports")
    # Requests other platforms transferred (其他平台转办: 人民网领导留言板, 国办互联网+督查平台, the
    # national mini program), one tag for all of them; each platform is its own channel.
    PLATFORMS = "platforms", _("Other platforms")


SOURCE_CHANNELS = {
    Source.HOTLINE: (Channel.PHONE, Channel.ENTERPRISE_LINE),
    Source.NETWORK: tuple(sorted(ONLINE_CHANNELS)),
    Source.MEDIA: (Channel.MEDIA,),
    Source.PLATFORMS: tuple(sorted(PLATFORM_CHANNELS)),
}


def _of_source(source: str | None) -> Q:
    """The rows of the citizens' requests of one source, or of all: the hotline's own proactive
    tickets (未诉先办) are in no source and never in the rates (no caller asked, none is called back)."""
    citizens = ~Q(ticket__channel=Channel.PROACTIVE)
    return citizens if source is None else citizens & Q(ticket__channel__in=SOURCE_CHANNELS[Source(source)])


class Exclusion(TypedDict):
    is_excluded: bool  # an approved appeal took the ticket out of the unit's rates


def counted_leads(
    *, first: date, last: date | None = None, source: str | None = None
) -> "QuerySet[WithAnnotations[Assignment, Exclusion]]":
    """The lead assignments of the response rate of the months `first`…`last` (one month by
    default), of one source or all, annotated `is_excluded`."""
    start, end = month_bounds(first)[0], month_bounds(last or first)[1]
    return Assignment.objects.filter(
        _of_source(source), role=AssignmentRole.LEAD, dispatched_at__gte=start, dispatched_at__lt=end
    ).annotate(is_excluded=approved_appeal(AppealKind.EXCLUDE_TICKET, ticket="ticket_id", unit="unit_id"))


CREDITED = ("unit", "passed_down_to")  # the callback's columns naming a unit its result counts for


def _counted_rounds(*, first: date, last: date | None, source: str | None) -> QuerySet[Callback]:
    """The answered primary callbacks of the months `first`…`last`: per ticket and month only the
    latest round answered in that month, none set aside by an appeal against its result.
    Annotated `month` (the local month answered)."""
    start, end = month_bounds(first)[0], month_bounds(last or first)[1]
    answered = Callback.objects.filter(
        is_primary=True, status=CallbackStatus.DONE, completed_at__gte=start, completed_at__lt=end
    ).annotate(month=_local_month("completed_at"))
    later_round = answered.filter(ticket=OuterRef("ticket_id"), month=OuterRef("month"), round__gt=OuterRef("round"))
    return answered.filter(_of_source(source)).filter(
        ~Exists(later_round), ~approved_appeal(AppealKind.CALLBACK_RESULT, callback="id")
    )


def counted_callbacks(
    *, first: date, last: date | None = None, source: str | None = None, credited: str = "unit"
) -> QuerySet[Callback]:
    """The callbacks of the resolution and satisfaction rates of the months `first`…`last` for the
    units in their `credited` column (CREDITED), less the tickets an appeal excluded for that unit."""
    return (
        _counted_rounds(first=first, last=last, source=source)
        .filter(
            **{f"{credited}__isnull": False},
        )
        .filter(~approved_appeal(AppealKind.EXCLUDE_TICKET, ticket="ticket_id", unit=f"{credited}_id"))
    )


def callbacks_counted_for(*, unit: Unit, first: date, last: date | None = None) -> QuerySet[Callback]:
    """The callbacks counted for one unit: as the lead at the hotline's level, or as the unit a
    district passed the ticket down to."""
    ids = [
        counted_callbacks(first=first, last=last, credited=column).filter(**{column: unit}).values("pk")
        for column in CREDITED
    ]
    return Callback.objects.filter(Q(pk__in=ids[0]) | Q(pk__in=ids[1]))


def unit_counts_by_month(*, first: date, last: date, source: str | None = None) -> dict[tuple[date, int], Counts]:
    """Per month and handling unit, the counts behind the three rates, in two aggregate queries
    (one pass over the month's assignments, one over its callbacks)."""
    response_rows = (
        counted_leads(first=first, last=last, source=source)
        .annotate(month=_local_month("dispatched_at"))
        .values("month", "unit_id")
        .annotate(
            required=Count("id", filter=Q(is_excluded=False)),
            in_time=Count("id", filter=responded_in_time() & Q(is_excluded=False)),
            excluded=Count("id", filter=Q(is_excluded=True)),
        )
        .order_by()
    )
    # Grouped by both credited units and whether an appeal excluded the ticket for each, so that
    # one scan serves both: a row then counts for each unit it names and was not excluded for.
    excluded = {
        f"excluded_{column}": approved_appeal(AppealKind.EXCLUDE_TICKET, ticket="ticket_id", unit=f"{column}_id")
        for column in CREDITED
    }
    callback_rows = (
        _counted_rounds(first=first, last=last, source=source)
        .annotate(**excluded)
        .values("month", *CREDITED, *excluded)
        .annotate(
            answered=Count("id"),
            resolved=Count("id", filter=Q(resolution=Resolution.RESOLVED)),
            partly=Count("id", filter=Q(resolution=Resolution.PARTLY)),
            satisfied=Count("id", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basically=Count("id", filter=Q(satisfaction=Satisfaction.BASICALLY)),
        )
        .order_by()
    )
    counts: dict[tuple[date, int], dict[str, int]] = {}
    for row in response_rows:
        counts.setdefault((row["month"], row["unit_id"]), {}).update(
            required_response=row["required"], responded_in_time=row["in_time"], excluded=row["excluded"]
        )
    for row in callback_rows:
        for column in CREDITED:
            if row[column] is None or row[f"excluded_{column}"]:
                continue
            # A unit can be credited in both columns in one month (a street led one ticket and was
            # passed another by its district): its counts add up.
            unit_counts = counts.setdefault((row["month"], row[column]), {})
            for name, key in CALLBACK_COUNTS:
                unit_counts[name] = unit_counts.get(name, 0) + row[key]
    return {key: Counts(**values) for key, values in counts.items()}


CALLBACK_COUNTS = (
    ("callbacks_answered", "answered"),
    ("resolved", "resolved"),
    ("partly_resolved", "partly"),
    ("satisfied", "satisfied"),
    ("basically_satisfied", "basically"),
)


def unit_counts(*, month: date, source: str | None = None) -> dict[int, Counts]:
    """Per handling unit, one month's counts behind the three rates (of one source, or all)."""
    by_month = unit_counts_by_month(first=month, last=month, source=source)
    return {unit_id: counts for (_month, unit_id), counts in by_month.items()}


# --- Which ranking a handling unit's counts go to ---------------------------------------------


@dataclass(frozen=True)
class UnitPlace:
    kind: str
    parent_id: int | None
    parent_kind: str | None


def unit_places() -> dict[int, UnitPlace]:
    return {
        unit_id: UnitPlace(kind, parent_id, parent_kind)
        for unit_id, kind, parent_id, parent_kind in Unit.objects.values_list("id", "kind", "parent", "parent__kind")
    }


def ranking_kind_of(unit_kind: str) -> str:
    """The ranking a unit of this kind is ranked in: functional zones rank with the streets."""
    return UnitKind.STREET if unit_kind == UnitKind.FUNCTIONAL_ZONE else unit_kind


def ranked_unit(*, unit_kind: str, place: UnitPlace, unit_id: int) -> int | None:
    """The unit of the `unit_kind` ranking a handling unit's counts go to, if any: itself, when
    it is ranked in that kind (functional zones with the streets). A district is ranked on its
    own assignments, the tickets dispatched to it, not on its streets' and departments'."""
    return unit_id if ranking_kind_of(place.kind) == unit_kind else None


def ranked_counts(*, per_unit: dict[int, Counts], unit_kind: str, places: dict[int, UnitPlace]) -> dict[int, Counts]:
    """The per-unit counts folded into the units of one ranking."""
    ranked: dict[int, Counts] = {}
    for unit_id, counts in per_unit.items():
        target = ranked_unit(unit_kind=unit_kind, place=places[unit_id], unit_id=unit_id)
        if target is not None:
            ranked[target] = ranked[target] + counts if target in ranked else counts
    return ranked


def listed_units(*, unit_kind: str) -> list[int]:
    """Every active unit a `unit_kind` ranking lists, with requests that month or not: the city
    reads the whole list of its 343 streets/townships every month, a quiet one included."""
    kinds = [kind for kind in UnitKind.values if ranking_kind_of(kind) == unit_kind]
    return list(Unit.objects.filter(kind__in=kinds, is_active=True).values_list("pk", flat=True))


def counted_units(unit: Unit) -> Q:
    """The handling units whose rows count for `unit` in its ranking (as ranked_unit folds them):
    its own."""
    return Q(unit=unit)


# --- Rates of the district ranking over any months -------------------------------------------


def district_rate_sums(*, months: list[date]) -> dict[int, RateSums]:
    """Per district, the sums behind its three rates over `months`, as the district ranking
    counts them: a month with a published district ranking from its frozen counts (so the two
    always agree), any other month counted now."""
    published = UnitResult.objects.filter(
        ranking__unit_kind=UnitKind.DISTRICT, ranking__is_current=True, ranking__month__in=months
    ).values_list("unit_id", "ranking__scheme", *COUNT_NAMES)
    sums: dict[int, RateSums] = {}
    for unit_id, scheme, *values in published:
        counts = Counts(**dict(zip(COUNT_NAMES, values, strict=True)))
        factors = {name: Decimal(scheme[name]) for name in FACTORS}
        sums[unit_id] = sums.get(unit_id, RateSums()) + RateSums.of(counts=counts, **factors)
    done = set(
        MonthlyRanking.objects.filter(unit_kind=UnitKind.DISTRICT, is_current=True, month__in=months).values_list(
            "month", flat=True
        )
    )
    live = sorted(set(months) - done)
    if live:
        places = unit_places()
        per_month = unit_counts_by_month(first=live[0], last=live[-1])
        factors_of = {
            month: {name: getattr(parameters, name) for name in FACTORS}
            for month, parameters in parameters_by_month(unit_kind=UnitKind.DISTRICT, months=live).items()
        }
        for (month, unit_id), counts in per_month.items():
            if month not in factors_of:
                continue
            district = ranked_unit(unit_kind=UnitKind.DISTRICT, place=places[unit_id], unit_id=unit_id)
            if district is not None:
                sums[district] = sums.get(district, RateSums()) + RateSums.of(counts=counts, **factors_of[month])
    return sums


COUNT_NAMES = tuple(f.name for f in fields(Counts))
FACTORS = ("partly_resolved_factor", "basically_satisfied_factor")
