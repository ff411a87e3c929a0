"""The district sub-centre (区分中心) on the assignment page: passing the district's ticket down,
confirming its unit's reply, deciding its unit's return and extension requests, both levels of
units; refusals as form errors, and 404 for whoever is not the district's."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from dispatch import services
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ExtensionRequest, ReturnRequest, ReviewStatus
from hotline.models import Role, User
from intake.lifecycle import Status
from intake.models import Ticket

pytestmark = pytest.mark.django_db


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def sub_centre(org, make_user) -> User:
    """The district's sub-centre dispatcher (区分中心派单员)."""
    return make_user(Role.DISTRICT_DISPATCHER, org.district, username="fengtai_dispatch")


@pytest.fixture
def district_signed(org, dispatched, sub_centre):
    """district_signed(**ticket_fields): the district's signed lead assignment of a ticket."""

    def make(**fields) -> Assignment:
        return services.sign(assignment_id=dispatched(org.district, **fields).pk, actor=sub_centre)

    return make


def pass_down(district: Assignment, actor: User, unit, **kwargs) -> Assignment:
    return services.subdispatch(assignment_id=district.pk, actor=actor, lead_unit_id=unit.pk, **kwargs)[0]


def zh(msgid: str, **values: str) -> str:
    """A message as the page shows it (zh-hans): the new ones read the same before their translation."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % values if values else text


def local(at) -> str:
    return f"{timezone.localtime(at):%Y-%m-%dT%H:%M}"


class TestPassDown:
    def test_the_section_suggests_only_the_districts_units_and_passes_the_ticket_down(
        self, org, staff, sub_centre, district_signed
    ):
        # Given the district's signed ticket, in street A of the district
        district = district_signed(title="井盖缺失")
        client = browser(sub_centre)
        # When its sub-centre dispatcher opens it
        page = client.get(f"/workbench/{district.pk}/")
        # Then the page offers to pass it down, suggesting street A (local), with the district's deadline
        assert page.status_code == 200
        assert "subdispatch" in page.context["forms"]
        assert [s.unit for s in page.context["district"]["suggestions"]] == [org.street_a]
        html = page.content.decode()
        assert f'id="district-of-assignment" value="{org.district.pk}"' in html
        assert timezone.localtime(district.due_at).strftime("%Y-%m-%d %H:%M") in html
        # and, not passed down yet, the district may still reply itself
        assert "reply" in page.context["forms"]

        # When it passes the ticket down to street A, with the district's department assisting
        done = client.post(
            f"/workbench/{district.pk}/subdispatch/",
            {"subdispatch-lead": org.street_a.pk, "subdispatch-assisting": [org.other_department.pk]},
            follow=True,
        )
        # Then street A leads below the district, due by the district's deadline
        assert zh("Passed down to %(unit)s.", unit="新村街道") in messages_of(done)
        assert {(a.unit, a.role) for a in Assignment.objects.filter(parent=district)} == {
            (org.street_a, AssignmentRole.LEAD),
            (org.other_department, AssignmentRole.ASSIST),
        }
        lead = Assignment.objects.get(parent=district, role=AssignmentRole.LEAD)
        assert (lead.unit, lead.due_at) == (org.street_a, district.due_at)
        # and the page no longer offers to pass it down, but says the district waits for street A's reply
        assert "subdispatch" not in done.context["forms"]
        assert "reply" not in done.context["forms"]
        assert done.context["panel"]["sub_reply_pending"]
        assert "新村街道" in done.content.decode().split('id="sub-reply-pending"')[1]

    def test_a_deadline_after_the_districts_is_a_form_error(self, org, sub_centre, district_signed):
        district = district_signed()
        later = district.due_at + timedelta(days=1)
        response = browser(sub_centre).post(
            f"/workbench/{district.pk}/subdispatch/",
            {"subdispatch-lead": org.street_a.pk, "subdispatch-due_at": local(later)},
        )
        assert response.status_code == 400
        form = response.context["forms"]["subdispatch"]
        assert form.errors["due_at"] == [zh("Choose a deadline no later than the district's own.")]
        assert not Assignment.objects.filter(parent=district).exists()

    def test_an_earlier_deadline_is_kept(self, org, sub_centre, district_signed):
        district = district_signed()
        sooner = timezone.localtime(district.due_at - timedelta(days=2)).replace(second=0, microsecond=0)
        browser(sub_centre).post(
            f"/workbench/{district.pk}/subdispatch/",
            {"subdispatch-lead": org.street_a.pk, "subdispatch-due_at": local(sooner)},
        )
        assert Assignment.objects.get(parent=district).due_at == sooner

    def test_a_unit_outside_the_district_is_a_form_error(self, org, sub_centre, district_signed, make_user):
        district = district_signed()
        response = browser(sub_centre).post(
            f"/workbench/{district.pk}/subdispatch/", {"subdispatch-lead": org.department.pk}
        )
        assert response.status_code == 400
        assert response.context["forms"]["subdispatch"].errors["lead"]
        assert not Assignment.objects.filter(parent=district).exists()

    def test_a_functional_matter_to_a_street_needs_the_override_reason(self, org, sub_centre, district_signed):
        district = district_signed(category=org.functional_matter)
        client = browser(sub_centre)
        refused = client.post(f"/workbench/{district.pk}/subdispatch/", {"subdispatch-lead": org.street_a.pk})
        assert refused.status_code == 400
        assert refused.context["forms"]["subdispatch"].errors["override_reason"]
        client.post(
            f"/workbench/{district.pk}/subdispatch/",
            {"subdispatch-lead": org.street_a.pk, "subdispatch-override_reason": "区水务所无人员，街道先行处置"},
        )
        assert Assignment.objects.get(parent=district).unit == org.street_a

    def test_the_district_past_its_deadline_gets_the_refusal_on_the_form(self, org, sub_centre, district_signed):
        district = district_signed()
        Assignment.objects.filter(pk=district.pk).update(due_at=timezone.now() - timedelta(minutes=5))
        response = browser(sub_centre).post(
            f"/workbench/{district.pk}/subdispatch/", {"subdispatch-lead": org.street_a.pk}
        )
        assert response.status_code == 400
        assert response.context["forms"]["subdispatch"].non_field_errors()

    def test_outsiders_get_404(self, org, staff, district_signed):
        district = district_signed()
        for user in (staff.officer_a, staff.officer_b, staff.department_officer):
            client = browser(user)
            assert client.get(f"/workbench/{district.pk}/").status_code == 404
            assert (
                client.post(f"/workbench/{district.pk}/subdispatch/", {"subdispatch-lead": org.street_a.pk}).status_code
                == 404
            )
        assert not Assignment.objects.filter(parent=district).exists()

    def test_a_street_does_not_see_the_pass_down_section(self, org, staff, dispatched):
        street = services.sign(assignment_id=dispatched(org.street_a).pk, actor=staff.officer_a)
        page = browser(staff.officer_a).get(f"/workbench/{street.pk}/")
        assert "subdispatch" not in page.context["forms"]
        assert 'id="district-of-assignment"' not in page.content.decode()


class TestBothLevels:
    def test_the_units_section_shows_the_units_below_the_district_with_their_deadlines(
        self, org, staff, sub_centre, district_signed, django_assert_max_num_queries
    ):
        # Given the district's ticket passed down to street A, who signed it
        district = district_signed()
        lead = pass_down(district, sub_centre, org.street_a, assist_unit_ids=[org.other_department.pk])
        services.sign(assignment_id=lead.pk, actor=staff.officer_a)
        client = browser(sub_centre)
        # When the district opens its assignment (in a bounded number of queries)
        with django_assert_max_num_queries(16):
            page = client.get(f"/workbench/{district.pk}/")
        # Then the units read by level: the district, then under it street A and the department
        ((top, below),) = page.context["levels"]
        assert top.pk == district.pk
        assert [(a.unit, a.role, a.status) for a in below] == [
            (org.street_a, AssignmentRole.LEAD, AssignmentStatus.SIGNED),
            (org.other_department, AssignmentRole.ASSIST, AssignmentStatus.DISPATCHED),
        ]
        html = page.content.decode()
        assert f'data-assignment="{lead.pk}" data-level="district"' in html
        assert zh("passed down by %(district)s", district="丰台区") in html
        assert f'href="/workbench/{lead.pk}/"' in html
        # And street A's officer sees the same two levels, without the links to the district's units
        street_page = browser(staff.officer_a).get(f"/workbench/{lead.pk}/")
        assert [a.pk for a in street_page.context["levels"][0][1]] == [lead.pk, below[1].pk]
        assert f'href="/workbench/{below[1].pk}/"' not in street_page.content.decode()


class TestConfirm:
    @pytest.fixture
    def replied(self, org, staff, sub_centre, district_signed):
        district = district_signed()
        lead = pass_down(district, sub_centre, org.street_a)
        services.sign(assignment_id=lead.pk, actor=staff.officer_a)
        services.reply(
            assignment_id=lead.pk,
            actor=staff.officer_a,
            text="已协调物业更换井盖。",
            outcome="partly_resolved",
            explanation="另一处井盖产权不明。",
        )
        return district

    def test_the_unit_reply_is_shown_and_confirmed_as_it_is(self, replied, sub_centre):
        client = browser(sub_centre)
        page = client.get(f"/workbench/{replied.pk}/")
        # the unit's reply is shown, the edit form prefilled with it, and no plain reply form
        html = page.content.decode()
        assert zh("%(unit)s has replied:", unit="新村街道") in html
        assert "已协调物业更换井盖。" in html
        assert "reply" not in page.context["forms"]
        assert page.context["forms"]["confirm"].initial == {
            "text": "已协调物业更换井盖。",
            "outcome": "partly_resolved",
            "explanation": "另一处井盖产权不明。",
        }
        done = client.post(f"/workbench/{replied.pk}/confirm_as_is/", follow=True)
        assert zh("The unit's reply was confirmed and sent to the hotline.") in messages_of(done)
        district = Assignment.objects.get(pk=replied.pk)
        assert (district.status, district.reply, district.outcome, district.explanation) == (
            AssignmentStatus.REPLIED,
            "已协调物业更换井盖。",
            "partly_resolved",
            "另一处井盖产权不明。",
        )
        assert Ticket.objects.get(pk=replied.ticket_id).status == Status.AWAITING_CALLBACK

    def test_the_district_edits_the_reply(self, replied, sub_centre):
        client = browser(sub_centre)
        refused = client.post(
            f"/workbench/{replied.pk}/confirm/", {"confirm-text": "已处理", "confirm-outcome": "unresolved"}
        )
        assert refused.status_code == 400
        assert refused.context["forms"]["confirm"].errors["explanation"]
        client.post(
            f"/workbench/{replied.pk}/confirm/", {"confirm-text": "井盖已全部更换。", "confirm-outcome": "resolved"}
        )
        district = Assignment.objects.get(pk=replied.pk)
        assert (district.reply, district.outcome, district.explanation) == ("井盖已全部更换。", "resolved", "")

    def test_nothing_to_confirm_before_the_unit_replies(self, org, sub_centre, district_signed):
        district = district_signed()
        pass_down(district, sub_centre, org.street_a)
        client = browser(sub_centre)
        response = client.post(
            f"/workbench/{district.pk}/confirm/", {"confirm-text": "已处理", "confirm-outcome": "resolved"}
        )
        assert response.status_code == 400
        assert response.context["forms"]["confirm"].non_field_errors()
        assert Assignment.objects.get(pk=district.pk).status == AssignmentStatus.SIGNED


def test_a_unit_below_the_district_is_told_that_the_district_reviews_its_requests(
    org, staff, sub_centre, district_signed
):
    lead = pass_down(district_signed(), sub_centre, org.street_a)
    client = browser(staff.officer_a)
    done = client.post(
        f"/workbench/{lead.pk}/return/", {"reason": "other", "legal_basis": "职责清单第3条"}, follow=True
    )
    assert zh("Return requested. The district will review it.") in messages_of(done)
    assert zh("Requests to the district") in done.content.decode()


class TestReturnDecision:
    @pytest.fixture
    def returning(self, org, staff, sub_centre, district_signed):
        lead = pass_down(district_signed(), sub_centre, org.street_a)
        services.request_return(
            assignment_id=lead.pk, actor=staff.officer_a, reason="other", legal_basis="职责清单第3条"
        )
        return lead

    def test_the_district_sees_the_request_and_passes_the_ticket_to_another_unit(
        self, org, staff, sub_centre, returning
    ):
        client = browser(sub_centre)
        page = client.get(f"/workbench/{returning.pk}/")
        assert "decide_return" in page.context["forms"]
        assert "职责清单第3条" in page.content.decode()
        # the catalogue's suggestions leave out the returning street
        assert org.street_a not in [s.unit for s in page.context["district"]["suggestions"]]
        request = ReturnRequest.objects.get(assignment=returning)
        done = client.post(
            f"/workbench/{returning.pk}/decide_return/",
            {
                "return_decision-request": request.pk,
                "return_decision-decision": "approve",
                "return_decision-redispatch_to": org.street_b.pk,
            },
        )
        # back to the district's page, the ticket now with street B
        assert done.status_code == 302
        assert done.url == f"/workbench/{returning.parent_id}/"
        assert Assignment.objects.get(pk=returning.pk).status == AssignmentStatus.RETURNED
        assert Assignment.objects.get(parent_id=returning.parent_id, ended_at__isnull=True).unit == org.street_b

    def test_rejecting_needs_a_reason(self, sub_centre, returning):
        request = ReturnRequest.objects.get(assignment=returning)
        client = browser(sub_centre)
        url = f"/workbench/{returning.pk}/decide_return/"
        refused = client.post(url, {"return_decision-request": request.pk, "return_decision-decision": "reject"})
        assert refused.status_code == 400
        assert refused.context["forms"]["decide_return"].errors["note"]
        client.post(
            url,
            {
                "return_decision-request": request.pk,
                "return_decision-decision": "reject",
                "return_decision-note": "属地职责",
            },
        )
        assert ReturnRequest.objects.get(pk=request.pk).status == ReviewStatus.REJECTED

    def test_the_returning_unit_and_other_streets_cannot_decide(self, staff, returning):
        request = ReturnRequest.objects.get(assignment=returning)
        data = {"return_decision-request": request.pk, "return_decision-decision": "approve"}
        page = browser(staff.officer_a).get(f"/workbench/{returning.pk}/")
        assert "decide_return" not in page.context["forms"]
        assert browser(staff.officer_a).post(f"/workbench/{returning.pk}/decide_return/", data).status_code == 404
        assert browser(staff.officer_b).post(f"/workbench/{returning.pk}/decide_return/", data).status_code == 404
        assert ReturnRequest.objects.get(pk=request.pk).status == ReviewStatus.PENDING


class TestExtensionDecision:
    @pytest.fixture
    def asking(self, org, staff, sub_centre, district_signed):
        district = district_signed()
        lead = pass_down(district, sub_centre, org.street_a, due_at=district.due_at - timedelta(days=3))
        services.sign(assignment_id=lead.pk, actor=staff.officer_a)
        services.request_extension(assignment_id=lead.pk, actor=staff.officer_a, extra_days=2, reason="需协调产权单位")
        return lead

    def post(self, client, lead, decision, note=""):
        request = ExtensionRequest.objects.get(assignment=lead, passed_up_from__isnull=True)
        return client.post(
            f"/workbench/{lead.pk}/decide_extension/",
            {
                "extension_decision-request": request.pk,
                "extension_decision-decision": decision,
                "extension_decision-note": note,
            },
        )

    def test_the_district_approves_within_its_deadline(self, sub_centre, asking):
        client = browser(sub_centre)
        page = client.get(f"/workbench/{asking.pk}/")
        assert "decide_extension" in page.context["forms"]
        assert "需协调产权单位" in page.content.decode()
        self.post(client, asking, "approve")
        assert Assignment.objects.get(pk=asking.pk).due_at == asking.due_at + timedelta(days=2)

    def test_denying_needs_a_reason(self, sub_centre, asking):
        client = browser(sub_centre)
        refused = self.post(client, asking, "reject")
        assert refused.status_code == 400
        assert refused.context["forms"]["decide_extension"].errors["note"]
        self.post(client, asking, "reject", note="时限内可办结")
        assert ExtensionRequest.objects.get(assignment=asking).status == ReviewStatus.REJECTED

    def test_past_the_districts_deadline_it_is_passed_up_to_the_hotline(self, sub_centre, asking):
        Assignment.objects.filter(pk=asking.pk).update(due_at=asking.parent.due_at - timedelta(days=1))
        client = browser(sub_centre)
        refused = self.post(client, asking, "approve")
        assert refused.status_code == 400
        assert refused.context["forms"]["decide_extension"].non_field_errors()
        done = self.post(client, asking, "pass_up", note="街道需协调产权单位")
        assert done.status_code == 302
        request = ExtensionRequest.objects.get(assignment=asking)
        assert request.passed_up_to.assignment_id == asking.parent_id
        # the district's page no longer offers to decide it: the hotline does
        assert "decide_extension" not in client.get(f"/workbench/{asking.pk}/").context["forms"]

    def test_the_unit_itself_cannot_decide(self, staff, asking):
        assert "decide_extension" not in browser(staff.officer_a).get(f"/workbench/{asking.pk}/").context["forms"]
        assert self.post(browser(staff.officer_a), asking, "approve").status_code == 404
        assert ExtensionRequest.objects.get(assignment=asking).status == ReviewStatus.PENDING
