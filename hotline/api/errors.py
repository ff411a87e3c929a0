"""One JSON error format for every API error.

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"phone": ["…"]}}}

`fields` maps a field name (dotted for nested input, "non_field_errors" for the whole
object) to its messages; it is empty for errors that are not about input.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from hotline.errors import DomainError

logger = logging.getLogger(__name__)


def error_body(*, status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": ["message", …]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    messages = [str(item) for item in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or "non_field_errors": messages}


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, DomainError):
        set_rollback()
        body = error_body(status_code=exc.status, code=exc.code, message=exc.message, fields=exc.fields)
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            body = error_body(
                status_code=exc.status_code,
                code="invalid",
                message=_("The input is not valid."),
                fields=_flatten(exc.detail),
            )
        else:
            codes = exc.get_codes()
            body = error_body(
                status_code=exc.status_code,
                code=codes if isinstance(codes, str) else exc.default_code,
                message=str(exc.detail),
            )
        return Response(body, status=exc.status_code, headers=headers)
    logger.exception("Unhandled API error", exc_info=exc)
    set_rollback()
    body = error_body(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR, code="server_error", message=_("Internal server error.")
    )
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """404 for API paths that match no route, in the same format."""
    return JsonResponse(error_body(status_code=404, code="not_found", message=_("Not found.")), status=404)
