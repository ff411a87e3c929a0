"""Who reviews in evaluation. The selectors and the services both check and notify with these; it
sits below both because the selectors read through the services."""

from hotline.models import Role, User
from hotline.selectors import has_role

# Recompute rankings, decide appeals, see every unit.
EVALUATION_ADMIN_ROLES = frozenset({Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN})
# Told while callbacks are past their window: those who call back and those who answer for it.
CALLBACK_ALERT_ROLES = frozenset({Role.CALLBACK_AGENT, Role.HOTLINE_SUPERVISOR})


def is_evaluation_admin(*, user: User) -> bool:
    return user.is_superuser or has_role(user=user, roles=EVALUATION_ADMIN_ROLES)
