"""The API's rule for what a role may not see: it does not exist for it (404, never 403)."""

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from hotline.models import User
from hotline.permissions import require

if TYPE_CHECKING:
    from rest_framework.views import APIView


class NotFoundUnless(BasePermission):
    """Refuse signed-in users whom `allowed` rejects with 404 (hotline.permissions.require, as views
    and services do); anonymous requests get DRF's 401."""

    def allowed(self, user: User, view: "APIView") -> bool:
        raise NotImplementedError

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not request.user.is_authenticated:
            return False  # 401 from DRF's authentication, before anything is disclosed
        if not hasattr(view, request.method.lower()):
            return True  # a method the route does not serve: DRF's 405, which discloses no data
        require(self.allowed(request.user, view))
        return True
