"""The agent desk driven by the keyboard alone, in a real headless browser: Enter through every
field (selects and the unit pickers too), refused submissions that show their error where the
agent looks, the unit pickers and the knowledge-base panel."""

import pytest

from hotline.models import DeadlineTier, Role
from intake.lifecycle import Status
from intake.models import Channel, Kind, Ticket, Urgency
from tests.conftest import login, wait_for_js
from tests.factories import CategoryFactory, DistrictFactory, StreetFactory
from tests.factories import KnowledgeArticleFactory as ArticleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = "document.activeElement.id"
# The focused element lies wholly inside the window.
IN_VIEW = (
    "(() => { const box = document.activeElement.getBoundingClientRect();"
    " return box.top >= 0 && box.bottom <= window.innerHeight; })()"
)


@pytest.fixture
def places(db) -> dict:
    fengtai = DistrictFactory(name="丰台区")
    return {
        "fengtai": fengtai,
        "xincun": StreetFactory(name="新村街道", parent=fengtai),
        "lugouqiao": StreetFactory(name="卢沟桥街道", parent=fengtai),
        # "xc" as well, in another district
        "xichang": StreetFactory(name="西长安街街道", parent=DistrictFactory(name="西城区")),
    }


@pytest.fixture
def at_desk(desk_page, make_user):
    def open_desk(username: str):
        make_user(Role.AGENT, username=username)
        login(desk_page, username)
        desk_page.wait_for_url("**/")
        desk_page.goto("/desk/")
        return desk_page

    return open_desk


def enter(page, expected_focus: str) -> None:
    """Enter, then the focus is on `expected_focus` (after a picker's search, once its results are in)."""
    page.keyboard.press("Enter")
    wait_for_js(page, f"{FOCUSED} === {expected_focus!r}", timeout=5)


def test_keyboard_only_intake_enter_through_every_field_then_alt_s(at_desk, places):
    # Given a heating category among others, and Fengtai's streets
    leak = CategoryFactory(name="暖气漏水", default_tier=DeadlineTier.UTILITY)
    CategoryFactory(name="暖气不热")
    page = at_desk("keyboardagent")

    # When the agent fills the whole form with the keyboard, Enter moving on from every field
    assert page.evaluate(FOCUSED) == "id_phone"
    page.keyboard.type("13800138000")
    enter(page, "id_caller_name")
    page.keyboard.type("李四")
    enter(page, "id_is_enterprise")
    page.keyboard.press("Space")  # an enterprise: its name is asked for
    enter(page, "id_enterprise_name")
    page.keyboard.type("某某供热公司")
    enter(page, "id_confidential")
    page.keyboard.press("Space")
    enter(page, "id_sms_opt_out")
    page.keyboard.press("Space")  # the caller wants no SMS
    enter(page, "id_channel")
    page.keyboard.press("ArrowDown")  # 电话 → 企业专席
    enter(page, "id_kind")
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # --- → 咨询 → 求助 → 投诉
    enter(page, "category-filter")
    page.keyboard.type("漏水")
    enter(page, "id_category")
    enter(page, "id_district-search")
    page.keyboard.type("ft")  # pinyin initials
    enter(page, "id_street-search")
    page.keyboard.type("新村")  # short name
    enter(page, "id_address")
    page.keyboard.type("幸福小区3号楼")
    enter(page, "id_description")
    page.keyboard.type("暖气管道漏水，地板都湿了")
    enter(page, "id_urgency")
    page.keyboard.press("ArrowDown")  # 一般 → 紧急 → 特急
    page.keyboard.press("ArrowDown")
    enter(page, "id_deadline_tier")  # follows the urgency: emergency
    page.keyboard.press("ArrowDown")  # changed to 24 h: a reason is asked for
    enter(page, "id_tier_override_reason")
    page.keyboard.type("供热管网抢修")
    enter(page, "id_answer")
    page.keyboard.type("已告知先关闭阀门")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.value") == "dispatch"  # the first outcome button
    assert Ticket.objects.count() == 0  # no Enter has submitted anything

    # And queues the ticket for dispatch with Alt+S
    page.settle()
    page.keyboard.press("Alt+s")
    page.wait_for_selector(".messages li.success")

    # Then the ticket holds what was typed
    ticket = Ticket.objects.select_related("caller").get()
    assert ticket.status == Status.AWAITING_DISPATCH
    assert (ticket.caller.phone, ticket.caller.name, ticket.confidential) == ("13800138000", "李四", True)
    assert (ticket.caller.is_enterprise, ticket.caller.enterprise_name) == (True, "某某供热公司")
    assert ticket.caller.sms_opt_out
    assert (ticket.channel, ticket.kind, ticket.category) == (Channel.ENTERPRISE_LINE, Kind.COMPLAINT, leak)
    assert (ticket.district, ticket.street) == (places["fengtai"], places["xincun"])
    assert (ticket.address, ticket.description) == ("幸福小区3号楼", "暖气管道漏水，地板都湿了")
    assert (ticket.urgency, ticket.deadline_tier) == (Urgency.EMERGENCY, DeadlineTier.UTILITY)
    assert ticket.tier_override_reason == "供热管网抢修"
    assert ticket.number in page.inner_text(".messages")
    assert page.js_errors == []


def test_a_refused_close_shows_its_error_in_view_with_the_focus_on_it(at_desk, places):
    # Given a complete contact without a closing outcome, the page scrolled to the top
    category = CategoryFactory(name="不热")
    page = at_desk("closeagent")
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_kind", "consultation")
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_description", "问供暖时间")
    page.focus("#id_phone")
    page.evaluate("window.scrollTo(0, 0)")

    # When the agent presses Alt+X
    page.keyboard.press("Alt+x")

    # Then nothing is sent: the closing outcome has the focus, in view, with the error beside it
    assert page.evaluate(FOCUSED) == "id_disposition"
    assert page.evaluate(IN_VIEW)
    assert page.is_visible("#id_disposition_error")
    assert page.get_attribute("#id_disposition", "aria-describedby") == "id_disposition_error"
    assert Ticket.objects.count() == 0
    # And choosing the outcome takes the error away, Alt+X then closes the contact
    page.select_option("#id_disposition", "explained")
    assert page.locator("#id_disposition_error").count() == 0
    page.settle()
    page.keyboard.press("Alt+x")
    page.wait_for_selector(".messages li.success")
    assert Ticket.objects.get().status == Status.CLOSED
    assert page.js_errors == []


def test_a_refusal_from_the_server_focuses_its_field_not_the_phone(at_desk, places):
    # Given a complete contact and no answer written
    category = CategoryFactory(name="不热")
    page = at_desk("answeragent")
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_kind", "consultation")
    page.select_option("#id_category", str(category.pk))
    page.focus("#id_district-search")
    page.keyboard.type("丰台")
    enter(page, "id_street-search")
    page.fill("#id_description", "问供暖时间")
    page.settle()

    # When the agent answers directly (Alt+A) and the server refuses: no answer, no article
    page.keyboard.press("Alt+a")
    page.wait_for_selector("#id_answer_error")

    # Then the page comes back with the answer box focused and in view, not the phone
    wait_for_js(page, f"{FOCUSED} === 'id_answer'")
    assert page.evaluate(IN_VIEW)
    # and with what the agent had typed, the district in its picker
    assert page.input_value("#id_district-search") == "丰台区"
    assert Ticket.objects.count() == 0
    assert page.js_errors == []


def test_alt_s_with_a_missing_field_focuses_it(at_desk, places):
    # Given a contact without its description
    category = CategoryFactory(name="不热")
    page = at_desk("missingagent")
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_kind", "complaint")
    page.select_option("#id_category", str(category.pk))
    page.focus("#id_phone")
    # When the agent presses Alt+S, then the browser refuses it, focusing the description
    page.keyboard.press("Alt+s")
    assert page.evaluate(FOCUSED) == "id_description"
    assert page.evaluate(IN_VIEW)
    assert Ticket.objects.count() == 0
    assert page.js_errors == []


def test_the_street_picker_searches_the_chosen_district_and_never_takes_one_of_several(at_desk, places):
    page = at_desk("pickeragent")
    street = page.locator("#id_street-search")
    listbox = page.locator("#id_street-listbox")
    # With no district, "xc" finds streets of both districts: Enter highlights the first, takes none
    street.focus()
    page.keyboard.type("xc")
    page.keyboard.press("Enter")
    wait_for_js(page, "document.getElementById('id_street-search').hasAttribute('aria-activedescendant')")
    options = listbox.locator("[role=option]")
    assert sorted(options.all_inner_texts()) == ["新村街道（丰台区）", "西长安街街道（西城区）"]
    assert street.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    assert page.input_value("#id_street") == ""
    assert page.evaluate(FOCUSED) == "id_street-search"
    # a second Enter takes it, fills its district in, and moves on
    first = options.first.inner_text()
    enter(page, "id_address")
    chosen = places["xincun"] if first.startswith("新村") else places["xichang"]
    assert page.input_value("#id_street") == str(chosen.pk)
    assert page.input_value("#id_district") == str(chosen.parent_id)
    assert page.input_value("#id_district-search") == chosen.parent.name

    # Once Fengtai is chosen, the same letters find its street alone
    page.focus("#id_district-search")
    page.keyboard.type("丰台区")
    enter(page, "id_street-search")
    page.keyboard.type("xc")
    listbox.locator("[role=option]").first.wait_for()
    assert listbox.locator("[role=option]").all_inner_texts() == ["新村街道（丰台区）"]
    # And a name that matches nothing says so and keeps the agent in the box
    page.fill("#id_street-search", "不存在")
    listbox.locator(".unit-picker-empty").wait_for()
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED) == "id_street-search"
    page.settle()
    assert page.js_errors == []


def test_the_knowledge_base_panel_follows_category_and_description(at_desk, places):
    # Given articles about heating: one of the category, one only its words share, one unrelated
    category = CategoryFactory(name="暖气漏水")
    tagged = ArticleFactory(title="供暖期报修流程", body="请联系供热单位。")
    tagged.categories.add(category)
    by_words = ArticleFactory(title="暖气管道漏水怎么办", body="先关闭阀门。")
    ArticleFactory(title="公交线路查询", body="请拨打公交热线。")
    page = at_desk("kbagent")
    results = page.locator("#kb-results .article strong")

    # When the agent describes the matter, the article sharing its words is offered
    page.fill("#id_description", "家里暖气管道漏水了")
    wait_for_js(page, "document.querySelectorAll('#kb-results .article').length === 1")
    assert results.all_inner_texts() == [by_words.title]
    # When the category is chosen, its article comes first
    page.select_option("#id_category", str(category.pk))
    wait_for_js(page, "document.querySelectorAll('#kb-results .article').length === 2")
    assert results.all_inner_texts() == [tagged.title, by_words.title]
    # And the panel's own box narrows them
    page.fill("#kb-q", "阀门")
    wait_for_js(page, "document.querySelectorAll('#kb-results .article').length === 1")
    assert results.all_inner_texts() == [by_words.title]
    page.settle()
    assert page.js_errors == []
