"""Content-Security-Policy: every HTML page may run and style only what our own origin serves.

No inline scripts or event handlers anywhere (static/js/*.js attach their handlers), so an
injected <script> or onerror= does not run even if escaping failed somewhere. JSON data for
scripts goes in <script type="application/json"> (json_script), which is not executed.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI (drf-spectacular's page) has a <style> block and sets style attributes: styles
# inline are allowed there, scripts still only from our origin.
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Sets POLICY on every HTML response that has no policy of its own (see `with_policy`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response and response.get("Content-Type", "").startswith("text/html"):
            response[HEADER] = POLICY
        return response


def with_policy(policy: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view's own policy instead of POLICY."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response[HEADER] = policy
            return response

        return wrapped

    return decorate
