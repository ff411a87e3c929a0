from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from hotline import navigation
from hotline.notifications import unread_count
from hotline.roles import user_roles
from hotline.selectors import is_hotline_staff


def roles(request: HttpRequest) -> dict:
    """The current user's roles, for navigation and role-dependent page parts."""
    user = request.user
    return {
        "user_roles": user_roles(user=user),
        "is_hotline_staff": user.is_authenticated and is_hotline_staff(user=user),
    }


def notifications(request: HttpRequest) -> dict:
    """The header badge's unread count: one COUNT, and only on pages that render it."""
    user = request.user
    if not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}


def nav(request: HttpRequest) -> dict:
    """The main navigation with its pending counts, built only on pages that render it."""
    if not request.user.is_authenticated:
        return {}
    return {"nav": SimpleLazyObject(lambda: navigation.navigation(request=request))}
