"""Open311 API keys: who may create requests, and look up their tokens."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from hotline.models import User
from open311 import selectors
from open311.models import Open311Client


def parameters(request: Request) -> dict[str, str]:
    """Query string and form body together: the spec's file puts POST parameters in the query."""
    merged = request.query_params.dict()
    if request.method == "POST" and hasattr(request.data, "dict"):
        merged.update(request.data.dict())
    # A multipart body may carry files under any name: parameters are text only.
    return {name: value for name, value in merged.items() if isinstance(value, str)}


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`api_key` in the query or the form body; request.auth is then the Open311Client."""

    def authenticate(self, request: Request) -> tuple[User, Open311Client] | None:
        key = parameters(request).get("api_key")
        if not key:
            return None
        client = selectors.client_by_key(key=key)
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid api_key received -- can't proceed."))
        return client.user, client


class ApiKeyRequired(permissions.BasePermission):
    """The view's `key_required_for` methods need a valid api_key (403 without one)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method not in getattr(view, "key_required_for", ()):
            return True
        if not isinstance(request.auth, Open311Client):
            raise exceptions.PermissionDenied(_("api_key was not provided."))
        return True
