"""Reads of the monthly-topic register: who sees which topics, and every figure a topic's page
shows, read from its linked tickets in aggregate queries (a fixed number, whatever the volume).

City admins and hotline supervisors see every topic; the staff of a topic's lead unit and co-units
see it (and post progress); everyone else gets "not found".
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DateField, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from evaluation.models import Resolution, Satisfaction
from evaluation.rates import counted_callbacks, counted_leads, responded_in_time
from evaluation.scoring import Counts, RateSums
from hotline.models import Membership, Unit, User, in_reader_language
from hotline.months import add_months
from hotline.permissions import require
from hotline.roles import OVERSIGHT_ROLES, TOPIC_ADMIN_ROLES, WORKBENCH_ROLES, holds
from topics.models import LinkVia, Topic, TopicAttachment, TopicMeasure, TopicProgress, TopicTicket
from topics.rules import start_of

# --- Access --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicAccess:
    everything: bool
    unit_ids: frozenset[int] = frozenset()

    def topics(self) -> Q:
        if self.everything:
            return Q()
        ids = sorted(self.unit_ids)
        return Q(lead_unit_id__in=ids) | Q(
            pk__in=Topic.co_units.through.objects.filter(unit_id__in=ids).values("topic_id")
        )


def staff_units(*, user: User) -> frozenset[int]:
    """The units whose staff the user is (officers, leaders, district dispatchers and supervisors)."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(Membership.objects.filter(user=user, role__in=WORKBENCH_ROLES).values_list("unit_id", flat=True))


def topic_access(*, user: User) -> TopicAccess | None:
    """Every topic for city admins and hotline supervisors, their units' topics for unit staff;
    None: no access (404)."""
    if not user.is_authenticated:
        return None
    if holds(user=user, roles=OVERSIGHT_ROLES):
        return TopicAccess(everything=True)
    units = staff_units(user=user)
    if not units:
        return None
    return TopicAccess(everything=False, unit_ids=units)


def can_administer(*, user: User) -> bool:
    """Adopt and edit topics, add measures, change a topic's status."""
    return user.is_authenticated and holds(user=user, roles=TOPIC_ADMIN_ROLES)


def posting_unit(*, user: User, topic: Topic) -> Unit | None:
    """The unit the user posts progress for: the lead unit if theirs, else one of the co-units."""
    units = staff_units(user=user)
    if topic.lead_unit_id in units:
        return topic.lead_unit
    return topic.co_units.filter(pk__in=units).order_by("pk").first()


def can_post_progress(*, user: User, topic: Topic) -> bool:
    return can_administer(user=user) or posting_unit(user=user, topic=topic) is not None


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) subquery (several counts over different relations without joins
    multiplying each other)."""
    counted = queryset.order_by().values("topic_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def visible_topics(*, user: User) -> QuerySet[Topic]:
    """The user's topics, newest month first, with their lead unit, ticket and measure counts."""
    access = topic_access(user=user)
    require(access is not None)
    assert access is not None
    return (
        Topic.objects.filter(access.topics())
        .select_related("lead_unit")
        .annotate(
            ticket_count=_count(TopicTicket.objects.filter(topic=OuterRef("pk"), via=LinkVia.RULE)),
            measure_count=_count(TopicMeasure.objects.filter(topic=OuterRef("pk"))),
            measures_done=_count(TopicMeasure.objects.filter(topic=OuterRef("pk"), done_at__isnull=False)),
        )
        .order_by("-month", "-id")
    )


def topic_for(*, user: User, topic_id: int) -> Topic:
    """One visible topic with its rule, units, measures and progress timeline (attachments too)."""
    topic = (
        visible_topics(user=user)
        .prefetch_related(
            "categories__parent__parent",
            "places__parent",
            "communities__street",
            "co_units",
            Prefetch("measures", queryset=TopicMeasure.objects.select_related("owner")),
            Prefetch(
                "progress",
                queryset=TopicProgress.objects.select_related("unit", "author", "measure").prefetch_related(
                    "attachments"
                ),
            ),
        )
        .filter(pk=topic_id)
        .first()
    )
    require(topic is not None)
    assert topic is not None
    return topic


def attachment_for(*, user: User, attachment_id: int) -> TopicAttachment:
    """A progress attachment, for whoever sees its topic."""
    access = topic_access(user=user)
    require(access is not None)
    assert access is not None
    visible = Topic.objects.filter(access.topics()).values("pk")
    attachment = TopicAttachment.objects.filter(pk=attachment_id, progress__topic_id__in=visible).first()
    require(attachment is not None)
    assert attachment is not None
    return attachment


# --- Volume before and after adoption --------------------------------------------------------------


def _local_month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=timezone.get_default_timezone(), output_field=DateField())


def _rule_links(topic: Topic) -> QuerySet[TopicTicket]:
    return TopicTicket.objects.filter(topic=topic, via=LinkVia.RULE)


@dataclass(frozen=True)
class MonthVolume:
    month: date
    count: int
    after: bool  # the topic's month or later


@dataclass(frozen=True)
class PlaceVolume:
    district: str
    street: str
    district_en: str
    street_en: str
    before: int
    after: int

    @property
    def label(self) -> str:
        name = f"{self.district}{self.street}"
        english = ", ".join(part for part in (self.street_en, self.district_en) if part)
        return in_reader_language(name=name, name_en=english)


def ratio(numerator: float | Decimal, denominator: float | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Volume:
    months: list[MonthVolume]
    places: list[PlaceVolume]

    @property
    def before(self) -> list[MonthVolume]:
        return [month for month in self.months if not month.after]

    @property
    def after(self) -> list[MonthVolume]:
        return [month for month in self.months if month.after]

    @property
    def before_total(self) -> int:
        return sum(month.count for month in self.before)

    @property
    def after_total(self) -> int:
        return sum(month.count for month in self.after)

    @property
    def before_average(self) -> Decimal | None:
        return ratio(self.before_total, len(self.before)) if self.before else None

    @property
    def after_average(self) -> Decimal | None:
        return ratio(self.after_total, len(self.after)) if self.after else None

    @property
    def change(self) -> Decimal | None:
        """The monthly average after adoption against the one before (−0.30 = 30 % fewer)."""
        before, after = self.before_average, self.after_average
        if before is None or after is None or not before:
            return None
        return ratio(after - before, before)


def topic_volume(*, topic: Topic, today: date, places: int = 20) -> Volume:
    """The topic's tickets per month from `tracked_from` to this month, marked before or after the
    topic's month, and per place (street, or district without one) before and after: two queries."""
    this_month = today.replace(day=1)
    per_month = dict(
        _rule_links(topic)
        .annotate(month=_local_month("ticket__created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("month", "n")
    )
    months = []
    month = topic.tracked_from
    while month <= max(this_month, topic.month):
        months.append(MonthVolume(month=month, count=per_month.get(month, 0), after=month >= topic.month))
        month = add_months(month, 1)
    adopted = start_of(topic.month)
    rows = (
        _rule_links(topic)
        .values(
            "ticket__district__name",
            "ticket__district__name_en",
            "ticket__street__name",
            "ticket__street__name_en",
        )
        .annotate(
            before=Count("pk", filter=Q(ticket__created_at__lt=adopted)),
            after=Count("pk", filter=Q(ticket__created_at__gte=adopted)),
            total=Count("pk"),
        )
        .order_by("-total", "ticket__district__name", "ticket__street__name")[:places]
    )
    place_lines = [
        PlaceVolume(
            district=row["ticket__district__name"] or "",
            street=row["ticket__street__name"] or "",
            district_en=row["ticket__district__name_en"] or "",
            street_en=row["ticket__street__name_en"] or "",
            before=row["before"],
            after=row["after"],
        )
        for row in rows
    ]
    return Volume(months=months, places=place_lines)


# --- Rates of the topic's tickets ---------------------------------------------------------------


@dataclass(frozen=True)
class TopicRates:
    before: RateSums
    after: RateSums


def _factors() -> dict[str, Decimal]:
    parameters = settings.EVALUATION_DEFAULT_PARAMETERS
    return {
        "partly_resolved_factor": parameters["partly_resolved_factor"],
        "basically_satisfied_factor": parameters["basically_satisfied_factor"],
    }


def topic_rates(*, topic: Topic, today: date) -> TopicRates:
    """The three rates of the topic's tickets before and after its month, as the rankings count
    them (evaluation.rates: the same lead assignments and callbacks, exclusions and appeals), with
    the default factors: two aggregate queries."""
    first, last = topic.tracked_from, max(today.replace(day=1), topic.month)
    adopted = start_of(topic.month)
    tickets = _rule_links(topic).values("ticket_id")
    leads = (
        counted_leads(first=first, last=last)
        .filter(ticket_id__in=tickets, is_excluded=False)
        .aggregate(
            required_before=Count("pk", filter=Q(dispatched_at__lt=adopted)),
            in_time_before=Count("pk", filter=responded_in_time() & Q(dispatched_at__lt=adopted)),
            required_after=Count("pk", filter=Q(dispatched_at__gte=adopted)),
            in_time_after=Count("pk", filter=responded_in_time() & Q(dispatched_at__gte=adopted)),
        )
    )
    answers = {
        "callbacks_answered": Q(),
        "resolved": Q(resolution=Resolution.RESOLVED),
        "partly_resolved": Q(resolution=Resolution.PARTLY),
        "satisfied": Q(satisfaction=Satisfaction.SATISFIED),
        "basically_satisfied": Q(satisfaction=Satisfaction.BASICALLY),
    }
    callbacks = (
        counted_callbacks(first=first, last=last)
        .filter(ticket_id__in=tickets)
        .aggregate(
            **{f"{name}_before": Count("pk", filter=q & Q(completed_at__lt=adopted)) for name, q in answers.items()},
            **{f"{name}_after": Count("pk", filter=q & Q(completed_at__gte=adopted)) for name, q in answers.items()},
        )
    )

    def sums(when: str) -> RateSums:
        counts = Counts(
            required_response=leads[f"required_{when}"],
            responded_in_time=leads[f"in_time_{when}"],
            **{name: callbacks[f"{name}_{when}"] for name in answers},
        )
        return RateSums.of(counts=counts, **_factors())

    return TopicRates(before=sums("before"), after=sums("after"))


# --- For the reports: progress of every topic over a period ------------------------------------------


@dataclass(frozen=True)
class TopicProgressLine:
    topic_id: int
    title: str
    status: str  # TopicStatus value
    status_label: str
    lead_unit: str
    tickets: int  # rule-linked tickets received in the period
    previous_tickets: int  # … in the period of the same length just before
    measures_done: int
    measures_total: int

    @property
    def change(self) -> Decimal | None:
        """Tickets in the period against the previous period (−0.25 = 25 % fewer); None without any before."""
        return ratio(self.tickets - self.previous_tickets, self.previous_tickets) if self.previous_tickets else None


def topic_progress(*, start: date, end: date) -> list[TopicProgressLine]:
    """Per topic adopted before `end`: title, status, lead unit, its tickets received in
    [start, end) (local dates, end exclusive), the change against the period of the same length just
    before (the same number of months before, for whole months), and its measures done by `end` of
    all. One query."""
    if start.day == 1 and end.day == 1:  # whole months: the same number of months before
        months = (end.year - start.year) * 12 + end.month - start.month
        previous_start = add_months(start, -months)
    else:
        previous_start = start - (end - start)
    bounds = [start_of(day) for day in (previous_start, start, end)]

    def received(low: datetime, high: datetime) -> Coalesce:
        return _count(
            TopicTicket.objects.filter(
                topic=OuterRef("pk"), via=LinkVia.RULE, ticket__created_at__gte=low, ticket__created_at__lt=high
            )
        )

    topics = (
        Topic.objects.filter(month__lt=end)
        .select_related("lead_unit")
        .annotate(
            in_period=received(bounds[1], bounds[2]),
            in_previous=received(bounds[0], bounds[1]),
            measure_count=_count(TopicMeasure.objects.filter(topic=OuterRef("pk"))),
            measures_done=_count(TopicMeasure.objects.filter(topic=OuterRef("pk"), done_at__lt=bounds[2])),
        )
        .order_by("-month", "pk")
    )
    return [
        TopicProgressLine(
            topic_id=topic.pk,
            title=topic.title,
            status=topic.status,
            status_label=str(topic.get_status_display()),
            lead_unit=topic.lead_unit.label,
            tickets=topic.in_period,
            previous_tickets=topic.in_previous,
            measures_done=topic.measures_done,
            measures_total=topic.measure_count,
        )
        for topic in topics
    ]
