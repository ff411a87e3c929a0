"""The rollup figures computed the slow, obvious way: ticket by ticket in Python, from the rules in
analytics/models.py. The tests compare the SQL rollups with these, exactly."""

from collections import Counter, defaultdict
from datetime import date, datetime

from django.utils import timezone

from analytics.models import COUNT_FIELDS, DailyRollup, MonthlyDistrictRollup, MonthlyRollup
from dispatch.models import AssignmentRole, AssignmentStatus, ReviewStatus
from evaluation.models import AppealKind, CallbackStatus, Resolution, Satisfaction
from intake.lifecycle import Status
from intake.models import Disposition, Ticket

Key = tuple
Counts = dict[str, int]
KEY_COLUMNS = ("unit_id", "category_id", "kind", "channel", "district_id", "street_id")


def _ticket_counts(ticket: Ticket, now: datetime) -> tuple[int | None, Counts]:
    leads = [
        a for a in ticket.assignments.all() if a.role == AssignmentRole.LEAD and a.status != AssignmentStatus.RETURNED
    ]
    lead = max(leads, key=lambda a: a.pk) if leads else None
    approved = [appeal for appeal in ticket.appeals.all() if appeal.status == ReviewStatus.APPROVED]
    excluded_units = {a.unit_id for a in approved if a.kind == AppealKind.EXCLUDE_TICKET}
    appealed_callbacks = {a.callback_id for a in approved if a.kind == AppealKind.CALLBACK_RESULT}
    counts: Counts = Counter(received=1)
    counts["answered_directly"] = int(ticket.disposition == Disposition.ANSWERED_DIRECTLY)
    counts["closed"] = int(ticket.status == Status.CLOSED)
    counts["suggestion_scored"] = int(ticket.suggestion_rank is not None)
    counts["suggestion_top1"] = int(ticket.suggestion_rank == 1)
    counts["suggestion_top5"] = int(ticket.suggestion_rank is not None and 1 <= ticket.suggestion_rank <= 5)
    counts["repeat_contacts"] = int(ticket.parent_id is not None)
    if lead is not None:
        counts["dispatched"] = 1
        # Replied: judged at the reply; ended unreplied: at the end; still open: now.
        judged_at = lead.replied_at if lead.status == AssignmentStatus.REPLIED else (lead.ended_at or now)
        counts["overdue"] = int(lead.due_at is not None and lead.due_at < judged_at)
        if lead.unit_id not in excluded_units:
            counts["response_required"] = 1
            counts["signed_in_time"] = int(lead.signed_at is not None and lead.signed_at <= lead.sign_due_at)
    for callback in ticket.callbacks.all():
        if not callback.is_primary or callback.status != CallbackStatus.DONE:
            continue
        if callback.unit_id in excluded_units or callback.pk in appealed_callbacks:
            continue
        counts["callbacks_answered"] += 1
        counts["callbacks_resolved"] += callback.resolution == Resolution.RESOLVED
        counts["callbacks_partly_resolved"] += callback.resolution == Resolution.PARTLY
        counts["callbacks_satisfied"] += callback.satisfaction == Satisfaction.SATISFIED
        counts["callbacks_basically_satisfied"] += callback.satisfaction == Satisfaction.BASICALLY
    return (lead.unit_id if lead else None), counts


def expected_daily(now: datetime) -> dict[Key, tuple[int, ...]]:
    rows: dict[Key, Counter] = defaultdict(Counter)
    tickets = Ticket.objects.prefetch_related("assignments", "callbacks", "appeals")
    for ticket in tickets:
        unit_id, counts = _ticket_counts(ticket, now)
        day = timezone.localtime(ticket.created_at).date()
        key = (day, unit_id, ticket.category_id, ticket.kind, ticket.channel, ticket.district_id, ticket.street_id)
        rows[key].update(counts)
    return {key: tuple(counts[name] for name in COUNT_FIELDS) for key, counts in rows.items()}


def expected_monthly(now: datetime) -> dict[Key, tuple[int, ...]]:
    months: dict[Key, list[int]] = {}
    for (day, *rest), counts in expected_daily(now).items():
        key = (date(day.year, day.month, 1), *rest)
        total = months.setdefault(key, [0] * len(COUNT_FIELDS))
        for index, value in enumerate(counts):
            total[index] += value
    return {key: tuple(values) for key, values in months.items()}


def expected_district_monthly(now: datetime) -> dict[Key, tuple[int, ...]]:
    """The monthly figures summed over handling unit, category and street: (month, district, kind, channel)."""
    districts: dict[Key, list[int]] = {}
    for (month, _unit, _category, kind, channel, district, _street), counts in expected_monthly(now).items():
        total = districts.setdefault((month, district, kind, channel), [0] * len(COUNT_FIELDS))
        for index, value in enumerate(counts):
            total[index] += value
    return {key: tuple(values) for key, values in districts.items()}


def _rows(model: type, period: str, fields: tuple[str, ...] = KEY_COLUMNS) -> dict[Key, tuple[int, ...]]:
    fields = (period, *fields)
    rows = {}
    for values in model.objects.values_list(*fields, *COUNT_FIELDS):
        key = tuple(values[: len(fields)])
        assert key not in rows, f"duplicate rollup key {key}"
        rows[key] = tuple(values[len(fields) :])
    return rows


def daily_rows() -> dict[Key, tuple[int, ...]]:
    return _rows(DailyRollup, "day")


def monthly_rows() -> dict[Key, tuple[int, ...]]:
    return _rows(MonthlyRollup, "month")


def district_monthly_rows() -> dict[Key, tuple[int, ...]]:
    return _rows(MonthlyDistrictRollup, "month", ("district_id", "kind", "channel"))
