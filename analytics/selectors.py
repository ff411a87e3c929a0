"""Reads for analytics: who may see which figures, and every figure the pages show.

Everything here reads the monthly rollup (one aggregate query per figure group; the big screen
also today's daily rollup), never the ticket table; only the live overdue / due-soon counts read
the live lead assignments, through their partial index. Rates follow DESIGN.md §6 with the configured default factors.
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from analytics.models import COUNT_FIELDS, DailyRollup, MonthlyDistrictRollup, MonthlyRollup, RollupState
from analytics.periods import Period
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus
from evaluation.rates import district_rate_sums
from evaluation.scoring import RateSums
from hotline.models import Membership, Role, Unit, UnitKind, User, Zone, in_reader_language
from hotline.months import add_months
from hotline.roles import OVERSIGHT_ROLES, UNIT_SUPERVISOR_ROLES, holds
from intake.models import ONLINE_CHANNELS, PLATFORM_CHANNELS, Channel, Kind

TOP = 10
# Calls to 12345 itself and to its enterprise line; media reports; other platforms' transfers
# (PLATFORM_CHANNELS); proactive tickets; everything else is online (ONLINE_CHANNELS).
PHONE_CHANNELS = (Channel.PHONE, Channel.ENTERPRISE_LINE)


@dataclass(frozen=True)
class UnitGroup:
    key: str
    label: Any  # lazy translation
    kinds: frozenset[str]


# Handling units by kind, as the annual disclosure groups them.
UNIT_GROUPS = (
    UnitGroup(
        "district",
        _("Districts and district departments"),
        frozenset({UnitKind.DISTRICT, UnitKind.DISTRICT_DEPARTMENT}),
    ),
    UnitGroup("street", _("Streets/townships"), frozenset({UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE})),
    UnitGroup("city_department", _("City departments"), frozenset({UnitKind.CITY_DEPARTMENT})),
    UnitGroup("state_enterprise", _("State-owned enterprises"), frozenset({UnitKind.STATE_ENTERPRISE})),
    UnitGroup("platform_company", _("Platform companies"), frozenset({UnitKind.PLATFORM_COMPANY})),
)
GROUP_OF_KIND = {kind: group for group in UNIT_GROUPS for kind in group.kinds}


# --- Access ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The rollup rows a user may see: everything, or those of some districts (the ticket's place)
    and of some handling units."""

    everything: bool
    district_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] = frozenset()

    def rollups(self) -> Q:
        if self.everything:
            return Q()
        return Q(district_id__in=self.district_ids) | Q(unit_id__in=self.unit_ids)

    def assignments(self) -> Q:
        if self.everything:
            return Q()
        return Q(ticket__district_id__in=self.district_ids) | Q(unit_id__in=self.unit_ids)


EVERYTHING = Scope(everything=True)


def analytics_scope(*, user: User) -> Scope | None:
    """City admins and hotline supervisors see everything, district supervisors their district,
    unit leaders their units. None: no access (the pages answer 404)."""
    if not user.is_authenticated:
        return None
    if holds(user=user, roles=OVERSIGHT_ROLES):
        return EVERYTHING
    rows = Membership.objects.filter(user=user, role__in=UNIT_SUPERVISOR_ROLES).values_list(
        "unit_id", "role", "unit__kind"
    )
    districts = frozenset(u for u, role, kind in rows if role == Role.DISTRICT_SUPERVISOR and kind == UnitKind.DISTRICT)
    units = frozenset(u for u, role, _kind in rows if role == Role.UNIT_LEADER)
    if not districts and not units:
        return None
    return Scope(everything=False, district_ids=districts, unit_ids=units)


# --- Shared helpers ------------------------------------------------------------------------------


def rollup_rows(scope: Scope, start: date, end: date) -> QuerySet[MonthlyRollup]:
    return MonthlyRollup.objects.filter(scope.rollups(), month__gte=start, month__lt=end)


def district_month_rows(
    scope: Scope, start: date, end: date
) -> QuerySet[MonthlyDistrictRollup] | QuerySet[MonthlyRollup]:
    """Monthly rows to sum by month, district, kind or channel: the monthly district rollup (a few
    hundred rows a month), unless the scope has handling units, which only the monthly rollup keys."""
    if scope.unit_ids:
        return rollup_rows(scope, start, end)
    rows = MonthlyDistrictRollup.objects.filter(month__gte=start, month__lt=end)
    return rows if scope.everything else rows.filter(district_id__in=scope.district_ids)


def _sums(condition: Q | None = None) -> dict[str, Coalesce]:
    """Sum of every count, aliased n_<count> (an alias may not shadow the column it sums)."""
    return {f"n_{name}": Coalesce(Sum(name, filter=condition), 0) for name in COUNT_FIELDS}


def counts_of(row: Mapping[str, Any]) -> dict[str, int]:
    """The counts of a row annotated with _sums(), by count name."""
    return {name: row[f"n_{name}"] for name in COUNT_FIELDS}


def ratio(numerator: float | Decimal, denominator: int) -> Decimal | None:
    """numerator / denominator to 4 places (a rate), None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def change(current: int, previous: int) -> Decimal | None:
    """Relative change against the previous period (0.25 = +25 %), None without a previous figure."""
    return ratio(current - previous, previous) if previous else None


@dataclass(frozen=True)
class Rates:
    response: Decimal | None
    resolution: Decimal | None
    satisfaction: Decimal | None

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> "Rates":
        """Response = signed in time / requiring a response; resolution = (resolved + partly·f) /
        answered; satisfaction = (satisfied + basically·k) / answered (DESIGN.md §6)."""
        # The factors are Decimals (the settings' dict holds counts too).
        parameters = cast(Mapping[str, Decimal], settings.EVALUATION_DEFAULT_PARAMETERS)
        answered = counts["callbacks_answered"]
        resolved = (
            counts["callbacks_resolved"] + parameters["partly_resolved_factor"] * counts["callbacks_partly_resolved"]
        )
        satisfied = (
            counts["callbacks_satisfied"]
            + parameters["basically_satisfied_factor"] * counts["callbacks_basically_satisfied"]
        )
        return cls(
            response=ratio(counts["signed_in_time"], counts["response_required"]),
            resolution=ratio(resolved, answered),
            satisfaction=ratio(satisfied, answered),
        )


@dataclass(frozen=True)
class Acceptance:
    """Smart dispatch at intake: of the tickets taken in while a category model was active, the
    share whose recorded category was the model's first suggestion, or among its five."""

    scored: int
    top1: Decimal | None
    top5: Decimal | None

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> "Acceptance":
        scored = counts["suggestion_scored"]
        return cls(
            scored=scored,
            top1=ratio(counts["suggestion_top1"], scored),
            top5=ratio(counts["suggestion_top5"], scored),
        )


def tickets_url(
    *,
    period_start: date,
    period_end: date,
    category_id: int | None = None,
    street_id: int | None = None,
    district_id: int | None = None,
    kind: str | None = None,
) -> str:
    """The ticket list behind a figure (intake.filters.TicketFilter; both dates inclusive)."""
    query: dict[str, Any] = {
        "created_after": period_start.isoformat(),
        "created_before": date.fromordinal(period_end.toordinal() - 1).isoformat(),
    }
    for name, value in (("category", category_id), ("street", street_id), ("district", district_id), ("kind", kind)):
        if value:
            query[name] = value
    return f"{reverse('intake:ticket_list')}?{urlencode(query)}"


# --- Totals and trends ---------------------------------------------------------------------------


@dataclass
class Summary:
    counts: dict[str, int]
    previous_received: int
    phone: int
    online: int
    media: int
    # Requests other platforms transferred (PLATFORM_CHANNELS: 其他平台转办).
    platforms: int
    # The hotline's own proactive tickets (未诉先办): no citizen contacted it, so shown apart.
    proactive: int
    enterprise_line: int
    enterprise_answered: int
    enterprise_dispatched: int

    @property
    def received(self) -> int:
        return self.counts["received"]

    @property
    def change(self) -> Decimal | None:
        return change(self.received, self.previous_received)

    @property
    def rates(self) -> Rates:
        return Rates.of(self.counts)

    def share(self, value: int) -> Decimal | None:
        return ratio(value, self.received)

    @property
    def suggestion_acceptance(self) -> "Acceptance":
        return Acceptance.of(self.counts)


def summary(*, scope: Scope, period: Period) -> Summary:
    """The period's totals, its channels, and the previous period's volume: one query."""
    previous = period.previous()
    current = Q(month__gte=period.start)
    enterprise = current & Q(channel=Channel.ENTERPRISE_LINE)
    values = district_month_rows(scope, previous.start, period.end).aggregate(
        **_sums(current),
        previous_received=Coalesce(Sum("received", filter=Q(month__lt=period.start)), 0),
        phone=Coalesce(Sum("received", filter=current & Q(channel__in=PHONE_CHANNELS)), 0),
        online=Coalesce(Sum("received", filter=current & Q(channel__in=ONLINE_CHANNELS)), 0),
        media=Coalesce(Sum("received", filter=current & Q(channel=Channel.MEDIA)), 0),
        platforms=Coalesce(Sum("received", filter=current & Q(channel__in=PLATFORM_CHANNELS)), 0),
        proactive=Coalesce(Sum("received", filter=current & Q(channel=Channel.PROACTIVE)), 0),
        enterprise_line=Coalesce(Sum("received", filter=enterprise), 0),
        enterprise_answered=Coalesce(Sum("answered_directly", filter=enterprise), 0),
        enterprise_dispatched=Coalesce(Sum("dispatched", filter=enterprise), 0),
    )
    return Summary(
        counts=counts_of(values),
        previous_received=values["previous_received"],
        phone=values["phone"],
        online=values["online"],
        media=values["media"],
        platforms=values["platforms"],
        proactive=values["proactive"],
        enterprise_line=values["enterprise_line"],
        enterprise_answered=values["enterprise_answered"],
        enterprise_dispatched=values["enterprise_dispatched"],
    )


@dataclass
class Trend:
    months: list[date]
    counts: list[dict[str, int]]  # per month, every rollup count
    by_kind: dict[str, list[int]]
    by_channel: dict[str, list[int]]

    @property
    def received(self) -> list[int]:
        return [counts["received"] for counts in self.counts]

    @property
    def answered_directly(self) -> list[int]:
        return [counts["answered_directly"] for counts in self.counts]

    @property
    def dispatched(self) -> list[int]:
        return [counts["dispatched"] for counts in self.counts]

    @property
    def rates(self) -> list[Rates]:
        """The three rates of each month, as the period's totals compute them (None: no denominator)."""
        return [Rates.of(counts) for counts in self.counts]

    @property
    def suggestion_acceptance(self) -> list[Acceptance]:
        return [Acceptance.of(counts) for counts in self.counts]

    @property
    def repeat_contact_rates(self) -> list[Decimal | None]:
        """重复反映率 of each month received: the share of its contacts merged into an open matter
        (not one of the rankings' rates)."""
        return [ratio(counts["repeat_contacts"], counts["received"]) for counts in self.counts]


def monthly_trend(*, scope: Scope, period: Period) -> Trend:
    """Every count per month (the period's trend months), volume split by kind and by channel: one query."""
    months = period.trend_months()
    index = {month: position for position, month in enumerate(months)}
    trend = Trend(
        months=months,
        counts=[dict.fromkeys(COUNT_FIELDS, 0) for _month in months],
        by_kind={kind: [0] * 12 for kind in Kind.values},
        by_channel={channel: [0] * 12 for channel in Channel.values},
    )
    rows = (
        district_month_rows(scope, months[0], add_months(months[-1], 1))
        .values("month", "kind", "channel")
        .annotate(**_sums())
        .order_by()
    )
    for row in rows:
        position = index[row["month"]]
        counts = counts_of(row)
        for name in COUNT_FIELDS:
            trend.counts[position][name] += counts[name]
        trend.by_kind[row["kind"]][position] += counts["received"]
        trend.by_channel[row["channel"]][position] += counts["received"]
    return trend


# --- Categories ----------------------------------------------------------------------------------

CATEGORY_PATHS = {1: "category__parent__parent", 2: "category__parent", 3: "category"}


@dataclass
class CategoryLine:
    category_id: int
    name: str
    count: int
    previous: int
    share: Decimal | None = None  # of the list's total (the kind's, or everything)
    url: str = ""
    name_en: str = ""

    @property
    def change(self) -> Decimal | None:
        return change(self.count, self.previous)

    @property
    def label(self) -> str:
        return in_reader_language(name=self.name, name_en=self.name_en)


@dataclass
class KindBlock:
    kind: str
    label: str
    total: int
    share: Decimal | None  # of all tickets
    lines: list[CategoryLine]


@dataclass
class CategoryRanking:
    total: int
    overall: list[CategoryLine]
    by_kind: list[KindBlock]


def category_ranking(*, scope: Scope, period: Period, level: int = 1, top: int = TOP) -> CategoryRanking:
    """Top categories of one level, overall and per kind, against the previous period: one query."""
    previous = period.previous()
    path = CATEGORY_PATHS[level]
    rows = (
        rollup_rows(scope, previous.start, period.end)
        .values(f"{path}_id", f"{path}__name", f"{path}__name_en", "kind")
        .annotate(
            current=Coalesce(Sum("received", filter=Q(month__gte=period.start)), 0),
            before=Coalesce(Sum("received", filter=Q(month__lt=period.start)), 0),
        )
        .order_by()
    )
    overall: dict[int, CategoryLine] = {}
    per_kind: dict[str, dict[int, CategoryLine]] = defaultdict(dict)
    for row in rows:
        category_id, name = row[f"{path}_id"], row[f"{path}__name"]
        for lines in (overall, per_kind[row["kind"]]):
            line = lines.setdefault(category_id, CategoryLine(category_id, name, 0, 0, name_en=row[f"{path}__name_en"]))
            line.count += row["current"]
            line.previous += row["before"]

    def ranked(lines: dict[int, CategoryLine], *, kind: str | None = None) -> tuple[int, list[CategoryLine]]:
        total = sum(line.count for line in lines.values())
        chosen = sorted((line for line in lines.values() if line.count), key=lambda line: (-line.count, line.name))
        for line in chosen[:top]:
            line.share = ratio(line.count, total)
            line.url = tickets_url(
                period_start=period.start, period_end=period.end, category_id=line.category_id, kind=kind
            )
        return total, chosen[:top]

    total, overall_lines = ranked(overall)
    blocks = []
    for kind in Kind:
        kind_total, kind_lines = ranked(per_kind.get(kind.value, {}), kind=kind.value)
        blocks.append(KindBlock(kind.value, str(kind.label), kind_total, ratio(kind_total, total), kind_lines))
    return CategoryRanking(total=total, overall=overall_lines, by_kind=blocks)


# --- Places and handling units ---------------------------------------------------------------------


@dataclass
class DistrictLine:
    district: Unit
    counts: dict[str, int]
    url: str
    ranking_sums: RateSums

    @property
    def received(self) -> int:
        return self.counts["received"]

    @property
    def per_10k(self) -> Decimal | None:
        """Tickets per 10,000 residents (万人承办量)."""
        if not self.district.population:
            return None
        return (Decimal(self.received) * 10000 / self.district.population).quantize(Decimal("0.01"))

    @property
    def rates(self) -> Rates:
        """The three rates as the district ranking counts them (evaluation.rates), not by the
        tickets' place: the district and the units under it, by month dispatched and answered."""
        sums = self.ranking_sums
        return Rates(response=sums.response, resolution=sums.resolution, satisfaction=sums.satisfaction)


def district_table(*, scope: Scope, period: Period) -> list[DistrictLine]:
    """Per district: volume and volume per 10k residents by the tickets' place; the three rates
    as the district ranking counts them (so a published month shows the ranking's figures)."""
    rows = {
        row["district_id"]: counts_of(row)
        for row in district_month_rows(scope, period.start, period.end)
        .exclude(district=None)
        .values("district_id")
        .annotate(**_sums())
        .order_by()
    }
    districts = Unit.objects.filter(kind=UnitKind.DISTRICT)
    if scope.everything:
        districts = districts.filter(Q(is_active=True) | Q(pk__in=rows))
    else:
        districts = districts.filter(pk__in=set(rows) | scope.district_ids)
    empty = dict.fromkeys(COUNT_FIELDS, 0)
    ranking_sums = district_rate_sums(months=period.month_list())
    return [
        DistrictLine(
            district,
            {name: rows.get(district.pk, empty)[name] for name in COUNT_FIELDS},
            tickets_url(period_start=period.start, period_end=period.end, district_id=district.pk),
            ranking_sums.get(district.pk, RateSums()),
        )
        for district in districts.order_by("code", "name")
    ]


@dataclass
class ZoneLine:
    """A city zone: the sums of its district lines (counts and rate numerators and denominators
    add; rates and ratios are computed from the sums, never averaged)."""

    zone: str  # a Zone value, "" for districts without one
    districts: list[DistrictLine]

    @property
    def label(self) -> str:
        return str(Zone(self.zone).label) if self.zone else str(_("No zone"))

    @property
    def counts(self) -> dict[str, int]:
        return {name: sum(line.counts[name] for line in self.districts) for name in COUNT_FIELDS}

    @property
    def received(self) -> int:
        return sum(line.received for line in self.districts)

    @property
    def population(self) -> int | None:
        """The zone's residents; None when a district's population is unknown (no honest per-10k)."""
        if any(not line.district.population for line in self.districts):
            return None
        return sum(line.district.population or 0 for line in self.districts)

    @property
    def per_10k(self) -> Decimal | None:
        population = self.population
        if not population:
            return None
        return (Decimal(self.received) * 10000 / population).quantize(Decimal("0.01"))

    @property
    def direct_answer_ratio(self) -> Decimal | None:
        """Answered directly at intake / received (直接答复率)."""
        return ratio(sum(line.counts["answered_directly"] for line in self.districts), self.received)

    @property
    def rates(self) -> Rates:
        sums = sum((line.ranking_sums for line in self.districts), RateSums())
        return Rates(response=sums.response, resolution=sums.resolution, satisfaction=sums.satisfaction)


def zone_table(*, districts: list[DistrictLine]) -> list[ZoneLine]:
    """The district lines (district_table, so the same scope and queries) summed per zone, in the
    zones' order; districts without a zone last. A zone without a district line is left out."""
    order = {zone: position for position, zone in enumerate([*Zone.values, ""])}
    grouped: dict[str, list[DistrictLine]] = defaultdict(list)
    for line in districts:
        grouped[line.district.zone].append(line)
    return [ZoneLine(zone, lines) for zone, lines in sorted(grouped.items(), key=lambda item: order[item[0]])]


@dataclass
class GroupLine:
    group: UnitGroup
    counts: dict[str, int]
    share: Decimal | None

    @property
    def handled(self) -> int:
        return self.counts["dispatched"]

    @property
    def rates(self) -> Rates:
        return Rates.of(self.counts)


@dataclass
class UnitLine:
    unit_id: int
    name: str
    parent_name: str
    group: UnitGroup
    counts: dict[str, int]
    name_en: str = ""
    parent_name_en: str = ""

    @property
    def handled(self) -> int:
        return self.counts["dispatched"]

    @property
    def rates(self) -> Rates:
        return Rates.of(self.counts)

    @property
    def full_name(self) -> str:
        """ "丰台区新村街道": streets and district departments carry their district's name."""
        return f"{self.parent_name}{self.name}" if self.parent_name else self.name

    @property
    def label(self) -> str:
        return in_reader_language(name=self.name, name_en=self.name_en)

    @property
    def full_label(self) -> str:
        """The full name in the reader's language: "Xincun Subdistrict, Fengtai District" in English."""
        if self.parent_name_en and self.name_en:
            return in_reader_language(name=self.full_name, name_en=f"{self.name_en}, {self.parent_name_en}")
        return in_reader_language(name=self.full_name, name_en=self.name_en)


@dataclass
class Handling:
    total: int
    groups: list[GroupLine]
    top_units: dict[str, list[UnitLine]] = field(default_factory=dict)  # group key → most tickets first


def handling(*, scope: Scope, period: Period, top: int = TOP) -> Handling:
    """Dispatched tickets by handling unit (one query): shares by unit kind and the busiest units."""
    rows = (
        rollup_rows(scope, period.start, period.end)
        .exclude(unit=None)
        .values(
            "unit_id",
            "unit__name",
            "unit__name_en",
            "unit__kind",
            "unit__parent__name",
            "unit__parent__name_en",
            "unit__parent__kind",
        )
        .annotate(**_sums())
        .order_by()
    )
    group_counts: dict[str, dict[str, int]] = {group.key: dict.fromkeys(COUNT_FIELDS, 0) for group in UNIT_GROUPS}
    units: dict[str, list[UnitLine]] = {group.key: [] for group in UNIT_GROUPS}
    for row in rows:
        group = GROUP_OF_KIND.get(row["unit__kind"])
        if group is None:
            continue
        counts = counts_of(row)
        for name in COUNT_FIELDS:
            group_counts[group.key][name] += counts[name]
        in_district = row["unit__parent__kind"] == UnitKind.DISTRICT
        units[group.key].append(
            UnitLine(
                row["unit_id"],
                row["unit__name"],
                row["unit__parent__name"] if in_district else "",
                group,
                counts,
                name_en=row["unit__name_en"],
                parent_name_en=row["unit__parent__name_en"] if in_district else "",
            )
        )
    total = sum(counts["dispatched"] for counts in group_counts.values())
    groups = [
        GroupLine(group, group_counts[group.key], ratio(group_counts[group.key]["dispatched"], total))
        for group in UNIT_GROUPS
    ]
    top_units = {
        key: sorted(lines, key=lambda line: (-line.handled, line.full_name))[:top] for key, lines in units.items()
    }
    return Handling(total=total, groups=groups, top_units=top_units)


# --- Live deadlines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveDeadlines:
    overdue: int
    due_soon: int


def live_deadlines(*, scope: Scope, now: datetime, within: timedelta | None = None) -> LiveDeadlines:
    """Live lead assignments past their deadline, and due within `within` (default
    HOTLINE_DUE_SOON): one count over the live-deadline partial index."""
    soon = now + (settings.HOTLINE_DUE_SOON if within is None else within)
    counts = Assignment.objects.filter(
        scope.assignments(),
        role=AssignmentRole.LEAD,
        parent__isnull=True,
        ended_at__isnull=True,
        status__in=[AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED],
        due_at__lt=soon,
    ).aggregate(overdue=Count("pk", filter=Q(due_at__lt=now)), due_soon=Count("pk", filter=Q(due_at__gte=now)))
    return LiveDeadlines(overdue=counts["overdue"], due_soon=counts["due_soon"])


# --- Hot spots and monthly-topic candidates -------------------------------------------------------


@dataclass
class HotSpot:
    category_id: int
    category: str
    category_parent: str
    street_id: int
    street: str
    district: str
    count: int
    baseline: list[int]  # oldest month first
    mean: float
    sd: float
    url: str
    category_en: str = ""
    category_parent_en: str = ""
    street_en: str = ""
    district_en: str = ""

    @property
    def category_label(self) -> str:
        """ "供暖 › 不热", in the reader's language."""
        return " › ".join(
            in_reader_language(name=name, name_en=name_en)
            for name, name_en in ((self.category_parent, self.category_parent_en), (self.category, self.category_en))
            if name
        )

    @property
    def place_label(self) -> str:
        """ "丰台区新村街道"; in English "Xincun Subdistrict, Fengtai District"."""
        english = f"{self.street_en}, {self.district_en}" if self.street_en and self.district_en else self.street_en
        return in_reader_language(name=f"{self.district}{self.street}", name_en=english)

    @property
    def score(self) -> float:
        """Standard deviations above the baseline (the sd counts as at least 1 ticket)."""
        return (self.count - self.mean) / max(self.sd, 1.0)


@dataclass
class HotSpots:
    month: date
    baseline_months: list[date]
    spots: list[HotSpot]
    enough_history: bool


def hot_spot_clusters(rows: QuerySet[Any]) -> list[dict[str, Any]]:
    """The (category, street) clusters of rollup `rows` with at least ANALYTICS_HOTSPOT_MIN_VOLUME
    tickets received (`n`), with the names a hot spot shows: the candidates of the hot-spot rule."""
    return list(
        rows.exclude(street=None)
        .values(
            "category_id",
            "category__name",
            "category__name_en",
            "category__parent__name",
            "category__parent__name_en",
            "street_id",
            "street__name",
            "street__name_en",
            "street__parent__name",
            "street__parent__name_en",
        )
        .annotate(n=Sum("received"))
        .filter(n__gte=settings.ANALYTICS_HOTSPOT_MIN_VOLUME)
        .order_by()
    )


def hot_spot(*, cluster: dict[str, Any], baseline: list[int], start: date, end: date) -> HotSpot | None:
    """The hot-spot rule: the cluster received in [start, end) as a hot spot when it stands out from
    its baseline (ANALYTICS_HOTSPOT_Z deviations and ANALYTICS_HOTSPOT_MIN_RISE above its mean),
    else None."""
    count = cluster["n"]
    mean = sum(baseline) / len(baseline)
    sd = math.sqrt(sum((value - mean) ** 2 for value in baseline) / len(baseline))
    if count < mean + settings.ANALYTICS_HOTSPOT_Z * sd or count < (1 + settings.ANALYTICS_HOTSPOT_MIN_RISE) * mean:
        return None
    return HotSpot(
        category_id=cluster["category_id"],
        category=cluster["category__name"],
        category_parent=cluster["category__parent__name"] or "",
        street_id=cluster["street_id"],
        street=cluster["street__name"],
        district=cluster["street__parent__name"] or "",
        count=count,
        baseline=baseline,
        mean=round(mean, 1),
        sd=round(sd, 1),
        url=tickets_url(
            period_start=start, period_end=end, category_id=cluster["category_id"], street_id=cluster["street_id"]
        ),
        category_en=cluster["category__name_en"],
        category_parent_en=cluster["category__parent__name_en"] or "",
        street_en=cluster["street__name_en"],
        district_en=cluster["street__parent__name_en"] or "",
    )


def hot_spots(*, scope: Scope, month: date, limit: int = 50) -> HotSpots:
    """Category × street clusters whose month jumps against their own recent past (three queries).

    Rule: in the month the cluster has at least ANALYTICS_HOTSPOT_MIN_VOLUME tickets, at least
    mean + Z·sd of its baseline (the previous ANALYTICS_HOTSPOT_BASELINE_MONTHS months since the
    data begins; a month without tickets counts 0; population standard deviation) and at least
    (1 + MIN_RISE) × the mean. Fewer than MIN_BASELINE_MONTHS months of history: nothing is
    flagged. Ordered by standard deviations above the mean.
    """
    first = MonthlyRollup.objects.aggregate(first=Min("month"))["first"]
    baseline_months = [
        add_months(month, -offset)
        for offset in range(settings.ANALYTICS_HOTSPOT_BASELINE_MONTHS, 0, -1)
        if first is not None and add_months(month, -offset) >= first
    ]
    if len(baseline_months) < settings.ANALYTICS_HOTSPOT_MIN_BASELINE_MONTHS:
        return HotSpots(month, baseline_months, [], enough_history=False)
    end = add_months(month, 1)
    current = hot_spot_clusters(rollup_rows(scope, month, end))
    if not current:
        return HotSpots(month, baseline_months, [], enough_history=True)
    history: dict[tuple[int, int], dict[date, int]] = defaultdict(dict)
    for row in (
        rollup_rows(scope, baseline_months[0], month)
        .filter(category_id__in={r["category_id"] for r in current}, street_id__in={r["street_id"] for r in current})
        .values("category_id", "street_id", "month")
        .annotate(n=Sum("received"))
        .order_by()
    ):
        history[(row["category_id"], row["street_id"])][row["month"]] = row["n"]
    spots = []
    for row in current:
        past = history.get((row["category_id"], row["street_id"]), {})
        baseline = [past.get(m, 0) for m in baseline_months]
        if (spot := hot_spot(cluster=row, baseline=baseline, start=month, end=end)) is not None:
            spots.append(spot)
    spots.sort(key=lambda spot: (-spot.score, -spot.count, spot.street))
    return HotSpots(month, baseline_months, spots[:limit], enough_history=True)


@dataclass
class TopicCandidate:
    category_id: int
    name: str
    parent: str
    received: int
    callbacks_answered: int
    resolution: Decimal
    url: str
    name_en: str = ""
    parent_en: str = ""

    @property
    def label(self) -> str:
        """ "住房 › 房屋修缮", in the reader's language."""
        parts = ((self.parent, self.parent_en), (self.name, self.name_en))
        return " › ".join(in_reader_language(name=name, name_en=name_en) for name, name_en in parts if name)

    @property
    def unresolved_estimate(self) -> int:
        """Tickets of the period likely left unresolved: volume × (1 − resolution rate)."""
        return round(self.received * (1 - self.resolution))


@dataclass
class Topics:
    overall_resolution: Decimal | None
    candidates: list[TopicCandidate]


def topic_candidates(*, scope: Scope, period: Period) -> Topics:
    """Monthly-topic (每月一题) candidates: second-level categories among the ANALYTICS_TOPIC_TOP_N
    by volume, with at least ANALYTICS_TOPIC_MIN_CALLBACKS answered callbacks and a resolution
    rate below the overall one; the most tickets likely unresolved first. One query."""
    rows = [
        (row, counts_of(row))
        for row in rollup_rows(scope, period.start, period.end)
        .values(
            "category__parent_id",
            "category__parent__name",
            "category__parent__name_en",
            "category__parent__parent__name",
            "category__parent__parent__name_en",
        )
        .annotate(**_sums())
        .order_by()
    ]
    total = dict.fromkeys(COUNT_FIELDS, 0)
    for _row, counts in rows:
        for name in COUNT_FIELDS:
            total[name] += counts[name]
    overall = Rates.of(total).resolution
    if overall is None:
        return Topics(None, [])
    frequent = sorted(rows, key=lambda item: (-item[1]["received"], item[0]["category__parent__name"]))
    candidates = []
    for row, counts in frequent[: settings.ANALYTICS_TOPIC_TOP_N]:
        resolution = Rates.of(counts).resolution
        if counts["callbacks_answered"] < settings.ANALYTICS_TOPIC_MIN_CALLBACKS or resolution is None:
            continue
        if resolution < overall:
            candidates.append(
                TopicCandidate(
                    category_id=row["category__parent_id"],
                    name=row["category__parent__name"],
                    parent=row["category__parent__parent__name"] or "",
                    received=counts["received"],
                    callbacks_answered=counts["callbacks_answered"],
                    resolution=resolution,
                    url=tickets_url(
                        period_start=period.start, period_end=period.end, category_id=row["category__parent_id"]
                    ),
                    name_en=row["category__parent__name_en"],
                    parent_en=row["category__parent__parent__name_en"] or "",
                )
            )
    candidates.sort(key=lambda candidate: (-candidate.unresolved_estimate, candidate.name))
    return Topics(overall, candidates)


def period_choices(*, today: date) -> tuple[list[Period], list[Period]]:
    """Years and months (newest first) from the first month with rollups to today's (one query)."""
    first = MonthlyRollup.objects.aggregate(first=Min("month"))["first"] or today.replace(day=1)
    current = today.replace(day=1)
    months = []
    month = current
    while month >= first:
        months.append(Period.month(month))
        month = add_months(month, -1)
    years = [Period.year(year) for year in range(current.year, first.year - 1, -1)]
    return years, months


# --- Big screen (大屏) --------------------------------------------------------------------------------

# The live deadlines the screen counts as "due soon".
SCREEN_DUE_WITHIN = timedelta(hours=2)
SCREEN_TOP_CATEGORIES = 8
# Colour classes of the tile map (0 lightest … SCREEN_LEVELS - 1 darkest).
SCREEN_LEVELS = 5
# A tile cartogram of Beijing's sixteen districts, roughly as they lie (row, column), by the first
# six digits of the official code. Districts of another city are laid out in the free cells.
SCREEN_TILES: dict[str, tuple[int, int]] = {
    "110119": (0, 0),  # 延庆
    "110114": (0, 1),  # 昌平
    "110116": (0, 2),  # 怀柔
    "110118": (0, 3),  # 密云
    "110109": (1, 0),  # 门头沟
    "110108": (1, 1),  # 海淀
    "110105": (1, 2),  # 朝阳
    "110113": (1, 3),  # 顺义
    "110117": (1, 4),  # 平谷
    "110107": (2, 0),  # 石景山
    "110102": (2, 1),  # 西城
    "110101": (2, 2),  # 东城
    "110112": (2, 3),  # 通州
    "110111": (3, 0),  # 房山
    "110106": (3, 1),  # 丰台
    "110115": (3, 2),  # 大兴
}
SCREEN_COLUMNS = 5


def screen_scope(*, user: User) -> Scope | None:
    """Who may open the big screen: the command centre (city admins, hotline supervisors) sees
    everything, a district supervisor their district; anyone else None (404)."""
    scope = analytics_scope(user=user)
    if scope is None or scope.everything:
        return scope
    if not scope.district_ids:
        return None  # a unit leader's scope: the screen is the districts' and the city's
    return Scope(everything=False, district_ids=scope.district_ids)


@dataclass(frozen=True)
class ScreenCategory:
    category_id: int
    name: str
    name_en: str
    count: int
    share: Decimal | None  # of today's requests

    @property
    def label(self) -> str:
        return in_reader_language(name=self.name, name_en=self.name_en)


@dataclass(frozen=True)
class ScreenTile:
    district_id: int
    name: str
    name_en: str
    row: int
    column: int
    population: int | None
    received_month: int
    received_today: int
    per_10k: Decimal | None  # this month's requests per 10,000 residents
    level: int | None  # colour class; None without a population

    @property
    def label(self) -> str:
        return in_reader_language(name=self.name, name_en=self.name_en)


@dataclass(frozen=True)
class ScaleStep:
    level: int
    lower: Decimal
    upper: Decimal


@dataclass(frozen=True)
class Screen:
    now: datetime
    today: date
    month: date
    rollups_as_of: datetime | None  # the rollup watermark: changes up to then are counted
    today_counts: dict[str, int]
    month_counts: dict[str, int]
    overdue: int
    due_soon: int
    top_categories: list[ScreenCategory]
    tiles: list[ScreenTile]
    scale: list[ScaleStep]
    rows: int
    columns: int

    @property
    def rates(self) -> Rates:
        """This month's three rates by month received (as the overview counts them)."""
        return Rates.of(self.month_counts)

    @property
    def due_within_hours(self) -> int:
        return int(SCREEN_DUE_WITHIN.total_seconds() // 3600)


def _nice_step(largest: Decimal) -> Decimal:
    """The colour scale's step: largest / levels rounded up to 1, 2, 2.5 or 5 × 10ⁿ (at least 0.01)."""
    raw = largest / SCREEN_LEVELS
    if raw <= Decimal("0.01"):
        return Decimal("0.01")
    power = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if factor * power >= raw:
            return (factor * power).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).max(Decimal("0.01"))
    return (10 * power).quantize(Decimal("0.01"))


def screen_scale(*, values: list[Decimal]) -> list[ScaleStep]:
    """SCREEN_LEVELS equal steps from 0 to a round number at or above the largest value."""
    step = _nice_step(max(values, default=Decimal(0)))
    return [ScaleStep(level, step * level, step * (level + 1)) for level in range(SCREEN_LEVELS)]


def screen_level(*, value: Decimal | None, scale: list[ScaleStep]) -> int | None:
    if value is None:
        return None
    step = scale[0].upper
    return min(SCREEN_LEVELS - 1, int(value // step))


def _tile_positions(codes: list[tuple[int, str | None]]) -> dict[int, tuple[int, int]]:
    """(district id, code) → (row, column): Beijing's districts where they lie, others in free cells."""
    positions: dict[int, tuple[int, int]] = {}
    taken: set[tuple[int, int]] = set()
    others = []
    for district_id, code in codes:
        cell = SCREEN_TILES.get((code or "")[:6])
        if cell is not None and cell not in taken:
            positions[district_id] = cell
            taken.add(cell)
        else:
            others.append(district_id)
    cell_index = 0
    for district_id in others:
        while divmod(cell_index, SCREEN_COLUMNS) in taken:
            cell_index += 1
        positions[district_id] = divmod(cell_index, SCREEN_COLUMNS)
        taken.add(positions[district_id])
    return positions


def screen(*, scope: Scope, now: datetime) -> Screen:
    """Everything the big screen shows, in five queries whatever the number of tickets.

    Today's requests come from today's daily rollup and this month's rates and volume per district
    from the monthly district rollup: as fresh as the last rollup refresh (`rollups_as_of`, every few
    minutes). Overdue and due within SCREEN_DUE_WITHIN are live, counted over the live-deadline
    partial index. The tile map colours each district by this month's requests per 10,000 residents.
    """
    today = timezone.localdate(now)
    month = today.replace(day=1)
    path = CATEGORY_PATHS[2]
    today_rows = list(
        DailyRollup.objects.filter(scope.rollups(), day=today)
        .values("district_id", f"{path}_id", f"{path}__name", f"{path}__name_en")
        .annotate(
            n_received=Coalesce(Sum("received"), 0),
            n_dispatched=Coalesce(Sum("dispatched"), 0),
            n_answered_directly=Coalesce(Sum("answered_directly"), 0),
        )
        .order_by()
    )
    month_rows = {
        row["district_id"]: counts_of(row)
        for row in district_month_rows(scope, month, add_months(month, 1))
        .values("district_id")
        .annotate(**_sums())
        .order_by()
    }
    districts = Unit.objects.filter(kind=UnitKind.DISTRICT)
    if scope.everything:
        districts = districts.filter(Q(is_active=True) | Q(pk__in=[pk for pk in month_rows if pk]))
    else:
        districts = districts.filter(pk__in=scope.district_ids)
    district_rows = list(districts.order_by("code", "name").values("pk", "name", "name_en", "code", "population"))
    live = live_deadlines(scope=scope, now=now, within=SCREEN_DUE_WITHIN)
    state = RollupState.objects.filter(pk=1).values_list("watermark", flat=True).first()

    today_counts = {"received": 0, "dispatched": 0, "answered_directly": 0}
    today_by_district: dict[int | None, int] = defaultdict(int)
    category_names: dict[int, tuple[str, str]] = {}
    category_counts: dict[int, int] = defaultdict(int)
    for row in today_rows:
        for name in today_counts:
            today_counts[name] += row[f"n_{name}"]
        today_by_district[row["district_id"]] += row["n_received"]
        category_names[row[f"{path}_id"]] = (row[f"{path}__name"], row[f"{path}__name_en"])
        category_counts[row[f"{path}_id"]] += row["n_received"]
    top = sorted(
        ((category_id, *category_names[category_id], count) for category_id, count in category_counts.items() if count),
        key=lambda item: (-item[3], item[1]),
    )[:SCREEN_TOP_CATEGORIES]
    month_counts = dict.fromkeys(COUNT_FIELDS, 0)
    for counts in month_rows.values():
        for name in COUNT_FIELDS:
            month_counts[name] += counts[name]

    def per_10k(received: int, population: int | None) -> Decimal | None:
        if not population:
            return None
        return (Decimal(received) * 10000 / population).quantize(Decimal("0.01"))

    received = {row["pk"]: month_rows.get(row["pk"], {}).get("received", 0) for row in district_rows}
    rates_10k = {row["pk"]: per_10k(received[row["pk"]], row["population"]) for row in district_rows}
    scale = screen_scale(values=[value for value in rates_10k.values() if value is not None])
    positions = _tile_positions([(row["pk"], row["code"]) for row in district_rows])
    tiles = [
        ScreenTile(
            district_id=row["pk"],
            name=row["name"],
            name_en=row["name_en"],
            row=positions[row["pk"]][0],
            column=positions[row["pk"]][1],
            population=row["population"],
            received_month=received[row["pk"]],
            received_today=today_by_district.get(row["pk"], 0),
            per_10k=rates_10k[row["pk"]],
            level=screen_level(value=rates_10k[row["pk"]], scale=scale),
        )
        for row in district_rows
    ]
    return Screen(
        now=now,
        today=today,
        month=month,
        rollups_as_of=state,
        today_counts=today_counts,
        month_counts=month_counts,
        overdue=live.overdue,
        due_soon=live.due_soon,
        top_categories=[
            ScreenCategory(category_id, name, name_en, count, ratio(count, today_counts["received"]))
            for category_id, name, name_en, count in top
        ],
        tiles=tiles,
        scale=scale,
        rows=max((tile.row + 1 for tile in tiles), default=1),
        columns=max((tile.column + 1 for tile in tiles), default=1),
    )
