"""Each role lands on its own work at `/`, and the navigation shows each role what it uses daily."""

import re

import pytest
from django.urls import reverse

from hotline.models import Membership, Role
from hotline.selectors import home_url_for
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

HOMES = [
    (Role.AGENT, "intake:desk"),
    (Role.DISPATCHER, "dispatch:queue"),
    (Role.UNIT_OFFICER, "dispatch:workbench"),
    (Role.UNIT_LEADER, "dispatch:workbench"),
    (Role.CALLBACK_AGENT, "evaluation:callback_queue"),
    (Role.HOTLINE_SUPERVISOR, "analytics:overview"),
    (Role.CITY_ADMIN, "analytics:overview"),
    (Role.DISTRICT_SUPERVISOR, "dispatch:supervision"),
]


def nav_of(html: str) -> tuple[list[str], list[str]]:
    """(hrefs in the bar, hrefs under "More") of the main navigation."""
    nav = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S).group(1)
    more = re.search(r'<details class="navmore">(.*?)</details>', nav, re.S)
    bar = nav[: more.start()] if more else nav
    hrefs = re.compile(r'<a href="([^"]+)"')
    return hrefs.findall(bar), hrefs.findall(more.group(1)) if more else []


@pytest.mark.parametrize(("role", "url_name"), HOMES)
def test_home_redirects_each_role_to_its_work(client, make_user, role, url_name):
    # Given a user holding one role
    client.force_login(make_user(role))
    # When they open the site's root
    response = client.get("/")
    # Then they are sent to their own work, which they may open
    assert response.status_code == 302
    assert response["Location"] == reverse(url_name)
    assert client.get(response["Location"]).status_code == 200


def test_several_roles_land_on_the_first_by_priority(make_user):
    # Given an agent who also dispatches and a unit officer who also leads another unit
    agent = make_user(Role.AGENT)
    Membership.objects.create(user=agent, unit=UnitFactory(), role=Role.DISPATCHER)
    supervisor = make_user(Role.UNIT_OFFICER)
    Membership.objects.create(user=supervisor, unit=UnitFactory(), role=Role.DISTRICT_SUPERVISOR)
    # Then the hotline's dispatching wins over answering calls, supervision over handling
    assert home_url_for(user=agent) == reverse("dispatch:queue")
    assert home_url_for(user=supervisor) == reverse("dispatch:supervision")


def test_a_user_without_a_role_keeps_the_welcome_page(client):
    # Given a user who holds no role anywhere
    user = UserFactory()
    client.force_login(user)
    # When they open the root
    response = client.get("/")
    # Then they read whom to ask, on the page itself
    assert response.status_code == 200
    assert home_url_for(user=user) is None
    assert response.templates[0].name == "hotline/home.html"


@pytest.mark.parametrize(
    ("role", "bar", "more"),
    [
        (Role.AGENT, ["intake:desk", "intake:ticket_list", "intake:article_list"], []),
        (
            Role.DISPATCHER,
            ["dispatch:queue", "dispatch:returns", "intake:ticket_list"],
            ["intake:desk", "dispatch:supervision", "intake:article_list", "intake:proactive", "dispatch:catalogue"],
        ),
        (Role.UNIT_OFFICER, ["dispatch:workbench"], ["topics:list", "evaluation:appeal_list"]),
        (
            Role.UNIT_LEADER,
            ["dispatch:workbench", "dispatch:supervision", "evaluation:ranking"],
            ["analytics:overview", "topics:list", "evaluation:appeal_list"],
        ),
        (Role.CALLBACK_AGENT, ["evaluation:callback_queue", "intake:ticket_list"], ["intake:article_list"]),
        (
            Role.HOTLINE_SUPERVISOR,
            [
                "dispatch:returns",
                "analytics:overview",
                "dispatch:supervision",
                "intake:ticket_list",
                "evaluation:appeal_review",
            ],
            [
                "intake:desk",
                "dispatch:queue",
                "evaluation:callback_queue",
                "analytics:screen",
                "topics:list",
                "reports:list",
                "intake:article_list",
                "evaluation:ranking",
                "intake:proactive",
                "dispatch:catalogue",
                "dispatch:feedback_templates",
            ],
        ),
    ],
)
def test_navigation_shows_each_role_its_daily_pages_and_the_rest_under_more(client, make_user, role, bar, more):
    # Given a user holding one role
    client.force_login(make_user(role))
    # When any page renders
    html = client.get("/", follow=True).content.decode()
    # Then the bar holds the role's daily pages, "More" the others it may open
    assert nav_of(html) == ([reverse(name) for name in bar], [reverse(name) for name in more])


def test_only_the_units_staff_see_the_unit_workbench_named_apart_from_the_agent_desk(client, make_user):
    # Given an agent and a unit officer
    client.force_login(make_user(Role.AGENT))
    agent_nav = nav_of(client.get(reverse("intake:desk")).content.decode())
    client.force_login(make_user(Role.UNIT_OFFICER))
    officer_html = client.get(reverse("dispatch:workbench")).content.decode()
    # Then the agent has the desk and no unit workbench; the officer the unit workbench by its own name
    assert reverse("dispatch:workbench") not in agent_nav[0] + agent_nav[1]
    workbench = reverse("dispatch:workbench")
    assert f'<a href="{workbench}" class="active" aria-current="page">承办单位工作台' in officer_html


def test_city_admins_reach_the_admin_from_the_bar(client, make_user):
    client.force_login(make_user(Role.CITY_ADMIN, is_staff=True))
    bar, _more = nav_of(client.get(reverse("analytics:overview")).content.decode())
    assert reverse("admin:index") in bar
