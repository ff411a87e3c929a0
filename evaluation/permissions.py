"""Who reviews in evaluation. The selectors and the services both check and notify with these; it
sits below both because the selectors read through the services."""

from hotline.models import User
from hotline.roles import CALLBACK_ALERT_ROLES, OVERSIGHT_ROLES, holds

# The services notify under these names (the sets themselves live in hotline.roles).
EVALUATION_ADMIN_ROLES = OVERSIGHT_ROLES
__all__ = ["CALLBACK_ALERT_ROLES", "EVALUATION_ADMIN_ROLES", "is_evaluation_admin"]


def is_evaluation_admin(*, user: User) -> bool:
    """Recompute rankings, decide appeals, see every unit."""
    return holds(user=user, roles=EVALUATION_ADMIN_ROLES)
