from django.http import HttpRequest

from hotline.selectors import is_hotline_staff, user_roles


def roles(request: HttpRequest) -> dict:
    """The current user's roles, for navigation and role-dependent page parts."""
    user = request.user
    return {
        "user_roles": user_roles(user=user),
        "is_hotline_staff": user.is_authenticated and is_hotline_staff(user=user),
    }
