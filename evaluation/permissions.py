"""Who reviews in evaluation (the role sets themselves live in hotline.roles)."""

from hotline.models import User
from hotline.roles import OVERSIGHT_ROLES, holds


def is_evaluation_admin(*, user: User) -> bool:
    """Recompute rankings, decide appeals, see every unit."""
    return holds(user=user, roles=OVERSIGHT_ROLES)
