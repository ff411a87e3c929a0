"""Who may do what in dispatch. One set of rules for HTML and API: whoever may not act gets 404.

- dispatchers and hotline supervisors dispatch and review returns and extensions (late returns:
  hotline supervisors only); hotline supervisors edit the dispatch catalogue;
- unit officers and unit leaders act for their own unit;
- unit leaders supervise their unit, district supervisors their district's units, hotline
  supervisors every unit.
"""

from typing import TYPE_CHECKING

from django.db.models import Q
from rest_framework.permissions import SAFE_METHODS

from hotline.api.permissions import NotFoundUnless
from hotline.models import Role, Unit, UnitKind, User
from hotline.roles import (
    DISPATCH_ROLES,
    HOTLINE_SUPERVISOR_ROLES,
    OVERSIGHT_ROLES,
    OVERVIEW_ROLES,
    UNIT_STAFF_ROLES,
    holds,
)
from hotline.selectors import membership_rows, scoped_unit_ids

if TYPE_CHECKING:
    from rest_framework.views import APIView


def _memberships(user: User) -> list[tuple[int, str, str]]:
    """(unit id, role, unit kind) of each membership, cached on the user for the request."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_dispatch_memberships"):
        user._dispatch_memberships = membership_rows(user=user)
    return user._dispatch_memberships


def visible_unit_ids(*, user: User) -> set[int] | None:
    """hotline.selectors.scoped_unit_ids, computed once per request (None: every unit)."""
    if not hasattr(user, "_dispatch_scope"):
        user._dispatch_scope = scoped_unit_ids(user=user, memberships=_memberships(user))
    return user._dispatch_scope


def can_dispatch(*, user: User) -> bool:
    return holds(user=user, roles=DISPATCH_ROLES)


def return_reviewer_roles(*, late: bool) -> frozenset[str]:
    """Who reviews a return: late returns (after the return window) are for hotline supervisors only."""
    return HOTLINE_SUPERVISOR_ROLES if late else DISPATCH_ROLES


def can_review_return(*, user: User, late: bool) -> bool:
    return holds(user=user, roles=return_reviewer_roles(late=late))


def can_edit_catalogue(*, user: User) -> bool:
    return holds(user=user, roles=HOTLINE_SUPERVISOR_ROLES)


def can_edit_feedback_templates(*, user: User) -> bool:
    """The caller's reply SMS templates (双反馈): hotline supervisors and city admins."""
    return holds(user=user, roles=OVERSIGHT_ROLES)


def reviews_requests(*, user: User) -> bool:
    """Who decides units' return and extension requests: the hotline's dispatchers, and a
    district's staff for the units their district passed its tickets down to."""
    return can_dispatch(user=user) or bool(acting_district_ids(user=user))


def acting_unit_ids(*, user: User) -> frozenset[int]:
    """Units the user signs, handles and replies for, computed once per request (a list's
    `allowed_steps` asks for every row and step)."""
    if not hasattr(user, "_dispatch_acting"):
        user._dispatch_acting = frozenset(
            unit_id for unit_id, role, _kind in _memberships(user) if role in UNIT_STAFF_ROLES
        )
    return user._dispatch_acting


def acting_district_ids(*, user: User) -> set[int]:
    """The districts the user acts for: whose sub-centre passes tickets down and decides for the
    units below (empty for everyone but a district's staff)."""
    return {
        unit_id for unit_id, role, kind in _memberships(user) if role in UNIT_STAFF_ROLES and kind == UnitKind.DISTRICT
    }


def supervised_unit_ids(*, user: User) -> set[int] | None:
    """Units whose assignments the user may supervise (督办), computed once per request; None
    means every unit."""
    if not hasattr(user, "_dispatch_supervised"):
        user._dispatch_supervised = _supervised_unit_ids(user)
    return user._dispatch_supervised


def _supervised_unit_ids(user: User) -> set[int] | None:
    if holds(user=user, roles=HOTLINE_SUPERVISOR_ROLES):
        return None
    ids = {unit_id for unit_id, role, _kind in _memberships(user) if role == Role.UNIT_LEADER}
    districts = [
        unit_id
        for unit_id, role, kind in _memberships(user)
        if role == Role.DISTRICT_SUPERVISOR and kind == UnitKind.DISTRICT
    ]
    if districts:
        ids.update(Unit.objects.filter(Q(pk__in=districts) | Q(parent_id__in=districts)).values_list("pk", flat=True))
    return ids


def can_read_overview(*, user: User) -> bool:
    return holds(user=user, roles=OVERVIEW_ROLES)


def can_supervise(*, user: User, unit_id: int) -> bool:
    ids = supervised_unit_ids(user=user)
    return ids is None or unit_id in ids


class IsDispatcher(NotFoundUnless):
    def allowed(self, user: User, view: "APIView") -> bool:
        return can_dispatch(user=user)


class ReviewsRequests(NotFoundUnless):
    def allowed(self, user: User, view: "APIView") -> bool:
        return reviews_requests(user=user)


class CatalogueAccess(NotFoundUnless):
    """Dispatchers read the catalogue; hotline supervisors also change it."""

    def allowed(self, user: User, view: "APIView") -> bool:
        if view.request.method in SAFE_METHODS:
            return can_dispatch(user=user)
        return can_edit_catalogue(user=user)
