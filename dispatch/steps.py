"""The steps a unit takes on its assignment (DESIGN.md §4, handling at the unit), declared as data.

What intake/lifecycle.py is for the ticket, this is one level down: per step, the ticket `Action`
it triggers, the assignment statuses it needs, who may take it and the further rules, as pure
predicates `(assignment, ticket, now) -> Refusal | None`. Three readers, so that they cannot
disagree:

- the services check a step under the row locks with `check_step`, which raises the refusal as
  the DomainError its clients have always received (same code, message and HTTP status);
- `dispatch.selectors.available_steps`: what the assignment page offers the user;
- the API's `allowed_steps` on an assignment.

The checks run in a fixed order: the ticket's status (the lifecycle), the assignment still open,
the unit's role (lead or assisting), the level (dispatched by the hotline or passed down by a
district), street or district only, the assignment's status, then the step's rules.
Whether the user may act on the assignment at all (`may_take`) comes before all of them and is a
404, as everywhere in dispatch: other units' tickets are not disclosed.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from dispatch import permissions
from dispatch.models import (
    STREET_KINDS,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ExtensionRequest,
    Level,
    ReviewStatus,
)
from hotline.errors import DomainError
from hotline.models import UnitKind, User
from intake.lifecycle import TRANSITIONS, Action, Status, refusal_message
from intake.models import Ticket


class StepName(StrEnum):
    SIGN = "sign"
    ASSIST_SIGN = "assist_sign"
    RECORD_CONTACT = "record_contact"
    ADD_PROGRESS = "add_progress"
    REQUEST_EXTENSION = "request_extension"
    REQUEST_RETURN = "request_return"
    WHISTLE = "whistle"
    ASSIST_REPLY = "assist_reply"
    REPLY = "reply"
    SUBDISPATCH = "subdispatch"
    SUB_SIGN = "sub_sign"
    SUB_REQUEST_RETURN = "sub_request_return"
    SUB_REPLY = "sub_reply"
    SUPERVISE = "supervise"
    URGE = "urge"
    REVEAL_PHONE = "reveal_phone"
    REVEAL_DESCRIPTION = "reveal_description"


class Party(StrEnum):
    """Who takes a step."""

    # The staff of the assignment's own unit (permissions.acting_unit_ids).
    UNIT_STAFF = "unit_staff"
    # The unit's leader, its district's supervisors, hotline supervisors (permissions.can_supervise),
    # and for an assignment passed down by a district, that district's staff.
    SUPERVISOR = "supervisor"
    # The deadline sweep (dispatch/sweeps.py): nobody takes it by hand.
    SYSTEM = "system"


@dataclass(frozen=True)
class Refusal:
    """Why a step is not possible: the DomainError a service raises for it."""

    code: str
    # Lazy: a list of assignments weighs every step of each, and needs only whether it is refused.
    message: str | Promise
    status: int = 409

    def error(self) -> DomainError:
        return DomainError(self.code, str(self.message), status=self.status)


Predicate = Callable[[Assignment, Ticket, datetime], Refusal | None]

ANY_STATUS = frozenset(AssignmentStatus)


@dataclass(frozen=True)
class Step:
    name: StepName
    action: Action | None  # the ticket transition it writes; None: a read, no event
    by: Party
    statuses: frozenset[AssignmentStatus]
    ticket_statuses: frozenset[Status]  # for a step with an action, the lifecycle's sources
    role: AssignmentRole | None = None  # None: the lead and assisting units alike
    level: Level | None = None  # None: at both levels of dispatch
    streets_only: bool = False
    districts_only: bool = False
    rules: tuple[Predicate, ...] = ()
    # The reads of personal data answer every unmet requirement (but their rules) with one
    # refusal: the unit learns only that it may not read it now.
    refused: Callable[[], Refusal] | None = None


def not_found() -> Refusal:
    return Refusal("not_found", _("Not found."), status=404)


_STATUS_REFUSALS = {
    frozenset({AssignmentStatus.DISPATCHED}): _("This assignment has already been signed."),
    frozenset({AssignmentStatus.SIGNED}): _("Sign the ticket first."),
}
_lazy_refusal_message = lazy(refusal_message, str)


@cache
def _transition_refusal(action: Action, status: str) -> Refusal:
    """One (lazy, translated when read) refusal per pair: a list weighs every step of each row."""
    return Refusal("invalid_transition", _lazy_refusal_message(action, status))


def _status_refusal(statuses: frozenset[AssignmentStatus]) -> Refusal:
    return Refusal("invalid_state", _STATUS_REFUSALS.get(statuses, _("This step is not possible now.")))


# The rules (pure: they read the rows given, and the assignment's extension requests, prefetched
# on lists and read under the assignment's lock in the services).


def _not_contacted_yet(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if assignment.first_contacted_at is not None:
        return Refusal("already_contacted", _("The first contact has already been recorded."))
    return None


def _contact_due(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    # A confidential caller is contacted through the hotline: no first-contact deadline was set.
    if assignment.first_contact_due_at is None:
        return Refusal("no_contact_due", _("The unit does not contact this caller: confidential or no caller."))
    return None


def _before_deadline(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if assignment.due_at is not None and now >= assignment.due_at:
        return Refusal("deadline_passed", _("An extension must be asked before the deadline."))
    return None


def _extensions_counted(assignment: Assignment) -> list[ExtensionRequest]:
    """The extension requests that count (a denied one does not)."""
    return [e for e in assignment.extension_requests.all() if e.status != ReviewStatus.REJECTED]


def _no_extension_pending(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if any(e.status == ReviewStatus.PENDING for e in _extensions_counted(assignment)):
        return Refusal("extension_pending", _("An extension request is already awaiting review."))
    return None


def _extension_left(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if len(_extensions_counted(assignment)) >= settings.HOTLINE_MAX_EXTENSIONS:
        return Refusal("extension_limit", _("No more extensions can be granted for this assignment."))
    return None


def passed_down_lead(assignment: Assignment) -> Assignment | None:
    """The live lead the district passed its assignment down to (sub_assignments prefetched on
    lists and pages). Only a district's assignment can have one: the others are not read."""
    if assignment.unit.kind != UnitKind.DISTRICT:
        return None
    return next((a for a in assignment.sub_assignments.all() if a.is_lead and a.ended_at is None), None)


def _not_passed_down(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if passed_down_lead(assignment) is not None:
        return Refusal("already_passed_down", _("The ticket is already with a unit of the district."))
    return None


def _sub_lead_replied(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    sub_lead = passed_down_lead(assignment)
    if sub_lead is not None and sub_lead.status != AssignmentStatus.REPLIED:
        return Refusal(
            "sub_reply_pending",
            _("The unit the district passed the ticket down to has not replied yet: wait for its reply."),
        )
    return None


def _not_confidential(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if ticket.confidential:
        return Refusal("confidential", _("The caller asked for confidentiality: ask the hotline."))
    return None


def _has_caller(assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    if ticket.caller_id is None:
        return Refusal("no_caller", _("This ticket has no caller: ask the hotline."))
    return None


def _unit_step(
    name: StepName,
    action: Action,
    statuses: Collection[AssignmentStatus],
    *,
    by: Party = Party.UNIT_STAFF,
    role: AssignmentRole | None = None,
    level: Level | None = None,
    streets_only: bool = False,
    districts_only: bool = False,
    rules: tuple[Predicate, ...] = (),
) -> Step:
    """A step that writes a ticket transition: the ticket's statuses are the lifecycle's."""
    return Step(
        name=name,
        action=action,
        by=by,
        statuses=frozenset(statuses),
        ticket_statuses=TRANSITIONS[action].sources,
        role=role,
        level=level,
        streets_only=streets_only,
        districts_only=districts_only,
        rules=rules,
    )


_DISPATCHED, _SIGNED = {AssignmentStatus.DISPATCHED}, {AssignmentStatus.SIGNED}
LEAD, ASSIST = AssignmentRole.LEAD, AssignmentRole.ASSIST
HOTLINE, DISTRICT = Level.HOTLINE, Level.DISTRICT

STEPS: dict[StepName, Step] = {
    step.name: step
    for step in [
        # The lead's signing puts the ticket in progress; assisting units sign once it is, and so does
        # the unit a district passes the ticket down to.
        _unit_step(StepName.SIGN, Action.SIGN, _DISPATCHED, role=LEAD, level=HOTLINE),
        _unit_step(StepName.SUB_SIGN, Action.SUB_SIGN, _DISPATCHED, role=LEAD, level=DISTRICT),
        _unit_step(StepName.ASSIST_SIGN, Action.ASSIST_SIGN, _DISPATCHED, role=ASSIST),
        _unit_step(
            StepName.RECORD_CONTACT,
            Action.RECORD_CONTACT,
            _SIGNED,
            role=LEAD,
            rules=(_not_contacted_yet, _contact_due),
        ),
        _unit_step(StepName.ADD_PROGRESS, Action.ADD_PROGRESS, _SIGNED),
        _unit_step(
            StepName.REQUEST_EXTENSION,
            Action.REQUEST_EXTENSION,
            _SIGNED,
            rules=(_before_deadline, _no_extension_pending, _extension_left),
        ),
        # "Not ours" is said before signing: to the hotline, or to the district that passed it down.
        _unit_step(StepName.REQUEST_RETURN, Action.REQUEST_RETURN, _DISPATCHED, role=LEAD, level=HOTLINE),
        _unit_step(StepName.SUB_REQUEST_RETURN, Action.SUB_REQUEST_RETURN, _DISPATCHED, role=LEAD, level=DISTRICT),
        # The services also refuse units already working on the ticket: that depends on the input.
        _unit_step(StepName.WHISTLE, Action.WHISTLE, _SIGNED, role=LEAD, streets_only=True),
        _unit_step(StepName.ASSIST_REPLY, Action.ASSIST_REPLY, _SIGNED, role=ASSIST),
        # The district's reply to the hotline waits for its unit's: the district confirms or edits it.
        _unit_step(StepName.REPLY, Action.REPLY, _SIGNED, role=LEAD, level=HOTLINE, rules=(_sub_lead_replied,)),
        _unit_step(StepName.SUB_REPLY, Action.SUB_REPLY, _SIGNED, role=LEAD, level=DISTRICT),
        # The district's sub-centre passes its signed ticket down to one unit inside the district.
        _unit_step(
            StepName.SUBDISPATCH,
            Action.SUBDISPATCH,
            _SIGNED,
            role=LEAD,
            level=HOTLINE,
            districts_only=True,
            rules=(_not_passed_down,),
        ),
        _unit_step(StepName.SUPERVISE, Action.SUPERVISE, ANY_STATUS, by=Party.SUPERVISOR),
        _unit_step(
            StepName.URGE,
            Action.URGE,
            {AssignmentStatus.DISPATCHED, AssignmentStatus.SIGNED},
            by=Party.SYSTEM,
        ),
        # While the lead handles the ticket: signed (a unit below a district signs after the ticket
        # is in progress).
        Step(
            name=StepName.REVEAL_PHONE,
            action=None,
            by=Party.UNIT_STAFF,
            statuses=frozenset(_SIGNED),
            ticket_statuses=frozenset({Status.IN_PROGRESS}),
            role=LEAD,
            rules=(_not_confidential, _has_caller),
            refused=lambda: Refusal(
                "not_in_progress", _("The number is shown only to the lead unit while it handles the ticket.")
            ),
        ),
        Step(
            name=StepName.REVEAL_DESCRIPTION,
            action=None,
            by=Party.UNIT_STAFF,
            statuses=ANY_STATUS,
            ticket_statuses=frozenset(Status),
            role=LEAD,
            rules=(_not_confidential, _has_caller),
            refused=lambda: Refusal(
                "not_lead", _("Only the lead unit reads the full description, while it handles the ticket.")
            ),
        ),
    ]
}


def may_take(by: Party, *, user: User, assignment: Assignment) -> bool:
    """Whether the user is of the party that takes steps on the assignment (else: 404). For a
    supervisor of an assignment passed down, reads `assignment.parent` (select it on lists)."""
    if by == Party.UNIT_STAFF:
        return assignment.unit_id in permissions.acting_unit_ids(user=user)
    if by == Party.SUPERVISOR:
        return permissions.can_supervise(user=user, unit_id=assignment.unit_id) or (
            assignment.parent is not None and assignment.parent.unit_id in permissions.acting_unit_ids(user=user)
        )
    return False


def _requirement_refusal(step: Step, assignment: Assignment, ticket: Ticket) -> Refusal | None:
    """The first unmet requirement of the step, but its rules."""
    if ticket.status not in step.ticket_statuses:
        refusal = _transition_refusal(step.action, ticket.status) if step.action else _status_refusal(ANY_STATUS)
    elif assignment.ended_at is not None:
        refusal = Refusal("assignment_ended", _("This assignment is no longer open."))
    elif step.role == LEAD and not assignment.is_lead:
        refusal = Refusal("lead_only", _("Only the lead unit can do this."))
    elif (step.role == ASSIST and assignment.is_lead) or step.level not in (None, assignment.level):
        refusal = Refusal("invalid_state", _("This step is not possible now."))
    elif step.streets_only and assignment.unit.kind not in STREET_KINDS:
        refusal = Refusal("streets_only", _("Only a street/township blows the whistle."))
    elif step.districts_only and assignment.unit.kind != UnitKind.DISTRICT:
        refusal = Refusal("districts_only", _("Only a district's sub-centre passes a ticket down."))
    elif assignment.status not in step.statuses:
        refusal = _status_refusal(step.statuses)
    else:
        return None
    return step.refused() if step.refused else refusal


def refusal_of(step: Step, *, assignment: Assignment, ticket: Ticket, now: datetime) -> Refusal | None:
    """Why the step is not possible on the assignment now, or None when it is."""
    refusal = _requirement_refusal(step, assignment, ticket)
    if refusal is None:
        refusal = next((found for rule in step.rules if (found := rule(assignment, ticket, now))), None)
    return refusal


def check_step(step: Step, *, assignment: Assignment, ticket: Ticket, now: datetime) -> None:
    """Raise the step's refusal as a DomainError; for the services, under the row locks."""
    if (refusal := refusal_of(step, assignment=assignment, ticket=ticket, now=now)) is not None:
        raise refusal.error()


def verdict(step: Step, *, user: User, assignment: Assignment, now: datetime) -> Refusal | None:
    """The step for this user on this assignment: who may take it, then `refusal_of`."""
    if not may_take(step.by, user=user, assignment=assignment):
        return not_found()
    return refusal_of(step, assignment=assignment, ticket=assignment.ticket, now=now)
