"""The main navigation: which pages each role sees, which of them it uses daily (in the bar) and
which only now and then (under "More"), and the pending counts shown beside them.

The counts come from the apps that own the work, named in settings.HOTLINE_NAV_COUNTS (the core
cannot import the apps built on it): each source counts what the user's items ask of it in one
query, so a page costs at most one query per source, and none where the navigation is not rendered.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.models import Role, User
from hotline.roles import (
    ANALYTICS_ROLES,
    CALLBACK_ROLES,
    DESK_ROLES,
    DISPATCH_ROLES,
    HOTLINE_ROLES,
    OVERSIGHT_ROLES,
    OVERVIEW_ROLES,
    PROACTIVE_ROLES,
    SCREEN_ROLES,
    WORKBENCH_ROLES,
    user_roles,
)

# Whoever may open the staff admin sees it under this pseudo-role.
STAFF = "staff"


@dataclass(frozen=True)
class Item:
    url_name: str
    label: str | Promise
    roles: frozenset[str]  # who sees the link at all
    daily: frozenset[str]  # who sees it in the bar; the others under "More"
    active: frozenset[str] = frozenset()  # view names (or a namespace) that highlight it
    count: tuple[str, str] | None = None  # (source in HOTLINE_NAV_COUNTS, key)


ITEMS = (
    Item(
        "intake:desk",
        _("Agent desk"),
        DESK_ROLES,
        frozenset({Role.AGENT}),
        frozenset({"intake:desk"}),
    ),
    Item(
        "dispatch:queue",
        _("Dispatch queue"),
        DISPATCH_ROLES,
        frozenset({Role.DISPATCHER}),
        frozenset({"dispatch:queue", "dispatch:dispatch_ticket"}),
        ("dispatch", "queue"),
    ),
    Item(
        "dispatch:returns",
        _("Reviews"),
        DISPATCH_ROLES,
        DISPATCH_ROLES,
        frozenset({"dispatch:returns", "dispatch:return_review"}),
        ("dispatch", "reviews"),
    ),
    # Hotline staff may open the unit workbench too, but they reach its tickets from supervision
    # and the ticket pages: the link is for the units' own staff.
    Item(
        "dispatch:workbench",
        _("Unit workbench"),
        WORKBENCH_ROLES,
        WORKBENCH_ROLES,
        frozenset({"dispatch:workbench", "dispatch:assignment"}),
        ("dispatch", "to_sign"),
    ),
    Item(
        "evaluation:callback_queue",
        _("Callbacks"),
        CALLBACK_ROLES,
        frozenset({Role.CALLBACK_AGENT}),
        frozenset({"evaluation:callback_queue", "evaluation:callback_detail"}),
        ("evaluation", "callbacks"),
    ),
    Item(
        "analytics:overview",
        _("Analytics"),
        ANALYTICS_ROLES,
        OVERSIGHT_ROLES,
        frozenset({"analytics"}),
    ),
    Item(
        "analytics:screen",
        _("Big screen"),
        SCREEN_ROLES,
        frozenset(),
        frozenset({"analytics:screen"}),
    ),
    Item(
        "topics:list",
        _("Monthly topics"),
        frozenset({*OVERSIGHT_ROLES, *WORKBENCH_ROLES}),
        frozenset({Role.CITY_ADMIN}),
        frozenset({"topics"}),
    ),
    Item(
        "reports:list",
        _("Hotline reports"),
        OVERSIGHT_ROLES,
        frozenset(),
        frozenset({"reports"}),
    ),
    Item(
        "dispatch:supervision",
        _("Supervision"),
        OVERVIEW_ROLES,
        frozenset({Role.UNIT_LEADER, Role.DISTRICT_SUPERVISOR, Role.HOTLINE_SUPERVISOR}),
        frozenset({"dispatch:supervision"}),
    ),
    Item(
        "intake:ticket_list",
        _("Tickets"),
        HOTLINE_ROLES,
        frozenset({Role.AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.HOTLINE_SUPERVISOR}),
        frozenset({"intake:ticket_list", "intake:ticket_detail"}),
    ),
    Item(
        "intake:article_list",
        _("Knowledge base"),
        HOTLINE_ROLES,
        frozenset({Role.AGENT}),
        frozenset({"intake:article_list", "intake:article_create", "intake:article_edit"}),
    ),
    Item(
        "evaluation:ranking",
        _("Rankings"),
        ANALYTICS_ROLES,
        frozenset({Role.CITY_ADMIN, Role.DISTRICT_SUPERVISOR, Role.UNIT_LEADER}),
        frozenset(
            {"evaluation:ranking", "evaluation:unit_detail", "evaluation:unit_tickets", "evaluation:district_detail"}
        ),
    ),
    Item(
        "evaluation:appeal_review",
        _("Appeal review"),
        OVERSIGHT_ROLES,
        frozenset({Role.HOTLINE_SUPERVISOR}),
        frozenset({"evaluation:appeal_review"}),
    ),
    Item(
        "evaluation:appeal_list",
        _("Appeals"),
        WORKBENCH_ROLES,  # the units' side: they appeal (or read their units' appeals)
        frozenset(),
        frozenset({"evaluation:appeal_list", "evaluation:appeal_detail", "evaluation:appeal_create"}),
    ),
    Item(
        "intake:proactive",
        _("Proactive governance"),
        PROACTIVE_ROLES,
        frozenset(),
        frozenset({"intake:proactive", "intake:proactive_import"}),
    ),
    Item(
        "dispatch:catalogue",
        _("Dispatch catalogue"),
        DISPATCH_ROLES,
        frozenset(),
        frozenset({"dispatch:catalogue", "dispatch:rule_edit"}),
    ),
    Item(
        "dispatch:feedback_templates",
        _("Reply SMS templates"),
        OVERSIGHT_ROLES,
        frozenset(),
        frozenset({"dispatch:feedback_templates", "dispatch:feedback_template_edit"}),
    ),
    Item(
        "admin:index",
        pgettext_lazy("site administration link", "Administration"),
        frozenset({STAFF}),
        frozenset({Role.CITY_ADMIN}),
        frozenset({"admin"}),
    ),
)


@dataclass(frozen=True)
class Link:
    url: str
    label: str | Promise
    active: bool
    key: str = ""
    count: int | None = None


@dataclass(frozen=True)
class Navigation:
    primary: list[Link]
    more: list[Link]
    counts: dict[str, int]  # every count of the shown items, by key (e.g. "queue", "reviews")


def nav_roles(*, user: User) -> frozenset[str]:
    """The roles the navigation follows: a superuser sees what a hotline supervisor and a city
    admin see; staff users also the admin."""
    roles = set(user_roles(user=user))
    if user.is_superuser:
        roles |= OVERSIGHT_ROLES
    if user.is_staff:
        roles.add(STAFF)
    return frozenset(roles)


def visible_items(*, user: User) -> list[tuple[Item, bool]]:
    """(item, in the bar) for each item the user sees, in the navigation's order."""
    roles = nav_roles(user=user)
    shown = []
    for item in ITEMS:
        if item.url_name == "evaluation:appeal_list" and roles & OVERSIGHT_ROLES:
            continue  # those who review every appeal read them on the review page
        if roles & item.roles:
            shown.append((item, bool(roles & item.daily)))
    return shown


def pending_counts(*, user: User, items: list[Item]) -> dict[str, int]:
    """The counts the items ask for: one call (one query) per source."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if item.count is not None:
            wanted[item.count[0]].add(item.count[1])
    counts: dict[str, int] = {}
    for source, keys in wanted.items():
        counts.update(import_string(settings.HOTLINE_NAV_COUNTS[source])(user=user, keys=keys))
    return counts


def navigation(*, request: HttpRequest) -> Navigation:
    shown = visible_items(user=request.user)
    counts = pending_counts(user=request.user, items=[item for item, _daily in shown])
    match = request.resolver_match
    current = {match.view_name, match.namespace} if match else set()
    primary, more = [], []
    for item, daily in shown:
        key = item.count[1] if item.count else ""
        link = Link(reverse(item.url_name), item.label, bool(current & item.active), key, counts.get(key))
        (primary if daily else more).append(link)
    return Navigation(primary=primary, more=more, counts=counts)
