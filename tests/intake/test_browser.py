"""The agent desk and the ticket page in a real headless browser, the desk driven by the keyboard as agents use it."""

import pytest

from hotline.models import Category, DeadlineTier, Role, Unit
from intake import services
from intake.lifecycle import Status
from intake.models import Caller, Channel, Kind, Ticket
from intake.services import NewTicket, Outcome
from tests.conftest import login, wait_for_js
from tests.factories import AssignmentFactory, CategoryFactory, DistrictFactory, StreetFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_takes_in_a_call_by_keyboard_and_sees_the_repeat(desk_page, make_user):
    # Given an agent, a heating category and an open ticket of the same caller
    make_user(Role.AGENT, username="deskagent")
    category = CategoryFactory(name="不热", default_tier=DeadlineTier.UTILITY)
    fengtai = DistrictFactory(name="丰台区")
    street = StreetFactory(name="新村街道", parent=fengtai)
    StreetFactory(name="西长安街街道", parent=DistrictFactory(name="西城区"))  # also "xc", in another district
    earlier = services.submit_intake(
        data=NewTicket(
            channel=Channel.PHONE,
            kind=Kind.COMPLAINT,
            category=category,
            description="暖气不热已经三天",
            phone="13800138000",
            caller_name="张三",
            street=street,
        ),
        actor=None,
        outcome=Outcome.DISPATCH,
    ).ticket
    page = desk_page
    login(page, "deskagent")
    page.wait_for_url("**/")
    page.goto("/desk/")

    # When the agent types the caller's number into the focused phone field
    assert page.evaluate("document.activeElement.name") == "phone"
    page.keyboard.type("13800138000")
    # Then the earlier ticket appears as a repeat candidate, and the caller's history with it
    page.wait_for_selector(f'#candidates [data-ticket="{earlier.number}"]')
    page.wait_for_selector(f'#caller-panel >> text="{earlier.number}"')
    assert "同一诉求人" in page.inner_text("#candidates")

    # When the agent tabs through the form, choosing with the arrow keys and typing
    page.keyboard.press("Tab")  # name
    page.keyboard.press("Tab")  # enterprise flag
    page.keyboard.press("Tab")  # confidentiality
    page.keyboard.press("Tab")  # no SMS
    page.keyboard.press("Tab")  # channel (phone by default)
    page.keyboard.press("Tab")  # kind
    assert page.evaluate("document.activeElement.name") == "kind"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # a select moves on with Enter too: the category search
    page.keyboard.type("不热")
    page.keyboard.press("Enter")  # moves on to the category select rather than submitting
    assert page.evaluate("document.activeElement.name") == "category"
    assert page.input_value("#id_category") == str(category.pk)
    # the deadline tier follows the category
    assert page.input_value("#id_deadline_tier") == DeadlineTier.UTILITY
    assert page.is_hidden("#tier-reason")
    page.keyboard.press("Enter")  # district: a box the agent types to
    assert page.evaluate("document.activeElement.id") == "id_district-search"
    page.keyboard.type("丰台")  # the short name
    page.keyboard.press("Enter")  # picks the only match, once found, and moves on to the street
    wait_for_js(page, "document.activeElement.id === 'id_street-search'")
    assert page.input_value("#id_district") == str(fengtai.pk)
    page.keyboard.type("xc")  # pinyin initials, among the district's streets only
    page.keyboard.press("Enter")
    wait_for_js(page, "document.activeElement.name === 'address'")
    assert page.input_value("#id_street") == str(street.pk)
    page.keyboard.type("幸福小区3号楼")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "description"
    page.keyboard.type("家里暖气还是不热，室温十四度")
    assert Ticket.objects.count() == 1  # no Enter has submitted anything

    # And queues the contact for dispatch with the outcome's shortcut
    page.settle()
    page.keyboard.press("Alt+s")
    page.wait_for_selector(".messages li.success")

    # Then the new ticket exists and the success message shows its tracking number
    ticket = Ticket.objects.exclude(pk=earlier.pk).get()
    assert ticket.status == Status.AWAITING_DISPATCH
    assert (ticket.category_id, ticket.street_id, ticket.address) == (category.pk, street.pk, "幸福小区3号楼")
    assert ticket.number in page.inner_text(".messages")
    assert page.url.endswith("/desk/")
    assert page.js_errors == []


def test_changing_the_tier_asks_for_a_reason(desk_page, make_user):
    make_user(Role.AGENT, username="deskagent2")
    category = CategoryFactory(name="停暖", default_tier=DeadlineTier.UTILITY)
    page = desk_page
    login(page, "deskagent2")
    page.wait_for_url("**/")
    page.goto("/desk/")
    page.select_option("#id_category", str(category.pk))
    assert page.is_hidden("#tier-reason")
    page.select_option("#id_deadline_tier", DeadlineTier.COMPLEX)
    assert page.is_visible("#tier-reason")
    assert page.evaluate("document.getElementById('id_tier_override_reason').required")
    page.select_option("#id_urgency", "emergency")
    page.select_option("#id_deadline_tier", DeadlineTier.EMERGENCY)
    assert page.is_hidden("#tier-reason")
    assert page.js_errors == []


def test_agent_follows_a_dispatched_ticket_to_its_units_assignment(browser_page, make_user):
    # Given a ticket dispatched to a street, awaiting its sign, and an agent
    make_user(Role.AGENT, username="followagent")
    assignment = AssignmentFactory(unit=StreetFactory(name="新村街道"))
    ticket = assignment.ticket
    page = browser_page
    login(page, "followagent")
    page.wait_for_url("**/")
    # When the caller calls again and the agent opens the ticket from the ticket list
    page.goto("/tickets/")
    page.click(f"text={ticket.number}")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    # Then the page shows the unit handling it, with the time left to sign and to handle it
    line = page.locator(f"#handling tr[data-assignment='{assignment.pk}']")
    assert "新村街道" in line.inner_text()
    sign, handle = line.locator("time.countdown").all()
    assert "剩余" in sign.inner_text()
    assert "剩余6天" in handle.inner_text()
    # coloured by urgency as on the workbench
    assert handle.evaluate("element => getComputedStyle(element).color") == "rgb(30, 123, 52)"
    # And the agent follows the unit to its assignment page
    line.locator("a", has_text="新村街道").click()
    page.wait_for_url(f"**/workbench/{assignment.pk}/")
    assert ticket.number in page.inner_text("h1")
    assert page.js_errors == []


def test_agent_records_on_the_ticket_page_that_the_caller_wants_no_sms(browser_page, make_user):
    # Given a ticket whose caller is texted, and an agent on its page
    agent = make_user(Role.AGENT, username="smsagent")
    ticket = TicketFactory(caller__phone="13812345678")
    page = browser_page
    login(page, "smsagent")
    page.wait_for_url("**/")
    page.goto(f"/tickets/{ticket.pk}/")
    row = page.locator("tr.contact")
    # When the caller asks on the phone to get no SMS and the agent records it
    row.get_by_role("button", name="诉求人不要短信").click()
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    # Then the page says so, marks the caller, and offers to text them again
    assert "已停止向该诉求人发送短信。" in page.inner_text("body")
    assert row.locator(".sms .badge").inner_text() == "不接收短信"
    assert row.get_by_role("button", name="恢复发送短信").is_visible()
    assert Caller.objects.get(pk=ticket.caller_id).sms_opt_out
    # And beside the switch, who made it
    assert row.locator(".sms-change").inner_text().startswith(f"{agent} 于 ")
    assert page.js_errors == []


def test_the_desk_fills_category_and_street_from_what_the_agent_types(desk_page, smart_dispatch, make_user):
    # Given an agent at the desk, with the real org, gazetteer, catalogue and a category model
    make_user(Role.AGENT, username="smartagent")
    page = desk_page
    login(page, "smartagent")
    page.wait_for_url("**/")
    page.goto("/desk/")
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_kind", "complaint")

    # When the agent types the caller's address and words
    page.locator("#id_address").press_sequentially("北京市丰台区新村街道怡海花园社区12号楼东侧")
    page.locator("#id_description").press_sequentially("小区门口的路灯不亮了，晚上很黑")

    # Then the suggested categories appear, 路灯不亮 first, and district and street are filled in
    first = page.locator("#suggestions .suggested-categories button").first
    first.wait_for()
    assert first.inner_text().startswith("市政 › 路灯照明 › 路灯不亮")
    xincun = Unit.objects.get(name="新村街道")
    wait_for_js(page, f"document.getElementById('id_street').value === '{xincun.pk}'")
    assert page.input_value("#id_district") == str(xincun.parent_id)
    assert "怡海花园社区" in page.inner_text("#suggestions")
    assert "丰台区城市管理委" in page.inner_text("#suggestions")

    # And one key takes the first suggestion
    page.keyboard.press("Alt+1")
    street_light = Category.objects.get(name="路灯不亮")
    assert page.input_value("#id_category") == str(street_light.pk)

    # And the ticket taken in has that category, street and community, the suggestion counted as taken
    page.settle()
    page.keyboard.press("Alt+s")
    page.wait_for_selector(".messages li.success")
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.street, ticket.community_id) == (street_light, xincun, "110106010015")
    # and the suggestion counts as taken first (ranked after intake, here at once)
    services.record_suggestion_ranks(ticket_ids=[ticket.pk])
    assert Ticket.objects.get(pk=ticket.pk).suggestion_rank == 1
    assert page.js_errors == []


def test_an_ambiguous_address_offers_the_streets_and_fills_none(desk_page, smart_dispatch, make_user):
    make_user(Role.AGENT, username="smartagent2")
    page = desk_page
    login(page, "smartagent2")
    page.wait_for_url("**/")
    page.goto("/desk/")

    # When the address names a village several townships have
    page.locator("#id_address").press_sequentially("半壁店村")

    # Then the candidates are offered and the street stays empty until the agent picks one
    page.locator("#suggestions .place-candidates button").first.wait_for()
    assert page.locator("#suggestions .place-candidates button").count() > 3
    assert page.input_value("#id_street") == ""
    choice = page.locator("#suggestions .place-candidates button", has_text="高碑店地区")
    choice.click()
    assert page.input_value("#id_street") == str(Unit.objects.get(name="高碑店地区").pk)
    page.settle()
    assert page.js_errors == []


def test_the_category_search_shows_its_matches_and_chooses_only_a_single_one(desk_page, make_user):
    # Given two heating categories and one about water
    make_user(Role.AGENT, username="deskagent3")
    CategoryFactory(name="暖气不热")
    leak = CategoryFactory(name="暖气漏水")
    page = desk_page
    login(page, "deskagent3")
    page.wait_for_url("**/")
    page.goto("/desk/")
    # When the agent types a word both heating categories share
    page.fill("#category-filter", "暖气")
    # Then both are offered, none is chosen for them, and the count says so
    assert page.inner_text("#category-matches") == "匹配 2 个分类"
    assert page.input_value("#id_category") == ""
    assert len(page.query_selector_all("#id_category option[value]:not([value=''])")) == 2
    # When the words single one out, it is chosen
    page.fill("#category-filter", "漏水")
    assert page.inner_text("#category-matches") == "匹配 1 个分类"
    assert page.input_value("#id_category") == str(leak.pk)
    assert page.js_errors == []
