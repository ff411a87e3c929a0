"""The HTML side of dispatch: the unit workbench, the assignment page, the dispatcher's pages."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dispatch import services
from dispatch.models import Assignment, AssignmentStatus, ExtensionRequest, ReturnRequest, RoutingRule
from hotline.models import Category, Role, Unit, UnitKind, User
from intake import services as intake_services
from intake.lifecycle import Status
from intake.models import PersonalDataAccess, Ticket
from tests.factories import assign_many

pytestmark = pytest.mark.django_db


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_workbench_lists_the_units_tickets_in_chinese_with_tab_counts(org, staff, dispatched):
    # Given one ticket for street A to sign, one signed, and one of street B
    to_sign = dispatched(org.street_a, title="井盖缺失")
    signed = services.sign(assignment_id=dispatched(org.street_a, title="路灯不亮").pk, actor=staff.officer_a)
    dispatched(org.street_b, title="大红门的工单")
    # When A's officer opens the workbench
    page = browser(staff.officer_a).get("/workbench/")
    html = page.content.decode()
    # Then the "to sign" tab lists A's ticket only, with a countdown, in Chinese
    assert page.status_code == 200
    assert "承办单位工作台" in html
    assert "待签收" in html
    assert to_sign.ticket.number in html
    assert "剩余" in html
    assert signed.ticket.number not in html
    assert "大红门的工单" not in html
    counts = {value: count for value, _label, count in page.context["tabs"]}
    assert (counts["to_sign"], counts["in_progress"], counts["overdue"]) == (1, 1, 0)
    in_progress = browser(staff.officer_a).get("/workbench/", {"tab": "in_progress"}).content.decode()
    assert signed.ticket.number in in_progress


def test_workbench_search_and_overdue_tab(org, staff, dispatched):
    late = dispatched(org.street_a, title="暖气不热")
    Assignment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    dispatched(org.street_a, title="噪音扰民")
    client = browser(staff.officer_a)
    overdue = client.get("/workbench/", {"tab": "overdue"}).content.decode()
    assert late.ticket.number in overdue
    assert "已超时3小时" in overdue
    found = client.get("/workbench/", {"tab": "all", "q": "暖气"})
    assert [a.pk for a in found.context["page"]] == [late.pk]


def test_officer_of_street_a_gets_404_for_street_b_in_every_page(org, staff, dispatched, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    theirs = services.sign(assignment_id=dispatched(org.street_b).pk, actor=staff.officer_b)
    note = services.add_progress(
        assignment_id=theirs.pk,
        actor=staff.officer_b,
        text="照片",
        files=[SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n1234")],
    )
    client = browser(staff.officer_a)
    before = Assignment.objects.get(pk=theirs.pk).status
    assert client.get(f"/workbench/{theirs.pk}/").status_code == 404
    assert client.post(f"/workbench/{theirs.pk}/sign/").status_code == 404
    assert client.post(f"/workbench/{theirs.pk}/reply/", {"text": "x", "outcome": "resolved"}).status_code == 404
    assert client.post(f"/workbench/{theirs.pk}/caller-phone/").status_code == 404
    assert client.get(f"/workbench/attachments/{note.attachments.get().pk}/").status_code == 404
    assert client.get(f"/tickets/{theirs.ticket_id}/").status_code == 404
    assert Assignment.objects.get(pk=theirs.pk).status == before
    # and the dispatcher's pages do not exist for unit staff
    for url in ("/dispatch/", "/dispatch/reviews/", "/dispatch/catalogue/", f"/dispatch/tickets/{theirs.ticket_id}/"):
        assert client.get(url).status_code == 404


def test_the_countdowns_show_the_stopped_clock_while_a_return_is_under_review(org, staff, dispatched):
    # Given a ticket whose unit asked to return it
    assignment = dispatched(org.street_a)
    services.request_return(assignment_id=assignment.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单")
    # When the unit, and then the hotline, look at it
    pages = [
        browser(staff.officer_a).get(f"/workbench/{assignment.pk}/").content.decode(),
        browser(staff.officer_a).get("/workbench/?tab=review").content.decode(),
        browser(staff.dispatcher).get(f"/tickets/{assignment.ticket_id}/").content.decode(),
    ]
    # Then every deadline reads as stopped, and none ticks
    for html in pages:
        assert "退单审核中，暂停计时" in html
        assert "data-due=" not in html
    # And once the return is rejected, the moved deadlines count down again
    request = ReturnRequest.objects.get(assignment=assignment)
    services.decide_return(return_request_id=request.pk, actor=staff.dispatcher, approve=False, note="属地职责")
    html = browser(staff.officer_a).get(f"/workbench/{assignment.pk}/").content.decode()
    assert "退单审核中，暂停计时" not in html
    assert "data-due=" in html


def test_sign_then_reply_from_the_assignment_page(org, staff, dispatched):
    assignment = dispatched(org.street_a)
    client = browser(staff.officer_a)
    # When the officer signs
    signed = client.post(f"/workbench/{assignment.pk}/sign/", follow=True)
    assert "已签收，办理时限计时中。" in messages_of(signed)
    # and replies "cannot be resolved" without an explanation
    refused = client.post(f"/workbench/{assignment.pk}/reply/", {"text": "无法解决", "outcome": "unresolved"})
    # Then the form comes back with the field error and nothing is replied
    assert refused.status_code == 400
    assert refused.context["forms"]["reply"].errors["explanation"]
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.SIGNED
    # and with the explanation, the reply goes through
    done = client.post(
        f"/workbench/{assignment.pk}/reply/",
        {"text": "产权不明", "outcome": "unresolved", "explanation": "涉及历史遗留问题，已上报区政府"},
        follow=True,
    )
    assert "已反馈。" in messages_of(done)
    assert Ticket.objects.get(pk=assignment.ticket_id).status == Status.AWAITING_CALLBACK


def test_a_refused_step_shows_the_reason(org, staff, dispatched):
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    response = browser(staff.officer_a).post(f"/workbench/{assignment.pk}/sign/", follow=True)
    assert response.status_code == 200
    (message,) = response.context["messages"]
    assert message.level_tag == "error"
    assert "办理中" in str(message)


def test_bulk_sign_from_the_workbench(org, staff, dispatched):
    first, second = dispatched(org.street_a), dispatched(org.street_a)
    response = browser(staff.officer_a).post("/workbench/sign/", {"ids": [first.pk, second.pk]}, follow=True)
    assert "已签收 2 件工单。" in messages_of(response)
    assert set(Assignment.objects.values_list("status", flat=True)) == {AssignmentStatus.SIGNED}


def test_caller_number_page_shows_it_once_and_records_it(org, staff, dispatched):
    assignment = services.sign(
        assignment_id=dispatched(org.street_a, caller__phone="13698765432").pk, actor=staff.officer_a
    )
    client = browser(staff.officer_a)
    page = client.get(f"/workbench/{assignment.pk}/").content.decode()
    assert "136****5432" in page
    assert "13698765432" not in page
    revealed = client.post(f"/workbench/{assignment.pk}/caller-phone/")
    assert "13698765432" in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    assert PersonalDataAccess.objects.filter(user=staff.officer_a, purpose="first_contact").count() == 1


def test_progress_with_a_photo_from_the_page(org, staff, dispatched, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    client = browser(staff.officer_a)
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, content_type="image/jpeg")
    client.post(f"/workbench/{assignment.pk}/progress/", {"text": "已到现场", "files": [photo]})
    page = client.get(f"/workbench/{assignment.pk}/").content.decode()
    assert "已到现场" in page
    assert "<img" in page
    attachment = assignment.notes.get().attachments.get()
    assert client.get(f"/workbench/attachments/{attachment.pk}/")["Content-Type"] == "image/jpeg"
    # A leader of the unit reads it too
    assert browser(staff.leader_a).get(f"/workbench/attachments/{attachment.pk}/").status_code == 200


def test_return_and_extension_requests_from_the_page(org, staff, dispatched):
    client = browser(staff.officer_a)
    to_return = dispatched(org.street_a)
    client.post(f"/workbench/{to_return.pk}/return/", {"reason": "outside_area", "legal_basis": "辖区划分文件"})
    assert ReturnRequest.objects.get().assignment == to_return
    to_extend = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    client.post(f"/workbench/{to_extend.pk}/extension/", {"extra_days": 2, "reason": "需要协调"})
    assert ExtensionRequest.objects.get().assignment == to_extend
    # the page now shows the request and no longer offers another one
    page = client.get(f"/workbench/{to_extend.pk}/")
    assert "forms" in page.context
    assert "extension" not in page.context["forms"]


def test_workbench_runs_a_bounded_number_of_queries_at_1000_tickets(org, staff, django_assert_max_num_queries):
    # Given 1,000 tickets awaiting street A's signature
    assign_many(org.street_a, 1000)
    client = browser(staff.officer_a)
    client.get("/workbench/")  # warm the session and caches
    # When the officer opens each tab, the page costs the same few queries
    for tab in ("to_sign", "due_soon", "all"):
        with django_assert_max_num_queries(12):
            response = client.get("/workbench/", {"tab": tab})
        assert response.status_code == 200
    assert {value: count for value, _label, count in response.context["tabs"]}["to_sign"] == 1000
    assert len(response.context["page"].object_list) == 50


def test_dispatcher_bulk_dispatches_from_the_queue_with_suggestions(org, staff, awaiting):
    first, second = awaiting(), awaiting(street=org.street_b)
    client = browser(staff.dispatcher)
    page = client.get("/dispatch/")
    html = page.content.decode()
    assert "属地：新村街道" in html
    assert {t.pk: [s.unit for s in found] for t, found, _reading in page.context["rows"]} == {
        first.pk: [org.street_a],
        second.pk: [org.street_b],
    }
    done = client.post(
        "/dispatch/",
        {"tickets": [first.pk, second.pk], f"lead_{first.pk}": org.street_a.pk, f"lead_{second.pk}": org.street_b.pk},
        follow=True,
    )
    assert "已派出 2 件工单。" in messages_of(done)
    assert {(a.ticket_id, a.unit_id) for a in Assignment.objects.all()} == {
        (first.pk, org.street_a.pk),
        (second.pk, org.street_b.pk),
    }


def test_dispatch_page_offers_the_suggestion_and_sends_to_lead_and_assisting_units(org, staff, awaiting):
    ticket = awaiting()
    client = browser(staff.dispatcher)
    page = client.get(f"/dispatch/tickets/{ticket.pk}/")
    assert page.context["form"].initial["lead_unit"] == org.street_a.pk
    client.post(
        f"/dispatch/tickets/{ticket.pk}/",
        {"lead_unit": org.street_a.pk, "assist_units": [org.department.pk], "note": "请尽快处理"},
    )
    assert sorted(Assignment.objects.filter(ticket=ticket).values_list("role", flat=True)) == ["assist", "lead"]
    # dispatching it again is refused with a message, not an error page
    again = client.post(f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": org.street_b.pk})
    assert again.status_code == 200
    assert Assignment.objects.filter(ticket=ticket).count() == 2


def test_return_review_page_approves_and_redispatches(org, staff, dispatched):
    wrong = dispatched(org.street_b)
    request = services.request_return(
        assignment_id=wrong.pk, actor=staff.officer_b, reason="outside_area", legal_basis="不在辖区"
    )
    client = browser(staff.dispatcher)
    listed = client.get("/dispatch/reviews/").content.decode()
    # The ticket number opens the ticket
    assert f'<a href="/tickets/{wrong.ticket_id}/">{wrong.ticket.number}</a>' in listed
    page = client.get(f"/dispatch/reviews/returns/{request.pk}/")
    assert [s.unit for s in page.context["suggestions"]] == [org.street_a]
    client.post(f"/dispatch/reviews/returns/{request.pk}/", {"decision": "approve", "redispatch_to": org.street_a.pk})
    assert Assignment.objects.get(ticket=wrong.ticket, ended_at__isnull=True).unit == org.street_a
    # rejecting needs a reason
    other = services.request_return(
        assignment_id=dispatched(org.street_b).pk, actor=staff.officer_b, reason="other", legal_basis="x"
    )
    refused = client.post(f"/dispatch/reviews/returns/{other.pk}/", {"decision": "reject"})
    assert refused.status_code == 400
    assert refused.context["form"].errors["note"]


def test_a_return_decided_since_the_page_was_opened_is_refused_with_a_message(org, staff, dispatched):
    # Given a return request that another dispatcher rejects while this one has its page open
    request = services.request_return(
        assignment_id=dispatched(org.street_b).pk, actor=staff.officer_b, reason="other", legal_basis="x"
    )
    services.decide_return(return_request_id=request.pk, actor=staff.hotline_supervisor, approve=False, note="在辖区内")
    # When this dispatcher approves it
    response = browser(staff.dispatcher).post(f"/dispatch/reviews/returns/{request.pk}/", {"decision": "approve"})
    # Then the page (which no longer shows the decision form) says why as a message, and nothing changes
    assert response.status_code == 200
    (message,) = response.context["messages"]
    assert message.level_tag == "error"
    assert not response.context["form"].errors
    assert ReturnRequest.objects.get(pk=request.pk).status == "rejected"


def test_a_ticket_merged_while_the_dispatch_page_posts_is_refused_with_a_message(org, staff, awaiting, monkeypatch):
    # Given a ticket awaiting dispatch that another dispatcher merges into an open one just as this
    # dispatcher's POST reaches the service (after the page read it as awaiting dispatch)
    parent, ticket = awaiting(status=Status.IN_PROGRESS), awaiting()
    dispatch = services.dispatch_ticket

    def merged_meanwhile(**kwargs):
        intake_services.merge_into(ticket_id=ticket.pk, parent_id=parent.pk, actor=staff.hotline_supervisor)
        return dispatch(**kwargs)

    monkeypatch.setattr(services, "dispatch_ticket", merged_meanwhile)
    # When this dispatcher dispatches it
    response = browser(staff.dispatcher).post(f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": org.street_a.pk})
    # Then the page, which no longer offers the dispatch form, says why as a message; nothing is dispatched
    assert response.status_code == 200
    (message,) = response.context["messages"]
    assert message.level_tag == "error"
    assert not response.context["form"].errors
    assert not Assignment.objects.filter(ticket=ticket).exists()


def test_extension_decisions_on_the_review_page(org, staff, dispatched):
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    request = services.request_extension(assignment_id=assignment.pk, actor=staff.officer_a, extra_days=2, reason="x")
    client = browser(staff.dispatcher)
    assert "延期申请" in client.get("/dispatch/reviews/").content.decode()
    client.post(f"/dispatch/reviews/extensions/{request.pk}/", {"decision": "approve"})
    assert Assignment.objects.get(pk=assignment.pk).due_at == assignment.due_at + timedelta(days=2)


def test_catalogue_page_is_edited_by_supervisors_only(org, staff):
    rule = {
        "category": org.functional_matter.pk,
        "district": org.district.pk,
        "unit": org.department.pk,
        "valid_from": timezone.localdate().isoformat(),
    }
    assert browser(staff.dispatcher).get("/dispatch/catalogue/").status_code == 200
    assert browser(staff.dispatcher).post("/dispatch/catalogue/", rule).status_code == 404
    refused = browser(staff.hotline_supervisor).post("/dispatch/catalogue/", {**rule, "unit": org.street_a.pk})
    assert refused.status_code == 400
    assert refused.context["form"].errors["unit"]
    browser(staff.hotline_supervisor).post("/dispatch/catalogue/", rule)
    assert RoutingRule.objects.get().unit == org.department
    page = browser(staff.hotline_supervisor).get("/dispatch/catalogue/").content.decode()
    assert "市水务局" in page


def test_supervision_page_and_supervise_form(org, staff, dispatched):
    late = dispatched(org.street_b)
    Assignment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    client = browser(staff.district_supervisor)
    page = client.get("/supervision/")
    assert [row["unit__name"] for row in page.context["rows"]] == ["大红门街道"]
    assert page.context["rows"][0]["overdue"] == 1
    detail = client.get(f"/workbench/{late.pk}/")
    assert "supervise" in detail.context["forms"]
    assert not detail.context["panel"]["sign"]
    client.post(f"/workbench/{late.pk}/supervise/", {"comment": "请今日办结"})
    assert late.ticket.events.filter(action="supervise", note="请今日办结").exists()
    assert browser(staff.officer_a).get("/supervision/").status_code == 404


def test_editing_a_rule_in_effect_from_its_page_starts_a_new_version(org, staff):
    from tests.factories import RoutingRuleFactory

    rule = RoutingRuleFactory(category=org.functional_matter, unit=org.department)
    client = browser(staff.hotline_supervisor)
    page = client.get(f"/dispatch/catalogue/{rule.pk}/")
    assert page.status_code == 200
    assert page.context["form"].initial["unit"] == org.department
    client.post(
        f"/dispatch/catalogue/{rule.pk}/",
        {
            "category": org.functional_matter.pk,
            "unit": org.other_department.pk,
            "valid_from": rule.valid_from.isoformat(),
        },
    )
    current = RoutingRule.objects.get(valid_until__isnull=True)
    assert (current.unit, current.replaces_id, current.valid_from) == (
        org.other_department,
        rule.pk,
        timezone.localdate(),
    )
    assert browser(staff.dispatcher).get(f"/dispatch/catalogue/{rule.pk}/").status_code == 404
    client.post(f"/dispatch/catalogue/{current.pk}/retire/")
    assert not RoutingRule.objects.filter(valid_until__isnull=True).exists()


# Repeat candidates and merging on the dispatcher's ticket page


def test_dispatch_page_lists_the_repeat_candidates_but_not_the_ticket_or_its_children(org, staff, awaiting):
    # Given a ticket awaiting dispatch, and open tickets of the same caller and of the same place
    ticket = awaiting(caller__phone="13812345678", description="新村路夜间渣土车噪音")
    same_caller = awaiting(
        caller__phone="13812345678", street=org.street_b, status=Status.IN_PROGRESS, description="另一件事"
    )
    same_place = awaiting(status=Status.DISPATCHED, description="别的描述")
    # and tickets that are no candidates: closed, only received, merged into this one, elsewhere
    awaiting(caller__phone="13812345678", status=Status.CLOSED, closed_at=timezone.now())
    awaiting(caller__phone="13812345678", status=Status.RECEIVED)
    awaiting(status=Status.MERGED, parent=ticket, closed_at=timezone.now())
    awaiting(street=org.street_b, description="无关的事情")
    # When a dispatcher opens the ticket's page
    page = browser(staff.dispatcher).get(f"/dispatch/tickets/{ticket.pk}/")
    # Then the two open repeats are offered, each with number, status, category, place and time
    assert page.status_code == 200
    assert {candidate.ticket.pk for candidate in page.context["candidates"]} == {same_caller.pk, same_place.pk}
    html = page.content.decode()
    for candidate, status_label, street in (
        (same_caller, "办理中", "大红门街道"),
        (same_place, "已派单待签收", "新村街道"),
    ):
        row = html.split(f'data-ticket="{candidate.number}"')[1].split("</tr>")[0]
        assert status_label in row
        assert "施工噪音" in row
        assert f"丰台区 {street}" in row
        assert timezone.localtime(candidate.created_at).strftime("%Y-%m-%d %H:%M") in row
        assert f'name="parent" value="{candidate.pk}"' in row
    assert "同一诉求人" in html
    assert "同一地点同类问题" in html
    assert "并入此工单" in html
    # And, as on the agent desk, no caller's number is shown
    assert "13812345678" not in html
    assert "138****5678" not in html


def test_merging_from_the_dispatch_page_joins_the_candidate_and_goes_back_to_the_queue(org, staff, awaiting):
    # Given a ticket awaiting dispatch that repeats an open one
    parent = awaiting(status=Status.IN_PROGRESS)
    ticket = awaiting()
    # When the dispatcher merges it into the open one
    client = browser(staff.dispatcher)
    response = client.post(f"/dispatch/tickets/{ticket.pk}/merge/", {"parent": parent.pk}, follow=True)
    # Then they are back on the queue, told which ticket joined which
    assert response.redirect_chain == [("/dispatch/", 302)]
    assert messages_of(response) == [f"工单 {ticket.number} 已并入工单 {parent.number}。"]
    # And the ticket is merged, not dispatched; the open one records the repeat contact
    ticket.refresh_from_db()
    assert (ticket.status, ticket.parent_id, ticket.closed_at is not None) == (Status.MERGED, parent.pk, True)
    assert not Assignment.objects.filter(ticket=ticket).exists()
    assert ticket.events.get().actor == staff.dispatcher
    assert parent.events.get().payload["child"] == ticket.number
    assert ticket.pk not in {row.pk for row in response.context["page"]}


def _nothing_merged(ticket: Ticket, parent: Ticket) -> bool:
    ticket.refresh_from_db()
    return ticket.parent_id is None and not parent.events.exists() and ticket.status != Status.MERGED


@pytest.mark.parametrize(
    ("meanwhile", "message"),
    [
        ("parent_closed", "只能并入已受理的在办工单。"),
        ("dispatched", "工单处于“已派单待签收”状态，不能“并入其他工单”。"),
    ],
)
def test_a_merge_refused_since_the_page_was_opened_says_why_and_changes_nothing(
    org, staff, awaiting, meanwhile, message
):
    # Given the dispatcher sees a ticket and its candidate
    parent = awaiting(status=Status.IN_PROGRESS)
    ticket = awaiting()
    client = browser(staff.dispatcher)
    assert [c.ticket for c in client.get(f"/dispatch/tickets/{ticket.pk}/").context["candidates"]] == [parent]
    # And meanwhile the candidate is closed, or someone else dispatches the ticket
    if meanwhile == "parent_closed":
        Ticket.objects.filter(pk=parent.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    else:
        services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=org.street_a.pk, actor=staff.hotline_supervisor)
    # When they press "merge into this ticket"
    response = client.post(f"/dispatch/tickets/{ticket.pk}/merge/", {"parent": parent.pk}, follow=True)
    # Then the ticket's page says why, and nothing is merged
    assert response.redirect_chain == [(f"/dispatch/tickets/{ticket.pk}/", 302)]
    assert messages_of(response) == [message]
    assert _nothing_merged(ticket, parent)


def test_a_double_submitted_merge_merges_once(org, staff, awaiting):
    # Given a ticket and its candidate
    parent = awaiting(status=Status.IN_PROGRESS)
    ticket = awaiting()
    client = browser(staff.dispatcher)
    # When the merge button is pressed twice
    first = client.post(f"/dispatch/tickets/{ticket.pk}/merge/", {"parent": parent.pk})
    second = client.post(f"/dispatch/tickets/{ticket.pk}/merge/", {"parent": parent.pk}, follow=True)
    # Then the first merges and the second is refused with the reason, writing nothing more
    assert first["Location"] == "/dispatch/"
    assert messages_of(second)[-1] == "工单处于“已并单”状态，不能“并入其他工单”。"
    assert ticket.events.count() == 1
    assert parent.events.count() == 1


@pytest.mark.parametrize(("parent", "message"), [("", "请选择要并入的工单。"), ("999999", "选择一个有效的选项")])
def test_a_merge_without_a_valid_parent_is_refused(org, staff, awaiting, parent, message):
    ticket = awaiting()
    response = browser(staff.dispatcher).post(f"/dispatch/tickets/{ticket.pk}/merge/", {"parent": parent}, follow=True)
    assert message in messages_of(response)[0]
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_DISPATCH


def test_only_dispatchers_see_the_candidates_and_merge(org, staff, awaiting, make_user, client):
    # Given a ticket and its candidate
    parent = awaiting(status=Status.IN_PROGRESS)
    ticket = awaiting()
    page, merge = f"/dispatch/tickets/{ticket.pk}/", f"/dispatch/tickets/{ticket.pk}/merge/"
    # When unit staff or a hotline agent try, the pages do not exist for them
    for user in (staff.officer_a, staff.leader_a, staff.district_supervisor, make_user("agent", org.hotline)):
        assert browser(user).get(page).status_code == 404
        assert browser(user).post(merge, {"parent": parent.pk}).status_code == 404
    # And anonymous users are sent to log in
    assert client.post(merge, {"parent": parent.pk})["Location"].startswith("/accounts/login/")
    assert _nothing_merged(ticket, parent)
    # While the hotline supervisor, who dispatches too, may merge; merging is a POST only
    assert browser(staff.hotline_supervisor).get(merge).status_code == 405
    assert browser(staff.hotline_supervisor).post(merge, {"parent": parent.pk})["Location"] == "/dispatch/"


def test_a_ticket_no_longer_awaiting_dispatch_offers_no_merge(org, staff, dispatched):
    assignment = dispatched(org.street_a)
    page = browser(staff.dispatcher).get(f"/dispatch/tickets/{assignment.ticket_id}/")
    assert page.context["candidates"] == []
    assert "并入此工单" not in page.content.decode()


def test_dispatch_page_candidates_cost_a_bounded_number_of_queries(org, staff, awaiting, django_assert_max_num_queries):
    # Given a ticket awaiting dispatch that 40 open tickets repeat (same caller, place and text)
    ticket = awaiting(caller__phone="13812345678")
    for _ in range(40):
        awaiting(caller__phone="13812345678", status=Status.IN_PROGRESS)
    client = browser(staff.dispatcher)
    client.get(f"/dispatch/tickets/{ticket.pk}/")  # warm the session and caches
    # When the dispatcher opens the page, it costs the same queries as with one candidate: session,
    # user, ticket, catalogue, one per kind of match, the unread badge, the two unit selects
    with django_assert_max_num_queries(10):
        page = client.get(f"/dispatch/tickets/{ticket.pk}/")
    # Then the ten best are shown
    assert len(page.context["candidates"]) == 10


def test_assignment_page_runs_a_bounded_number_of_queries(org, staff, dispatched, django_assert_max_num_queries):
    # Given a signed lead with an assisting unit, 20 progress notes and an extension request
    lead = services.sign(assignment_id=dispatched(org.street_a, assist=(org.department,)).pk, actor=staff.officer_a)
    for index in range(20):
        services.add_progress(assignment_id=lead.pk, actor=staff.officer_a, text=f"进展{index}")
    services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=2, reason="需协调")
    client = browser(staff.officer_a)
    client.get(f"/workbench/{lead.pk}/")  # warm the session and caches
    # When the officer opens the assignment page, it costs the same few queries: session, user, the
    # scope, the assignment and its seven prefetches (with the units passed down to, issue 18), the
    # memberships, the navigation's and the unread badge's counts, and one for the appeals open on
    # the ticket (the "Appeal" link)
    with django_assert_max_num_queries(15):
        page = client.get(f"/workbench/{lead.pk}/")
    # Then every note is shown, and the way to appeal
    html = page.content.decode()
    assert html.count('class="note"') == 20
    assert "data-appeal" in html


def test_a_functional_matter_to_a_street_needs_a_reason_that_the_ticket_page_shows(org, staff, awaiting):
    # Given a functional matter (停水) awaiting dispatch
    ticket = awaiting(category=org.functional_matter)
    client = browser(staff.dispatcher)
    # When the dispatcher sends it to the street without a reason
    refused = client.post(f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": org.street_a.pk})
    # Then the page says why, on the override field, and nothing is dispatched
    assert refused.status_code == 400
    assert "这是职能部门事项" in refused.context["form"].errors["override_reason"][0]
    assert 'name="override_reason"' in refused.content.decode()
    assert not Assignment.objects.filter(ticket=ticket).exists()
    # When it is sent again with a reason
    done = client.post(
        f"/dispatch/tickets/{ticket.pk}/", {"lead_unit": org.street_a.pk, "override_reason": "小区自管管网，街道牵头"}
    )
    assert done.status_code == 302
    # Then the ticket page and the assignment page show the reason
    lead = Assignment.objects.get(ticket=ticket)
    for page in (f"/tickets/{ticket.pk}/", f"/workbench/{lead.pk}/"):
        assert "越过派单目录：小区自管管网，街道牵头" in client.get(page).content.decode(), page


def test_catalogue_page_filters_and_its_queries_do_not_grow_with_the_catalogue(
    beijing, make_user, django_assert_max_num_queries
):
    hotline = Unit.objects.get(kind=UnitKind.HOTLINE_CENTER)
    client = browser(make_user(Role.HOTLINE_SUPERVISOR, hotline))

    def queries_for(url: str) -> int:
        with django_assert_max_num_queries(50) as counted:
            assert client.get(url).status_code == 200
        return len(counted)

    # Given an empty catalogue, then the shipped one (about 1,700 rules)
    empty = queries_for("/dispatch/catalogue/")
    services.load_catalogue(rows=services.read_catalogue_rows(), valid_from=timezone.localdate())
    # Then the page costs the same number of queries and shows one page of 50
    assert queries_for("/dispatch/catalogue/") == empty
    page = client.get("/dispatch/catalogue/")
    assert len(page.context["rules"]) == 50
    # and filtering by 路灯照明 in 丰台区 shows the rules that apply there: the district's and the city's
    street_lights = Category.objects.get(name="路灯照明")
    fengtai = Unit.objects.get(name="丰台区", kind=UnitKind.DISTRICT)
    filtered = client.get("/dispatch/catalogue/", {"category": street_lights.pk, "district": fengtai.pk})
    assert sorted(rule.unit.name for rule in filtered.context["rules"]) == ["丰台区城市管理委", "市城市管理委"]
    # and the page says what is now enforced
    assert "派给街乡镇须由派单员填写原因" in page.content.decode()
