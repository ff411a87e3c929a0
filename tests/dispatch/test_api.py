"""The dispatch API: every step as a POST action, permissions (404), state conflicts (409), bad input (400)."""

import json
import re
from datetime import timedelta
from pathlib import PurePath
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from dispatch import selectors, services
from dispatch.api.serializers import AssignmentSerializer
from dispatch.models import Assignment, AssignmentStatus, Attachment, ExtensionRequest, ReturnRequest, ReviewStatus
from hotline.models import Role
from intake.lifecycle import Action, Status
from intake.models import PersonalDataAccess, Ticket, TicketEvent
from tests.factories import CallerFactory, assign_many

pytestmark = pytest.mark.django_db


def actions(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("action", flat=True))


def test_full_flow_dispatch_sign_contact_whistle_assist_reply_lead_reply(org, staff, awaiting, api_as):
    # Given a street matter awaiting dispatch
    ticket = awaiting()
    dispatcher, officer, water = api_as(staff.dispatcher), api_as(staff.officer_a), api_as(staff.department_officer)

    # When the dispatcher sends it to street A
    response = dispatcher.post(f"/api/v1/dispatch-queue/{ticket.pk}/dispatch/", {"lead_unit": org.street_a.pk})
    assert response.status_code == 201, response.json()
    lead_id = response.json()["id"]
    assert response.json()["status"] == "dispatched"
    # and street A signs, contacts the caller and blows the whistle for the water department
    assert officer.post(f"/api/v1/assignments/{lead_id}/sign/").json()["status"] == "signed"
    contact = officer.post(f"/api/v1/assignments/{lead_id}/first-contact/", {"note": "电话联系"})
    assert contact.json()["first_contacted_at"] is not None
    whistle = officer.post(f"/api/v1/assignments/{lead_id}/whistle/", {"units": [org.department.pk]}, format="json")
    assert whistle.status_code == 201, whistle.json()
    assist_id = whistle.json()[0]["id"]
    # and the department signs and replies to the lead
    assert water.post(f"/api/v1/assignments/{assist_id}/sign/").json()["status"] == "signed"
    assist_reply = water.post(
        f"/api/v1/assignments/{assist_id}/reply/", {"text": "已督促施工方停工", "outcome": "resolved"}
    )
    assert assist_reply.json()["status"] == "replied"
    # and the lead reads the department's reply and replies to the caller and the hotline
    units = officer.get(f"/api/v1/assignments/{lead_id}/").json()["units"]
    assert [(u["unit"], u["reply"]) for u in units] == [("市水务局", "已督促施工方停工")]
    lead_reply = officer.post(
        f"/api/v1/assignments/{lead_id}/reply/", {"text": "工地已停止夜间施工", "outcome": "resolved"}
    )
    assert lead_reply.status_code == 200, lead_reply.json()

    # Then the ticket awaits the callback, with the public reply set, and every step is an event
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CALLBACK
    assert ticket.public_reply == "工地已停止夜间施工"
    assert actions(ticket) == [
        Action.DISPATCH,
        Action.SIGN,
        Action.RECORD_CONTACT,
        Action.WHISTLE,
        Action.ASSIST_SIGN,
        Action.ASSIST_REPLY,
        Action.REPLY,
    ]
    lead = Assignment.objects.get(pk=lead_id)
    assert (lead.status, lead.outcome, lead.replied_by) == (AssignmentStatus.REPLIED, "resolved", staff.officer_a)
    reply_event = TicketEvent.objects.get(ticket=ticket, action=Action.REPLY)
    assert (reply_event.from_status, reply_event.to_status, reply_event.unit) == (
        Status.IN_PROGRESS,
        Status.AWAITING_CALLBACK,
        org.street_a,
    )


def snapshot(assignment: Assignment) -> tuple:
    """Everything a refused step must leave unchanged."""
    fresh = Assignment.objects.get(pk=assignment.pk)
    values = {f.attname: getattr(fresh, f.attname) for f in Assignment._meta.concrete_fields}
    ticket = Ticket.objects.get(pk=assignment.ticket_id)
    return (
        values,
        ticket.status,
        ticket.public_reply,
        TicketEvent.objects.filter(ticket=ticket).count(),
        ReturnRequest.objects.count(),
        ExtensionRequest.objects.count(),
        Assignment.objects.count(),
    )


def test_return_is_reviewed_and_redispatched_in_one_step(org, staff, dispatched, api_as):
    # Given a ticket that was dispatched to street B although it is street A's
    wrong = dispatched(org.street_b)
    officer_b, dispatcher = api_as(staff.officer_b), api_as(staff.dispatcher)
    # When B asks to return it with a reason and the legal basis
    asked = officer_b.post(
        f"/api/v1/assignments/{wrong.pk}/return/",
        {"reason": "outside_area", "legal_basis": "《北京市街道办事处条例》第三条：不在本街道辖区"},
    )
    assert asked.status_code == 201, asked.json()
    assert Ticket.objects.get(pk=wrong.ticket_id).status == Status.RETURN_REQUESTED
    # and the dispatcher finds it in the review queue and approves it, re-dispatching to street A
    queue = dispatcher.get("/api/v1/return-requests/", {"status": "pending"}).json()["results"]
    assert [item["id"] for item in queue] == [asked.json()["id"]]
    approved = dispatcher.post(
        f"/api/v1/return-requests/{asked.json()['id']}/approve/", {"redispatch_to": org.street_a.pk}, format="json"
    )
    assert approved.status_code == 200, approved.json()

    # Then B's assignment is over and counted as returned, and A has a new one to sign
    wrong.refresh_from_db()
    assert (wrong.status, wrong.returned, wrong.ended_at is not None) == (AssignmentStatus.RETURNED, True, True)
    new_lead = Assignment.objects.get(ticket_id=wrong.ticket_id, ended_at__isnull=True)
    assert (new_lead.unit, new_lead.status) == (org.street_a, AssignmentStatus.DISPATCHED)
    assert approved.json()["status"] == "approved"
    assert approved.json()["redispatched_to"] == org.street_a.pk
    ticket = Ticket.objects.get(pk=wrong.ticket_id)
    assert ticket.status == Status.DISPATCHED
    assert actions(ticket) == [Action.DISPATCH, Action.REQUEST_RETURN, Action.APPROVE_RETURN, Action.DISPATCH]
    to_sign_a = api_as(staff.officer_a).get("/api/v1/assignments/", {"tab": "to_sign"}).json()["results"]
    assert [item["id"] for item in to_sign_a] == [new_lead.pk]
    assert api_as(staff.officer_b).get("/api/v1/assignments/", {"tab": "to_sign"}).json()["results"] == []


def test_rejected_return_goes_back_to_the_unit_with_deadlines_moved_by_the_review_time(org, staff, dispatched, api_as):
    # Given a return request that has been under review for 30 minutes
    assignment = dispatched(org.street_a)
    officer, dispatcher = api_as(staff.officer_a), api_as(staff.dispatcher)
    request_id = officer.post(
        f"/api/v1/assignments/{assignment.pk}/return/", {"reason": "not_responsible", "legal_basis": "职责清单第5项"}
    ).json()["id"]
    ReturnRequest.objects.filter(pk=request_id).update(requested_at=timezone.now() - timedelta(minutes=30))
    before = Assignment.objects.get(pk=assignment.pk)
    # When the dispatcher rejects it without a reason, then with one
    assert dispatcher.post(f"/api/v1/return-requests/{request_id}/reject/", {}).status_code == 400
    rejected = dispatcher.post(f"/api/v1/return-requests/{request_id}/reject/", {"note": "属于本街道职责"})
    # Then the unit must sign after all, with its deadlines pushed by the paused time
    assert rejected.status_code == 200, rejected.json()
    after = Assignment.objects.get(pk=assignment.pk)
    assert (after.status, after.ended_at, after.returned) == (AssignmentStatus.DISPATCHED, None, True)
    for field in ("sign_due_at", "due_at"):
        moved = getattr(after, field) - getattr(before, field)
        assert timedelta(minutes=30) <= moved < timedelta(minutes=31)
    assert Ticket.objects.get(pk=assignment.ticket_id).status == Status.DISPATCHED
    assert actions(assignment.ticket)[-1] == Action.REJECT_RETURN
    # and the request cannot be decided twice
    again = dispatcher.post(f"/api/v1/return-requests/{request_id}/approve/", {})
    assert again.status_code == 409


def test_late_return_is_decided_by_a_hotline_supervisor_only(org, staff, dispatched, api_as):
    # Given a return asked three hours after dispatch (the window is two)
    assignment = dispatched(org.street_a)
    Assignment.objects.filter(pk=assignment.pk).update(dispatched_at=timezone.now() - timedelta(hours=3))
    request_id = (
        api_as(staff.officer_a)
        .post(f"/api/v1/assignments/{assignment.pk}/return/", {"reason": "other", "legal_basis": "见说明"})
        .json()["id"]
    )
    assert ReturnRequest.objects.get(pk=request_id).needs_supervisor
    # When the dispatcher tries to approve it, then a hotline supervisor
    assert api_as(staff.dispatcher).post(f"/api/v1/return-requests/{request_id}/approve/", {}).status_code == 404
    approved = api_as(staff.hotline_supervisor).post(f"/api/v1/return-requests/{request_id}/approve/", {})
    # Then only the supervisor's decision counts: the ticket is back in the dispatch queue
    assert approved.status_code == 200
    assert Ticket.objects.get(pk=assignment.ticket_id).status == Status.AWAITING_DISPATCH


def test_approved_extension_moves_the_deadline_and_only_once(org, staff, dispatched, api_as):
    # Given a signed assignment
    assignment = dispatched(org.street_a)
    officer, dispatcher = api_as(staff.officer_a), api_as(staff.dispatcher)
    officer.post(f"/api/v1/assignments/{assignment.pk}/sign/")
    due = Assignment.objects.get(pk=assignment.pk).due_at
    # When it asks for three more days and the dispatcher approves
    asked = officer.post(
        f"/api/v1/assignments/{assignment.pk}/extension/", {"extra_days": 3, "reason": "需协调产权单位"}
    )
    assert asked.status_code == 201, asked.json()
    approved = dispatcher.post(f"/api/v1/extension-requests/{asked.json()['id']}/approve/", {})
    # Then the deadline moved by three days
    assert approved.status_code == 200
    assert Assignment.objects.get(pk=assignment.pk).due_at == due + timedelta(days=3)
    assert actions(assignment.ticket)[-2:] == [Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION]
    # and a second extension is refused (one per assignment by default)
    second = officer.post(f"/api/v1/assignments/{assignment.pk}/extension/", {"extra_days": 1, "reason": "再延"})
    assert (second.status_code, second.json()["error"]["code"]) == (409, "extension_limit")


def test_denied_extension_keeps_the_deadline(org, staff, dispatched, api_as):
    assignment = dispatched(org.street_a)
    officer, dispatcher = api_as(staff.officer_a), api_as(staff.dispatcher)
    officer.post(f"/api/v1/assignments/{assignment.pk}/sign/")
    due = Assignment.objects.get(pk=assignment.pk).due_at
    request_id = officer.post(
        f"/api/v1/assignments/{assignment.pk}/extension/", {"extra_days": 5, "reason": "人手不足"}
    ).json()["id"]
    # When the dispatcher denies it without a reason, then with one
    assert dispatcher.post(f"/api/v1/extension-requests/{request_id}/deny/", {}).status_code == 400
    denied = dispatcher.post(f"/api/v1/extension-requests/{request_id}/deny/", {"note": "理由不充分"})
    # Then the deadline stays and the request is recorded as rejected with the reason
    assert denied.json()["status"] == ReviewStatus.REJECTED
    assert denied.json()["decision_note"] == "理由不充分"
    assert Assignment.objects.get(pk=assignment.pk).due_at == due
    assert actions(assignment.ticket)[-1] == Action.DENY_EXTENSION


def _signed(assignment: Assignment, client) -> Assignment:
    assert client.post(f"/api/v1/assignments/{assignment.pk}/sign/").status_code == 200
    return assignment


@pytest.mark.parametrize(
    ("case", "expected_status", "expected_code"),
    [
        ("sign_twice", 409, "invalid_transition"),
        ("reply_before_sign", 409, "invalid_transition"),
        ("extension_after_deadline", 409, "deadline_passed"),
        ("return_after_sign", 409, "invalid_transition"),
        ("first_contact_twice", 409, "already_contacted"),
        ("assist_whistles", 409, "lead_only"),
        ("other_unit_signs", 404, "not_found"),
        ("other_unit_replies", 404, "not_found"),
        ("district_supervisor_signs", 404, "not_found"),
        ("dispatcher_signs", 404, "not_found"),
        ("officer_dispatches", 404, "not_found"),
        ("reply_unresolved_without_explanation", 400, "invalid"),
        ("reply_unknown_outcome", 400, "invalid"),
        ("return_without_legal_basis", 400, "invalid"),
        ("extension_of_zero_days", 400, "invalid"),
        ("whistle_for_a_street", 400, "invalid"),
        ("dispatch_to_unknown_unit", 400, "invalid"),
    ],
)
def test_forbidden_steps_are_refused_and_change_nothing(
    case, expected_status, expected_code, org, staff, dispatched, awaiting, api_as
):
    # Given an assignment of street A (signed for the cases that need it, with the department assisting)
    officer = api_as(staff.officer_a)
    assignment = dispatched(org.street_a, assist=(org.department,))
    assist = Assignment.objects.get(ticket_id=assignment.ticket_id, unit=org.department)
    if case in (
        "sign_twice",
        "extension_after_deadline",
        "return_after_sign",
        "first_contact_twice",
        "assist_whistles",
        "reply_unresolved_without_explanation",
        "reply_unknown_outcome",
        "whistle_for_a_street",
    ):
        _signed(assignment, officer)
    if case == "first_contact_twice":
        officer.post(f"/api/v1/assignments/{assignment.pk}/first-contact/", {})
    if case == "assist_whistles":
        _signed(assist, api_as(staff.department_officer))
    if case == "extension_after_deadline":
        Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    queued = awaiting()
    before, queued_before = snapshot(assignment), Ticket.objects.get(pk=queued.pk).status
    url = f"/api/v1/assignments/{assignment.pk}"
    # When the step is attempted
    requests = {
        "sign_twice": lambda: officer.post(f"{url}/sign/"),
        "reply_before_sign": lambda: officer.post(f"{url}/reply/", {"text": "已处理", "outcome": "resolved"}),
        "extension_after_deadline": lambda: officer.post(f"{url}/extension/", {"extra_days": 2, "reason": "需要"}),
        "return_after_sign": lambda: officer.post(f"{url}/return/", {"reason": "other", "legal_basis": "x"}),
        "first_contact_twice": lambda: officer.post(f"{url}/first-contact/", {}),
        "assist_whistles": lambda: api_as(staff.department_officer).post(
            f"/api/v1/assignments/{assist.pk}/whistle/", {"units": [org.other_department.pk]}, format="json"
        ),
        "other_unit_signs": lambda: api_as(staff.officer_b).post(f"{url}/sign/"),
        "other_unit_replies": lambda: api_as(staff.officer_b).post(
            f"{url}/reply/", {"text": "已处理", "outcome": "resolved"}
        ),
        "district_supervisor_signs": lambda: api_as(staff.district_supervisor).post(f"{url}/sign/"),
        "dispatcher_signs": lambda: api_as(staff.dispatcher).post(f"{url}/sign/"),
        "officer_dispatches": lambda: officer.post(
            f"/api/v1/dispatch-queue/{queued.pk}/dispatch/", {"lead_unit": org.street_a.pk}
        ),
        "reply_unresolved_without_explanation": lambda: officer.post(
            f"{url}/reply/", {"text": "无法解决", "outcome": "unresolved"}
        ),
        "reply_unknown_outcome": lambda: officer.post(f"{url}/reply/", {"text": "已处理", "outcome": "great"}),
        "return_without_legal_basis": lambda: officer.post(f"{url}/return/", {"reason": "other", "legal_basis": " "}),
        "extension_of_zero_days": lambda: officer.post(f"{url}/extension/", {"extra_days": 0, "reason": "x"}),
        "whistle_for_a_street": lambda: officer.post(f"{url}/whistle/", {"units": [org.street_b.pk]}, format="json"),
        "dispatch_to_unknown_unit": lambda: api_as(staff.dispatcher).post(
            f"/api/v1/dispatch-queue/{queued.pk}/dispatch/", {"lead_unit": 999999}
        ),
    }
    response = requests[case]()
    # Then it is refused with the right status and error code, and nothing changed
    assert response.status_code == expected_status, response.json()
    assert response.json()["error"]["code"] == expected_code
    assert snapshot(assignment) == before
    assert Ticket.objects.get(pk=queued.pk).status == queued_before


def test_bad_input_names_the_field(org, staff, dispatched, api_as):
    assignment = _signed(dispatched(org.street_a), api_as(staff.officer_a))
    response = api_as(staff.officer_a).post(
        f"/api/v1/assignments/{assignment.pk}/reply/", {"text": "部分解决", "outcome": "partly_resolved"}
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["explanation"]


def test_officer_of_street_a_never_sees_street_b(org, staff, dispatched, api_as):
    # Given one ticket at each street
    mine, theirs = dispatched(org.street_a), dispatched(org.street_b)
    officer = api_as(staff.officer_a)
    # When A's officer lists, counts and reads
    listed = officer.get("/api/v1/assignments/", {"tab": "all"}).json()["results"]
    counts = officer.get("/api/v1/assignments/counts/").json()
    # Then only A's ticket is there, and B's answers 404 everywhere
    assert [item["id"] for item in listed] == [mine.pk]
    assert counts["to_sign"] == 1
    assert officer.get(f"/api/v1/assignments/{theirs.pk}/").status_code == 404
    assert officer.get(f"/api/v1/tickets/{theirs.ticket_id}/").status_code == 404
    # while the district supervisor sees both streets of the district
    supervised = api_as(staff.district_supervisor).get("/api/v1/assignments/").json()["results"]
    assert {item["id"] for item in supervised} == {mine.pk, theirs.pk}


def test_inbox_api_runs_a_bounded_number_of_queries(org, staff, dispatched, api_as, django_assert_max_num_queries):
    assign_many(org.street_a, 1000)
    officer = api_as(staff.officer_a)
    with django_assert_max_num_queries(6):
        response = officer.get("/api/v1/assignments/", {"tab": "to_sign", "page_size": 200})
    assert len(response.json()["results"]) == 200
    with django_assert_max_num_queries(6):
        assert officer.get("/api/v1/assignments/counts/").json()["to_sign"] == 1000


def test_the_inbox_rows_are_the_assignment_serializers_output(org, staff, dispatched, api_as, make_user):
    # Given assignments of every shape the inbox shows: a lead to sign, with a caller who names
    # himself and his number in the text; a signed lead with its caller contacted, an extension
    # asked and a department whistled (assisting); a confidential caller's; a ticket without a
    # caller and without a district; a replied and ended one; a district's, passed down to street A
    caller = CallerFactory(phone="13912345678", name="王小明")
    to_sign = dispatched(
        org.street_a,
        caller=caller,
        title="王小明反映噪音",
        address="新村街道1号院，电话13912345678",
        description="我是王小明，手机139 1234 5678，邮箱 wxm@example.com。",
    )
    signed = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    services.record_first_contact(assignment_id=signed.pk, actor=staff.officer_a, note="已联系")
    services.request_extension(assignment_id=signed.pk, actor=staff.officer_a, extra_days=3, reason="需协调")
    services.whistle(assignment_id=signed.pk, actor=staff.officer_a, unit_ids=[org.department.pk])
    dispatched(org.street_a, confidential=True)
    dispatched(org.street_a, caller=None, district=None)
    replied = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    services.reply(assignment_id=replied.pk, actor=staff.officer_a, text="已处理", outcome="resolved")
    centre = make_user(Role.DISTRICT_DISPATCHER, org.district, username="fengtai_centre")
    own = services.sign(assignment_id=dispatched(org.district).pk, actor=centre)
    services.subdispatch(assignment_id=own.pk, actor=centre, lead_unit_id=org.street_a.pk)
    for user in (staff.officer_a, staff.department_officer, centre, staff.district_supervisor, staff.dispatcher):
        # When the user lists them
        listed = api_as(user).get("/api/v1/assignments/", {"tab": "all", "page_size": 200}).json()["results"]
        # Then each row is exactly what AssignmentSerializer renders (the schema's source), key
        # order included: redacted or in full, with the steps the user may take
        assignments = (
            selectors.visible_assignments(user=user)
            .select_related(
                "unit", "parent", "ticket__category", "ticket__caller", "ticket__district", "ticket__street"
            )
            .prefetch_related("extension_requests", "sub_assignments")
            .order_by("-id")
        )
        serialized = AssignmentSerializer(assignments, many=True, context={"request": SimpleNamespace(user=user)})
        assert json.dumps(listed) == json.dumps(json.loads(JSONRenderer().render(serialized.data)))
    assert (len(listed), {row["level"] for row in listed}) == (8, {"hotline", "district"})
    row = next(
        row for row in api_as(staff.officer_a).get("/api/v1/assignments/").json()["results"] if row["id"] == to_sign.pk
    )
    assert (row["ticket"]["title"], row["ticket"]["caller_name"]) == ("王**反映噪音", "王**")


def test_bulk_dispatch_and_bulk_sign_report_each_item(org, staff, awaiting, api_as):
    first, second, closed = awaiting(), awaiting(), awaiting(status=Status.CLOSED, closed_at=timezone.now())
    result = (
        api_as(staff.dispatcher)
        .post(
            "/api/v1/dispatch-queue/bulk-dispatch/",
            {
                "items": [
                    {"ticket": first.pk, "lead_unit": org.street_a.pk},
                    {"ticket": second.pk, "lead_unit": org.street_a.pk, "assist_units": [org.department.pk]},
                    {"ticket": closed.pk, "lead_unit": org.street_a.pk},
                    {"ticket": 999999, "lead_unit": org.street_a.pk},
                ]
            },
            format="json",
        )
        .json()
    )
    assert len(result["done"]) == 2
    assert [(f["id"], f["code"]) for f in result["failed"]] == [
        (closed.pk, "invalid_transition"),
        (999999, "not_found"),
    ]
    assert Assignment.objects.filter(ticket=second).count() == 2
    signed = api_as(staff.officer_a).post(
        "/api/v1/assignments/bulk-sign/", {"ids": [*result["done"], 0]}, format="json"
    )
    assert signed.json()["done"] == result["done"]
    assert [f["code"] for f in signed.json()["failed"]] == ["not_found"]
    assert set(Ticket.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        Status.IN_PROGRESS
    }


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_progress_with_photo_and_download_scoped_to_the_unit(org, staff, dispatched, api_as, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    assignment = _signed(dispatched(org.street_a), api_as(staff.officer_a))
    officer = api_as(staff.officer_a)
    # When the officer posts a note with a photo
    created = officer.post(
        f"/api/v1/assignments/{assignment.pk}/progress/",
        {"text": "现场照片", "files": [SimpleUploadedFile("现场.png", PNG, content_type="image/png")]},
        format="multipart",
    )
    # Then the note and the photo are stored, readable by the unit only
    assert created.status_code == 201, created.json()
    url = created.json()["attachments"][0]["url"]
    assert created.json()["attachments"][0]["content_type"] == "image/png"
    assert b"".join(officer.get(url).streaming_content) == PNG
    assert api_as(staff.officer_b).get(url).status_code == 404
    assert actions(assignment.ticket)[-1] == Action.ADD_PROGRESS


def test_a_file_is_stored_under_a_random_name_and_downloaded_under_its_own(
    org, staff, dispatched, api_as, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    assignment = _signed(dispatched(org.street_a), api_as(staff.officer_a))
    officer = api_as(staff.officer_a)
    # When the officer posts a photo named after the caller's address
    created = officer.post(
        f"/api/v1/assignments/{assignment.pk}/progress/",
        {"text": "现场照片", "files": [SimpleUploadedFile("幸福小区3号楼.png", PNG, content_type="image/png")]},
        format="multipart",
    )
    # Then it is stored under a random name
    stored = Attachment.objects.get()
    assert re.fullmatch(r"dispatch/\d{4}/\d{2}/[0-9a-f]{32}\.png", stored.file.name)
    assert [path.name for path in tmp_path.rglob("*.png")] == [PurePath(stored.file.name).name]
    # And shown and downloaded under its own
    assert created.json()["attachments"][0]["name"] == "幸福小区3号楼.png"
    response = officer.get(created.json()["attachments"][0]["url"])
    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''%E5%B9%B8%E7%A6%8F%E5%B0%8F%E5%8C%BA3%E5%8F%B7%E6%A5%BC.png"
    )


@pytest.mark.parametrize(
    ("name", "content", "max_mb"),
    [
        ("virus.exe", b"MZ" + b"\x00" * 10, 10),  # type not allowed
        ("fake.png", b"GIF89a" + b"\x00" * 10, 10),  # content is not what the name says
        ("big.png", PNG + b"\x00" * (1024 * 1024), 1),  # larger than the limit
    ],
)
def test_progress_refuses_files_of_wrong_type_or_size(
    name, content, max_mb, org, staff, dispatched, api_as, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    settings.HOTLINE_ATTACHMENT_MAX_BYTES = max_mb * 1024 * 1024
    assignment = _signed(dispatched(org.street_a), api_as(staff.officer_a))
    before = snapshot(assignment)
    response = api_as(staff.officer_a).post(
        f"/api/v1/assignments/{assignment.pk}/progress/",
        {"text": "附件", "files": [SimpleUploadedFile(name, content)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "files" in response.json()["error"]["fields"]
    assert snapshot(assignment) == before
    assert list(tmp_path.rglob("*.*")) == []


def test_caller_number_is_shown_to_the_lead_while_handling_and_every_reveal_is_recorded(org, staff, dispatched, api_as):
    assignment = dispatched(org.street_a, caller__phone="13912345678")
    officer = api_as(staff.officer_a)
    url = f"/api/v1/assignments/{assignment.pk}/caller-phone/"
    # Before signing: refused; the list shows the number masked
    assert officer.post(url).status_code == 409
    assert officer.get(f"/api/v1/assignments/{assignment.pk}/").json()["ticket"]["caller_phone"] == "139****5678"
    # After signing: the full number, recorded
    _signed(assignment, officer)
    assert officer.post(url).json() == {"phone": "13912345678"}
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.ticket_id, access.purpose) == (staff.officer_a, assignment.ticket_id, "first_contact")
    # Another unit: not found
    assert api_as(staff.officer_b).post(url).status_code == 404


def test_confidential_caller_number_is_never_revealed(org, staff, dispatched, api_as):
    assignment = _signed(dispatched(org.street_a, confidential=True), api_as(staff.officer_a))
    response = api_as(staff.officer_a).post(f"/api/v1/assignments/{assignment.pk}/caller-phone/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "confidential")
    assert not PersonalDataAccess.objects.exists()


def test_supervision_by_leader_and_district_supervisor_notifies_the_unit(org, staff, dispatched, api_as):
    from hotline.models import Notification

    mine, theirs = dispatched(org.street_a), dispatched(org.street_b)
    # The unit leader supervises its own unit, the district supervisor any unit of the district
    assert (
        api_as(staff.leader_a).post(f"/api/v1/assignments/{mine.pk}/supervise/", {"comment": "抓紧"}).status_code == 201
    )
    response = api_as(staff.district_supervisor).post(
        f"/api/v1/assignments/{theirs.pk}/supervise/", {"comment": "今天办结"}
    )
    assert response.status_code == 201
    assert response.json()["action"] == Action.SUPERVISE
    # but not another unit's, and an officer does not supervise
    assert (
        api_as(staff.leader_a).post(f"/api/v1/assignments/{theirs.pk}/supervise/", {"comment": "x"}).status_code == 404
    )
    assert (
        api_as(staff.officer_a).post(f"/api/v1/assignments/{mine.pk}/supervise/", {"comment": "x"}).status_code == 404
    )
    notified = Notification.objects.filter(kind="supervised").values_list("recipient__username", "body")
    # each naming its ticket first
    about = {unit: f"{a.ticket.number} {a.ticket.title}\n" for unit, a in (("a", mine), ("b", theirs))}
    assert sorted(notified) == [
        ("leader_a", about["a"] + "抓紧"),
        ("officer_a", about["a"] + "抓紧"),
        ("officer_b", about["b"] + "今天办结"),
    ]


def test_queue_lists_waiting_tickets_with_suggestions(org, staff, awaiting, api_as):
    from tests.factories import RoutingRuleFactory

    street_matter = awaiting()
    water = awaiting(category=org.functional_matter)
    RoutingRuleFactory(category=org.functional_matter, unit=org.department)
    results = api_as(staff.dispatcher).get("/api/v1/dispatch-queue/").json()["results"]
    suggested = {item["id"]: [s["unit"]["id"] for s in item["suggestions"]] for item in results}
    assert suggested == {street_matter.pk: [org.street_a.pk], water.pk: [org.department.pk]}
    assert api_as(staff.officer_a).get("/api/v1/dispatch-queue/").status_code == 404


def test_catalogue_is_read_by_dispatchers_and_changed_by_supervisors_in_versions(org, staff, api_as):
    supervisor, dispatcher = api_as(staff.hotline_supervisor), api_as(staff.dispatcher)
    today = timezone.localdate()
    rule = {
        "category": org.functional_matter.pk,
        "district": org.district.pk,
        "unit": org.department.pk,
        "valid_from": str(today - timedelta(days=10)),
    }
    # Supervisors create; dispatchers read but may not write; units do not even read
    created = supervisor.post("/api/v1/routing-rules/", rule)
    assert created.status_code == 201, created.json()
    assert dispatcher.post("/api/v1/routing-rules/", rule).status_code == 404
    assert api_as(staff.officer_a).get("/api/v1/routing-rules/").status_code == 404
    assert [r["id"] for r in dispatcher.get("/api/v1/routing-rules/").json()["results"]] == [created.json()["id"]]
    # A functional matter is never routed to a street
    to_street = supervisor.post("/api/v1/routing-rules/", {**rule, "unit": org.street_a.pk})
    assert (to_street.status_code, list(to_street.json()["error"]["fields"])) == (400, ["unit"])
    # Changing a rule in effect ends it yesterday and starts a new version today
    changed = supervisor.put(
        f"/api/v1/routing-rules/{created.json()['id']}/", {**rule, "unit": org.other_department.pk}
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["replaces"], changed.json()["valid_from"]) == (created.json()["id"], str(today))
    in_effect = dispatcher.get("/api/v1/routing-rules/").json()["results"]
    assert [r["unit"] for r in in_effect] == [org.other_department.pk]
    last_week = dispatcher.get("/api/v1/routing-rules/", {"on": str(today - timedelta(days=7))}).json()["results"]
    assert [r["unit"] for r in last_week] == [org.department.pk]
    assert len(dispatcher.get("/api/v1/routing-rules/", {"history": "true"}).json()["results"]) == 2
    # Deleting the version that only started today removes it; the history keeps the ended one
    assert supervisor.delete(f"/api/v1/routing-rules/{changed.json()['id']}/").status_code == 204
    assert dispatcher.get("/api/v1/routing-rules/").json()["results"] == []
    history = dispatcher.get("/api/v1/routing-rules/", {"history": "true"}).json()["results"]
    assert [(r["id"], r["valid_until"]) for r in history] == [(created.json()["id"], str(today - timedelta(days=1)))]


def test_deleting_a_rule_in_effect_for_days_ends_it_yesterday(org, staff, api_as):
    from tests.factories import RoutingRuleFactory

    rule = RoutingRuleFactory(category=org.street_matter, unit=org.street_a)
    assert api_as(staff.hotline_supervisor).delete(f"/api/v1/routing-rules/{rule.pk}/").status_code == 204
    rule.refresh_from_db()
    assert rule.valid_until == timezone.localdate() - timedelta(days=1)


def test_a_functional_matter_to_a_street_is_a_409_unless_a_reason_is_given(org, staff, awaiting, api_as):
    ticket = awaiting(category=org.functional_matter)
    dispatcher = api_as(staff.dispatcher)
    url = f"/api/v1/dispatch-queue/{ticket.pk}/dispatch/"
    refused = dispatcher.post(url, {"lead_unit": org.street_a.pk})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["status"], error["code"], list(error["fields"])) == (409, "functional_to_street", ["override_reason"])
    done = dispatcher.post(url, {"lead_unit": org.street_a.pk, "override_reason": "街道牵头协调"})
    assert done.status_code == 201, done.json()
    event = TicketEvent.objects.get(ticket=ticket, action=Action.DISPATCH)
    assert event.payload["override_reason"] == "街道牵头协调"


def test_bulk_dispatch_reports_a_functional_matter_to_a_street_as_failed(org, staff, awaiting, api_as):
    ticket = awaiting(category=org.functional_matter)
    response = api_as(staff.dispatcher).post(
        "/api/v1/dispatch-queue/bulk-dispatch/",
        {"items": [{"ticket": ticket.pk, "lead_unit": org.street_a.pk}]},
        format="json",
    )
    assert response.status_code == 200
    assert [(f["id"], f["code"]) for f in response.json()["failed"]] == [(ticket.pk, "functional_to_street")]
