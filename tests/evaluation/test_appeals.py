"""Appeals (申诉 / 不纳入考核) through the pages and the API: request, review, effect on the rates."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dispatch.models import AssignmentRole, AssignmentStatus, ReplyOutcome, ReviewStatus
from evaluation import appeals as appeal_services
from evaluation import rankings as ranking_services
from evaluation.models import Appeal, AppealKind, UnitResult
from hotline.errors import DomainError
from hotline.models import Notification, NotificationKind, Role
from intake.lifecycle import Action, Status
from intake.models import TicketEvent
from intake.selectors import ticket_headline
from tests.evaluation.conftest import OCTOBER
from tests.factories import CallbackFactory, LeadAssignmentFactory, StreetFactory, allow_small_samples, at, published

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def october_work(street):
    """The street's October: one ticket signed in time, one signed late (a response failure)."""
    dispatched = at(2026, 10, 8)
    LeadAssignmentFactory(unit=street, dispatched_at=dispatched)
    late = LeadAssignmentFactory(unit=street, dispatched_at=dispatched, signed_at=dispatched + timedelta(hours=5))
    return late.ticket


@pytest.fixture
def officer(make_user, street):
    return make_user(Role.UNIT_OFFICER, unit=street, username="officer")


def new_appeal_url(ticket) -> str:
    return reverse("evaluation:appeal_create") + f"?ticket={ticket.pk}"


def test_request_approve_and_the_next_compute_excludes_the_ticket(client, officer, supervisor, street, october_work):
    # Given a published October in which the late ticket counts against the street
    allow_small_samples()
    first = published(month=OCTOBER, unit_kind="street")
    before = UnitResult.objects.get(ranking=first, unit=street)
    assert (before.required_response, before.responded_in_time, before.excluded) == (2, 1, 0)
    # When the street's officer asks to take the ticket out of the rates, with evidence
    client.force_login(officer)
    assert client.get(new_appeal_url(october_work)).status_code == 200
    evidence = SimpleUploadedFile("evidence.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    response = client.post(
        new_appeal_url(october_work),
        {"kind": AppealKind.EXCLUDE_TICKET, "reason": "诉求人要求超出法定职责范围", "attachment": evidence},
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:appeal_detail", args=[appeal.pk])
    assert (appeal.unit, appeal.status, appeal.requested_by) == (street, ReviewStatus.PENDING, officer)
    assert client.get(reverse("evaluation:appeal_attachment", args=[appeal.pk])).getvalue() == b"%PDF-1.4 proof"
    # And a hotline supervisor approves it from the review queue
    client.force_login(supervisor)
    queue = client.get(reverse("evaluation:appeal_review"))
    assert october_work.number in queue.content.decode()
    decided = client.post(reverse("evaluation:appeal_detail", args=[appeal.pk]), {"decision": "approve", "note": ""})
    assert decided.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by) == (ReviewStatus.APPROVED, supervisor)
    assert TicketEvent.objects.filter(ticket=october_work, action=Action.DECIDE_EXCLUSION).count() == 1
    # Then the next compute (a new version of the published month) leaves the ticket out
    second = ranking_services.compute_month(month=OCTOBER, unit_kind="street", reason="申诉通过", actor=supervisor)
    after = UnitResult.objects.get(ranking=second, unit=street)
    assert (after.required_response, after.responded_in_time, after.excluded) == (1, 1, 1)
    assert after.response_rate > before.response_rate


def test_rejecting_needs_a_note(client, officer, supervisor, october_work, street):
    appeal = appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    client.force_login(supervisor)
    url = reverse("evaluation:appeal_detail", args=[appeal.pk])
    # Without a note the rejection is refused with a field error
    response = client.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"] == ["请说明驳回理由。"]
    appeal.refresh_from_db()
    assert appeal.status == ReviewStatus.PENDING
    # With one it is rejected and the note kept
    client.post(url, {"decision": "reject", "note": "属于本单位职责范围"})
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_note) == (ReviewStatus.REJECTED, "属于本单位职责范围")


def test_a_unit_cannot_appeal_another_units_ticket(client, api_client, make_user, october_work):
    # Given an officer of another street
    stranger = make_user(Role.UNIT_OFFICER, unit=StreetFactory())
    client.force_login(stranger)
    # Then the appeal page of the ticket does not exist for them, in HTML and in the API
    assert client.get(new_appeal_url(october_work)).status_code == 404
    assert client.post(new_appeal_url(october_work), {"kind": "exclude_ticket", "reason": "x"}).status_code == 404
    api_client.force_authenticate(stranger)
    response = api_client.post(
        "/api/v1/appeals/", {"ticket": october_work.pk, "kind": "exclude_ticket", "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Appeal.objects.exists()


def test_the_attachment_and_the_appeal_stay_with_their_unit(client, make_user, officer, october_work, street):
    appeal = appeal_services.request_appeal(
        ticket_id=october_work.pk,
        unit=street,
        kind=AppealKind.EXCLUDE_TICKET,
        reason="非本单位职责",
        actor=officer,
        attachment=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 x"),
    )
    client.force_login(make_user(Role.UNIT_OFFICER, unit=StreetFactory()))
    assert client.get(reverse("evaluation:appeal_detail", args=[appeal.pk])).status_code == 404
    assert client.get(reverse("evaluation:appeal_attachment", args=[appeal.pk])).status_code == 404
    assert october_work.number not in client.get(reverse("evaluation:appeal_list")).content.decode()
    # Nor may unit staff decide their own appeal
    client.force_login(officer)
    assert (
        client.post(reverse("evaluation:appeal_detail", args=[appeal.pk]), {"decision": "approve"}).status_code == 404
    )
    assert october_work.number in client.get(reverse("evaluation:appeal_list")).content.decode()


def test_callback_result_appeal_through_the_api(api_client, officer, supervisor, street):
    # Given an unsatisfied callback on a ticket the street led
    lead = LeadAssignmentFactory(unit=street, dispatched_at=at(2026, 10, 2))
    callback = CallbackFactory(ticket=lead.ticket, unit=street, resolution="unresolved", satisfaction="unsatisfied")
    # When the officer appeals the result and a supervisor approves it
    api_client.force_authenticate(officer)
    created = api_client.post(
        "/api/v1/appeals/",
        {"ticket": lead.ticket_id, "kind": "callback_result", "callback": callback.pk, "reason": "诉求人已撤诉"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["status"], body["callback"], body["unit"]) == (
        "callback_result",
        "pending",
        callback.pk,
        street.pk,
    )
    assert api_client.post(f"/api/v1/appeals/{body['id']}/decide/", {"approve": True}, format="json").status_code == 404
    api_client.force_authenticate(supervisor)
    refused = api_client.post(f"/api/v1/appeals/{body['id']}/decide/", {"approve": False}, format="json")
    assert refused.status_code == 400
    assert "note" in refused.json()["error"]["fields"]
    decided = api_client.post(f"/api/v1/appeals/{body['id']}/decide/", {"approve": True}, format="json")
    assert (decided.status_code, decided.json()["status"]) == (200, "approved")
    # Then the callback leaves the street's resolution and satisfaction rates
    result = ranking_services.compute_month(month=OCTOBER, unit_kind="street").results.get(unit=street)
    assert result.callbacks_answered == 0


def test_appeal_lists_are_scoped(api_client, make_user, officer, supervisor, october_work, street):
    appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    other_street = StreetFactory()
    other_lead = LeadAssignmentFactory(unit=other_street)
    appeal_services.request_appeal(
        ticket_id=other_lead.ticket_id,
        unit=other_street,
        kind=AppealKind.EXCLUDE_TICKET,
        reason="重复诉求",
        actor=make_user(Role.UNIT_LEADER, unit=other_street),
    )
    api_client.force_authenticate(officer)
    assert [row["ticket"] for row in api_client.get("/api/v1/appeals/").json()["results"]] == [october_work.pk]
    api_client.force_authenticate(supervisor)
    assert api_client.get("/api/v1/appeals/").json()["count"] == 2
    api_client.force_authenticate(make_user(Role.AGENT))
    assert api_client.get("/api/v1/appeals/").status_code == 404


# The way to the form: the "Appeal" link of the unit's assignment page


def offers_appeal(client, user, assignment) -> bool:
    """Whether the assignment page shows `user` the link to appeal its ticket."""
    client.force_login(user)
    page = client.get(reverse("dispatch:assignment", args=[assignment.pk]))
    assert page.status_code == 200
    return new_appeal_url(assignment.ticket) in page.content.decode()


def test_the_assignment_page_leads_the_units_staff_to_the_appeal_form(client, officer, make_user, street):
    # Given a ticket the street led, closed after a callback that found it unresolved
    lead = LeadAssignmentFactory(
        unit=street,
        ticket__status=Status.CLOSED,
        status=AssignmentStatus.REPLIED,
        replied_at=at(2026, 10, 6),
        reply="已协调施工方调整作业时间。",
        outcome=ReplyOutcome.RESOLVED,
        ended_at=timezone.now(),
    )
    callback = CallbackFactory(ticket=lead.ticket, unit=street, resolution="unresolved", satisfaction="unsatisfied")
    # Then its officer and its leader see the "Appeal" link on the (closed) assignment page
    assert offers_appeal(client, officer, lead)
    assert offers_appeal(client, make_user(Role.UNIT_LEADER, unit=street), lead)
    # and it opens the form for the ticket, offering the callback to appeal
    form = client.get(new_appeal_url(lead.ticket))
    assert form.status_code == 200
    assert list(form.context["form"].fields["callback"].queryset) == [callback]


def test_no_appeal_link_where_no_appeal_is_possible(client, officer, make_user, street, october_work):
    lead = october_work.assignments.get()
    # An assisting unit, or the hotline's dispatcher reading the page, cannot appeal
    helper = StreetFactory()
    assist = LeadAssignmentFactory(ticket=october_work, unit=helper, role=AssignmentRole.ASSIST)
    assert not offers_appeal(client, make_user(Role.UNIT_OFFICER, unit=helper), assist)
    assert not offers_appeal(client, make_user(Role.DISPATCHER), lead)
    # The lead unit can, until its exclusion appeal is open and there is no callback result to appeal
    assert offers_appeal(client, officer, lead)
    appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    assert not offers_appeal(client, officer, lead)
    # A completed callback can still be appealed, once
    callback = CallbackFactory(ticket=october_work, unit=street, resolution="unresolved", satisfaction="unsatisfied")
    assert offers_appeal(client, officer, lead)
    appeal_services.request_appeal(
        ticket_id=october_work.pk,
        unit=street,
        kind=AppealKind.CALLBACK_RESULT,
        callback_id=callback.pk,
        reason="诉求人已撤诉",
        actor=officer,
    )
    assert not offers_appeal(client, officer, lead)
    # And a ticket back in the dispatch queue after its return cannot be appealed by the returning unit
    returned = LeadAssignmentFactory(
        unit=street,
        ticket__status=Status.AWAITING_DISPATCH,
        signed_at=None,
        status=AssignmentStatus.RETURNED,
        returned=True,
        ended_at=timezone.now(),
    )
    assert not offers_appeal(client, officer, returned)


# Notifications: the reviewers are told of an appeal, the unit of the decision


def notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def bystanders(make_user, street, callback_agent) -> None:
    """Staff who must not hear of the street's appeals: a dispatcher, a callback agent, another street's officer."""
    make_user(Role.DISPATCHER, username="dispatcher")
    make_user(Role.UNIT_OFFICER, unit=StreetFactory(), username="other-officer")


def test_an_appeal_notifies_those_who_decide_appeals(officer, supervisor, city_admin, bystanders, street, october_work):
    # When the street's officer appeals a ticket
    appeal = appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="超出法定职责", actor=officer
    )
    # Then the hotline supervisor and the city admin, who decide appeals, are told, nobody else
    assert notified(NotificationKind.APPEAL_REQUESTED) == ["city-admin", "supervisor"]
    notice = Notification.objects.filter(kind=NotificationKind.APPEAL_REQUESTED).first()
    assert notice.title == f"待审核申诉：{october_work.number}"
    assert notice.body == f"{ticket_headline(ticket=october_work)}\n东华门街道 · 申请不纳入考核"
    assert notice.link == reverse("evaluation:appeal_detail", args=[appeal.pk])
    # and the caller's personal data is not in it
    for text in (notice.title, notice.body):
        assert october_work.caller.phone not in text
        assert october_work.caller.name not in text


def test_a_refused_or_repeated_appeal_notifies_no_more(officer, supervisor, city_admin, street, october_work):
    # An appeal without a reason is refused and tells nobody
    with pytest.raises(DomainError):
        appeal_services.request_appeal(
            ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason=" ", actor=officer
        )
    assert notified(NotificationKind.APPEAL_REQUESTED) == []
    # A second appeal of the same kind while the first is open is refused and adds nothing
    appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    with pytest.raises(DomainError) as refused:
        appeal_services.request_appeal(
            ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="再次申请", actor=officer
        )
    assert refused.value.code == "appeal_open"
    assert notified(NotificationKind.APPEAL_REQUESTED) == ["city-admin", "supervisor"]


@pytest.mark.parametrize(("approve", "title"), [(True, "申诉已通过"), (False, "申诉已驳回")])
def test_the_decision_is_told_to_the_appealing_units_staff_once(
    client, make_user, officer, supervisor, bystanders, street, october_work, approve, title
):
    # Given an open appeal of the street
    make_user(Role.UNIT_LEADER, unit=street, username="leader")
    appeal = appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    # When a hotline supervisor decides it, then tries to decide it again
    appeal_services.decide_appeal(appeal_id=appeal.pk, actor=supervisor, approve=approve, note="经核实")
    with pytest.raises(DomainError):
        appeal_services.decide_appeal(appeal_id=appeal.pk, actor=supervisor, approve=not approve, note="改判")
    # Then the street's officer and leader are told once, and nobody else
    assert notified(NotificationKind.APPEAL_DECIDED) == ["leader", "officer"]
    notice = Notification.objects.filter(kind=NotificationKind.APPEAL_DECIDED).first()
    headline = ticket_headline(ticket=october_work)
    assert headline.startswith(f"{october_work.number} {october_work.title[:20]}")
    assert (notice.title, notice.body) == (f"{title}：{october_work.number}", f"{headline}\n经核实")
    # and the link opens the decided appeal for them
    client.force_login(officer)
    assert client.get(notice.link).context["appeal"] == appeal


def test_only_those_who_decide_appeals_can_decide_one(officer, supervisor, street, october_work):
    # Given an open appeal of the street
    appeal = appeal_services.request_appeal(
        ticket_id=october_work.pk, unit=street, kind=AppealKind.EXCLUDE_TICKET, reason="非本单位职责", actor=officer
    )
    # When the appealing officer tries to approve it through the service
    with pytest.raises(DomainError) as refused:
        appeal_services.decide_appeal(appeal_id=appeal.pk, actor=officer, approve=True)
    # Then the appeal does not exist for them, and it stays pending
    assert refused.value.status == 404
    appeal.refresh_from_db()
    assert appeal.status == ReviewStatus.PENDING


def test_the_attachment_is_stored_under_a_random_name_and_downloaded_under_its_own(client, officer, october_work):
    # Given an appeal whose evidence has a Chinese name
    client.force_login(officer)
    evidence = SimpleUploadedFile("现场照片 说明.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    data = {"kind": AppealKind.EXCLUDE_TICKET, "reason": "非本单位职责", "attachment": evidence}
    client.post(new_appeal_url(october_work), data)
    appeal = Appeal.objects.get()
    # Then the stored path says nothing of the file's name
    assert re.fullmatch(r"appeals/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", appeal.attachment.name)
    assert appeal.attachment_name == "现场照片 说明.pdf"
    # And the download carries the original name (RFC 5987)
    response = client.get(reverse("evaluation:appeal_attachment", args=[appeal.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87%20%E8%AF%B4%E6%98%8E.pdf"
    )


EXE = b"MZ\x90\x00" + b"\x00" * 60


def test_a_program_renamed_to_png_is_refused_on_the_page(client, officer, october_work):
    # Given an officer who renamed a program to .png
    client.force_login(officer)
    fake = SimpleUploadedFile("photo.png", EXE, content_type="image/png")
    # When they attach it to an appeal
    data = {"kind": AppealKind.EXCLUDE_TICKET, "reason": "非本单位职责", "attachment": fake}
    response = client.post(new_appeal_url(october_work), data)
    # Then the form shows the error at the attachment and nothing is stored
    assert response.status_code == 200
    assert response.context["form"].errors["attachment"]
    assert not Appeal.objects.exists()


def test_a_program_renamed_to_png_is_refused_by_the_api(api_client, officer, october_work, tmp_path):
    api_client.force_authenticate(officer)
    fake = SimpleUploadedFile("photo.png", EXE, content_type="image/png")
    response = api_client.post(
        "/api/v1/appeals/",
        {"ticket": october_work.pk, "kind": "exclude_ticket", "reason": "非本单位职责", "attachment": fake},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["attachment"]
    assert not Appeal.objects.exists()
    assert list(tmp_path.rglob("*.*")) == []
