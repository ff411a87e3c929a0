"""Reads for evaluation: who may see which part of it, the callback queue, rankings, trends,
the tickets behind each rate, and appeals.

Access is decided here once and used by the HTML pages and the API alike; a user outside a
page's roles or scope gets 404 from both.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, DateField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dispatch import permissions as dispatch_permissions
from dispatch.models import Assignment, AssignmentRole, ReviewStatus
from evaluation import rates
from evaluation.lines import build_lines
from evaluation.models import (
    Appeal,
    AppealKind,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    MonthlyRanking,
    RankingAudit,
    Resolution,
    Satisfaction,
    UnitResult,
)
from evaluation.permissions import is_evaluation_admin
from evaluation.rates import callbacks_counted_for, counted_leads, counted_units, responded_in_time
from hotline.models import Membership, Role, Unit, UnitKind, User
from hotline.months import add_months, month_bounds
from hotline.roles import CALLBACK_ROLES, UNIT_STAFF_ROLES, UNIT_SUPERVISOR_ROLES, holds
from intake.lifecycle import Action, allowed_actions
from intake.models import Channel

TREND_MONTHS = 12


def can_call_back(*, user: User) -> bool:
    return holds(user=user, roles=CALLBACK_ROLES)


# --- Who sees which rankings ----------------------------------------------------------------


@dataclass(frozen=True)
class RankingScope:
    """What a user may see of the rankings. None means every unit.

    `table_unit_ids`: the rows of the ranking tables and exports; `detail_unit_ids`: the units
    whose trend page and tickets behind the rates the user may open; `own_unit_ids`: rows to
    highlight (a unit leader's own units).
    """

    table_unit_ids: frozenset[int] | None
    detail_unit_ids: frozenset[int] | None
    own_unit_ids: frozenset[int]
    sees_drafts: bool = False

    def shows(self, unit_id: int) -> bool:
        return self.table_unit_ids is None or unit_id in self.table_unit_ids

    def details(self, unit_id: int) -> bool:
        return self.detail_unit_ids is None or unit_id in self.detail_unit_ids


def ranking_scope(*, user: User) -> RankingScope | None:
    """City admins and hotline supervisors see everything; district supervisors their district's
    units; unit leaders the whole ranking with their own units highlighted. None: no access."""
    if is_evaluation_admin(user=user):
        return RankingScope(table_unit_ids=None, detail_unit_ids=None, own_unit_ids=frozenset(), sees_drafts=True)
    rows = list(
        Membership.objects.filter(user=user, role__in=UNIT_SUPERVISOR_ROLES).values_list(
            "unit_id", "role", "unit__kind"
        )
    )
    if not rows:
        return None
    district_ids = [unit_id for unit_id, role, kind in rows if role == Role.DISTRICT_SUPERVISOR and kind == "district"]
    district_units: set[int] = set()
    if district_ids:
        district_units = set(
            Unit.objects.filter(Q(pk__in=district_ids) | Q(parent_id__in=district_ids)).values_list("pk", flat=True)
        )
    led = frozenset(unit_id for unit_id, role, _kind in rows if role == Role.UNIT_LEADER)
    if not led and not district_units:
        return None
    return RankingScope(
        table_unit_ids=None if led else frozenset(district_units),
        detail_unit_ids=frozenset(district_units | led),
        own_unit_ids=led,
    )


# --- Callbacks ------------------------------------------------------------------------------


def _lead_reply() -> Subquery:
    """The reply of the ticket's latest replying lead assignment (what the caller is asked about)."""
    replies = Assignment.objects.filter(
        ticket_id=OuterRef("ticket_id"), role=AssignmentRole.LEAD, parent__isnull=True, replied_at__isnull=False
    )
    return Subquery(replies.order_by("-replied_at").values("reply")[:1])


def callbacks() -> QuerySet[Callback]:
    """Callbacks with what the queue shows: ticket, category, unit and the reply asked about."""
    return Callback.objects.select_related("ticket__category", "unit", "passed_down_to").annotate(
        reply_text=_lead_reply()
    )


def callback_queue() -> QuerySet[Callback]:
    """Pending callbacks, the most urgent first (overdue ones lead since they are due earliest)."""
    return callbacks().filter(status=CallbackStatus.PENDING).order_by("due_at", "id")


def nav_counts(*, user: User, keys: Iterable[str]) -> dict[str, int]:
    """The navigation's pending callbacks ("callbacks": the queue's length), one COUNT."""
    if "callbacks" not in keys or not can_call_back(user=user):
        return {}
    return {"callbacks": Callback.objects.filter(status=CallbackStatus.PENDING).count()}


def callback_detail(*, callback_id: int) -> Callback:
    """One callback with its ticket, caller, unit and attempts; Callback.DoesNotExist when unknown."""
    return (
        Callback.objects.select_related(
            "ticket__category__parent__parent", "caller", "unit", "passed_down_to", "completed_by"
        )
        .prefetch_related(Prefetch("attempt_log", queryset=_attempts()))
        .get(pk=callback_id)
    )


def _attempts() -> QuerySet[CallbackAttempt]:
    return CallbackAttempt.objects.select_related("by").order_by("at", "id")


def lead_reply_of(*, ticket_id: int) -> Assignment | None:
    """The lead assignment whose reply the callback asks about (the latest one that replied)."""
    return (
        Assignment.objects.filter(
            ticket_id=ticket_id, role=AssignmentRole.LEAD, parent__isnull=True, replied_at__isnull=False
        )
        .select_related("unit", "replied_by")
        .order_by("-replied_at")
        .first()
    )


# --- Rankings -------------------------------------------------------------------------------


def _shown(*, drafts: bool) -> Q:
    return Q() if drafts else Q(published_at__isnull=False)


def ranking_months(*, drafts: bool = False) -> list[date]:
    """Months that have a published ranking (or, with `drafts`, a draft), newest first."""
    shown = Q(is_current=True)
    if drafts:
        shown |= Q(published_at__isnull=True)
    return list(MonthlyRanking.objects.filter(shown).order_by("-month").values_list("month", flat=True).distinct())


def ranking_for(
    *, month: date, unit_kind: str, version: int | None = None, drafts: bool = False
) -> MonthlyRanking | None:
    """The current ranking of a month and kind, or the given version of it; with `drafts` (for
    evaluation admins) a month with only a draft shows the draft, and drafts can be asked for."""
    rankings = MonthlyRanking.objects.filter(month=month, unit_kind=unit_kind).select_related(
        "computed_by", "published_by"
    )
    if version is not None:
        return rankings.filter(_shown(drafts=drafts), version=version).first()
    current = rankings.filter(is_current=True).first()
    if current is None and drafts:
        return draft_of(month=month, unit_kind=unit_kind)
    return current


def draft_of(*, month: date, unit_kind: str) -> MonthlyRanking | None:
    return (
        MonthlyRanking.objects.filter(month=month, unit_kind=unit_kind, published_at__isnull=True)
        .select_related("computed_by")
        .first()
    )


def ranking_audit(*, month: date, unit_kind: str, drafts: bool = False) -> list[RankingAudit]:
    shown = Q(ranking__published_at__isnull=False) if not drafts else Q()
    return list(
        RankingAudit.objects.filter(shown, ranking__month=month, ranking__unit_kind=unit_kind)
        .select_related("ranking", "actor")
        .order_by("at", "id")
    )


def _in_district(district: Unit | None) -> Q:
    if district is None:
        return Q()
    return Q(unit=district) | Q(unit__parent=district)


def ranking_results(
    *, ranking: MonthlyRanking, scope: RankingScope, district: Unit | None = None
) -> QuerySet[UnitResult]:
    """The lines of a ranking the user may see, best first."""
    results = ranking.results.filter(_in_district(district)).select_related("unit__parent")
    if scope.table_unit_ids is not None:
        results = results.filter(unit_id__in=scope.table_unit_ids)
    return results.order_by(F("rank").asc(nulls_last=True), "unit__name", "id")


def ranking_by_source(
    *, ranking: MonthlyRanking, source: str, scope: RankingScope, district: Unit | None = None
) -> list[UnitResult]:
    """The ranking's month counted for one source only, with the ranking's parameters: lines
    computed now and not stored (the official ranking evaluates every source together)."""
    per_unit = rates.unit_counts(month=ranking.month, source=source)
    ranked = rates.ranked_counts(per_unit=per_unit, unit_kind=ranking.unit_kind, places=rates.unit_places())
    lines = build_lines(
        ranking=ranking,
        month=ranking.month,
        unit_kind=ranking.unit_kind,
        parameters=rates.parameters_of(ranking),
        ranked=ranked,
    )
    units = Unit.objects.select_related("parent").in_bulk([line.unit_id for line in lines])
    shown = []
    for line in lines:
        line.unit = units[line.unit_id]
        in_district = district is None or district.pk in (line.unit_id, line.unit.parent_id)
        if scope.shows(line.unit_id) and in_district:
            shown.append(line)
    return shown


@dataclass(frozen=True)
class DistrictTop:
    district: Unit
    results: list[UnitResult]


@dataclass(frozen=True)
class Publication:
    """What the monthly meeting reads out (seed 003): the city's top and bottom ten, and for the
    streets the top three of every district, each beside last month's figures."""

    top: list[UnitResult]
    bottom: list[UnitResult]
    district_tops: list[DistrictTop]


PUBLISHED_TOP = 10
DISTRICT_TOP = 3


def publication(*, ranking: MonthlyRanking) -> Publication:
    """One query: the ranked lines with their units and districts (a ranking holds at most a few
    hundred)."""
    ranked = list(ranking.results.filter(rank__isnull=False).select_related("unit__parent").order_by("rank", "id"))
    district_tops: list[DistrictTop] = []
    if ranking.unit_kind == UnitKind.STREET:
        by_district: dict[Unit, list[UnitResult]] = {}
        for result in ranked:
            if result.unit.parent is not None:
                by_district.setdefault(result.unit.parent, []).append(result)
        district_tops = [
            DistrictTop(district=district, results=lines[:DISTRICT_TOP])
            for district, lines in sorted(by_district.items(), key=lambda item: item[0].code or "")
        ]
    bottom = ranked[-PUBLISHED_TOP:][::-1] if len(ranked) > PUBLISHED_TOP else []
    return Publication(top=ranked[:PUBLISHED_TOP], bottom=bottom, district_tops=district_tops)


def current_results(*, scope: RankingScope) -> QuerySet[UnitResult]:
    """Unit lines of every current ranking the user may see (the API's results list)."""
    results = UnitResult.objects.filter(ranking__is_current=True).select_related("ranking", "unit__parent")
    if scope.table_unit_ids is not None:
        results = results.filter(unit_id__in=scope.table_unit_ids)
    return results.order_by("-ranking__month", "ranking__unit_kind", F("rank").asc(nulls_last=True), "id")


def visible_rankings(*, scope: RankingScope, district: Unit | None = None) -> QuerySet[MonthlyRanking]:
    """Rankings with their results prefetched, each limited to the lines the user may see;
    drafts for evaluation admins only."""
    results = (
        UnitResult.objects.filter(_in_district(district))
        .select_related("unit")
        .order_by(F("rank").asc(nulls_last=True), "id")
    )
    if scope.table_unit_ids is not None:
        results = results.filter(unit_id__in=scope.table_unit_ids)
    return (
        MonthlyRanking.objects.filter(_shown(drafts=scope.sees_drafts))
        .select_related("computed_by", "published_by")
        .prefetch_related(Prefetch("results", queryset=results))
        .order_by("-month", "unit_kind", "-version")
    )


def unit_trend(*, unit: Unit, until: date, months: int = TREND_MONTHS) -> list[UnitResult]:
    """The unit's lines in the current rankings of its kind over the months up to `until`."""
    since = add_months(until, 1 - months)
    return list(
        UnitResult.objects.filter(
            unit=unit,
            ranking__is_current=True,
            ranking__unit_kind=rates.ranking_kind_of(unit.kind),
            ranking__month__gte=since,
            ranking__month__lte=until,
        )
        .select_related("ranking")
        .order_by("ranking__month")
    )


def proactive_by_month(*, unit: Unit, until: date, months: int = TREND_MONTHS) -> list[tuple[date, int]]:
    """The proactive tickets (未诉先办) dispatched to the unit as lead per month up to `until`, newest
    first, months without any left out: reported beside the rates, never in them (evaluation.rates)."""
    start = month_bounds(add_months(until, 1 - months))[0]
    end = month_bounds(until)[1]
    rows = (
        Assignment.objects.filter(
            unit=unit,
            role=AssignmentRole.LEAD,
            ticket__channel=Channel.PROACTIVE,
            dispatched_at__gte=start,
            dispatched_at__lt=end,
        )
        .annotate(month=TruncMonth("dispatched_at", tzinfo=timezone.get_default_timezone(), output_field=DateField()))
        .values("month")
        .annotate(tickets=Count("ticket_id", distinct=True))
        .order_by("-month")
    )
    return [(row["month"], row["tickets"]) for row in rows]


def district_streets(*, district: Unit, month: date, scope: RankingScope) -> list[UnitResult]:
    """The district's streets and zones in the month's street ranking (with their city-wide rank)."""
    ranking = ranking_for(month=month, unit_kind=UnitKind.STREET)
    if ranking is None:
        return []
    return list(ranking_results(ranking=ranking, scope=scope).filter(unit__parent=district))


# --- The tickets behind the rates -----------------------------------------------------------
#
# The rows evaluation.rates counts, for one ranked unit, so that every number in a ranking can
# be opened as the list of tickets it counts.


class Metric:
    RESPONSE_REQUIRED = "response_required"
    RESPONSE_FAILED = "response_failed"
    CALLBACKS_ANSWERED = "callbacks_answered"
    NOT_RESOLVED = "not_resolved"
    NOT_SATISFIED = "not_satisfied"
    EXCLUDED = "excluded"

    RESPONSE = frozenset({RESPONSE_REQUIRED, RESPONSE_FAILED, EXCLUDED})
    CALLBACK = frozenset({CALLBACKS_ANSWERED, NOT_RESOLVED, NOT_SATISFIED})
    ALL = RESPONSE | CALLBACK


def response_rows(*, unit: Unit, month: date, metric: str) -> QuerySet[Assignment]:
    """Lead assignments dispatched in the month: all required, those not in time, or excluded;
    each with the district it was passed down by, if any (`parent.unit`)."""
    rows = counted_leads(first=month).filter(counted_units(unit))
    if metric == Metric.EXCLUDED:
        rows = rows.filter(is_excluded=True)
    else:
        rows = rows.filter(is_excluded=False)
        if metric == Metric.RESPONSE_FAILED:
            rows = rows.exclude(responded_in_time())
    return rows.select_related("ticket__category", "unit", "parent__unit").order_by("dispatched_at", "id")


def callback_rows(*, unit: Unit, month: date, metric: str) -> QuerySet[Callback]:
    """Callbacks answered in the month that count, or those that lowered a rate: counted for the
    unit as the hotline's lead (`unit`), or as the unit its district passed the ticket down to
    (`passed_down_to`)."""
    rows = callbacks_counted_for(unit=unit, first=month)
    if metric == Metric.NOT_RESOLVED:
        rows = rows.exclude(resolution=Resolution.RESOLVED)
    elif metric == Metric.NOT_SATISFIED:
        rows = rows.exclude(satisfaction=Satisfaction.SATISFIED)
    return rows.select_related("ticket__category", "unit", "passed_down_to").order_by("completed_at", "id")


# --- Appeals --------------------------------------------------------------------------------


def acting_unit_ids(*, user: User) -> set[int]:
    """Units the user appeals for (officers and leaders)."""
    return set(
        Membership.objects.filter(user=user, role__in=UNIT_STAFF_ROLES).values_list("unit_id", flat=True).distinct()
    )


def appeal_scope(*, user: User) -> set[int] | None:
    """Units whose appeals the user sees: None (every unit) for reviewers; unit staff their own;
    district supervisors their district's. An empty set means no access."""
    if is_evaluation_admin(user=user):
        return None
    ids = acting_unit_ids(user=user)
    scope = ranking_scope(user=user)
    if scope is not None and scope.detail_unit_ids is not None:
        ids |= scope.detail_unit_ids
    return ids


def appeals(*, unit_ids: set[int] | None) -> QuerySet[Appeal]:
    rows = Appeal.objects.select_related("ticket", "unit", "callback", "requested_by", "decided_by")
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    return rows.order_by("-requested_at", "-id")


def pending_appeals() -> QuerySet[Appeal]:
    """The review queue, oldest first (first come, first served)."""
    return (
        Appeal.objects.filter(status=ReviewStatus.PENDING)
        .select_related("ticket", "unit", "callback", "requested_by")
        .order_by("requested_at", "id")
    )


def appeal_unit_for(*, user: User, ticket_id: int) -> Unit | None:
    """The user's unit that led the ticket, which may appeal it; None when the user has none."""
    return (
        Unit.objects.filter(
            pk__in=acting_unit_ids(user=user),
            assignments__ticket_id=ticket_id,
            assignments__role=AssignmentRole.LEAD,
        )
        .order_by("pk")
        .first()
    )


def appealable_callbacks(*, ticket_id: int, unit: Unit) -> QuerySet[Callback]:
    """Completed callbacks of the ticket whose result counts for the unit."""
    return Callback.objects.filter(
        Q(unit=unit) | Q(passed_down_to=unit), ticket_id=ticket_id, status=CallbackStatus.DONE
    ).order_by("round", "id")


def may_appeal(*, user: User, assignment: Assignment) -> bool:
    """Whether the user can appeal the ticket for the assignment's unit now (the "Appeal" link of
    the unit's assignment page): the same rules as request_appeal, read without writing.

    The unit led the ticket and the user acts for it, the ticket is at a stage that may be
    appealed, and a kind of appeal is still free: no open or approved one of that kind, and for a
    callback result a completed callback that counts for the unit. Needs assignment.ticket and
    assignment.unit loaded; one or two queries.
    """
    if (
        assignment.role != AssignmentRole.LEAD
        or assignment.unit_id not in dispatch_permissions.acting_unit_ids(user=user)
        or Action.REQUEST_EXCLUSION not in allowed_actions(assignment.ticket.status)
    ):
        return False
    taken = set(
        Appeal.objects.filter(
            ticket_id=assignment.ticket_id,
            unit_id=assignment.unit_id,
            status__in=[ReviewStatus.PENDING, ReviewStatus.APPROVED],
        ).values_list("kind", flat=True)
    )
    if AppealKind.EXCLUDE_TICKET not in taken:
        return True
    return (
        AppealKind.CALLBACK_RESULT not in taken
        and appealable_callbacks(ticket_id=assignment.ticket_id, unit=assignment.unit).exists()
    )


def ticket_callbacks(*, user: User, ticket_id: int) -> list[Callback]:
    """The callbacks of a ticket whose results the user may see, by round (the ticket's own caller
    first): all for the hotline, for unit staff those evaluating their units. For intake's ticket
    page, which shows the results and never the caller. A result counts for the hotline's lead and
    for the unit its district passed the ticket down to: the staff of either see it."""
    rows = Callback.objects.filter(ticket_id=ticket_id).select_related("unit", "passed_down_to")
    unit_ids = dispatch_permissions.visible_unit_ids(user=user)
    if unit_ids is not None:
        rows = rows.filter(Q(unit_id__in=unit_ids) | Q(passed_down_to_id__in=unit_ids))
    return list(rows.order_by("round", "-is_primary", "id"))
