from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from hotline import navigation
from hotline.notifications import unread_count
from hotline.roles import user_roles
from hotline.selectors import is_hotline_staff


def _user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The request's user; anonymous on an error page for a request refused before the
    authentication middleware ran (a Host header not in ALLOWED_HOSTS: scanners send them)."""
    return getattr(request, "user", None) or AnonymousUser()


def roles(request: HttpRequest) -> dict:
    """The current user's roles, for navigation and role-dependent page parts."""
    user = _user(request)
    return {
        "user_roles": user_roles(user=user),
        "is_hotline_staff": user.is_authenticated and is_hotline_staff(user=user),
    }


def notifications(request: HttpRequest) -> dict:
    """The header badge's unread count: one COUNT, and only on pages that render it."""
    user = _user(request)
    if not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}


def nav(request: HttpRequest) -> dict:
    """The main navigation with its pending counts, built only on pages that render it."""
    if not _user(request).is_authenticated:
        return {}
    return {"nav": SimpleLazyObject(lambda: navigation.navigation(request=request))}
