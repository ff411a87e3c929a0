"""Writes for analytics: the daily and monthly rollups, recomputed a day at a time in SQL.

Recomputing a day deletes its rollup rows and inserts them again from one INSERT … SELECT that
aggregates the day's tickets (COUNT … FILTER): no ticket passes through Python, and running it
twice, or after any change, gives the same rows. The months of the recomputed days are then
summed again from the daily rows, and their district rows from the monthly ones, in the same
transaction: the three tables always agree.

What to recompute: every change that a rollup counts (dispatch, sign, reply, callback, exclusion,
closure …) is a ticket transition, which saves the ticket and so moves its `updated_at`. A refresh
marks the receipt days of the tickets changed since its watermark (less an overlap for
transactions still open at the last run) as dirty, plus the days of tickets whose live lead
assignment passed its deadline since then (overdue changes with time, not with a write), and
then works the dirty days off in bounded batches. All refreshes and rebuilds take the lock on
the one RollupState row first, so they run one at a time.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from analytics.models import (
    COUNT_FIELDS,
    DISTRICT_KEY_FIELDS,
    KEY_FIELDS,
    DailyRollup,
    DirtyDay,
    MonthlyDistrictRollup,
    MonthlyRollup,
    RollupState,
)
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus
from evaluation.models import AppealKind, Callback, CallbackStatus, Resolution, Satisfaction
from evaluation.rates import approved_appeal
from hotline.months import next_month
from intake.lifecycle import Status
from intake.models import Disposition, Ticket

LIVE_STATUSES = (AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED)


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the hotline's time zone."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_default_timezone())


def month_of(day: date) -> date:
    return day.replace(day=1)


def _int_subquery(queryset: QuerySet[Any], field: str) -> Subquery:
    return Subquery(queryset.values(field)[:1], output_field=IntegerField())


def ticket_rollup_rows(*, start: datetime, end: datetime, now: datetime) -> QuerySet[Ticket, dict[str, Any]]:
    """The daily rollup rows of the tickets received in [start, end), as one aggregate query.

    Per ticket, the lead assignment is its latest lead that was not returned (a returned lead
    handed the ticket back; the unit that took it over is the handling unit).
    """
    lead = (
        Assignment.objects.filter(ticket=OuterRef("pk"), role=AssignmentRole.LEAD, parent__isnull=True)
        .exclude(status=AssignmentStatus.RETURNED)
        .order_by("-id")
    )
    excluded = approved_appeal(AppealKind.EXCLUDE_TICKET, ticket="ticket_id", unit="unit_id")
    # Replied: judged at the reply; ended unreplied: at the end; still open: now.
    handled_at = Case(
        When(status=AssignmentStatus.REPLIED, then=F("replied_at")),
        When(ended_at__isnull=False, then=F("ended_at")),
        default=Value(now),
    )
    lead = lead.annotate(
        rated=Case(When(excluded, then=0), default=1),
        in_time=Case(When(Q(signed_at__lte=F("sign_due_at")) & ~excluded, then=1), default=0),
        late=Case(When(due_at__lt=handled_at, then=1), default=0),
    )
    callbacks = (
        Callback.objects.filter(ticket=OuterRef("pk"), is_primary=True, status=CallbackStatus.DONE)
        .exclude(approved_appeal(AppealKind.EXCLUDE_TICKET, ticket="ticket_id", unit="unit_id"))
        .exclude(approved_appeal(AppealKind.CALLBACK_RESULT, callback="pk"))
    )

    def callback_count(condition: Q) -> Subquery:
        counted = callbacks.filter(condition).values("ticket").annotate(n=Count("pk"))
        return Subquery(counted.values("n"), output_field=IntegerField())

    return (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(
            lead_unit=_int_subquery(lead, "unit_id"),
            lead_rated=_int_subquery(lead, "rated"),
            lead_in_time=_int_subquery(lead, "in_time"),
            lead_late=_int_subquery(lead, "late"),
            cb_answered=callback_count(Q()),
            cb_resolved=callback_count(Q(resolution=Resolution.RESOLVED)),
            cb_partly=callback_count(Q(resolution=Resolution.PARTLY)),
            cb_satisfied=callback_count(Q(satisfaction=Satisfaction.SATISFIED)),
            cb_basically=callback_count(Q(satisfaction=Satisfaction.BASICALLY)),
        )
        .values(
            r_day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            r_unit=F("lead_unit"),
            r_category=F("category_id"),
            r_kind=F("kind"),
            r_channel=F("channel"),
            r_district=F("district_id"),
            r_street=F("street_id"),
        )
        .annotate(
            received=Count("pk"),
            answered_directly=Count("pk", filter=Q(disposition=Disposition.ANSWERED_DIRECTLY)),
            dispatched=Count("lead_unit"),
            closed=Count("pk", filter=Q(status=Status.CLOSED)),
            overdue=Coalesce(Sum("lead_late"), 0),
            response_required=Coalesce(Sum("lead_rated"), 0),
            signed_in_time=Coalesce(Sum("lead_in_time"), 0),
            callbacks_answered=Coalesce(Sum("cb_answered"), 0),
            callbacks_resolved=Coalesce(Sum("cb_resolved"), 0),
            callbacks_partly_resolved=Coalesce(Sum("cb_partly"), 0),
            callbacks_satisfied=Coalesce(Sum("cb_satisfied"), 0),
            callbacks_basically_satisfied=Coalesce(Sum("cb_basically"), 0),
            suggestion_scored=Count("suggestion_rank"),
            suggestion_top1=Count("pk", filter=Q(suggestion_rank=1)),
            suggestion_top5=Count("pk", filter=Q(suggestion_rank__gte=1)),
            repeat_contacts=Count("pk", filter=Q(parent__isnull=False)),
        )
        .order_by()
    )


def _insert_select(
    *,
    model: type[models.Model],
    period_column: str,
    queryset: QuerySet[Any, Any],
    constant: Any = None,
    keys: tuple[str, ...] = KEY_FIELDS,
) -> None:
    """INSERT INTO the rollup table SELECT the queryset's aliases: one statement, no rows in Python.

    The queryset names its key columns r_<field> (`keys`: the table's key fields) and its counts
    after the count fields; the period column comes from the queryset (alias r_<column>) or, given
    `constant`, a parameter.
    """
    quote = connection.ops.quote_name
    sql, params = queryset.query.sql_with_params()
    # The key fields are concrete columns (foreign keys and plain fields), never reverse relations.
    key_columns = [cast("models.Field[Any, Any]", model._meta.get_field(name)).column for name in keys]
    columns = [period_column, *key_columns, *COUNT_FIELDS]
    period = "%s" if constant is not None else f"rollup_rows.{quote('r_' + period_column)}"
    selected = [period] + [f"rollup_rows.{quote('r_' + name)}" for name in keys]
    selected += [f"rollup_rows.{quote(name)}" for name in COUNT_FIELDS]
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(selected)} FROM ({sql}) rollup_rows"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, ([constant] if constant is not None else []) + list(params))


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days [(first, last), …], one statement pair each."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def recompute_days(*, days: Iterable[date], now: datetime) -> None:
    """Recompute the daily rows of `days` and the monthly rows of their months.

    Runs inside the caller's transaction, which holds the RollupState lock.
    """
    days = set(days)
    for first, last in _runs(days):
        DailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
        rows = ticket_rollup_rows(start=day_start(first), end=day_start(last + timedelta(days=1)), now=now)
        _insert_select(model=DailyRollup, period_column="day", queryset=rows)
    recompute_months(months={month_of(day) for day in days})


def recompute_months(*, months: Iterable[date]) -> None:
    """Sum the monthly rows again from the daily rows of each month, then its district rows."""
    months = set(months)
    for month in sorted(months):
        MonthlyRollup.objects.filter(month=month).delete()
        rows = (
            DailyRollup.objects.filter(day__gte=month, day__lt=next_month(month))
            .values(**{f"r_{name}": F(name) for name in KEY_FIELDS})
            .annotate(**{name: Sum(name) for name in COUNT_FIELDS})
            .order_by()
        )
        _insert_select(model=MonthlyRollup, period_column="month", queryset=rows, constant=month)
    recompute_district_months(months=months)


def recompute_district_months(*, months: Iterable[date]) -> None:
    """Sum the monthly district rows again from the monthly rows of each month."""
    for month in sorted(set(months)):
        MonthlyDistrictRollup.objects.filter(month=month).delete()
        rows = (
            MonthlyRollup.objects.filter(month=month)
            .values(**{f"r_{name}": F(name) for name in DISTRICT_KEY_FIELDS})
            .annotate(**{name: Sum(name) for name in COUNT_FIELDS})
            .order_by()
        )
        _insert_select(
            model=MonthlyDistrictRollup, period_column="month", queryset=rows, constant=month, keys=DISTRICT_KEY_FIELDS
        )


def _lock_state() -> RollupState:
    """The RollupState row, locked until the end of the caller's transaction (one refresh at a time)."""
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def _local_days(queryset: QuerySet[Any], field: str) -> set[date]:
    tz = timezone.get_default_timezone()
    return set(
        queryset.annotate(receipt_day=TruncDate(field, tzinfo=tz)).values_list("receipt_day", flat=True).distinct()
    )


def changed_days(*, since: datetime | None, now: datetime) -> set[date]:
    """Receipt days whose rollup rows may have changed since `since` (None: every day with tickets)."""
    if since is None:
        first = Ticket.objects.aggregate(first=Min("created_at"))["first"]
        if first is None:
            return set()
        start, today = timezone.localdate(first), timezone.localdate(now)
        return {start + timedelta(days=offset) for offset in range((today - start).days + 1)}
    days = _local_days(Ticket.objects.filter(updated_at__gte=since), "created_at")
    # Lead assignments that became overdue since the last run, without any write (partial index).
    crossed = Assignment.objects.filter(
        role=AssignmentRole.LEAD,
        parent__isnull=True,
        ended_at__isnull=True,
        status__in=LIVE_STATUSES,
        due_at__gte=since,
        due_at__lt=now,
    )
    return days | _local_days(crossed, "ticket__created_at")


@dataclass(frozen=True)
class RefreshResult:
    marked: int  # days found changed since the watermark
    recomputed: int  # days recomputed in this run
    remaining: int  # dirty days left for the next run (time budget spent)


def mark_changed_days(*, now: datetime) -> int:
    """Mark the days changed since the watermark as dirty and move the watermark to `now`."""
    with transaction.atomic():
        state = _lock_state()
        since = state.watermark - settings.ANALYTICS_ROLLUP_OVERLAP if state.watermark else None
        days = changed_days(since=since, now=now)
        DirtyDay.objects.bulk_create([DirtyDay(day=day) for day in days], ignore_conflicts=True)
        state.watermark = now
        state.save(update_fields=["watermark"])
    return len(days)


def recompute_dirty_days(*, now: datetime, budget_seconds: float | None = None) -> tuple[int, int]:
    """Work off dirty days in batches (one transaction each) until none are left or the time budget
    is spent. Returns (days recomputed, days left)."""
    budget = settings.ANALYTICS_REFRESH_TIME_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    recomputed = 0
    while True:
        with transaction.atomic():
            state = _lock_state()
            batch = list(
                DirtyDay.objects.order_by("day").values_list("day", flat=True)[: settings.ANALYTICS_ROLLUP_BATCH_DAYS]
            )
            if batch:
                recompute_days(days=batch, now=now)
                DirtyDay.objects.filter(day__in=batch).delete()
                state.refreshed_at = timezone.now()
                state.save(update_fields=["refreshed_at"])
        recomputed += len(batch)
        if not batch or time.monotonic() >= deadline:
            break
    return recomputed, DirtyDay.objects.count()


def refresh_rollups(*, now: datetime | None = None, budget_seconds: float | None = None) -> RefreshResult:
    """The periodic refresh (beat): mark what changed, then recompute it."""
    now = now or timezone.now()
    marked = mark_changed_days(now=now)
    recomputed, remaining = recompute_dirty_days(now=now, budget_seconds=budget_seconds)
    return RefreshResult(marked=marked, recomputed=recomputed, remaining=remaining)


def rebuild_rollups(*, first: date | None = None, last: date | None = None, now: datetime | None = None) -> int:
    """Recompute the days first…last, both inclusive (default: from the first ticket to today).

    Without bounds this is a full rebuild: rollup rows outside that span go as well. Runs in
    batches of days, each one transaction under the refresh lock. Returns the days recomputed.
    """
    now = now or timezone.now()
    whole = first is None and last is None
    if first is None:
        found = Ticket.objects.aggregate(first=Min("created_at"))["first"]
        first = timezone.localdate(found) if found else timezone.localdate(now)
    last = last or timezone.localdate(now)
    if last < first:
        return 0
    if whole:
        with transaction.atomic():
            state = _lock_state()
            DailyRollup.objects.filter(Q(day__lt=first) | Q(day__gt=last)).delete()
            outside = Q(month__lt=month_of(first)) | Q(month__gt=month_of(last))
            MonthlyRollup.objects.filter(outside).delete()
            MonthlyDistrictRollup.objects.filter(outside).delete()
            if state.watermark is None:
                # Everything up to now is about to be counted: the next refresh starts from here.
                state.watermark = now
                state.save(update_fields=["watermark"])
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    step = settings.ANALYTICS_ROLLUP_BATCH_DAYS
    for index in range(0, len(days), step):
        with transaction.atomic():
            state = _lock_state()
            recompute_days(days=days[index : index + step], now=now)
            state.refreshed_at = timezone.now()
            state.save(update_fields=["refreshed_at"])
    return len(days)
