"""Who reviews in evaluation. The selectors decide access with these roles and the services notify
their holders; it sits below both because the selectors read through the services."""

from hotline.models import Role

# Recompute rankings, decide appeals, see every unit.
EVALUATION_ADMIN_ROLES = frozenset({Role.HOTLINE_SUPERVISOR, Role.CITY_ADMIN})
# Told while callbacks are past their window: those who call back and those who answer for it.
CALLBACK_ALERT_ROLES = frozenset({Role.CALLBACK_AGENT, Role.HOTLINE_SUPERVISOR})
