"""Not allowed → not found: the one refusal for whatever a user may not see or do (404, never 403).

Views, services and the API's permission classes all call `require`. Its DomainError "not_found"
becomes the product's 404 page in HTML (hotline.middleware.NotFoundMiddleware) and the JSON 404 in
the API (hotline.api.errors), so "not there" and "not yours" read the same everywhere.
"""

from django.utils.translation import gettext as _

from hotline.errors import DomainError, ErrorCode


def not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, _("Not found."), status=404)


def require(allowed: bool) -> None:
    """Refuse with 404 unless `allowed`: the existence of what the user may not see is not disclosed."""
    if not allowed:
        raise not_found()
