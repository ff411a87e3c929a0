"""The district sub-centre's (区分中心) lists: the workbench tabs of what to pass down, what it passed
down, what to confirm and the requests to decide, their counts, the API's tabs and the navigation."""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dispatch import selectors, services
from dispatch.models import Assignment, AssignmentRole, AssignmentStatus, ReplyOutcome
from hotline.models import DeadlineTier, Role, UnitKind, User
from intake.lifecycle import Action, Status
from intake.models import Channel, Kind, Ticket, TicketEvent
from tests.factories import CategoryFactory, TicketFactory, UnitFactory

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response) -> list[int]:
    return [assignment.pk for assignment in response.context["page"].object_list]


def tab_counts(response) -> dict[str, int | None]:
    return {value: count for value, _label, count in response.context["tabs"]}


DISTRICT_TABS = ("to_pass_down", "passed_down", "to_confirm", "to_decide")


def district_counts(counts: dict) -> tuple:
    return tuple(counts[tab] for tab in DISTRICT_TABS)


@dataclass
class District:
    dispatcher: User
    signed: Callable[..., Assignment]  # the district's own assignment, signed
    passed: Callable[..., Assignment]  # the lead the district passed it down to


@pytest.fixture
def district(org, staff, dispatched, make_user) -> District:
    dispatcher = make_user(Role.DISTRICT_DISPATCHER, org.district, username="fengtai_centre")

    def signed(**fields) -> Assignment:
        return services.sign(assignment_id=dispatched(org.district, **fields).pk, actor=dispatcher)

    def passed(unit=None, *, assist=(), **fields) -> Assignment:
        own = signed(**fields)
        return services.subdispatch(
            assignment_id=own.pk,
            actor=dispatcher,
            lead_unit_id=(unit or org.street_a).pk,
            assist_unit_ids=[unit.pk for unit in assist],
        )[0]

    return District(dispatcher=dispatcher, signed=signed, passed=passed)


def reply(assignment: Assignment, actor: User) -> Assignment:
    services.sign(assignment_id=assignment.pk, actor=actor)
    return services.reply(assignment_id=assignment.pk, actor=actor, text="已处理完毕。", outcome=ReplyOutcome.RESOLVED)


class TestTheDistrictTabs:
    def test_each_tab_lists_the_districts_work_at_its_stage(self, org, staff, dispatched, district):
        # Given a ticket the district has to sign, one signed, one passed down to street A, one whose
        # street replied, one whose street asks to return it
        to_sign = dispatched(org.district, title="待签收")
        to_pass = district.signed(title="待下派")
        below = district.passed(title="已下派")
        replied = reply(district.passed(title="待确认"), staff.officer_a)
        returning = district.passed(org.street_b, title="申请退回")
        services.request_return(
            assignment_id=returning.pk, actor=staff.officer_b, reason="not_responsible", legal_basis="不属本街道"
        )
        client = browser(district.dispatcher)
        # When the district's sub-centre dispatcher opens each of its tabs
        pages = {tab: client.get("/workbench/", {"tab": tab}) for tab in ("to_pass_down", "passed_down", "to_confirm")}
        to_decide = client.get("/workbench/", {"tab": "to_decide"})
        # Then "to pass down" holds the district's signed ticket with nobody below it
        assert listed(pages["to_pass_down"]) == [to_pass.pk]
        # "passed down" the units' live assignments below the district, with their units
        assert set(listed(pages["passed_down"])) == {below.pk, replied.pk, returning.pk}
        assert "大红门街道" in pages["passed_down"].content.decode()
        # "to confirm" the district's assignment whose unit replied, naming that unit
        assert listed(pages["to_confirm"]) == [replied.parent_id]
        assert f'data-replied-below="{replied.pk}"' in pages["to_confirm"].content.decode()
        # and the requests to decide the street's pending return
        assert listed(to_decide) == [returning.pk]
        assert 'data-pending="return"' in to_decide.content.decode()
        # with each tab's count beside it, the district's own ticket to sign among "to sign"
        counts = tab_counts(to_decide)
        assert district_counts(counts) == (1, 3, 1, 1)
        assert to_sign.pk in listed(client.get("/workbench/"))

    def test_an_approved_sub_return_puts_the_ticket_back_to_pass_down(self, org, staff, district):
        # Given a ticket passed down to street B, which asks to return it
        below = district.passed(org.street_b)
        request = services.request_return(
            assignment_id=below.pk, actor=staff.officer_b, reason="outside_area", legal_basis="不在本街道辖区"
        )
        client = browser(district.dispatcher)
        assert listed(client.get("/workbench/", {"tab": "to_pass_down"})) == []
        # When the district approves the return
        services.decide_return(return_request_id=request.pk, actor=district.dispatcher, approve=True)
        # Then the district's assignment is back among those to pass down, and nothing is left to decide
        assert listed(client.get("/workbench/", {"tab": "to_pass_down"})) == [below.parent_id]
        assert listed(client.get("/workbench/", {"tab": "to_decide"})) == []
        assert listed(client.get("/workbench/", {"tab": "passed_down"})) == []

    def test_an_extension_passed_up_waits_for_the_hotline_not_the_district(self, org, staff, district):
        # Given a street signed what the district passed down and asks for 2 more days
        below = district.passed()
        services.sign(assignment_id=below.pk, actor=staff.officer_a)
        request = services.request_extension(
            assignment_id=below.pk, actor=staff.officer_a, extra_days=2, reason="需协调"
        )
        client = browser(district.dispatcher)
        to_decide = client.get("/workbench/", {"tab": "to_decide"})
        assert listed(to_decide) == [below.pk]
        assert 'data-pending="extension"' in to_decide.content.decode()
        # When the district passes it up to the hotline
        services.decide_extension(
            extension_request_id=request.pk, actor=district.dispatcher, approve=False, pass_up=True
        )
        # Then it is no longer the district's to decide
        assert listed(client.get("/workbench/", {"tab": "to_decide"})) == []

    def test_passed_down_shows_the_late_marks_and_a_city_wide_utility_assisting(self, org, staff, district):
        # Given a ticket passed down to street A with the water company assisting, A marked late to sign
        water = UnitFactory(name="自来水集团", kind=UnitKind.STATE_ENTERPRISE)
        below = district.passed(assist=[water])
        Assignment.objects.filter(pk=below.pk).update(late_sign_marked_at=timezone.now())
        # When the district's dispatcher lists what it passed down
        page = browser(district.dispatcher).get("/workbench/", {"tab": "passed_down"})
        html = page.content.decode()
        # Then both units are listed, the lead with its late mark and a sign-by countdown, each with 督办
        assistant = Assignment.objects.get(unit=water)
        assert set(listed(page)) == {below.pk, assistant.pk}
        assert "自来水集团" in html
        assert 'data-marker="late_sign"' in html
        assert html.count('name="supervise"') == 2

    def test_the_district_supervises_a_unit_below_from_the_passed_down_tab(self, org, staff, district):
        # Given a ticket passed down to street A
        below = district.passed()
        # When the district's dispatcher presses 督办 on its row
        response = browser(district.dispatcher).post(f"/supervision/{below.pk}/supervise/", {"tab": "passed_down"})
        # Then the supervision is recorded on the ticket and they are back on the tab
        assert response.status_code == 302
        assert response.url == "/workbench/?tab=passed_down"
        assert TicketEvent.objects.filter(ticket_id=below.ticket_id, action=Action.SUPERVISE).count() == 1

    def test_only_a_districts_staff_see_the_district_tabs(self, org, staff, district):
        district.passed()
        for user in (staff.officer_a, staff.district_supervisor):
            client = browser(user)
            page = client.get("/workbench/")
            assert "to_pass_down" not in tab_counts(page)
            assert 'data-tab="passed_down"' not in page.content.decode()
            assert client.get("/workbench/", {"tab": "to_pass_down"}).status_code == 404
        page = browser(district.dispatcher).get("/workbench/")
        assert 'data-tab="to_pass_down"' in page.content.decode()
        assert set(tab_counts(page)) >= {"to_pass_down", "passed_down", "to_confirm", "to_decide"}

    def test_another_districts_work_is_not_listed(self, org, staff, district, dispatched, make_user):
        # Given a ticket passed down by 丰台区, and the staff of another district
        below = district.passed()
        other = make_user(Role.DISTRICT_DISPATCHER, UnitFactory(kind=UnitKind.DISTRICT, name="海淀区"))
        client = browser(other)
        # Then nothing of 丰台区's is in the other district's tabs
        for tab in DISTRICT_TABS:
            assert listed(client.get("/workbench/", {"tab": tab})) == []
        assert browser(district.dispatcher).get("/workbench/", {"tab": "passed_down"}).status_code == 200
        assert below.pk in listed(browser(district.dispatcher).get("/workbench/", {"tab": "passed_down"}))


def _bulk_passed_down(org, dispatcher: User, count: int) -> None:
    """`count` tickets at each district stage, bulk-created: the district signed (to pass down),
    passed down to street A (awaiting sign), and replied by street A (to confirm)."""
    category = CategoryFactory()
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                number=f"2026{next(_numbers):012d}",
                channel=Channel.PHONE,
                kind=Kind.COMPLAINT,
                category=category,
                street=org.street_a,
                district=org.district,
                title=f"区级批量{index}",
                description="批量生成的测试工单。",
                deadline_tier=DeadlineTier.GENERAL,
                status=Status.IN_PROGRESS,
            )
            for index in range(3 * count)
        ]
    )
    deadlines = {"dispatched_at": now, "sign_due_at": now + timedelta(hours=1), "due_at": now + timedelta(days=7)}
    signed = {"status": AssignmentStatus.SIGNED, "signed_at": now, "signed_by": dispatcher}
    lead = AssignmentRole.LEAD
    own = Assignment.objects.bulk_create(
        [Assignment(ticket=ticket, unit=org.district, role=lead, **deadlines, **signed) for ticket in tickets]
    )
    replied = {
        "status": AssignmentStatus.REPLIED,
        "signed_at": now,
        "replied_at": now,
        "reply": "已处理。",
        "outcome": ReplyOutcome.RESOLVED,
    }
    Assignment.objects.bulk_create(
        [
            Assignment(
                ticket=parent.ticket,
                unit=org.street_a,
                role=AssignmentRole.LEAD,
                parent=parent,
                **deadlines,
                **({} if index < 2 * count else replied),
            )
            for index, parent in enumerate(own)
            if index >= count
        ]
    )


def test_the_district_tabs_cost_the_same_few_queries_at_many_tickets(org, district, django_assert_max_num_queries):
    # Given 60 tickets at each stage of the district's work
    _bulk_passed_down(org, district.dispatcher, 60)
    client = browser(district.dispatcher)
    client.get("/workbench/")  # warm the session and caches
    # When the district's dispatcher opens each district tab, a page costs the same few queries
    for tab in DISTRICT_TABS:
        with django_assert_max_num_queries(13):
            response = client.get("/workbench/", {"tab": tab})
        assert response.status_code == 200
    counts = tab_counts(response)
    assert district_counts(counts) == (60, 120, 60, 0)
    assert len(browser(district.dispatcher).get("/workbench/", {"tab": "passed_down"}).context["page"]) == 50


class TestTheApi:
    def test_the_tab_filter_and_counts_read_the_district_tabs(self, org, staff, district, api_as):
        # Given one ticket the district signed and one it passed down
        to_pass = district.signed()
        below = district.passed()
        api = api_as(district.dispatcher)
        # Then the API's tabs list them, and the counts hold the district tabs for its staff only
        results = api.get("/api/v1/assignments/", {"tab": "to_pass_down"}).json()["results"]
        assert [item["id"] for item in results] == [to_pass.pk]
        results = api.get("/api/v1/assignments/", {"tab": "passed_down"}).json()["results"]
        assert [(item["id"], item["level"]) for item in results] == [(below.pk, "district")]
        counts = api.get("/api/v1/assignments/counts/").json()
        assert district_counts(counts) == (1, 1, 0, 0)
        assert "to_pass_down" not in api_as(staff.officer_a).get("/api/v1/assignments/counts/").json()
        officer = api_as(staff.officer_a).get("/api/v1/assignments/", {"tab": "passed_down"}).json()["results"]
        assert officer == []


def nav_count(html: str) -> int | None:
    found = re.search(r'data-nav-count="to_sign">(\d+)<', html)
    return int(found.group(1)) if found else None


def test_the_navigation_counts_the_districts_own_pending_work(org, staff, dispatched, district):
    # Given the district has one ticket to sign, one to pass down, one to confirm and a return to
    # decide, and its street A has one ticket of its own to sign
    dispatched(org.district)
    district.signed()
    reply(district.passed(), staff.officer_a)
    returning = district.passed(org.street_b)
    services.request_return(
        assignment_id=returning.pk, actor=staff.officer_b, reason="not_responsible", legal_basis="不属本街道"
    )
    dispatched(org.street_a)
    # When the district's dispatcher opens any page
    html = browser(district.dispatcher).get("/notifications/").content.decode()
    # Then the workbench's count is the district's own work: 1 + 1 + 1 + 1, not the street's
    assert nav_count(html) == 4
    # and street A's officer still counts what A has to sign
    assert nav_count(browser(staff.officer_a).get("/notifications/").content.decode()) == 1


class TestTheTicketsHandling:
    def test_both_levels_are_listed_the_districts_units_under_its_assignment(self, org, staff, district, dispatched):
        # Given the hotline dispatched a ticket to the district with a department assisting; the
        # district passed it to street B, which returned it, then to street A
        own = services.sign(
            assignment_id=dispatched(org.district, assist=(org.department,)).pk, actor=district.dispatcher
        )
        first = services.subdispatch(assignment_id=own.pk, actor=district.dispatcher, lead_unit_id=org.street_b.pk)[0]
        request = services.request_return(
            assignment_id=first.pk, actor=staff.officer_b, reason="outside_area", legal_basis="不在本街道辖区"
        )
        services.decide_return(return_request_id=request.pk, actor=district.dispatcher, approve=True)
        second = services.subdispatch(assignment_id=own.pk, actor=district.dispatcher, lead_unit_id=org.street_a.pk)[0]
        assisting = Assignment.objects.get(ticket=own.ticket, unit=org.department)
        # When the hotline reads the ticket's handling
        rows = selectors.ticket_handling(user=staff.dispatcher, ticket_id=own.ticket_id)
        # Then the district's units follow the district's assignment, each with its level
        assert [row.pk for row in rows] == [own.pk, first.pk, second.pk, assisting.pk]
        assert [row.level for row in rows] == ["hotline", "district", "district", "hotline"]
        assert rows[2].parent.unit == org.district
        # and street A's officer sees only their own line, the district's staff all three of theirs
        assert [row.pk for row in selectors.ticket_handling(user=staff.officer_a, ticket_id=own.ticket_id)] == [
            second.pk
        ]
        mine = selectors.ticket_handling(user=district.dispatcher, ticket_id=own.ticket_id)
        assert [row.pk for row in mine] == [own.pk, first.pk, second.pk]

    def test_the_ticket_page_lists_both_levels_in_bounded_queries(
        self, org, staff, district, django_assert_max_num_queries
    ):
        # Given a ticket passed down to street A
        below = district.passed()
        client = browser(staff.dispatcher)
        client.get(f"/tickets/{below.ticket_id}/")  # warm the session and caches
        # When the dispatcher opens the ticket's page, both units are on it
        with django_assert_max_num_queries(20):
            html = client.get(f"/tickets/{below.ticket_id}/").content.decode()
        assert f'data-assignment="{below.parent_id}"' in html
        assert f'data-assignment="{below.pk}"' in html


class TestTheHotlinesReviews:
    def test_a_return_below_a_district_is_the_districts_to_decide_not_the_hotlines(self, org, staff, district):
        # Given street B asks the district to return what it passed down, and street A asks the hotline
        below = district.passed(org.street_b)
        services.request_return(
            assignment_id=below.pk, actor=staff.officer_b, reason="not_responsible", legal_basis="不属本街道"
        )
        lead = services.dispatch_ticket(
            ticket_id=TicketFactory(filled_in=True, street=org.street_a).pk,
            lead_unit_id=org.street_a.pk,
            actor=staff.dispatcher,
        )
        mine = services.request_return(
            assignment_id=lead.pk, actor=staff.officer_a, reason="not_responsible", legal_basis="不属本街道"
        )
        # Then the hotline's reviews hold street A's return only, and count it alone
        assert [request.pk for request in selectors.pending_returns(user=staff.dispatcher)] == [mine.pk]
        assert selectors.nav_counts(user=staff.dispatcher, keys={"reviews"})["reviews"] == 1

    def test_a_district_passing_an_extension_up_puts_its_own_request_before_the_hotline(self, org, staff, district):
        # Given street A asks the district for 2 more days, and the district passes it up
        below = district.passed()
        services.sign(assignment_id=below.pk, actor=staff.officer_a)
        request = services.request_extension(
            assignment_id=below.pk, actor=staff.officer_a, extra_days=2, reason="需协调"
        )
        assert list(selectors.pending_extensions()) == []
        services.decide_extension(
            extension_request_id=request.pk, actor=district.dispatcher, approve=False, pass_up=True
        )
        # Then the hotline reviews the district's own request, not the street's
        request.refresh_from_db()
        assert [pending.pk for pending in selectors.pending_extensions()] == [request.passed_up_to_id]


def test_the_district_supervises_a_unit_below_through_the_api(org, staff, district, api_as):
    # Given a ticket passed down to street A
    below = district.passed()
    # When the district's dispatcher presses 督办 through the API
    response = api_as(district.dispatcher).post(
        f"/api/v1/assignments/{below.pk}/supervise/", {"comment": "请尽快办理"}, format="json"
    )
    # Then it is recorded; street B's officer may not
    assert response.status_code == 201
    assert TicketEvent.objects.filter(ticket_id=below.ticket_id, action=Action.SUPERVISE).count() == 1
    refused = api_as(staff.officer_b).post(
        f"/api/v1/assignments/{below.pk}/supervise/", {"comment": "请尽快办理"}, format="json"
    )
    assert refused.status_code == 404
