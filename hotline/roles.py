"""Every role set that decides who may do what, and the one check of them.

A permission is "holds one of these roles"; `holds` answers it, and it alone lets a superuser
through. `has_role` is the raw membership read, for the few places where a superuser must not
count as holding a role (e.g. the intake API's clients, who must be real members).

The sets are named for what they allow; two permissions that happen to share their members share
one set, so that changing who may do one thing is a visible decision about the other.
"""

from collections.abc import Collection

from hotline import reference
from hotline.models import Role, User

# The hotline centre: they see every ticket and the caller's contact data.
HOTLINE_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN})
# Take calls and create tickets at the agent desk.
DESK_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN})
# Create tickets through the intake API: the desk's roles and the external channels' clients.
INTAKE_API_ROLES = frozenset({*DESK_ROLES, Role.API_CLIENT})
# Create proactive tickets (未诉先办) by hand or from an imported list of risk points.
PROACTIVE_ROLES = frozenset({Role.DISPATCHER, Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN})
# See every unit's figures, recompute rankings, decide appeals and edit the knowledge base.
OVERSIGHT_ROLES = frozenset({Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN})
# Dispatch, review returns and extensions, read the dispatch catalogue.
DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.HOTLINE_SUPERVISOR})
# Review late returns, edit the dispatch catalogue and supervise every unit.
HOTLINE_SUPERVISOR_ROLES = frozenset({Role.HOTLINE_SUPERVISOR})
# Sign, handle, reply and appeal for their own unit; notified of their unit's assignments. A district
# sub-centre dispatcher is its district's staff who also passes the district's tickets down.
UNIT_STAFF_ROLES = frozenset({Role.UNIT_OFFICER, Role.UNIT_LEADER, Role.DISTRICT_DISPATCHER})
# Held in a district, these see the whole district's tickets: the supervisors, and the sub-centre
# dispatchers, who follow what they passed down.
DISTRICT_WIDE_ROLES = frozenset({Role.DISTRICT_DISPATCHER, Role.DISTRICT_SUPERVISOR})
# Supervise the units below them: a unit leader their units, a district supervisor their district.
UNIT_SUPERVISOR_ROLES = frozenset({Role.UNIT_LEADER, Role.DISTRICT_SUPERVISOR})
# Open the unit workbench.
WORKBENCH_ROLES = frozenset({*UNIT_STAFF_ROLES, Role.DISTRICT_SUPERVISOR})
# Read the overdue and due-soon overview (within what they may see).
OVERVIEW_ROLES = frozenset({*UNIT_SUPERVISOR_ROLES, *DISPATCH_ROLES, Role.CITY_ADMIN})
# Adopt and edit monthly topics (每月一题), add their reform measures.
TOPIC_ADMIN_ROLES = frozenset({Role.CITY_ADMIN})
# Read analytics and rankings (within what they may see).
ANALYTICS_ROLES = frozenset({*OVERSIGHT_ROLES, *UNIT_SUPERVISOR_ROLES})
# Open the big screen (大屏): the command centre everything, a district supervisor their district.
SCREEN_ROLES = frozenset({*OVERSIGHT_ROLES, Role.DISTRICT_SUPERVISOR})
# Work the callback queue.
CALLBACK_ROLES = frozenset({Role.CALLBACK_AGENT, *OVERSIGHT_ROLES})
# Told while callbacks are past their window: those who call back and those who answer for it.
CALLBACK_ALERT_ROLES = frozenset({Role.CALLBACK_AGENT, Role.HOTLINE_SUPERVISOR})


def user_roles(*, user: User) -> frozenset[str]:
    """The roles a user holds in any unit (kept by the process: hotline.reference)."""
    if not user.is_authenticated:
        return frozenset()
    return reference.roles_of(user_id=user.pk)


def has_role(*, user: User, roles: Collection[str]) -> bool:
    """Whether the user is a member holding one of `roles`; a superuser without such a membership
    does not count (use `holds` for permissions)."""
    return not user_roles(user=user).isdisjoint(roles)


def holds(*, user: User, roles: Collection[str]) -> bool:
    """Whether the user may act as one of `roles`: a superuser holds every role."""
    return user.is_superuser or has_role(user=user, roles=roles)
