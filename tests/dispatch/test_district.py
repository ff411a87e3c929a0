"""District sub-centres (区分中心): a district passes the ticket the hotline dispatched to it down to a
unit inside the district, answers for it until it confirms the unit's reply, decides the unit's
returns and extensions (or passes them up), and both are rated: the district on the tickets
dispatched to it, the unit on everything it handled."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch import services, sweeps
from dispatch.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ExtensionRequest,
    Level,
    ReturnRequest,
    ReviewStatus,
)
from evaluation import callbacks as callback_services
from evaluation.models import Callback
from hotline.errors import DomainError
from hotline.models import Notification, NotificationKind, Role, UnitKind, User
from intake.lifecycle import Action, Status
from intake.models import Ticket, TicketEvent
from tests.conftest import run_at_once
from tests.factories import DistrictFactory, StreetFactory, UnitFactory

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sub_centre(org, make_user) -> User:
    """The district's sub-centre dispatcher (区分中心派单员)."""
    return make_user(Role.DISTRICT_DISPATCHER, org.district, username="fengtai_dispatch")


@pytest.fixture
def at_district(org, staff, sub_centre, dispatched):
    """at_district(**ticket_fields): the district's signed lead assignment of a ticket the hotline
    dispatched to the district."""

    def make(**fields) -> Assignment:
        lead = dispatched(org.district, **fields)
        return services.sign(assignment_id=lead.pk, actor=sub_centre)

    return make


def actions(ticket_id: int) -> list[str]:
    return list(TicketEvent.objects.filter(ticket_id=ticket_id).order_by("id").values_list("action", flat=True))


# The whole way through the API


def test_hotline_to_district_to_street_and_back_rates_both_units(org, staff, sub_centre, make_user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    agent, callback_agent = make_user(Role.AGENT, org.hotline), make_user(Role.CALLBACK_AGENT, org.hotline)
    # Given a call taken in through the API, and a second one the hotline sends to the street itself
    taken = [
        api(agent).post(
            "/api/v1/tickets/",
            {
                "channel": "phone",
                "kind": "complaint",
                "category": org.street_matter.pk,
                "description": f"新村街道{n}号院旁工地夜间施工，噪音扰民。",
                "phone": f"1380013800{n}",
                "caller_name": "张三",
                "street": org.street_a.pk,
            },
            format="json",
        )
        for n in (1, 2)
    ]
    assert [r.status_code for r in taken] == [201, 201], [r.json() for r in taken]
    ticket_id, direct_id = (r.json()["id"] for r in taken)
    # When the hotline dispatches the first to the district
    response = api(staff.dispatcher).post(
        f"/api/v1/dispatch-queue/{ticket_id}/dispatch/", {"lead_unit": org.district.pk}, format="json"
    )
    assert response.status_code in (200, 201), response.json()
    district_id = Assignment.objects.get(ticket_id=ticket_id, unit=org.district).pk
    # and the district's sub-centre signs it and passes it down to street A
    sub_centre_api = api(sub_centre)
    assert sub_centre_api.post(f"/api/v1/assignments/{district_id}/sign/").status_code == 200
    response = sub_centre_api.post(
        f"/api/v1/assignments/{district_id}/subdispatch/",
        {"lead": org.street_a.pk, "assisting": [org.other_department.pk], "note": "请新村街道牵头办理"},
        format="json",
    )
    # Then the answer is the new assignments, the lead's first, one level below the district's
    assert response.status_code == 201, response.json()
    created = response.json()
    assert [(a["unit"]["id"], a["role"], a["level"], a["parent"]) for a in created] == [
        (org.street_a.pk, AssignmentRole.LEAD, Level.DISTRICT, district_id),
        (org.other_department.pk, AssignmentRole.ASSIST, Level.DISTRICT, district_id),
    ]
    district_due = Assignment.objects.get(pk=district_id).due_at
    assert [a.due_at for a in Assignment.objects.filter(parent_id=district_id)] == [district_due] * 2
    street_id = created[0]["id"]
    # When the street signs, contacts the caller and replies to the district
    street_api = api(staff.officer_a)
    assert street_api.get(f"/api/v1/assignments/{street_id}/").json()["allowed_steps"][:1] == ["sub_sign"]
    assert street_api.post(f"/api/v1/assignments/{street_id}/sign/").status_code == 200
    assert street_api.post(f"/api/v1/assignments/{street_id}/first-contact/", {"note": "已电话联系"}).status_code == 200
    response = street_api.post(
        f"/api/v1/assignments/{street_id}/reply/",
        {"text": "已责令工地夜间停工。", "outcome": "resolved"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    # Then the ticket is still in progress with the district, which is told to confirm
    assert Ticket.objects.get(pk=ticket_id).status == Status.IN_PROGRESS
    assert Notification.objects.filter(recipient=sub_centre, kind=NotificationKind.SUB_REPLIED).count() == 1
    # When the district confirms its street's reply as it is
    response = sub_centre_api.post(f"/api/v1/assignments/{district_id}/confirm/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reply"]) == (AssignmentStatus.REPLIED, "已责令工地夜间停工。")
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.status, ticket.public_reply) == (Status.AWAITING_CALLBACK, "已责令工地夜间停工。")
    # And the street's first contact counts for the district too
    assert Assignment.objects.get(pk=district_id).first_contacted_at is not None
    # When the hotline dispatches the second ticket to street A itself, which handles it
    api(staff.dispatcher).post(
        f"/api/v1/dispatch-queue/{direct_id}/dispatch/", {"lead_unit": org.street_a.pk}, format="json"
    )
    direct = Assignment.objects.get(ticket_id=direct_id)
    street_api.post(f"/api/v1/assignments/{direct.pk}/sign/")
    street_api.post(f"/api/v1/assignments/{direct.pk}/first-contact/", {"note": "已联系"})
    street_api.post(
        f"/api/v1/assignments/{direct.pk}/reply/",
        {"text": "未能解决", "outcome": "unresolved", "explanation": "工地手续齐全"},
        format="json",
    )
    # and both callers are called back: the first resolved and satisfied, the second not
    assert callback_services.open_due_callbacks() == 2
    queue = api(callback_agent).get("/api/v1/callbacks/").json()["results"]
    answers = {
        ticket_id: {"reached": True, "resolution": "resolved", "satisfaction": "satisfied"},
        direct_id: {"reached": True, "resolution": "unresolved", "satisfaction": "unsatisfied"},
    }
    for item in queue:
        response = api(callback_agent).post(
            f"/api/v1/callbacks/{item['id']}/attempt/", answers[item["ticket"]], format="json"
        )
        assert response.status_code == 200, response.json()
    # The first callback counts for the district and for the street it passed the ticket to
    first = Callback.objects.get(ticket_id=ticket_id)
    assert (first.unit_id, first.passed_down_to_id) == (org.district.pk, org.street_a.pk)
    assert Ticket.objects.get(pk=ticket_id).status == Status.CLOSED
    # When the month's street and district rankings are computed
    month = timezone.localdate().replace(day=1).isoformat()[:7]
    lines = {}
    for kind in (UnitKind.STREET, UnitKind.DISTRICT):
        response = api(staff.hotline_supervisor).post(
            "/api/v1/rankings/recompute/", {"month": month, "unit_kind": kind, "reason": "月度考评"}, format="json"
        )
        assert response.status_code == 201, response.json()
        lines |= {line["unit"]: line for line in response.json()["results"]}
    # Then the district is rated on the one ticket dispatched to it, not on its street's other one
    district_line = lines[org.district.pk]
    assert (district_line["required_response"], district_line["responded_in_time"]) == (1, 1)
    assert (district_line["callbacks_answered"], district_line["resolved"], district_line["satisfied"]) == (1, 1, 1)
    # And the street on everything it handled: the ticket passed down and the one dispatched to it
    street_line = lines[org.street_a.pk]
    assert (street_line["required_response"], street_line["responded_in_time"]) == (2, 2)
    assert (street_line["callbacks_answered"], street_line["resolved"], street_line["satisfied"]) == (2, 1, 1)
    # And the event log shows both levels in order
    assert actions(ticket_id) == [
        Action.CREATE,
        Action.QUEUE_FOR_DISPATCH,
        Action.DISPATCH,
        Action.SIGN,
        Action.SUBDISPATCH,
        Action.SUB_SIGN,
        Action.RECORD_CONTACT,
        Action.SUB_REPLY,
        Action.REPLY,
        Action.CALLBACK_ATTEMPT,
        Action.CLOSE,
    ]


# Who may pass a ticket down, and to whom


def test_only_the_districts_staff_may_pass_its_ticket_down(org, staff, make_user, at_district):
    # Given the district's signed ticket
    district = at_district()
    other_district = DistrictFactory(name="朝阳区")
    outsiders = [
        staff.officer_a,
        staff.dispatcher,
        staff.hotline_supervisor,
        make_user(Role.DISTRICT_DISPATCHER, other_district),
    ]
    # When anyone but the district's staff tries, the ticket is not even there for them
    for user in outsiders:
        response = api(user).post(
            f"/api/v1/assignments/{district.pk}/subdispatch/", {"lead": org.street_a.pk}, format="json"
        )
        assert response.status_code == 404, user
    # And the district's officers and leaders may, like its sub-centre dispatcher
    officer = make_user(Role.UNIT_OFFICER, org.district)
    response = api(officer).post(
        f"/api/v1/assignments/{district.pk}/subdispatch/", {"lead": org.street_a.pk}, format="json"
    )
    assert response.status_code == 201
    assert not Assignment.objects.filter(parent=district).exclude(unit=org.street_a).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lead": "street in another district"}, "lead"),
        ({"lead": "city department"}, "lead"),
        ({"lead": "street_a", "assisting": ["street in another district"]}, "assisting"),
        ({"lead": "street_a", "assisting": ["street_a"]}, "assisting"),
    ],
)
def test_a_unit_outside_the_district_is_refused_with_400_and_nothing_changes(body, field, org, sub_centre, at_district):
    district = at_district()
    units = {
        "street_a": org.street_a,
        "street in another district": StreetFactory(name="望京街道", parent=DistrictFactory(name="朝阳区")),
        "city department": org.department,
    }
    payload = {
        key: [units[v].pk for v in value] if isinstance(value, list) else units[value].pk for key, value in body.items()
    }
    response = api(sub_centre).post(f"/api/v1/assignments/{district.pk}/subdispatch/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not Assignment.objects.filter(parent=district).exists()
    assert Action.SUBDISPATCH not in actions(district.ticket_id)


def test_assisting_utilities_may_come_from_outside_the_district(org, sub_centre, at_district):
    district = at_district()
    power = UnitFactory(name="国网北京市电力公司", kind=UnitKind.STATE_ENTERPRISE)
    created = services.subdispatch(
        assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk, assist_unit_ids=[power.pk]
    )
    assert [a.unit for a in created] == [org.street_a, power]


def test_a_ticket_not_signed_by_the_district_or_already_passed_down_is_refused(org, staff, sub_centre, dispatched):
    # Given a ticket the district has not signed
    unsigned = dispatched(org.district)
    with pytest.raises(DomainError) as refused:
        services.subdispatch(assignment_id=unsigned.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    assert refused.value.code == "invalid_transition"  # the ticket is in progress once the district signs
    # When it signs and passes it down, a second pass is refused until the first unit is gone
    services.sign(assignment_id=unsigned.pk, actor=sub_centre)
    services.subdispatch(assignment_id=unsigned.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    response = api(sub_centre).post(
        f"/api/v1/assignments/{unsigned.pk}/subdispatch/", {"lead": org.street_b.pk}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_passed_down")
    # And a street is not a sub-centre: it cannot pass its own ticket down
    street = dispatched(org.street_b)
    services.sign(assignment_id=street.pk, actor=staff.officer_b)
    response = api(staff.officer_b).post(
        f"/api/v1/assignments/{street.pk}/subdispatch/", {"lead": org.street_a.pk}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "districts_only")


def test_the_district_replies_only_after_its_unit_and_may_edit_the_reply(org, staff, sub_centre, at_district):
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    # While its street handles the ticket, the district cannot reply, nor confirm anything
    services.sign(assignment_id=street.pk, actor=staff.officer_a)
    response = api(sub_centre).post(
        f"/api/v1/assignments/{district.pk}/reply/", {"text": "已办结", "outcome": "resolved"}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "sub_reply_pending")
    response = api(sub_centre).post(f"/api/v1/assignments/{district.pk}/confirm/", {}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "nothing_to_confirm")
    # When the street replies, the district confirms it with its own words and outcome
    services.reply(assignment_id=street.pk, actor=staff.officer_a, text="已协调", outcome="resolved")
    response = api(sub_centre).post(
        f"/api/v1/assignments/{district.pk}/confirm/",
        {"outcome": "partly_resolved", "explanation": "夜间施工许可已撤销，白天施工继续"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    district.refresh_from_db()
    assert (district.reply, district.outcome, district.explanation) == (
        "已协调",
        "partly_resolved",
        "夜间施工许可已撤销，白天施工继续",
    )
    reply = TicketEvent.objects.get(ticket_id=district.ticket_id, action=Action.REPLY)
    assert (reply.payload["confirms"], reply.payload["edited"]) == (street.pk, True)


# Deadlines below the district


def test_a_deadline_after_the_districts_is_refused_and_the_default_is_the_districts(org, sub_centre, at_district):
    district = at_district()
    later = district.due_at + timedelta(minutes=1)
    # When the sub-centre asks for a deadline after its own
    response = api(sub_centre).post(
        f"/api/v1/assignments/{district.pk}/subdispatch/",
        {"lead": org.street_a.pk, "due_at": later.isoformat()},
        format="json",
    )
    # Then it is refused on the field, and nothing is passed down
    assert response.status_code == 400
    assert (response.json()["error"]["code"], list(response.json()["error"]["fields"])) == (
        "after_parent_deadline",
        ["due_at"],
    )
    assert not Assignment.objects.filter(parent=district).exists()
    # And a deadline at or before its own is taken; without one, the unit has the district's
    earlier = district.due_at - timedelta(days=2)
    [street] = services.subdispatch(
        assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk, due_at=earlier
    )
    assert street.due_at == earlier
    assert street.sign_due_at <= earlier


def test_an_overdue_district_cannot_pass_its_ticket_down(org, sub_centre, at_district):
    district = at_district()
    Assignment.objects.filter(pk=district.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    response = api(sub_centre).post(
        f"/api/v1/assignments/{district.pk}/subdispatch/", {"lead": org.street_a.pk}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "after_parent_deadline")


def test_the_units_contact_deadline_never_ends_after_the_districts(org, staff, sub_centre, at_district):
    district = at_district()
    Assignment.objects.filter(pk=district.pk).update(due_at=timezone.now() + timedelta(minutes=30))
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    street = services.sign(assignment_id=street.pk, actor=staff.officer_a)
    district.refresh_from_db()
    assert street.first_contact_due_at == district.due_at == street.due_at


@pytest.mark.django_db(transaction=True)
def test_a_late_unit_is_marked_and_escalated_to_the_district_once_under_two_concurrent_sweeps(
    org, staff, sub_centre, at_district
):
    # Given ten tickets the district passed down to street A, which signs none of them
    streets = []
    for _ in range(10):
        district = at_district()
        streets += services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    late = max(a.sign_due_at for a in streets) + timedelta(minutes=1)
    # When two sweeps run at once, then once more
    run_at_once(*[lambda: sweeps.sweep_late_signs(now=late)] * 2)
    sweeps.sweep_late_signs(now=late)
    # Then each unit is marked late once
    for street in streets:
        street.refresh_from_db()
        assert street.late_sign_marked_at == late
        assert TicketEvent.objects.filter(ticket_id=street.ticket_id, action=Action.MARK_LATE_SIGN).count() == 1
    # And the district's staff hear of each once; the district's own supervisor is not bothered
    escalated = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert escalated.filter(recipient=sub_centre).count() == 10
    assert not escalated.filter(recipient=staff.district_supervisor).exists()
    # And when the units' deadline passes, the overdue is escalated to the district, once each
    overdue = max(a.due_at for a in streets) + timedelta(minutes=1)
    run_at_once(*[lambda: sweeps.sweep_deadline_alerts(now=overdue)] * 2)
    for street in streets:
        assert TicketEvent.objects.filter(ticket_id=street.ticket_id, action=Action.MARK_OVERDUE).count() == 2
    # (two: the unit's and the district's own, which shares the deadline)
    titles = escalated.filter(recipient=sub_centre).values_list("title", flat=True)
    assert len([t for t in titles if org.street_a.name in t]) == 20
    assert escalated.filter(recipient=staff.district_supervisor).count() == 10


def test_the_district_supervises_the_unit_it_passed_the_ticket_to(org, staff, sub_centre, at_district):
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    response = api(sub_centre).post(
        f"/api/v1/assignments/{street.pk}/supervise/", {"comment": "请今天联系群众"}, format="json"
    )
    assert response.status_code == 201
    assert Notification.objects.filter(recipient=staff.officer_a, kind=NotificationKind.SUPERVISED).count() == 1
    # But another district's staff may not
    stranger = User.objects.create(username="chaoyang")
    stranger.memberships.create(unit=DistrictFactory(name="朝阳区"), role=Role.DISTRICT_DISPATCHER)
    response = api(stranger).post(f"/api/v1/assignments/{street.pk}/supervise/", {"comment": "x"}, format="json")
    assert response.status_code == 404


# Returns and extensions below the district


def test_a_unit_returns_the_ticket_to_the_district_which_passes_it_on(org, staff, sub_centre, at_district):
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    # When the street says it is not theirs
    response = api(staff.officer_a).post(
        f"/api/v1/assignments/{street.pk}/return/",
        {"reason": "outside_area", "legal_basis": "该地址属大红门街道"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    # Then the district is asked, not the hotline, and the ticket stays in progress
    assert Ticket.objects.get(pk=district.ticket_id).status == Status.IN_PROGRESS
    assert Notification.objects.filter(recipient=sub_centre, kind=NotificationKind.RETURN_REQUESTED).count() == 1
    assert not Notification.objects.filter(recipient=staff.dispatcher).exists()
    assert api(staff.dispatcher).get(f"/api/v1/return-requests/{request_id}/").status_code == 404
    assert [r["id"] for r in api(sub_centre).get("/api/v1/return-requests/").json()["results"]] == [request_id]
    # When the district approves it and passes the ticket at once to street B
    response = api(sub_centre).post(
        f"/api/v1/return-requests/{request_id}/approve/",
        {"note": "同意", "redispatch_to": org.street_b.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    # Then street A's part ended returned, street B leads below the district, the district holds on
    street.refresh_from_db()
    assert (street.status, street.returned, street.ended_at is not None) == (AssignmentStatus.RETURNED, True, True)
    below = Assignment.objects.get(parent=district, ended_at__isnull=True)
    assert (below.unit, below.role) == (org.street_b, AssignmentRole.LEAD)
    district.refresh_from_db()
    assert (district.status, district.ended_at) == (AssignmentStatus.SIGNED, None)
    assert Ticket.objects.get(pk=district.ticket_id).status == Status.IN_PROGRESS


def test_a_rejected_return_moves_the_units_deadlines_never_past_the_districts(org, staff, sub_centre, at_district):
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    request = services.request_return(
        assignment_id=street.pk, actor=staff.officer_a, reason="not_responsible", legal_basis="职责清单"
    )
    # (asked three days ago: moved by three days, the unit's deadline would pass the district's)
    ReturnRequest.objects.filter(pk=request.pk).update(requested_at=request.requested_at - timedelta(days=3))
    services.decide_return(return_request_id=request.pk, actor=sub_centre, approve=False, note="属于你街职责")
    street.refresh_from_db()
    district.refresh_from_db()
    assert street.due_at == district.due_at
    assert (street.status, street.ended_at) == (AssignmentStatus.DISPATCHED, None)


def test_an_extension_within_the_districts_time_is_the_districts_to_grant(org, staff, sub_centre, at_district):
    district = at_district()
    [street] = services.subdispatch(
        assignment_id=district.pk,
        actor=sub_centre,
        lead_unit_id=org.street_a.pk,
        due_at=district.due_at - timedelta(days=3),
    )
    services.sign(assignment_id=street.pk, actor=staff.officer_a)
    response = api(staff.officer_a).post(
        f"/api/v1/assignments/{street.pk}/extension/", {"extra_days": 2, "reason": "需协调产权单位"}, format="json"
    )
    assert response.status_code == 201
    request_id = response.json()["id"]
    # The district decides, not the hotline
    assert api(staff.dispatcher).post(f"/api/v1/extension-requests/{request_id}/approve/").status_code == 404
    response = api(sub_centre).post(f"/api/v1/extension-requests/{request_id}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    street.refresh_from_db()
    assert street.due_at == district.due_at - timedelta(days=1)


def test_an_extension_past_the_districts_deadline_is_passed_up_and_the_hotline_decides_both(
    org, staff, sub_centre, at_district
):
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    services.sign(assignment_id=street.pk, actor=staff.officer_a)
    request = services.request_extension(
        assignment_id=street.pk, actor=staff.officer_a, extra_days=3, reason="需市级部门审批"
    )
    # The district cannot grant it itself: the unit's deadline would pass its own
    response = api(sub_centre).post(f"/api/v1/extension-requests/{request.pk}/approve/", {}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "after_parent_deadline")
    # When it passes the request up to the hotline
    response = api(sub_centre).post(
        f"/api/v1/extension-requests/{request.pk}/pass-up/", {"note": "区里同意，报请延期"}, format="json"
    )
    assert response.status_code == 200, response.json()
    upward = ExtensionRequest.objects.get(assignment=district)
    assert response.json()["passed_up_to"] == upward.pk
    assert response.json()["status"] == ReviewStatus.PENDING
    # Then the hotline's dispatcher sees the district's request, and approving it moves both deadlines
    listed = [r["id"] for r in api(staff.dispatcher).get("/api/v1/extension-requests/").json()["results"]]
    assert listed == [upward.pk]
    response = api(staff.dispatcher).post(f"/api/v1/extension-requests/{upward.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.json()
    district.refresh_from_db()
    street.refresh_from_db()
    request.refresh_from_db()
    assert request.status == ReviewStatus.APPROVED
    assert street.due_at == district.due_at == request.granted_due_at


def test_a_reopened_ticket_goes_back_to_the_district_and_its_unit(org, staff, sub_centre, at_district):
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    services.sign(assignment_id=street.pk, actor=staff.officer_a)
    services.reply(assignment_id=street.pk, actor=staff.officer_a, text="已处理", outcome="resolved")
    services.confirm_reply(assignment_id=district.pk, actor=sub_centre)
    # When the hotline reopens the ticket for a new round (重办)
    due = timezone.now() + timedelta(days=3)
    Ticket.objects.filter(pk=district.ticket_id).update(status=Status.IN_PROGRESS)
    lead = services.reopen_lead(ticket_id=district.ticket_id, due_at=due)
    # Then the district and its street both handle it again, until the same new deadline
    assert lead.pk == district.pk
    for assignment in (district, street):
        assignment.refresh_from_db()
        assert (assignment.status, assignment.due_at) == (AssignmentStatus.SIGNED, due)


def test_open311_shows_the_hotlines_lead_whatever_the_district_did(org, sub_centre, at_district, settings):
    district = at_district()
    services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    body = APIClient().get(f"/open311/v2/requests/{district.ticket.number}.json").json()
    assert body[0]["agency_responsible"] == org.district.name
    assert body[0]["status"] == "open"


def test_a_functional_matter_goes_to_a_street_below_the_district_only_with_a_reason(org, sub_centre, at_district):
    # Given a functional-department matter at the district
    district = at_district(category=org.functional_matter)
    # When the sub-centre passes it to a street without a reason, it is refused as at the hotline
    response = api(sub_centre).post(
        f"/api/v1/assignments/{district.pk}/subdispatch/", {"lead": org.street_a.pk}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "functional_to_street")
    # And with the reason it goes, the reason kept in the event
    response = api(sub_centre).post(
        f"/api/v1/assignments/{district.pk}/subdispatch/",
        {"lead": org.street_a.pk, "override_reason": "街道牵头协调管网维修"},
        format="json",
    )
    assert response.status_code == 201
    event = TicketEvent.objects.get(ticket_id=district.ticket_id, action=Action.SUBDISPATCH)
    assert event.payload["override_reason"] == "街道牵头协调管网维修"


def test_the_ticket_page_lists_the_units_below_the_district_under_it(org, staff, sub_centre, at_district, client):
    # Given a ticket the district passed down to street A
    district = at_district()
    [street] = services.subdispatch(assignment_id=district.pk, actor=sub_centre, lead_unit_id=org.street_a.pk)
    # When the hotline's dispatcher reads the ticket
    client.force_login(staff.dispatcher)
    page = client.get(f"/tickets/{district.ticket_id}/").content.decode()
    # Then street A's row follows the district's, marked as passed down by it
    district_row = page.index(f'data-assignment="{district.pk}" data-level="hotline"')
    street_row = page.index(f'data-assignment="{street.pk}" data-level="district"')
    assert district_row < street_row
    assert "data-passed-down" in page[street_row:]
