"""Reads for dispatch: scoped assignment inboxes, the dispatch queue, routing suggestions, review queues."""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch import permissions
from dispatch.models import (
    HANDLING_KINDS,
    STREET_KINDS,
    WHISTLE_KINDS,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Attachment,
    ExtensionRequest,
    FeedbackTemplate,
    ProgressNote,
    ReplyOutcome,
    ReturnRequest,
    ReviewStatus,
    RoutingRule,
)
from dispatch.steps import STEPS, Party, Refusal, StepName, may_take, refusal_of, verdict
from hotline import reference
from hotline.models import Category, Unit, UnitKind, User, in_reader_language
from hotline.selectors import count_each
from intake.lifecycle import Action, Status
from intake.models import Ticket, TicketEvent

# Returned assignments stay in the unit's review tab this long after the return was approved.
RETURNED_SHOWN_FOR = timedelta(days=30)
OPEN = [AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED]

ReviewRequest = TypeVar("ReviewRequest", ReturnRequest, ExtensionRequest)


class Tab(models.TextChoices):
    TO_SIGN = "to_sign", gettext_lazy("To sign")
    IN_PROGRESS = "in_progress", gettext_lazy("In progress")
    DUE_SOON = "due_soon", gettext_lazy("Due soon")
    OVERDUE = "overdue", gettext_lazy("Overdue")
    REPLIED = "replied", gettext_lazy("Replied")
    REVIEW = "review", gettext_lazy("Returned / awaiting review")
    # A district sub-centre's (区分中心) own work: only a district's staff see these tabs.
    TO_PASS_DOWN = "to_pass_down", gettext_lazy("To pass down")
    PASSED_DOWN = "passed_down", gettext_lazy("Passed down")
    TO_CONFIRM = "to_confirm", gettext_lazy("To confirm")
    TO_DECIDE = "to_decide", gettext_lazy("Requests to decide")
    ALL = "all", gettext_lazy("All")


DISTRICT_TABS = frozenset({Tab.TO_PASS_DOWN, Tab.PASSED_DOWN, Tab.TO_CONFIRM, Tab.TO_DECIDE})


def _pending(model: type[ReviewRequest]) -> Exists:
    return Exists(model.objects.filter(assignment=OuterRef("pk"), status=ReviewStatus.PENDING))


def _live_sub_lead(**conditions: object) -> Exists:
    """Whether the assignment has a live lead below it (the unit its district passed it down to)."""
    return Exists(
        Assignment.objects.filter(parent=OuterRef("pk"), role=AssignmentRole.LEAD, ended_at__isnull=True, **conditions)
    )


def _district_condition(tab: str, district_ids: Collection[int]) -> Q:
    """The district tabs: a district's own lead assignments (dispatched by the hotline) and the
    live ones it passed down, of the districts in `district_ids`."""
    live = Q(ended_at__isnull=True)
    own = live & Q(unit_id__in=district_ids, role=AssignmentRole.LEAD, parent__isnull=True)
    below = live & Q(parent__unit_id__in=district_ids)
    # A unit's extension passed up to the hotline waits for the hotline, not for the district.
    extension_to_decide = Exists(
        ExtensionRequest.objects.filter(
            assignment=OuterRef("pk"), status=ReviewStatus.PENDING, passed_up_to__isnull=True
        )
    )
    conditions = {
        # Signed and with nobody below: never passed down, or its unit's return approved.
        Tab.TO_PASS_DOWN: own & Q(status=AssignmentStatus.SIGNED) & ~Q(_live_sub_lead()),
        Tab.PASSED_DOWN: below,
        Tab.TO_CONFIRM: own & Q(status=AssignmentStatus.SIGNED) & Q(_live_sub_lead(status=AssignmentStatus.REPLIED)),
        Tab.TO_DECIDE: below & (Q(_pending(ReturnRequest)) | Q(extension_to_decide)),
    }
    return conditions[Tab(tab)]


def tab_condition(tab: str, *, now: datetime, district_ids: Collection[int] = ()) -> Q:
    """Which assignments a workbench tab shows; every tab but "all" reads only live rows. The
    district tabs read the districts the user acts for (`district_ids`; none: they are empty)."""
    if tab in DISTRICT_TABS:
        return _district_condition(tab, district_ids) if district_ids else Q(pk__in=[])
    live = Q(ended_at__isnull=True)
    # Only the tab asked for is built: the others' subqueries cost a list a millisecond.
    conditions: dict[Tab, Callable[[], Q]] = {
        Tab.TO_SIGN: lambda: live & Q(status=AssignmentStatus.DISPATCHED) & ~Q(_pending(ReturnRequest)),
        Tab.IN_PROGRESS: lambda: live & Q(status=AssignmentStatus.SIGNED),
        Tab.DUE_SOON: lambda: live & Q(status__in=OPEN, due_at__gte=now, due_at__lt=now + settings.HOTLINE_DUE_SOON),
        Tab.OVERDUE: lambda: live & Q(status__in=OPEN, due_at__lt=now),
        Tab.REPLIED: lambda: live & Q(status=AssignmentStatus.REPLIED),
        Tab.REVIEW: lambda: (
            live & (Q(_pending(ReturnRequest)) | Q(_pending(ExtensionRequest)))
            | Q(status=AssignmentStatus.RETURNED, ended_at__gte=now - RETURNED_SHOWN_FOR)
        ),
        Tab.ALL: Q,
    }
    return conditions[Tab(tab)]()


def workbench_tabs(*, user: User) -> list[Tab]:
    """The tabs the user's workbench shows: the district tabs for a district's staff only."""
    district = bool(permissions.acting_district_ids(user=user))
    return [tab for tab in Tab if district or tab not in DISTRICT_TABS]


def visible_assignments(*, user: User) -> QuerySet[Assignment]:
    """Assignments a user may see: hotline roles all; unit staff their units'; district
    supervisors their district's (the same scope as intake.selectors.visible_tickets); a
    district's staff also every unit the district passed its tickets down to (the city-wide
    utilities assisting there too)."""
    unit_ids = permissions.visible_unit_ids(user=user)
    if unit_ids is None:
        return Assignment.objects.all()
    scope = Q(unit_id__in=unit_ids)
    if district_ids := permissions.acting_district_ids(user=user):
        scope |= Q(parent__unit_id__in=district_ids)
    return Assignment.objects.filter(scope)


def _tab_rows(tab: str) -> "tuple[Prefetch[str, QuerySet[Any], str], ...]":  # Prefetch is generic in the stubs only
    """What a district tab's rows show beyond the assignment, one query per page: the unit that
    replied (to confirm), the pending requests (to decide)."""
    if tab == Tab.TO_CONFIRM:
        below = Assignment.objects.filter(role=AssignmentRole.LEAD, ended_at__isnull=True).select_related("unit")
        return (Prefetch("sub_assignments", queryset=below, to_attr="live_sub_leads"),)
    if tab == Tab.TO_DECIDE:
        pending = Q(status=ReviewStatus.PENDING)
        return (
            Prefetch("return_requests", queryset=ReturnRequest.objects.filter(pending), to_attr="pending_returns"),
            Prefetch(
                "extension_requests",
                queryset=ExtensionRequest.objects.filter(pending, passed_up_to__isnull=True),
                to_attr="pending_extensions",
            ),
        )
    return ()


def supervisable_assignments(*, user: User) -> QuerySet[Assignment]:
    """Assignments the user may supervise (督办): of the units they supervise, and those below a
    district the user is staff of (steps.may_take, Party.SUPERVISOR)."""
    unit_ids = permissions.supervised_unit_ids(user=user)
    if unit_ids is None:
        return Assignment.objects.all()
    return Assignment.objects.filter(
        Q(unit_id__in=unit_ids) | Q(parent__unit_id__in=permissions.acting_unit_ids(user=user))
    )


# What a list of assignments reads of the reference rows (hotline.reference) instead of joining
# them: with these four joins more, PostgreSQL took 40 ms to plan a page of the inbox at a million
# tickets (searching the order of eight tables) and 2 ms to run it.
LIST_RELATED = ("parent", "ticket__caller")


def with_reference_rows(assignments: list[Assignment]) -> list[Assignment]:
    """The assignments, each given its unit and its ticket's category, district and street from
    the process's reference rows: no query when they are read already, one a model when not."""
    tickets = [assignment.ticket for assignment in assignments]
    units = reference.get_many(
        Unit,
        pks=[a.unit_id for a in assignments] + [t.district_id for t in tickets] + [t.street_id for t in tickets],
    )
    categories = reference.get_many(Category, pks=[ticket.category_id for ticket in tickets])
    for assignment, ticket in zip(assignments, tickets, strict=True):
        assignment.unit = units[assignment.unit_id]
        if ticket.category_id is not None:
            ticket.category = categories[ticket.category_id]
        if ticket.district_id is not None:
            ticket.district = units[ticket.district_id]
        if ticket.street_id is not None:
            ticket.street = units[ticket.street_id]
    return assignments


def with_step_rows(assignments: list[Assignment]) -> list[Assignment]:
    """The assignments, given what their step rules read beyond the rows (`available_steps`):
    the open ones' extension requests, and the open districts' sub-assignments (only a district
    passes an assignment down: steps.passed_down_lead), in a query each when there are any. An
    ended assignment fails every step before its rules (dispatch/steps.py), so its rows are
    never read; prefetching every row's cost a queryset a row (most of "all" has ended). Pass
    the rows through `with_reference_rows` first: this reads their units."""
    live = [assignment for assignment in assignments if assignment.ended_at is None]
    prefetch_related_objects(live, "extension_requests")
    prefetch_related_objects([a for a in live if a.unit.kind == UnitKind.DISTRICT], "sub_assignments")
    return assignments


def inbox(*, user: User, tab: str = Tab.TO_SIGN) -> QuerySet[Assignment]:
    """One workbench tab, soonest deadline first, with what the list shows: pass the rows read
    through `with_reference_rows`."""
    district_ids = permissions.acting_district_ids(user=user)
    return (
        visible_assignments(user=user)
        .filter(tab_condition(tab, now=timezone.now(), district_ids=district_ids))
        .select_related(*LIST_RELATED)
        .prefetch_related(*_tab_rows(tab))
        .order_by(models.F("due_at").asc(nulls_last=True), "id")
    )


def tab_counts(*, user: User) -> dict[str, int]:
    """The count of every tab the user sees but "all", in one aggregate query."""
    now = timezone.now()
    district_ids = permissions.acting_district_ids(user=user)
    tabs = [tab for tab in workbench_tabs(user=user) if tab != Tab.ALL]
    return visible_assignments(user=user).aggregate(
        **{tab.value: Count("pk", filter=tab_condition(tab, now=now, district_ids=district_ids)) for tab in tabs}
    )


def _override_reason() -> Subquery:
    """The reason the dispatcher gave to send the ticket against the catalogue (a functional
    matter to a street/township), read from its DISPATCH event: same ticket, same time."""
    events = TicketEvent.objects.filter(
        ticket=OuterRef("ticket_id"), action=Action.DISPATCH, created_at=OuterRef("dispatched_at")
    )
    return Subquery(events.annotate(reason=KT("payload__override_reason")).values("reason")[:1])


def assignment_detail(*, user: User, assignment_id: int) -> Assignment:
    """One assignment with its ticket, timeline, notes, the ticket's other units, review requests
    and `override_reason` (empty unless dispatched against the catalogue).

    Raises Assignment.DoesNotExist (→ 404) when the user may not see it.
    """
    notes = ProgressNote.objects.select_related("author").prefetch_related("attachments")
    others = Assignment.objects.select_related("unit", "parent__unit").order_by("role", "dispatched_at", "id")
    events = TicketEvent.objects.select_related("actor", "unit").order_by("created_at", "id")
    return (
        visible_assignments(user=user)
        .annotate(override_reason=_override_reason())
        .select_related(
            "unit",
            "parent__unit",
            "whistled_by__unit",
            "signed_by",
            "replied_by",
            "ticket__category__parent__parent",
            "ticket__caller",
            "ticket__district",
            "ticket__street",
        )
        .prefetch_related(
            Prefetch("notes", queryset=notes),
            # Read by the step rules and the page (the unit the district passed the ticket to).
            Prefetch("sub_assignments", queryset=Assignment.objects.select_related("unit")),
            Prefetch("ticket__assignments", queryset=others),
            Prefetch("ticket__events", queryset=events),
            Prefetch("return_requests", queryset=ReturnRequest.objects.select_related("requested_by", "decided_by")),
            Prefetch(
                "extension_requests", queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by")
            ),
        )
        .get(pk=assignment_id)
    )


def available_steps(*, user: User, assignment: Assignment, now: datetime | None = None) -> list[StepName]:
    """The steps (dispatch/steps.py) the user may take on the assignment now, in the table's order:
    exactly what the services would accept, for the assignment page and the API's `allowed_steps`.

    Reads the assignment's unit, ticket, parent, extension requests and (for a district's)
    sub-assignments: on a list, load them with the rows (select_related, prefetch_related) and
    this runs no query per row."""
    now = now or timezone.now()
    # `verdict` for every step, who the user is to the assignment weighed once, not once a step.
    parties = {party: may_take(party, user=user, assignment=assignment) for party in Party}
    ticket = assignment.ticket
    return [
        name
        for name, step in STEPS.items()
        if parties[step.by] and refusal_of(step, assignment=assignment, ticket=ticket, now=now) is None
    ]


def step_refusal(*, user: User, assignment: Assignment, step: StepName, now: datetime | None = None) -> Refusal | None:
    """Why the user may not take the step on the assignment now (None: they may), for a page that
    explains a step it does not offer; reads what `available_steps` reads."""
    return verdict(STEPS[step], user=user, assignment=assignment, now=now or timezone.now())


def attachment_for(*, user: User, attachment_id: int) -> Attachment | None:
    """An attachment the user may download (its assignment is visible to them), or None."""
    return (
        Attachment.objects.filter(pk=attachment_id, note__assignment__in=visible_assignments(user=user))
        .only("file", "name", "content_type")
        .first()
    )


# The dispatcher's side


def dispatch_queue() -> QuerySet[Ticket]:
    """Tickets awaiting dispatch, oldest first (first come, first served)."""
    return (
        Ticket.objects.filter(status=Status.AWAITING_DISPATCH)
        .select_related("category__parent__parent", "district", "street")
        .order_by("id")
    )


@dataclass(frozen=True)
class Suggestion:
    unit: Unit
    reason: str
    rule_id: int | None = None


def rules_in_effect(*, on: date | None = None) -> QuerySet[RoutingRule]:
    on = on or timezone.localdate()
    return RoutingRule.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on)


RuleIndex = Mapping[int, Sequence[RoutingRule]]


def rule_index(*, category_ids: Iterable[int] | None = None, on: date | None = None) -> dict[int, list[RoutingRule]]:
    """The rules in effect on a day (today) with their units, by category id, in one query: what
    `rank_suggestions` reads. Without `category_ids`, the whole catalogue."""
    rules = rules_in_effect(on=on).select_related("unit")
    if category_ids is not None:
        rules = rules.filter(category_id__in=set(category_ids))
    index: dict[int, list[RoutingRule]] = {}
    for rule in rules:
        index.setdefault(rule.category_id, []).append(rule)
    return index


def category_chain(category: Category) -> list[Category]:
    """The category and its ancestors, leaf first, through the parents already loaded."""
    chain: list[Category] = []
    node: Category | None = category
    while node is not None:
        chain.append(node)
        node = node.parent if node.parent_id else None
    return chain


def rank_suggestions(
    *, chain: Sequence[Category], district_id: int | None, street: Unit | None, rules: RuleIndex
) -> list[Suggestion]:
    """Where a matter of category `chain[0]` (its ancestors after it) in a place should go, best
    first, from the rules of `rule_index`; no query.

    The catalogue's rules that apply to the place: a rule for a deeper category first (a leaf
    overrides its level-2 node), then the narrower place (street, district, city-wide), then the
    newest version, then catalogue order. A street matter (category not functional) then goes to
    its street/township (属地). A functional matter is never suggested to a street/township.
    """
    functional = chain[0].is_functional
    scored = []
    for depth, category in enumerate(chain):
        for rule in rules.get(category.pk, ()):
            if not rule.unit.is_active or (functional and rule.unit.kind in STREET_KINDS):
                continue
            if rule.street_id is not None and (street is None or rule.street_id != street.pk):
                continue
            if rule.district_id is not None and rule.district_id != district_id:
                continue
            place = 2 if rule.street_id else 1 if rule.district_id else 0
            reason = _("Dispatch catalogue: %(category)s") % {"category": category.label}
            scored.append(((depth, -place, -rule.valid_from.toordinal(), rule.pk), rule, reason))
    scored.sort(key=lambda item: item[0])
    found = [Suggestion(unit=rule.unit, reason=reason, rule_id=rule.pk) for _key, rule, reason in scored]
    if street is not None and street.is_active and not functional:
        found.append(Suggestion(unit=street, reason=_("Local: %(street)s") % {"street": street.label}))
    unique: dict[int, Suggestion] = {}
    for suggestion in found:
        unique.setdefault(suggestion.unit.pk, suggestion)
    return list(unique.values())


def suggest_units(
    *, category_id: int, district_id: int | None, street_id: int | None, on: date | None = None
) -> list[Suggestion]:
    """Suggestions for a matter not (yet) a ticket, e.g. text being typed: a category and a place.

    The street's district is used when `district_id` is not given."""
    category = Category.objects.select_related("parent__parent").get(pk=category_id)
    street = Unit.objects.filter(pk=street_id).first() if street_id is not None else None
    if district_id is None and street is not None:
        district_id = street.parent_id
    chain = category_chain(category)
    rules = rule_index(category_ids=[c.pk for c in chain], on=on)
    return rank_suggestions(chain=chain, district_id=district_id, street=street, rules=rules)


def suggestions(*, tickets: Sequence[Ticket], on: date | None = None) -> dict[int, list[Suggestion]]:
    """`rank_suggestions` for each ticket, in one query for any number of tickets. Tickets need
    category__parent__parent and street loaded."""
    chains = {ticket.pk: category_chain(ticket.category) for ticket in tickets}
    rules = rule_index(category_ids={c.pk for chain in chains.values() for c in chain}, on=on)
    return {
        ticket.pk: rank_suggestions(
            chain=chains[ticket.pk], district_id=ticket.district_id, street=ticket.street, rules=rules
        )
        for ticket in tickets
    }


def suggestions_within(*, ticket: Ticket, district_id: int, excluding: Iterable[int] = ()) -> list[Suggestion]:
    """`suggestions` for one ticket, kept to the units a district passes its tickets down to: its
    own (not the district itself, nor `excluding`). The ticket needs category__parent__parent
    and street loaded."""
    left_out = set(excluding)
    return [
        suggestion
        for suggestion in suggestions(tickets=[ticket])[ticket.pk]
        if suggestion.unit.parent_id == district_id and suggestion.unit.pk not in left_out
    ]


def handling_units() -> QuerySet[Unit]:
    """Units a ticket can be dispatched to, for the dispatcher's choice."""
    return (
        Unit.objects.filter(is_active=True, kind__in=HANDLING_KINDS)
        .select_related("parent")
        .order_by("kind", "code", "name")
    )


def summonable_units() -> QuerySet[Unit]:
    """Departments and enterprises a street can summon with the whistle."""
    return (
        Unit.objects.filter(is_active=True, kind__in=WHISTLE_KINDS)
        .select_related("parent")
        .order_by("kind", "code", "name")
    )


def pending_returns(*, user: User) -> QuerySet[ReturnRequest]:
    """Return requests awaiting the hotline's review that this user may decide (late ones:
    supervisors only)."""
    # The returns of units below a district are the district's to decide (`Tab.TO_DECIDE`).
    requests = ReturnRequest.objects.filter(status=ReviewStatus.PENDING, assignment__parent__isnull=True)
    if not permissions.can_review_return(user=user, late=True):
        requests = requests.filter(needs_supervisor=False)
    return requests.select_related(
        "requested_by", "assignment__unit", "assignment__ticket__category", "assignment__ticket__street"
    ).order_by("requested_at", "id")


def pending_extensions() -> QuerySet[ExtensionRequest]:
    """Extension requests awaiting the hotline's review whose unit is still handling the ticket (a
    district's own, passed up for its unit's among them; its units' are the district's to decide)."""
    return (
        ExtensionRequest.objects.filter(
            status=ReviewStatus.PENDING,
            assignment__parent__isnull=True,
            assignment__ended_at__isnull=True,
            assignment__status=AssignmentStatus.SIGNED,
        )
        .select_related("requested_by", "assignment__unit", "assignment__ticket__category")
        .order_by("requested_at", "id")
    )


def nav_counts(*, user: User, keys: Iterable[str]) -> dict[str, int]:
    """The navigation's pending dispatch work, in one query: "queue" (awaiting dispatch),
    "reviews" (returns this user may decide and extensions) and "to_sign" (the workbench's
    pending work: its tab; for a district's staff, what the district itself has to do: sign,
    pass down, confirm, and the requests of the units below it to decide)."""
    keys = set(keys)
    querysets: dict[str, QuerySet[Any]] = {}
    if "queue" in keys:
        querysets["queue"] = Ticket.objects.filter(status=Status.AWAITING_DISPATCH)
    if "reviews" in keys:
        querysets["returns"] = pending_returns(user=user)
        querysets["extensions"] = pending_extensions()
    workbench: list[str] = []
    if "to_sign" in keys:
        now = timezone.now()
        mine = visible_assignments(user=user)
        if district_ids := permissions.acting_district_ids(user=user):
            # The district-wide scope holds its streets' tickets to sign: only the user's units' count.
            acting = permissions.acting_unit_ids(user=user)
            querysets["to_sign"] = mine.filter(tab_condition(Tab.TO_SIGN, now=now), unit_id__in=acting)
            for tab in (Tab.TO_PASS_DOWN, Tab.TO_CONFIRM, Tab.TO_DECIDE):
                querysets[tab.value] = mine.filter(tab_condition(tab, now=now, district_ids=district_ids))
                workbench.append(tab.value)
        else:
            querysets["to_sign"] = mine.filter(tab_condition(Tab.TO_SIGN, now=now))
    counts = count_each(**querysets)
    if "reviews" in keys:
        counts["reviews"] = counts.pop("returns") + counts.pop("extensions")
    for key in workbench:
        counts["to_sign"] += counts.pop(key)
    return counts


def review_requests(*, user: User, model: type[ReviewRequest], status: str | None = None) -> QuerySet[ReviewRequest]:
    """Return or extension requests the user decides, of any status, newest first, for the API
    lists: the hotline's dispatchers those of the units it dispatched to, a district's staff those
    of the units the district passed its tickets down to."""
    mine = Q(assignment__parent__unit_id__in=permissions.acting_unit_ids(user=user))
    if permissions.can_dispatch(user=user):
        mine |= Q(assignment__parent__isnull=True)
    requests = model.objects.filter(mine).select_related(
        "requested_by", "decided_by", "assignment__unit", "assignment__ticket", "assignment__parent"
    )
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-id")


def catalogue(
    *,
    on: date | None = None,
    include_history: bool = False,
    category: Category | None = None,
    district: Unit | None = None,
) -> QuerySet[RoutingRule]:
    """The dispatch catalogue: the rules in effect on a day (today), or every version. With a
    category, the rules that apply to it (its own and its ancestors') and those below it; with a
    district, the rules that apply there (the district's, its streets', the city-wide ones)."""
    rules = RoutingRule.objects.all() if include_history else rules_in_effect(on=on)
    if category is not None:
        rules = rules.filter(
            Q(category_id__in=[c.pk for c in category_chain(category)])
            | Q(category__parent=category)
            | Q(category__parent__parent=category)
        )
    if district is not None:
        rules = rules.filter(Q(district=district) | Q(district__isnull=True))
    return rules.select_related("category__parent__parent", "district", "street", "unit", "created_by").order_by(
        "category__code", "district__code", "street__code", "-valid_from", "id"
    )


class UnitDeadlines(TypedDict):
    """One unit's row in supervision."""

    unit_id: int
    unit__name: str
    unit__name_en: str
    unit_label: str
    overdue: int
    due_soon: int
    open: int


def supervision_counts(*, user: User) -> list[UnitDeadlines]:
    """Overdue and due-soon counts per unit in the user's scope, for leaders and district supervisors."""
    now = timezone.now()
    rows = (
        visible_assignments(user=user)
        .filter(ended_at__isnull=True, status__in=OPEN)
        .values("unit_id", "unit__name", "unit__name_en")
        .annotate(
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            due_soon=Count("pk", filter=Q(due_at__gte=now, due_at__lt=now + settings.HOTLINE_DUE_SOON)),
            open=Count("pk"),
        )
        .order_by("-overdue", "-due_soon", "unit__name")
    )
    return [
        UnitDeadlines(
            unit_id=row["unit_id"],
            unit__name=row["unit__name"],
            unit__name_en=row["unit__name_en"],
            unit_label=in_reader_language(name=row["unit__name"], name_en=row["unit__name_en"]),
            overdue=row["overdue"],
            due_soon=row["due_soon"],
            open=row["open"],
        )
        for row in rows
    ]


class Live(models.TextChoices):
    """The lists supervision drills into from a unit's counts."""

    OPEN = "open", gettext_lazy("Open")
    DUE_SOON = "due_soon", gettext_lazy("Due soon")
    OVERDUE = "overdue", gettext_lazy("Overdue")


def live_tickets(*, user: User, unit_id: int, show: str) -> QuerySet[Assignment]:
    """One unit's live assignments in the user's scope (all open ones, due soon or overdue), the
    soonest deadline first: what supervision lists behind a unit's counts (rows as `inbox`'s)."""
    now = timezone.now()
    condition = Q(ended_at__isnull=True, status__in=OPEN)
    if show != Live.OPEN:
        condition = tab_condition(show, now=now)
    return inbox(user=user, tab=Tab.ALL).filter(condition, unit_id=unit_id)


def ticket_handling(*, user: User, ticket_id: int) -> list[Assignment]:
    """Every assignment of a ticket the user may see, live and ended, with its unit and its pending
    return and extension requests (`pending_returns`, `pending_extensions`): the handling part of
    intake's ticket page, and the catalogue `override_reason` of the dispatch. Unit staff get only
    their units' assignments (a district's staff also those it passed down).

    Both levels in one list: the hotline's assignments in dispatch order, each district's followed
    by the ones it passed the ticket down to (`level`, `parent.unit` loaded)."""
    pending_returns = ReturnRequest.objects.filter(status=ReviewStatus.PENDING)
    pending_extensions = ExtensionRequest.objects.filter(status=ReviewStatus.PENDING)
    rows = list(
        visible_assignments(user=user)
        .filter(ticket_id=ticket_id)
        .annotate(override_reason=_override_reason())
        .select_related("unit", "whistled_by__unit", "parent__unit")
        .prefetch_related(
            Prefetch("return_requests", queryset=pending_returns, to_attr="pending_returns"),
            Prefetch("extension_requests", queryset=pending_extensions, to_attr="pending_extensions"),
        )
        .order_by("dispatched_at", "id")
    )
    below: dict[int, list[Assignment]] = {}
    for row in rows:
        if row.parent_id is not None:
            below.setdefault(row.parent_id, []).append(row)
    shown = {row.pk for row in rows}
    ordered: list[Assignment] = []
    # A unit below a district whose district's assignment the user may not see heads its own line.
    for row in rows:
        if row.parent_id is None or row.parent_id not in shown:
            ordered.extend([row, *below.get(row.pk, [])])
    return ordered


def feedback_templates() -> list[FeedbackTemplate]:
    """The reply SMS templates, one per outcome in the outcomes' order (missing ones left out)."""
    order = {outcome: index for index, outcome in enumerate(ReplyOutcome.values)}
    found = FeedbackTemplate.objects.select_related("updated_by")
    return sorted(found, key=lambda template: order.get(template.outcome, len(order)))
