"""A generated city for the analytics tests: units, a small category tree, and tickets in every
state with their assignments, callbacks and appeals, spread over days, months and districts.

Rows are bulk-created as they would stand after the services ran (the rollups only read them);
`created_at` is set afterwards, since the model stamps it on insert. Monthly rollup rows written
by hand get their monthly district rows from `sum_district_months`, as the refresh would.
"""

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from analytics import services
from analytics.models import MonthlyRollup
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReplyOutcome, ReviewStatus
from evaluation.models import Appeal, AppealKind, Callback, CallbackStatus, Resolution, Satisfaction
from hotline.models import Category, Unit, UnitKind, User
from intake.lifecycle import Status
from intake.models import Caller, Channel, Disposition, Kind, Ticket
from tests.factories.hotline import DistrictFactory, StreetFactory, UnitFactory, UserFactory

TZ = timezone.get_default_timezone()
_numbers = itertools.count(1)
_phones = itertools.count(1)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def month_start(day: date) -> date:
    return day.replace(day=1)


def sum_district_months() -> None:
    """The monthly district rows of every month in the monthly rollup, summed as the refresh does."""
    services.recompute_district_months(months=MonthlyRollup.objects.values_list("month", flat=True).distinct())


@dataclass
class Tree:
    """Two first-level categories; the first has two second-level ones."""

    roots: list[Category]
    seconds: list[Category]
    leaves: list[Category]


def make_tree(prefix: str = "T") -> Tree:
    def node(code: str, name: str, level: int, parent: Category | None = None) -> Category:
        return Category.objects.create(code=f"{prefix}{code}", name=name, level=level, parent=parent)

    public = node("01", "公共服务", 1)
    heating = node("0101", "供暖", 2, public)
    water = node("0102", "供水", 2, public)
    traffic = node("02", "交通管理", 1)
    parking = node("0201", "停车管理", 2, traffic)
    leaves = [
        node("010101", "不热", 3, heating),
        node("010102", "停暖", 3, heating),
        node("010201", "停水", 3, water),
        node("020101", "违章停车", 3, parking),
    ]
    return Tree(roots=[public, traffic], seconds=[heating, water, parking], leaves=leaves)


@dataclass
class City:
    districts: list[Unit]
    streets: list[Unit]
    handlers: list[Unit]  # everything a ticket may be dispatched to
    tree: Tree
    decider: User


def make_city() -> City:
    """Two districts (populations 500,000 and 1,200,000) with two streets each, a district
    department, a city department, a state-owned enterprise and a platform company."""
    east = DistrictFactory(name="甲区", population=500_000)
    west = DistrictFactory(name="乙区", population=1_200_000)
    streets = [StreetFactory(name=f"{d.name}{n}街道", parent=d) for d in (east, west) for n in (1, 2)]
    others = [
        UnitFactory(name="甲区城管委", kind=UnitKind.DISTRICT_DEPARTMENT, parent=east),
        UnitFactory(name="市交通委", kind=UnitKind.CITY_DEPARTMENT),
        UnitFactory(name="热力集团", kind=UnitKind.STATE_ENTERPRISE),
        UnitFactory(name="某电商平台", kind=UnitKind.PLATFORM_COMPANY),
    ]
    return City(
        districts=[east, west],
        streets=streets,
        handlers=streets + others + [east],
        tree=make_tree(),
        decider=UserFactory(username="analytics-decider"),
    )


@dataclass
class Plan:
    """What one generated ticket becomes."""

    ticket: Ticket
    created_at: datetime
    assignments: list[Assignment] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    appeals: list[tuple[str, bool, int | None]] = field(default_factory=list)  # kind, approved, callback index


def _ticket(city: City, rng: random.Random, *, category: Category | None = None, street: Unit | None = None) -> Ticket:
    place = rng.random()
    if street is None and place < 0.85:
        street = rng.choice(city.streets)
    district = street.parent if street else (rng.choice(city.districts) if place < 0.95 else None)
    caller = None
    if rng.random() < 0.9:
        caller = Caller.objects.create(phone=f"136{next(_phones):08d}")
    return Ticket(
        number=f"30{next(_numbers):014d}",
        channel=rng.choice(Channel.values),
        kind=rng.choice(Kind.values),
        category=category or rng.choice(city.tree.leaves),
        caller=caller,
        district=district,
        street=street,
        description="生成的测试工单。",
        deadline_tier="general",
    )


def _lead(ticket: Ticket, unit: Unit, dispatched: datetime, rng: random.Random, now: datetime) -> Assignment:
    """A lead assignment in a random state of handling (never returned)."""
    due = dispatched + timedelta(days=rng.choice([1, 3, 7]))
    lead = Assignment(
        ticket=ticket,
        unit=unit,
        role=AssignmentRole.LEAD,
        dispatched_at=dispatched,
        sign_due_at=dispatched + timedelta(hours=1),
        due_at=due,
    )
    stage = rng.random()
    if stage < 0.15:
        return lead  # awaiting sign (overdue once the deadline passes)
    lead.status = AssignmentStatus.SIGNED
    lead.signed_at = dispatched + timedelta(minutes=rng.choice([10, 50, 90, 300]))
    if stage < 0.3:
        return lead  # in progress
    if stage < 0.37:
        lead.status = AssignmentStatus.ENDED  # closed after the deadline without a reply
        lead.ended_at = min(due + timedelta(days=2), now)
        return lead
    lead.status = AssignmentStatus.REPLIED
    lead.replied_at = min(dispatched + timedelta(days=rng.choice([1, 2, 5, 9])), now)
    lead.reply = "已处理。"
    lead.outcome = rng.choice(ReplyOutcome.values)
    lead.explanation = "" if lead.outcome == ReplyOutcome.RESOLVED else "部分问题需长期解决。"
    return lead


def _callback(ticket: Ticket, unit: Unit, at: datetime, rng: random.Random, *, primary: bool, round_: int) -> Callback:
    status = rng.choice([CallbackStatus.DONE, CallbackStatus.DONE, CallbackStatus.DONE, CallbackStatus.NOT_REACHED])
    done = status == CallbackStatus.DONE
    return Callback(
        ticket=ticket,
        caller=ticket.caller if primary else Caller.objects.create(phone=f"135{next(_phones):08d}"),
        unit=unit,
        is_primary=primary,
        round=round_,
        due_at=at + timedelta(days=2),
        status=status,
        attempts=1 if done else 3,
        resolution=rng.choice(Resolution.values) if done else "",
        satisfaction=rng.choice(Satisfaction.values) if done else "",
        completed_at=at + timedelta(days=1),
    )


def plan_ticket(city: City, rng: random.Random, created: datetime, now: datetime, **ticket_fields) -> Plan:
    ticket = _ticket(city, rng, **ticket_fields)
    plan = Plan(ticket=ticket, created_at=created)
    roll = rng.random()
    if roll < 0.3:
        ticket.status, ticket.disposition, ticket.answer = Status.CLOSED, Disposition.ANSWERED_DIRECTLY, "政策解答。"
        ticket.closed_at = created + timedelta(minutes=5)
        return plan
    if roll < 0.35:
        ticket.status, ticket.disposition = Status.CLOSED, rng.choice([Disposition.EXPLAINED, Disposition.LEGAL_ROUTE])
        ticket.closed_at = created + timedelta(minutes=5)
        return plan
    if roll < 0.4:
        return plan  # still received
    ticket.disposition = Disposition.DISPATCHED
    dispatched = created + timedelta(hours=1)
    unit = rng.choice(city.handlers)
    if roll < 0.47:
        # Returned: the returned lead ended; awaiting dispatch again or already re-dispatched.
        returned = Assignment(
            ticket=ticket,
            unit=unit,
            role=AssignmentRole.LEAD,
            status=AssignmentStatus.RETURNED,
            returned=True,
            dispatched_at=dispatched,
            sign_due_at=dispatched + timedelta(hours=1),
            due_at=dispatched + timedelta(days=7),
            ended_at=dispatched + timedelta(hours=3),
        )
        plan.assignments.append(returned)
        if rng.random() < 0.5:
            ticket.status = Status.AWAITING_DISPATCH
            return plan
        dispatched += timedelta(hours=4)
        unit = rng.choice([u for u in city.handlers if u != returned.unit])
    lead = _lead(ticket, unit, dispatched, rng, now)
    plan.assignments.append(lead)
    if rng.random() < 0.2:
        assist_unit = rng.choice([u for u in city.handlers if u != unit])
        plan.assignments.append(
            Assignment(
                ticket=ticket,
                unit=assist_unit,
                role=AssignmentRole.ASSIST,
                dispatched_at=dispatched,
                sign_due_at=dispatched + timedelta(hours=1),
                due_at=lead.due_at,
            )
        )
    if lead.status == AssignmentStatus.DISPATCHED:
        ticket.status = Status.DISPATCHED
    elif lead.status == AssignmentStatus.SIGNED:
        ticket.status = Status.IN_PROGRESS
    else:
        after = lead.replied_at or lead.ended_at
        if rng.random() < 0.25:
            ticket.status = Status.AWAITING_CALLBACK
            if rng.random() < 0.5:
                pending = _callback(ticket, unit, after, rng, primary=True, round_=1)
                pending.status, pending.resolution, pending.satisfaction, pending.completed_at = "pending", "", "", None
                plan.callbacks.append(pending)
        else:
            ticket.status = Status.CLOSED
            ticket.closed_at = after + timedelta(days=2)
            if lead.ended_at is None:
                lead.ended_at = ticket.closed_at
            if ticket.caller is not None:
                plan.callbacks.append(_callback(ticket, unit, after, rng, primary=True, round_=1))
                if rng.random() < 0.2:
                    plan.callbacks.append(_callback(ticket, unit, after, rng, primary=True, round_=2))
            if rng.random() < 0.2:
                plan.callbacks.append(_callback(ticket, unit, after, rng, primary=False, round_=1))
    if rng.random() < 0.12:
        plan.appeals.append((AppealKind.EXCLUDE_TICKET, rng.random() < 0.6, None))
    done = [i for i, c in enumerate(plan.callbacks) if c.status == CallbackStatus.DONE]
    if done and rng.random() < 0.25:
        plan.appeals.append((AppealKind.CALLBACK_RESULT, rng.random() < 0.6, done[0]))
    return plan


def save_plans(plans: list[Plan], decider: User) -> list[Ticket]:
    """Insert the planned rows, then stamp each ticket's receipt time (and last change: then too)."""
    tickets = Ticket.objects.bulk_create([plan.ticket for plan in plans])
    for plan in plans:
        plan.ticket.created_at = plan.ticket.updated_at = plan.created_at
    Ticket.objects.bulk_update(tickets, ["created_at", "updated_at"])
    Assignment.objects.bulk_create([a for plan in plans for a in plan.assignments])
    Callback.objects.bulk_create([c for plan in plans for c in plan.callbacks])
    appeals = []
    for plan in plans:
        lead_units = [a.unit for a in plan.assignments if a.role == AssignmentRole.LEAD]
        for kind, approved, callback_index in plan.appeals:
            unit = plan.callbacks[callback_index].unit if callback_index is not None else lead_units[-1]
            appeals.append(
                Appeal(
                    ticket=plan.ticket,
                    unit=unit,
                    kind=kind,
                    callback=plan.callbacks[callback_index] if callback_index is not None else None,
                    reason="不属于本单位职责。",
                    status=ReviewStatus.APPROVED if approved else ReviewStatus.REJECTED,
                    requested_by=decider,
                    decided_by=decider,
                    decided_at=plan.created_at + timedelta(days=3),
                )
            )
    Appeal.objects.bulk_create(appeals)
    return tickets


def generate(city: City, *, count: int, first: datetime, days: int, seed: int = 12345) -> list[Ticket]:
    """`count` tickets received over `days` days from `first`, some of them just before or after
    local midnight (the day boundary is Asia/Shanghai's)."""
    rng = random.Random(seed)
    now = timezone.now()
    plans = []
    for _ in range(count):
        offset = timedelta(days=rng.randrange(days), minutes=rng.choice([0, 5, 600, 900, 1430, 1439]))
        created = min(first + offset, now - timedelta(minutes=1))
        plans.append(plan_ticket(city, rng, created, now))
    return save_plans(plans, city.decider)


def series(
    city: City, *, category: Category, street: Unit, counts: dict[date, int], seed: int = 7, kind: str | None = None
) -> None:
    """counts[month] tickets of `category` at `street` in each month (spread over its days)."""
    rng = random.Random(seed)
    now = timezone.now()
    plans = []
    for month, count in counts.items():
        for index in range(count):
            created = local(month.year, month.month, 1 + index % 27, 9 + index % 8)
            plan = plan_ticket(city, rng, created, now, category=category, street=street)
            if kind:
                plan.ticket.kind = kind
            plans.append(plan)
    save_plans(plans, city.decider)
