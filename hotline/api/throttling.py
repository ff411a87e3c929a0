"""Request rate limits for the whole REST API (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]).

Requests are counted in fixed windows of the rate's period, one counter per client and window
in the shared cache (`hotline.ratelimit`): a request costs one round trip, however high the rate,
and is let through when the cache is unreachable. DRF's own classes
keep every request's timestamp in one cache entry and rewrite it on each request, which grows
with the rate (an integration allowed 200 tickets a second would rewrite a list of hundreds of
thousands). The price of fixed windows is that a client may spend two windows' worth across a
window boundary.

The rates are read on every request (DRF's classes copy them once, at import), so a changed
setting (a test's override, a reloaded configuration) takes effect at once.
"""

import time
from typing import TYPE_CHECKING

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from hotline import ratelimit

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is half-initialised
    from rest_framework.views import APIView


class FixedWindowMixin:
    scope: str
    timer = time.time

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        # Kept a whole period past the window's end, so no increment can race its expiry.
        count = ratelimit.hit(f"{key}:{window}", timeout=2 * self.duration)
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return self.window_ends - self.now


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """Per client IP, for requests without a user (public endpoints)."""


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """Per user (session or token); anonymous requests fall back to their IP."""
