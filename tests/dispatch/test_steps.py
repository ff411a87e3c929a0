"""The table of a unit's steps (dispatch/steps.py), as test_lifecycle.py tests the ticket's: for
every assignment situation (role × assignment status × ticket status, and the rules' cases) and
every kind of user, at both levels of dispatch (the hotline's, and below a district that passed
the ticket down), the steps the table allows are the ones written out below; the real services
accept exactly those and refuse the others with the table's code; the page and the API offer
exactly those."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dispatch import selectors, services
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ExtensionRequest, ReviewStatus
from dispatch.steps import STEPS, Party, StepName, verdict
from dispatch.views import PANEL_SECTIONS
from hotline.errors import DomainError
from hotline.models import Role, User
from intake.lifecycle import OPEN_AT_UNIT, TRANSITIONS, Action, Status
from intake.models import Ticket
from tests.factories import TicketFactory, assign_many

pytestmark = pytest.mark.django_db

LEAD, ASSIST = AssignmentRole.LEAD, AssignmentRole.ASSIST
A = AssignmentStatus
S = StepName


@dataclass(frozen=True)
class Situation:
    role: AssignmentRole
    status: AssignmentStatus
    ticket_status: Status
    ended: bool = False
    unit: str = "street_a"  # an attribute of the `org` fixture
    ticket: dict = field(default_factory=dict)
    contact: str = ""  # "due": first contact due; "done": already made
    late: bool = False  # the handling deadline has passed
    extension: ReviewStatus | None = None  # an earlier extension request
    parent: bool = False  # passed down by the district (org.district's signed assignment above)
    # For a district's own assignment: the status of the live lead it passed the ticket down to.
    passed_down: AssignmentStatus | None = None
    # What the unit's staff may do; its supervisors may supervise when `supervised`.
    allowed: frozenset[StepName] = frozenset()


HANDLING = frozenset(
    {S.RECORD_CONTACT, S.ADD_PROGRESS, S.REQUEST_EXTENSION, S.WHISTLE, S.REPLY, S.REVEAL_PHONE, S.REVEAL_DESCRIPTION}
)
LEAD_HANDLING = {"role": LEAD, "status": A.SIGNED, "ticket_status": Status.IN_PROGRESS, "contact": "due"}

SITUATIONS: dict[str, Situation] = {
    "lead to sign": Situation(
        LEAD, A.DISPATCHED, Status.DISPATCHED, allowed=frozenset({S.SIGN, S.REQUEST_RETURN, S.REVEAL_DESCRIPTION})
    ),
    "lead, return under review": Situation(
        LEAD, A.DISPATCHED, Status.RETURN_REQUESTED, allowed=frozenset({S.REVEAL_DESCRIPTION})
    ),
    "lead handling": Situation(**LEAD_HANDLING, allowed=HANDLING),
    "lead handling, caller contacted": Situation(
        **{**LEAD_HANDLING, "contact": "done"}, allowed=HANDLING - {S.RECORD_CONTACT}
    ),
    "lead handling, confidential caller": Situation(
        **{**LEAD_HANDLING, "contact": ""},
        ticket={"confidential": True},
        allowed=frozenset({S.ADD_PROGRESS, S.REQUEST_EXTENSION, S.WHISTLE, S.REPLY}),
    ),
    "lead handling, no caller": Situation(
        **{**LEAD_HANDLING, "contact": ""},
        ticket={"caller": None},
        allowed=frozenset({S.ADD_PROGRESS, S.REQUEST_EXTENSION, S.WHISTLE, S.REPLY}),
    ),
    "lead handling, deadline passed": Situation(**LEAD_HANDLING, late=True, allowed=HANDLING - {S.REQUEST_EXTENSION}),
    "lead handling, extension pending": Situation(
        **LEAD_HANDLING, extension=ReviewStatus.PENDING, allowed=HANDLING - {S.REQUEST_EXTENSION}
    ),
    "lead handling, extension granted": Situation(
        **LEAD_HANDLING, extension=ReviewStatus.APPROVED, allowed=HANDLING - {S.REQUEST_EXTENSION}
    ),
    "lead handling, extension denied": Situation(**LEAD_HANDLING, extension=ReviewStatus.REJECTED, allowed=HANDLING),
    "department lead handling": Situation(**LEAD_HANDLING, unit="department", allowed=HANDLING - {S.WHISTLE}),
    "lead replied": Situation(LEAD, A.REPLIED, Status.AWAITING_CALLBACK, allowed=frozenset({S.REVEAL_DESCRIPTION})),
    "lead replied, ticket closed": Situation(LEAD, A.REPLIED, Status.CLOSED, ended=True),
    "lead returned": Situation(LEAD, A.RETURNED, Status.AWAITING_DISPATCH, ended=True),
    "lead ended without reply": Situation(LEAD, A.ENDED, Status.CLOSED, ended=True),
    "assisting, lead not signed yet": Situation(ASSIST, A.DISPATCHED, Status.DISPATCHED),
    "assisting to sign": Situation(ASSIST, A.DISPATCHED, Status.IN_PROGRESS, allowed=frozenset({S.ASSIST_SIGN})),
    "assisting handling": Situation(
        ASSIST,
        A.SIGNED,
        Status.IN_PROGRESS,
        allowed=frozenset({S.ADD_PROGRESS, S.REQUEST_EXTENSION, S.ASSIST_REPLY}),
    ),
    "assisting replied": Situation(ASSIST, A.REPLIED, Status.IN_PROGRESS),
    "assisting ended": Situation(ASSIST, A.ENDED, Status.AWAITING_CALLBACK, ended=True),
    # The district's sub-centre and the units it passes tickets down to
    "district handling": Situation(
        **LEAD_HANDLING, unit="district", allowed=(HANDLING - {S.WHISTLE}) | {S.SUBDISPATCH}
    ),
    "district passed down, its unit handling": Situation(
        **LEAD_HANDLING, unit="district", passed_down=A.SIGNED, allowed=HANDLING - {S.WHISTLE, S.REPLY}
    ),
    "district passed down, its unit replied": Situation(
        **LEAD_HANDLING, unit="district", passed_down=A.REPLIED, allowed=HANDLING - {S.WHISTLE}
    ),
    "below the district, to sign": Situation(
        LEAD,
        A.DISPATCHED,
        Status.IN_PROGRESS,
        parent=True,
        allowed=frozenset({S.SUB_SIGN, S.SUB_REQUEST_RETURN, S.REVEAL_DESCRIPTION}),
    ),
    "below the district, handling": Situation(
        **LEAD_HANDLING, parent=True, allowed=(HANDLING - {S.REPLY}) | {S.SUB_REPLY}
    ),
    "below the district, deadline passed": Situation(
        **LEAD_HANDLING, parent=True, late=True, allowed=HANDLING - {S.REPLY, S.REQUEST_EXTENSION} | {S.SUB_REPLY}
    ),
    "below the district, replied": Situation(
        LEAD, A.REPLIED, Status.IN_PROGRESS, parent=True, allowed=frozenset({S.REVEAL_DESCRIPTION})
    ),
    "below the district, returned": Situation(LEAD, A.RETURNED, Status.IN_PROGRESS, parent=True, ended=True),
    "below the district, assisting handling": Situation(
        ASSIST,
        A.SIGNED,
        Status.IN_PROGRESS,
        parent=True,
        allowed=frozenset({S.ADD_PROGRESS, S.REQUEST_EXTENSION, S.ASSIST_REPLY}),
    ),
}

USERS = [
    "unit officer",
    "unit leader",
    "other unit's officer",
    "district supervisor",
    "district sub-centre dispatcher",
    "hotline supervisor",
    "dispatcher",
]


def _supervised(situation: Situation) -> bool:
    """Supervision presses a unit still working on a ticket that is at the units."""
    return not situation.ended and situation.ticket_status in OPEN_AT_UNIT


def _expected(situation: Situation, user: str) -> set[StepName]:
    supervise = {S.SUPERVISE} if _supervised(situation) else set()
    in_district = situation.unit in ("street_a", "district")
    # The sub-centre dispatcher is the district's staff: it acts on the district's own assignment
    # and supervises the units the district passed tickets down to.
    if situation.unit == "district":
        dispatcher_of_district = set(situation.allowed)
    else:
        dispatcher_of_district = supervise if situation.parent else set()
    return {
        "unit officer": set(situation.allowed),
        "unit leader": set(situation.allowed) | supervise,
        "other unit's officer": set(),
        "district supervisor": supervise if in_district else set(),
        "district sub-centre dispatcher": dispatcher_of_district,
        "hotline supervisor": supervise,
        "dispatcher": set(),
    }[user]


def _make(situation: Situation, org, staff) -> Assignment:
    now = timezone.now()
    ticket_fields = {"street": org.street_a, "category": org.street_matter, **situation.ticket}
    if situation.ticket_status == Status.CLOSED:
        ticket_fields["closed_at"] = now
    ticket = TicketFactory(filled_in=True, status=situation.ticket_status, **ticket_fields)
    signed = situation.status in (A.SIGNED, A.REPLIED)
    replied = situation.status == A.REPLIED
    district = None
    if situation.parent:
        district = Assignment.objects.create(
            ticket=ticket,
            unit=org.district,
            role=LEAD,
            status=A.SIGNED,
            dispatched_at=now - timedelta(hours=4),
            sign_due_at=now - timedelta(hours=3),
            signed_at=now - timedelta(hours=3),
            due_at=now + timedelta(days=6),
        )
    assignment = Assignment.objects.create(
        ticket=ticket,
        parent=district,
        unit=getattr(org, situation.unit),
        role=situation.role,
        status=situation.status,
        dispatched_at=now - timedelta(hours=3),
        sign_due_at=now - timedelta(hours=2),
        signed_at=now - timedelta(hours=2) if signed else None,
        first_contact_due_at=now + timedelta(hours=1) if situation.contact else None,
        first_contacted_at=now - timedelta(hours=1) if situation.contact == "done" else None,
        due_at=now - timedelta(minutes=1) if situation.late else now + timedelta(days=5),
        ended_at=now if situation.ended else None,
        returned=situation.status == A.RETURNED,
        replied_at=now - timedelta(minutes=30) if replied else None,
        reply="已办结" if replied else "",
        outcome="resolved" if replied else "",
    )
    if situation.passed_down:
        unit_replied = situation.passed_down == A.REPLIED
        Assignment.objects.create(
            ticket=ticket,
            parent=assignment,
            unit=org.street_b,
            role=LEAD,
            status=situation.passed_down,
            dispatched_at=now - timedelta(hours=2),
            sign_due_at=now - timedelta(hours=1),
            signed_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=4),
            replied_at=now - timedelta(minutes=5) if unit_replied else None,
            reply="已办结" if unit_replied else "",
            outcome="resolved" if unit_replied else "",
        )
    if situation.extension:
        ExtensionRequest.objects.create(
            assignment=assignment,
            extra_days=2,
            reason="需要协调",
            requested_by=staff.officer_a,
            previous_due_at=assignment.due_at,
            status=situation.extension,
            decided_at=None if situation.extension == ReviewStatus.PENDING else now,
        )
    return assignment


def _user(name: str, situation: Situation, org, staff, make_user) -> User:
    unit = getattr(org, situation.unit)
    if name == "unit officer":
        return make_user(Role.UNIT_OFFICER, unit)
    if name == "unit leader":
        return make_user(Role.UNIT_LEADER, unit)
    if name == "district sub-centre dispatcher":
        return make_user(Role.DISTRICT_DISPATCHER, org.district)
    return {
        "other unit's officer": staff.officer_b,
        "district supervisor": staff.district_supervisor,
        "hotline supervisor": staff.hotline_supervisor,
        "dispatcher": staff.dispatcher,
    }[name]


def _fresh(assignment: Assignment) -> Assignment:
    return Assignment.objects.select_related("unit", "ticket", "parent").get(pk=assignment.pk)


# The table itself


def test_every_step_that_writes_is_a_ticket_transition_from_the_lifecycles_states():
    for step in STEPS.values():
        if step.action is not None:
            assert step.ticket_statuses == TRANSITIONS[step.action].sources, step.name
    assert set(STEPS) == set(StepName)
    writing = [step.action for step in STEPS.values() if step.action is not None]
    assert len(writing) == len(set(writing))


def test_only_the_sweep_urges_and_only_supervisors_supervise():
    assert {name for name, step in STEPS.items() if step.by == Party.SYSTEM} == {S.URGE}
    assert {name for name, step in STEPS.items() if step.by == Party.SUPERVISOR} == {S.SUPERVISE}
    assert STEPS[S.URGE].action == Action.URGE


def test_the_situations_cover_every_assignment_status_for_both_roles():
    covered = {(s.role, s.status) for s in SITUATIONS.values()}
    # (only a lead returns a ticket: an assisting unit is never "returned")
    every = {(role, status) for role in AssignmentRole for status in AssignmentStatus}
    assert covered == every - {(ASSIST, A.RETURNED)}
    assert {s.status for s in SITUATIONS.values() if s.parent} >= {A.DISPATCHED, A.SIGNED, A.REPLIED, A.RETURNED}
    assert set().union(*(s.allowed for s in SITUATIONS.values())) == set(StepName) - {S.SUPERVISE, S.URGE}


@pytest.mark.parametrize("user_name", USERS)
@pytest.mark.parametrize("situation_name", SITUATIONS)
def test_the_table_allows_exactly_the_steps_written_out(situation_name, user_name, org, staff, make_user):
    # Given an assignment in the situation and a user
    situation = SITUATIONS[situation_name]
    assignment = _fresh(_make(situation, org, staff))
    user = _user(user_name, situation, org, staff, make_user)
    now = timezone.now()
    # Then each step's verdict is "allowed" exactly for the expected steps, and a refusal otherwise
    verdicts = {name: verdict(step, user=user, assignment=assignment, now=now) for name, step in STEPS.items()}
    assert {name for name, refusal in verdicts.items() if refusal is None} == _expected(situation, user_name)
    assert all(refusal is None or refusal.status in (404, 409) for refusal in verdicts.values())
    # And the selector offers the same, in the table's order
    assert selectors.available_steps(user=user, assignment=assignment, now=now) == [
        name for name in STEPS if verdicts[name] is None
    ]


# The services agree with the table


SERVICES: dict[
    str, tuple[Callable[..., object], StepName, StepName] | tuple[Callable[..., object], StepName, StepName, StepName]
] = {
    # service: (call, its step for a lead, for an assisting unit[, for a lead below a district])
    "sign": (lambda org, **kw: services.sign(**kw), S.SIGN, S.ASSIST_SIGN, S.SUB_SIGN),
    "record_first_contact": (
        lambda org, **kw: services.record_first_contact(note="已联系", **kw),
        S.RECORD_CONTACT,
        S.RECORD_CONTACT,
    ),
    "add_progress": (lambda org, **kw: services.add_progress(text="已到现场", **kw), S.ADD_PROGRESS, S.ADD_PROGRESS),
    "request_extension": (
        lambda org, **kw: services.request_extension(extra_days=2, reason="需要协调", **kw),
        S.REQUEST_EXTENSION,
        S.REQUEST_EXTENSION,
    ),
    "request_return": (
        lambda org, **kw: services.request_return(reason="not_responsible", legal_basis="职责清单", **kw),
        S.REQUEST_RETURN,
        S.REQUEST_RETURN,
        S.SUB_REQUEST_RETURN,
    ),
    "whistle": (
        lambda org, **kw: services.whistle(unit_ids=[org.other_department.pk], **kw),
        S.WHISTLE,
        S.WHISTLE,
    ),
    "reply": (
        lambda org, **kw: services.reply(text="已办结", outcome="resolved", **kw),
        S.REPLY,
        S.ASSIST_REPLY,
        S.SUB_REPLY,
    ),
    "subdispatch": (
        lambda org, **kw: services.subdispatch(lead_unit_id=org.other_department.pk, **kw),
        S.SUBDISPATCH,
        S.SUBDISPATCH,
    ),
    "supervise": (lambda org, **kw: services.supervise(comment="请尽快办理", **kw), S.SUPERVISE, S.SUPERVISE),
    "reveal_caller_phone": (lambda org, **kw: services.reveal_caller_phone(**kw), S.REVEAL_PHONE, S.REVEAL_PHONE),
    "reveal_description": (
        lambda org, **kw: services.reveal_description(**kw),
        S.REVEAL_DESCRIPTION,
        S.REVEAL_DESCRIPTION,
    ),
}


@pytest.mark.parametrize("user_name", ["unit leader", "district supervisor", "district sub-centre dispatcher"])
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("situation_name", SITUATIONS)
def test_the_services_accept_exactly_what_the_table_and_the_page_allow(
    situation_name, service, user_name, org, staff, make_user
):
    # Given an assignment in the situation, a user, and what the table says of the service's step
    situation = SITUATIONS[situation_name]
    assignment = _fresh(_make(situation, org, staff))
    user = _user(user_name, situation, org, staff, make_user)
    call, lead_step, assist_step, *below = SERVICES[service]
    step = assist_step
    if assignment.is_lead:
        step = below[0] if below and assignment.parent_id else lead_step
    expected = verdict(STEPS[step], user=user, assignment=assignment, now=timezone.now())
    offered = step in selectors.available_steps(user=user, assignment=assignment)
    # When the user calls the service
    try:
        call(org, assignment_id=assignment.pk, actor=user)
    except DomainError as error:
        refused = (error.code, error.status)
    else:
        refused = None
    # Then it is accepted exactly when the table allows the step (and the page offers it), and
    # refused with the table's code and status otherwise
    assert refused == (None if expected is None else (expected.code, expected.status))
    assert offered == (expected is None)


# The API and the page offer the same


@pytest.mark.parametrize("user_name", ["unit leader", "district supervisor"])
@pytest.mark.parametrize("situation_name", SITUATIONS)
def test_allowed_steps_and_the_page_offer_what_the_table_allows(
    situation_name, user_name, org, staff, make_user, api_as
):
    situation = SITUATIONS[situation_name]
    assignment = _make(situation, org, staff)
    user = _user(user_name, situation, org, staff, make_user)
    expected = [name for name in STEPS if name in _expected(situation, user_name)]
    visible = selectors.visible_assignments(user=user).filter(pk=assignment.pk).exists()
    # The API's detail and list of the assignment
    detail = api_as(user).get(f"/api/v1/assignments/{assignment.pk}/")
    assert detail.status_code == (200 if visible else 404)
    if visible:
        assert detail.json()["allowed_steps"] == expected
        listed = api_as(user).get("/api/v1/assignments/", {"tab": "all"}).json()["results"]
        assert [item["allowed_steps"] for item in listed if item["id"] == assignment.pk] == [expected]
    # The page's action panel: a section shows when the table allows one of its steps
    if visible:
        client = Client()
        client.force_login(user)
        panel = client.get(f"/workbench/{assignment.pk}/").context["panel"]
        for section, offered in PANEL_SECTIONS.items():
            # (the full description is offered only when some of it is hidden from the unit; a
            # district whose unit replied confirms that reply instead of writing its own)
            shown = panel[section] or (section == "reply" and panel["confirm"])
            if section != "description":
                assert shown == bool(offered & set(expected)), section
        assert not panel["description"] or S.REVEAL_DESCRIPTION in expected


def test_allowed_steps_on_the_inbox_list_add_no_query_per_row(org, staff, api_as, django_assert_max_num_queries):
    # Given 100 tickets without a caller street A handles, each with a denied extension request
    # (read by the rules)
    assignments = assign_many(org.street_a, 100)
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        status=AssignmentStatus.SIGNED, signed_at=timezone.now()
    )
    Ticket.objects.filter(assignments__in=assignments).update(status=Status.IN_PROGRESS)
    ExtensionRequest.objects.bulk_create(
        ExtensionRequest(
            assignment=a,
            extra_days=1,
            reason="x",
            requested_by=staff.officer_a,
            previous_due_at=a.due_at,
            status=ReviewStatus.REJECTED,
            decided_at=timezone.now(),
        )
        for a in assignments
    )
    # When its leader lists them (unit staff and supervisor: every rule is read)
    with django_assert_max_num_queries(8):
        response = api_as(staff.leader_a).get("/api/v1/assignments/", {"tab": "in_progress", "page_size": 100})
    # Then every row carries its steps, in a bounded number of queries
    rows = response.json()["results"]
    assert len(rows) == 100
    assert {tuple(row["allowed_steps"]) for row in rows} == {
        (S.ADD_PROGRESS, S.REQUEST_EXTENSION, S.WHISTLE, S.REPLY, S.SUPERVISE)
    }
    # And the district supervisor's list (whose supervised units are read once) is bounded too
    with django_assert_max_num_queries(8):
        response = api_as(staff.district_supervisor).get(
            "/api/v1/assignments/", {"tab": "in_progress", "page_size": 100}
        )
    assert {tuple(row["allowed_steps"]) for row in response.json()["results"]} == {(S.SUPERVISE,)}
