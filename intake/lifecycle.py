"""The ticket state machine (DESIGN.md §4), declared as data.

Every state change goes through `intake.services.transition`, which looks the action up
here. An action whose target is None keeps the status (events such as progress notes,
extension requests or supervision are still transitions: they are checked and logged).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    AWAITING_DISPATCH = "awaiting_dispatch", _("Awaiting dispatch")
    DISPATCHED = "dispatched", _("Dispatched, awaiting sign")
    RETURN_REQUESTED = "return_requested", _("Return under review")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CALLBACK = "awaiting_callback", _("Awaiting callback")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged")


class Action(models.TextChoices):
    CREATE = "create", _("Received")
    ANSWER_DIRECTLY = "answer_directly", _("Answered directly")
    CLOSE_AT_INTAKE = "close_at_intake", _("Closed at intake")
    QUEUE_FOR_DISPATCH = "queue_for_dispatch", _("Queued for dispatch")
    MERGE = "merge", _("Merged into another ticket")
    ADD_CONTACT = "add_contact", _("Repeat contact merged in")
    DISPATCH = "dispatch", _("Dispatched")
    REQUEST_RETURN = "request_return", _("Return requested")
    APPROVE_RETURN = "approve_return", _("Return approved")
    REJECT_RETURN = "reject_return", _("Return rejected")
    SIGN = "sign", _("Signed")
    RECORD_CONTACT = "record_contact", _("Caller contacted")
    ADD_PROGRESS = "add_progress", _("Progress note")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    APPROVE_EXTENSION = "approve_extension", _("Extension approved")
    DENY_EXTENSION = "deny_extension", _("Extension denied")
    WHISTLE = "whistle", _("Departments summoned (whistle)")
    ASSIST_SIGN = "assist_sign", _("Assisting unit signed")
    ASSIST_REPLY = "assist_reply", _("Assisting unit replied")
    REPLY = "reply", _("Replied")
    SUBDISPATCH = "subdispatch", _("Passed down by the district")
    SUB_SIGN = "sub_sign", _("Signed for the district")
    SUB_REQUEST_RETURN = "sub_request_return", _("Return to the district requested")
    SUB_APPROVE_RETURN = "sub_approve_return", _("Return approved by the district")
    SUB_REJECT_RETURN = "sub_reject_return", _("Return rejected by the district")
    SUB_REPLY = "sub_reply", _("Replied to the district")
    URGE = "urge", _("Urged")
    SUPERVISE = "supervise", _("Supervised")
    MARK_LATE_SIGN = "mark_late_sign", _("Not signed in time")
    MARK_OVERDUE = "mark_overdue", _("Overdue, escalated")
    MARK_LATE_CONTACT = "mark_late_contact", _("Caller not contacted in time")
    CALLBACK_ATTEMPT = "callback_attempt", _("Callback attempt")
    GIVE_UP_CALLBACK = "give_up_callback", _("Callback given up: not reached in time")
    CLOSE = "close", _("Closed after callback")
    REOPEN = "reopen", _("Reopened")
    REQUEST_EXCLUSION = "request_exclusion", _("Exclusion or appeal requested")
    DECIDE_EXCLUSION = "decide_exclusion", _("Exclusion or appeal decided")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status | None  # None: the status stays as it is


OPEN_AT_UNIT = frozenset({Status.DISPATCHED, Status.RETURN_REQUESTED, Status.IN_PROGRESS})
# The unit's clock stops while a return is under review (DESIGN.md §5): no reminder, late-sign or
# overdue mark then; a rejected return moves the deadlines by the time the review took.
CLOCK_RUNNING = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})
# Everything after intake on which the rates may be appealed.
EVALUABLE = frozenset({*OPEN_AT_UNIT, Status.AWAITING_CALLBACK, Status.CLOSED})
CLOSED_STATES = frozenset({Status.CLOSED, Status.MERGED})


def _t(sources: set[Status] | frozenset[Status], target: Status | None) -> Transition:
    return Transition(frozenset(sources), target)


TRANSITIONS: dict[Action, Transition] = {
    # Intake
    Action.ANSWER_DIRECTLY: _t({Status.RECEIVED}, Status.CLOSED),
    Action.CLOSE_AT_INTAKE: _t({Status.RECEIVED}, Status.CLOSED),
    Action.QUEUE_FOR_DISPATCH: _t({Status.RECEIVED}, Status.AWAITING_DISPATCH),
    Action.MERGE: _t({Status.RECEIVED, Status.AWAITING_DISPATCH}, Status.MERGED),
    Action.ADD_CONTACT: _t({Status.AWAITING_DISPATCH, *OPEN_AT_UNIT, Status.AWAITING_CALLBACK}, None),
    # Dispatch and returns
    Action.DISPATCH: _t({Status.AWAITING_DISPATCH}, Status.DISPATCHED),
    Action.REQUEST_RETURN: _t({Status.DISPATCHED}, Status.RETURN_REQUESTED),
    Action.APPROVE_RETURN: _t({Status.RETURN_REQUESTED}, Status.AWAITING_DISPATCH),
    Action.REJECT_RETURN: _t({Status.RETURN_REQUESTED}, Status.DISPATCHED),
    # Handling at the unit
    Action.SIGN: _t({Status.DISPATCHED}, Status.IN_PROGRESS),
    Action.RECORD_CONTACT: _t({Status.IN_PROGRESS}, None),
    Action.ADD_PROGRESS: _t({Status.IN_PROGRESS}, None),
    Action.REQUEST_EXTENSION: _t({Status.IN_PROGRESS}, None),
    Action.APPROVE_EXTENSION: _t({Status.IN_PROGRESS}, None),
    Action.DENY_EXTENSION: _t({Status.IN_PROGRESS}, None),
    Action.WHISTLE: _t({Status.IN_PROGRESS}, None),
    Action.ASSIST_SIGN: _t({Status.IN_PROGRESS}, None),
    Action.ASSIST_REPLY: _t({Status.IN_PROGRESS}, None),
    Action.REPLY: _t({Status.IN_PROGRESS}, Status.AWAITING_CALLBACK),
    # The district's sub-centre passes its signed ticket down a level (DESIGN.md §6): the ticket
    # stays in progress with the district, which answers for it until it confirms the reply.
    Action.SUBDISPATCH: _t({Status.IN_PROGRESS}, None),
    Action.SUB_SIGN: _t({Status.IN_PROGRESS}, None),
    Action.SUB_REQUEST_RETURN: _t({Status.IN_PROGRESS}, None),
    Action.SUB_APPROVE_RETURN: _t({Status.IN_PROGRESS}, None),
    Action.SUB_REJECT_RETURN: _t({Status.IN_PROGRESS}, None),
    Action.SUB_REPLY: _t({Status.IN_PROGRESS}, None),
    # Supervision overlay: the status stays, the event and its notification are the point.
    Action.URGE: _t(CLOCK_RUNNING, None),
    Action.SUPERVISE: _t(OPEN_AT_UNIT, None),
    # Assisting units are dispatched while the ticket is in progress: they can sign late too.
    Action.MARK_LATE_SIGN: _t(CLOCK_RUNNING, None),
    Action.MARK_OVERDUE: _t(CLOCK_RUNNING, None),
    # The first contact is due after the sign, so only while the ticket is in progress.
    Action.MARK_LATE_CONTACT: _t({Status.IN_PROGRESS}, None),
    # Callback and closure
    # Also on tickets still at the unit: overdue without a reply, the caller is asked anyway.
    Action.CALLBACK_ATTEMPT: _t({*OPEN_AT_UNIT, Status.AWAITING_CALLBACK, Status.CLOSED}, None),
    # The system ends a callback nobody reached within its window and the grace period after it.
    Action.GIVE_UP_CALLBACK: _t({*OPEN_AT_UNIT, Status.AWAITING_CALLBACK, Status.CLOSED}, None),
    Action.CLOSE: _t({Status.AWAITING_CALLBACK}, Status.CLOSED),
    Action.REOPEN: _t({Status.AWAITING_CALLBACK}, Status.IN_PROGRESS),
    # Exclusions and appeals: reviewed beside the lifecycle
    Action.REQUEST_EXCLUSION: _t(EVALUABLE, None),
    Action.DECIDE_EXCLUSION: _t(EVALUABLE, None),
}


def allowed_actions(status: Status | str) -> list[Action]:
    return [action for action, transition in TRANSITIONS.items() if status in transition.sources]


def target_of(action: Action, status: Status | str) -> Status:
    transition = TRANSITIONS[action]
    return transition.target or Status(status)


def refusal_message(action: Action, status: Status | str) -> str:
    """Why `action` is refused on a ticket in `status`: the message of the "invalid_transition" error."""
    return gettext("“%(action)s” is not possible while the ticket is “%(status)s”.") % {
        "action": Action(action).label,
        "status": Status(status).label,
    }
