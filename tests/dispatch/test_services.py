"""Dispatch services: deadlines, routing suggestions, the catalogue's versions, the rules of each step."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch import selectors, services
from dispatch.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ReplyOutcome,
    ReturnRequest,
    ReviewStatus,
    RoutingRule,
)
from hotline.errors import DomainError
from hotline.models import DeadlineTier, Notification, NotificationKind
from intake.lifecycle import Action, Status
from intake.models import Ticket, TicketEvent
from tests.factories import AssignmentFactory, CategoryFactory, RoutingRuleFactory, StreetFactory

pytestmark = pytest.mark.django_db


def test_dispatch_sets_sign_and_handling_deadlines_by_tier(org, dispatched):
    # Given a general and an emergency ticket
    general = dispatched(org.street_a)
    emergency = dispatched(org.street_a, deadline_tier=DeadlineTier.EMERGENCY)
    # Then signing is due in 1 h (15 min for emergencies) and handling within the tier's time
    assert general.sign_due_at - general.dispatched_at == timedelta(hours=1)
    assert general.due_at - general.dispatched_at == timedelta(days=7)
    assert emergency.sign_due_at - emergency.dispatched_at == timedelta(minutes=15)
    assert emergency.due_at - emergency.dispatched_at == timedelta(hours=2)


def test_deadlines_follow_the_settings(org, dispatched, settings):
    settings.HOTLINE_SIGN_DEADLINE = timedelta(minutes=30)
    settings.HOTLINE_DEADLINES = {**settings.HOTLINE_DEADLINES, "general": timedelta(days=5)}
    assignment = dispatched(org.street_a)
    assert assignment.sign_due_at - assignment.dispatched_at == timedelta(minutes=30)
    assert assignment.due_at - assignment.dispatched_at == timedelta(days=5)


def test_signing_starts_the_first_contact_deadline(org, staff, dispatched):
    assignment = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    assert assignment.first_contact_due_at - assignment.signed_at == timedelta(hours=2)
    assert Ticket.objects.get(pk=assignment.ticket_id).status == Status.IN_PROGRESS


@pytest.mark.parametrize("ticket_fields", [{"confidential": True}, {"caller": None}], ids=["confidential", "no caller"])
def test_a_caller_the_unit_may_not_call_gets_no_first_contact_deadline(ticket_fields, org, staff, dispatched):
    # Given a ticket whose caller asked for confidentiality, or one without a caller, signed by the unit
    assignment = services.sign(assignment_id=dispatched(org.street_a, **ticket_fields).pk, actor=staff.officer_a)
    # Then the unit has no first contact to make, and cannot record one
    assert assignment.first_contact_due_at is None
    with pytest.raises(DomainError) as refused:
        services.record_first_contact(assignment_id=assignment.pk, actor=staff.officer_a)
    assert (refused.value.code, refused.value.status) == ("no_contact_due", 409)
    assert Assignment.objects.get(pk=assignment.pk).first_contacted_at is None


def test_dispatch_notifies_the_units_staff(org, staff, dispatched):
    dispatched(org.street_a, assist=(org.department,))
    notified = Notification.objects.filter(kind="dispatched").values_list("recipient__username", flat=True)
    assert sorted(notified) == ["leader_a", "officer_a", "water"]


def test_only_one_live_lead_per_ticket_is_enforced_by_the_database(org):
    lead = AssignmentFactory(unit=org.street_a)
    with pytest.raises(IntegrityError):
        AssignmentFactory(ticket=lead.ticket, unit=org.street_b)


def test_an_assisting_unit_signs_only_once_the_lead_has_signed(org, staff, dispatched):
    lead = dispatched(org.street_a, assist=(org.department,))
    assist = Assignment.objects.get(ticket_id=lead.ticket_id, role=AssignmentRole.ASSIST)
    with pytest.raises(DomainError) as refused:
        services.sign(assignment_id=assist.pk, actor=staff.department_officer)
    assert refused.value.status == 409
    services.sign(assignment_id=lead.pk, actor=staff.officer_a)
    assert services.sign(assignment_id=assist.pk, actor=staff.department_officer).status == AssignmentStatus.SIGNED


def test_only_a_street_leading_the_ticket_blows_the_whistle(org, staff, dispatched):
    lead = services.sign(assignment_id=dispatched(org.department).pk, actor=staff.department_officer)
    with pytest.raises(DomainError) as refused:
        services.whistle(assignment_id=lead.pk, actor=staff.department_officer, unit_ids=[org.other_department.pk])
    assert refused.value.code == "streets_only"


def test_whistled_units_share_the_leads_deadline_and_are_notified(org, staff, dispatched):
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    (summoned,) = services.whistle(assignment_id=lead.pk, actor=staff.officer_a, unit_ids=[org.department.pk])
    assert (summoned.role, summoned.whistled_by_id, summoned.due_at) == (AssignmentRole.ASSIST, lead.pk, lead.due_at)
    assert Notification.objects.filter(kind="whistle", recipient=staff.department_officer).exists()
    # A unit already on the ticket cannot be summoned again
    with pytest.raises(DomainError) as refused:
        services.whistle(assignment_id=lead.pk, actor=staff.officer_a, unit_ids=[org.department.pk])
    assert refused.value.code == "already_assigned"


def test_the_leads_reply_ends_assisting_units_that_have_not_replied(org, staff, dispatched):
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    (summoned,) = services.whistle(assignment_id=lead.pk, actor=staff.officer_a, unit_ids=[org.department.pk])
    services.reply(
        assignment_id=lead.pk,
        actor=staff.officer_a,
        text="部分解决",
        outcome=ReplyOutcome.PARTLY_RESOLVED,
        explanation="产权单位尚未答复",
    )
    summoned.refresh_from_db()
    assert (summoned.status, summoned.ended_at is not None) == (AssignmentStatus.ENDED, True)
    ticket = Ticket.objects.get(pk=lead.ticket_id)
    assert ticket.public_reply == "部分解决\n\n产权单位尚未答复"


def test_the_public_reply_is_written_by_the_replys_transition(org, staff, dispatched):
    # Given a signed lead assignment
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    # When the lead replies
    with CaptureQueriesContext(connection) as queries:
        services.reply(assignment_id=lead.pk, actor=staff.officer_a, text="已修复", outcome=ReplyOutcome.RESOLVED)
    # Then the ticket is written once, by the transition: its status and public reply together
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "intake_ticket"')]
    assert '"status"' in update
    assert '"public_reply"' in update
    ticket = Ticket.objects.get(pk=lead.ticket_id)
    assert (ticket.status, ticket.public_reply) == (Status.AWAITING_CALLBACK, "已修复")


def test_closing_the_ticket_ends_its_assignments(org, staff, dispatched):
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    services.reply(assignment_id=lead.pk, actor=staff.officer_a, text="已解决", outcome=ReplyOutcome.RESOLVED)
    assert services.close_assignments(ticket_id=lead.ticket_id) == 1
    lead.refresh_from_db()
    assert (lead.status, lead.ended_at is not None) == (AssignmentStatus.REPLIED, True)


def test_review_tab_shows_pending_requests_and_recent_returns(org, staff, dispatched):
    lead = dispatched(org.street_a)
    services.request_return(assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单")
    assert [a.pk for a in selectors.inbox(user=staff.officer_a, tab="review")] == [lead.pk]
    assert list(selectors.inbox(user=staff.officer_a, tab="to_sign")) == []


class TestSuggestions:
    def test_street_matter_goes_to_the_known_street(self, org, awaiting):
        ticket = awaiting()
        assert [s.unit for s in selectors.suggestions(tickets=[ticket])[ticket.pk]] == [org.street_a]

    def test_functional_matter_is_never_suggested_to_a_street(self, org, awaiting):
        ticket = awaiting(category=org.functional_matter)
        # even when a (mistaken) catalogue rule names the street
        RoutingRuleFactory(category=org.functional_matter, unit=org.street_a)
        RoutingRuleFactory(category=org.functional_matter, unit=org.department)
        assert [s.unit for s in selectors.suggestions(tickets=[ticket])[ticket.pk]] == [org.department]

    def test_the_most_specific_rule_in_effect_comes_first(self, org, awaiting):
        ticket = awaiting(category=org.functional_matter)
        level_1 = org.functional_matter.parent.parent
        today = timezone.localdate()
        RoutingRuleFactory(category=level_1, unit=org.other_department)  # city-wide, top level
        RoutingRuleFactory(category=org.functional_matter, district=org.district, unit=org.department)
        RoutingRuleFactory(category=org.functional_matter, unit=org.hotline, valid_until=today - timedelta(days=1))
        RoutingRuleFactory(category=org.functional_matter, unit=org.hotline, valid_from=today + timedelta(days=1))
        found = selectors.suggestions(tickets=[ticket])[ticket.pk]
        assert [s.unit for s in found] == [org.department, org.other_department]
        assert all(s.rule_id for s in found)

    def test_a_rule_for_another_street_does_not_apply(self, org, awaiting):
        ticket = awaiting()
        RoutingRuleFactory(category=org.street_matter, street=org.street_b, district=org.district, unit=org.department)
        assert [s.unit for s in selectors.suggestions(tickets=[ticket])[ticket.pk]] == [org.street_a]

    def test_one_query_for_a_page_of_tickets(self, org, awaiting, django_assert_num_queries):
        tickets = [awaiting(street=StreetFactory(parent=org.district), category=CategoryFactory()) for _ in range(20)]
        page = list(selectors.dispatch_queue().filter(pk__in=[t.pk for t in tickets]))
        with django_assert_num_queries(1):
            found = selectors.suggestions(tickets=page)
        assert all(len(found[t.pk]) == 1 for t in page)


class TestCatalogue:
    def test_a_rule_not_yet_in_effect_is_changed_in_place(self, org, staff):
        tomorrow = timezone.localdate() + timedelta(days=1)
        rule = services.create_rule(
            data=services.RuleData(category=org.functional_matter, unit=org.department, valid_from=tomorrow),
            actor=staff.hotline_supervisor,
        )
        changed = services.update_rule(
            rule_id=rule.pk,
            data=services.RuleData(category=org.functional_matter, unit=org.other_department, valid_from=tomorrow),
            actor=staff.hotline_supervisor,
        )
        assert (changed.pk, changed.unit) == (rule.pk, org.other_department)
        assert RoutingRule.objects.count() == 1

    def test_a_street_rule_takes_the_streets_district(self, org, staff):
        rule = services.create_rule(
            data=services.RuleData(
                category=org.street_matter, street=org.street_a, unit=org.street_a, valid_from=timezone.localdate()
            ),
            actor=staff.hotline_supervisor,
        )
        assert rule.district == org.district

    def test_only_hotline_supervisors_change_it(self, org, staff):
        data = services.RuleData(category=org.street_matter, unit=org.street_a, valid_from=timezone.localdate())
        with pytest.raises(DomainError) as refused:
            services.create_rule(data=data, actor=staff.dispatcher)
        assert refused.value.status == 404


def test_extension_can_be_asked_again_after_a_denial(org, staff, dispatched):
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    first = services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=2, reason="等待材料")
    services.decide_extension(extension_request_id=first.pk, actor=staff.dispatcher, approve=False, note="不批准")
    second = services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=1, reason="补充材料")
    approved = services.decide_extension(extension_request_id=second.pk, actor=staff.dispatcher, approve=True)
    assert approved.granted_due_at == lead.due_at + timedelta(days=1)


def test_the_units_decision_notices_name_the_ticket(org, staff, dispatched):
    # Given a signed ticket whose unit asked for an extension and then for a return
    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    number = lead.ticket.number
    extension = services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=2, reason="等材料")
    unsigned = dispatched(org.street_a)
    # When the hotline approves the extension and rejects a return of another ticket
    services.decide_extension(extension_request_id=extension.pk, actor=staff.dispatcher, approve=True)
    returned = services.request_return(
        assignment_id=unsigned.pk, actor=staff.officer_a, reason="other", legal_basis="x"
    )
    services.decide_return(return_request_id=returned.pk, actor=staff.dispatcher, approve=False, note="属本单位职责")
    # Then each notice the unit gets names the ticket and leads to it
    decided = Notification.objects.filter(
        kind__in=[NotificationKind.EXTENSION_DECIDED, NotificationKind.RETURN_DECIDED], recipient=staff.officer_a
    ).order_by("id")
    assert [(notice.title, notice.link) for notice in decided] == [
        (f"延期申请已同意：{number}", f"/workbench/{lead.pk}/"),
        (f"退单申请被驳回：{unsigned.ticket.number}，请签收办理", f"/workbench/{unsigned.pk}/"),
    ]


def test_unit_staff_cannot_review_their_own_requests(org, staff, dispatched):
    lead = dispatched(org.street_a)
    request = services.request_return(assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="x")
    with pytest.raises(DomainError) as refused:
        services.decide_return(return_request_id=request.pk, actor=staff.leader_a, approve=True)
    assert refused.value.status == 404


def test_reopened_lead_handles_again_with_its_last_reply_kept_until_it_replies(org, staff, dispatched):
    from intake import services as intake_services
    from intake.lifecycle import Action

    lead = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
    services.reply(assignment_id=lead.pk, actor=staff.officer_a, text="已修复", outcome=ReplyOutcome.RESOLVED)
    # When the callback reopens the ticket (evaluation's step) with a new deadline
    new_due = timezone.now() + timedelta(days=7)
    intake_services.transition(ticket_id=lead.ticket_id, action=Action.REOPEN, actor=None)
    reopened = services.reopen_lead(ticket_id=lead.ticket_id, due_at=new_due)
    # Then the same unit handles it again, signed, until the new deadline, its last reply kept
    assert (reopened.pk, reopened.status, reopened.due_at) == (lead.pk, AssignmentStatus.SIGNED, new_due)
    assert Assignment.objects.get(pk=lead.pk).reply == "已修复"
    # and its next reply replaces the last one
    again = services.reply(assignment_id=lead.pk, actor=staff.officer_a, text="已彻底修复", outcome="resolved")
    assert (again.status, again.reply) == (AssignmentStatus.REPLIED, "已彻底修复")


def notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_return_request_notifies_the_hotline_staff_who_may_review_it(org, staff, dispatched):
    # Given a ticket dispatched to street A, whose caller left a name and a number
    lead = dispatched(org.street_a, caller__phone="13698765432", caller__name="李建国")
    # When A's officer asks to return it within the return window
    request = services.request_return(
        assignment_id=lead.pk, actor=staff.officer_a, reason="outside_area", legal_basis="辖区划分文件"
    )
    # Then the dispatcher and the hotline supervisor are told, and no unit's staff
    assert notified(NotificationKind.RETURN_REQUESTED) == ["dispatcher", "supervisor"]
    notice = Notification.objects.filter(kind=NotificationKind.RETURN_REQUESTED).first()
    assert notice.title == f"待审核退单申请：{lead.ticket.number}"
    assert notice.body == f"{lead.ticket.number} {lead.ticket.title}\n新村街道 · 不在本单位辖区"
    assert notice.link == f"/dispatch/reviews/returns/{request.pk}/"
    # and the caller's personal data is not in it
    for text in (notice.title, notice.body, notice.link):
        assert "13698765432" not in text
        assert "李建国" not in text


def test_a_late_return_request_notifies_hotline_supervisors_only(org, staff, dispatched):
    # Given a ticket dispatched three hours ago (the return window is two)
    lead = dispatched(org.street_a)
    Assignment.objects.filter(pk=lead.pk).update(dispatched_at=timezone.now() - timedelta(hours=3))
    # When the unit asks to return it
    services.request_return(assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="见说明")
    # Then only the hotline supervisor, who alone may decide it, is told
    assert notified(NotificationKind.RETURN_REQUESTED) == ["supervisor"]
    assert "超时申请：由热线督导审核" in Notification.objects.get(kind=NotificationKind.RETURN_REQUESTED).body


def test_a_refused_or_repeated_return_request_notifies_no_more(org, staff, dispatched):
    lead = dispatched(org.street_a)
    # A request without its legal basis is refused and tells nobody
    with pytest.raises(DomainError):
        services.request_return(assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis=" ")
    assert notified(NotificationKind.RETURN_REQUESTED) == []
    # A second request while the first is under review is refused and adds nothing
    services.request_return(assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单")
    with pytest.raises(DomainError):
        services.request_return(assignment_id=lead.pk, actor=staff.leader_a, reason="other", legal_basis="职责清单")
    assert notified(NotificationKind.RETURN_REQUESTED) == ["dispatcher", "supervisor"]


def test_an_extension_request_notifies_those_who_decide_it_once(org, staff, dispatched):
    # Given a ticket street A has signed
    lead = services.sign(assignment_id=dispatched(org.street_a, caller__phone="13698765432").pk, actor=staff.officer_a)
    # When its officer asks for two more days, and asks again while the first waits
    services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=2, reason="需协调产权单位")
    with pytest.raises(DomainError) as refused:
        services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=1, reason="再延")
    assert refused.value.code == "extension_pending"
    # Then the dispatcher and the hotline supervisor are told once, pointed to the review page
    assert notified(NotificationKind.EXTENSION_REQUESTED) == ["dispatcher", "supervisor"]
    notice = Notification.objects.filter(kind=NotificationKind.EXTENSION_REQUESTED).first()
    assert (notice.title, notice.body, notice.link) == (
        f"待审核延期申请：{lead.ticket.number}",
        f"{lead.ticket.number} {lead.ticket.title}\n新村街道 · 延期 2 天",
        "/dispatch/reviews/",
    )
    assert "13698765432" not in notice.title + notice.body


class TestFunctionalMattersToStreets:
    """A functional-department matter goes to a department: a street/township only with a reason."""

    def test_dispatching_it_to_a_street_is_refused(self, org, staff, awaiting):
        ticket = awaiting(category=org.functional_matter)
        with pytest.raises(DomainError) as refused:
            services.dispatch_ticket(ticket_id=ticket.pk, lead_unit_id=org.street_a.pk, actor=staff.dispatcher)
        assert (refused.value.code, refused.value.status) == ("functional_to_street", 409)
        assert "override_reason" in refused.value.fields
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignments.count()) == (Status.AWAITING_DISPATCH, 0)

    def test_a_blank_reason_is_no_reason(self, org, staff, awaiting):
        ticket = awaiting(category=org.functional_matter)
        with pytest.raises(DomainError) as refused:
            services.dispatch_ticket(
                ticket_id=ticket.pk, lead_unit_id=org.street_a.pk, actor=staff.dispatcher, override_reason="   "
            )
        assert refused.value.code == "functional_to_street"

    def test_a_reason_over_200_characters_is_refused(self, org, staff, awaiting):
        ticket = awaiting(category=org.functional_matter)
        with pytest.raises(DomainError) as refused:
            services.dispatch_ticket(
                ticket_id=ticket.pk, lead_unit_id=org.street_a.pk, actor=staff.dispatcher, override_reason="因" * 201
            )
        assert (refused.value.status, list(refused.value.fields)) == (400, ["override_reason"])

    def test_with_a_reason_it_goes_and_the_event_log_keeps_the_reason(self, org, staff, awaiting):
        ticket = awaiting(category=org.functional_matter)
        lead = services.dispatch_ticket(
            ticket_id=ticket.pk,
            lead_unit_id=org.street_a.pk,
            actor=staff.dispatcher,
            note="请街道协调",
            override_reason="  管网属小区自管，由街道牵头  ",
        )
        event = TicketEvent.objects.get(ticket=ticket, action=Action.DISPATCH)
        assert (lead.unit, event.payload["override_reason"], event.note) == (
            org.street_a,
            "管网属小区自管，由街道牵头",
            "请街道协调",
        )
        handling = selectors.ticket_handling(user=staff.dispatcher, ticket_id=ticket.pk)
        assert [a.override_reason for a in handling] == ["管网属小区自管，由街道牵头"]

    def test_street_matters_and_departments_need_no_reason(self, org, staff, awaiting):
        street_matter = services.dispatch_ticket(
            ticket_id=awaiting().pk, lead_unit_id=org.street_a.pk, actor=staff.dispatcher
        )
        functional = services.dispatch_ticket(
            ticket_id=awaiting(category=org.functional_matter).pk,
            lead_unit_id=org.department.pk,
            assist_unit_ids=[org.street_a.pk],  # a street may assist
            actor=staff.dispatcher,
        )
        assert [street_matter.unit, functional.unit] == [org.street_a, org.department]
        events = TicketEvent.objects.filter(action=Action.DISPATCH)
        assert not any("override_reason" in event.payload for event in events)
        handling = selectors.ticket_handling(user=staff.dispatcher, ticket_id=functional.ticket_id)
        assert [a.override_reason for a in handling] == [None, None]

    def test_bulk_dispatch_fails_such_an_item_and_does_the_others(self, org, staff, awaiting):
        functional, street_matter = awaiting(category=org.functional_matter), awaiting()
        result = services.bulk_dispatch(
            items=[
                services.DispatchItem(ticket_id=functional.pk, lead_unit_id=org.street_a.pk),
                services.DispatchItem(ticket_id=street_matter.pk, lead_unit_id=org.street_a.pk),
            ],
            actor=staff.dispatcher,
        )
        assert [item["code"] for item in result.failed] == ["functional_to_street"]
        assert [item["id"] for item in result.failed] == [functional.pk]
        assert len(result.done) == 1

    def test_redispatch_after_an_approved_return_follows_the_rule(self, org, staff, dispatched):
        lead = dispatched(org.department, category=org.functional_matter)
        request = services.request_return(
            assignment_id=lead.pk, actor=staff.department_officer, reason="other", legal_basis="职责清单"
        )
        with pytest.raises(DomainError) as refused:
            services.decide_return(
                return_request_id=request.pk, actor=staff.dispatcher, approve=True, redispatch_to_id=org.street_a.pk
            )
        assert refused.value.code == "functional_to_street"
        assert ReturnRequest.objects.get(pk=request.pk).status == ReviewStatus.PENDING
        services.decide_return(
            return_request_id=request.pk,
            actor=staff.dispatcher,
            approve=True,
            redispatch_to_id=org.street_a.pk,
            override_reason="属地协调",
        )
        new_lead = Assignment.objects.get(ticket_id=lead.ticket_id, ended_at__isnull=True)
        assert new_lead.unit == org.street_a
        assert TicketEvent.objects.filter(action=Action.DISPATCH).last().payload["override_reason"] == "属地协调"
