"""Open311 rate limits: creating requests per client key, reading per client IP."""

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from hotline.api.throttling import FixedWindowMixin
from open311.models import Open311Client


class SubmitThrottle(FixedWindowMixin, SimpleRateThrottle):
    """POST requests, per Open311 client (views check the api_key before throttling)."""

    scope = "open311_submit"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        client = request.auth
        ident = f"client-{client.pk}" if isinstance(client, Open311Client) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ReadThrottle(FixedWindowMixin, SimpleRateThrottle):
    """GET requests, per client IP (X-Forwarded-For only as far as REST_FRAMEWORK["NUM_PROXIES"])."""

    scope = "open311_read"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
