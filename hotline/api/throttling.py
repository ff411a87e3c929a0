"""Request rate limits for the whole REST API (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]).

DRF's own classes copy the rates once, at import; these read them on every request, so a
changed setting (a test's override, a reloaded configuration) takes effect at once.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class SettingsRateMixin:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Per client IP, for requests without a user (public endpoints)."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Per user (session or token); anonymous requests fall back to their IP."""
