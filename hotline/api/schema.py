"""The API's OpenAPI description: beside what each view declares, every error status an operation
can answer, in the one error format (hotline.api.errors), derived from how the operation is served
rather than written on each view.

- 400 everywhere: bad input (field errors, filters, malformed bodies, NUL bytes in a path or query);
- 401 unless anonymous requests are allowed; 403 where a permission refuses with 403 (taking in
  tickets) and on writes (CSRF for session users); 404 on detail paths, for a page or cursor that
  is not there, and where a permission answers 404 (what a role may not see does not exist for it);
- 406 when no renderer matches the Accept header;
- 409 (a domain rule) on writes, 413 (a body over the size or depth limits) and 415 where there
  is a body;
- 429 where requests are throttled.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import Direction, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

from hotline.api.permissions import NotFoundUnless
from hotline.errors import ErrorCode

BODIES = frozenset({"POST", "PUT", "PATCH"})
WRITES = BODIES | {"DELETE"}
# The `code` enum of the error format, each with its description (named in ENUM_NAME_OVERRIDES).
ERROR_CODE_CHOICES = [(code.value, code.description) for code in ErrorCode]


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="the HTTP status")
    code = serializers.ChoiceField(
        choices=ERROR_CODE_CHOICES,
        help_text="stable and machine-readable: branch on it, not on `message`",
    )
    message = serializers.CharField(help_text="for people, in the request's language")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='messages per input field (dotted for nested input, "non_field_errors" for the whole); '
        "empty unless the error is about input",
    )


class ErrorSerializer(serializers.Serializer):
    """Every error of the API, whatever its status."""

    error = ErrorDetailSerializer()


ERRORS = {
    400: _("The input is not valid (see `fields`)."),
    401: _("Not signed in, or the token is not valid."),
    403: _("The user's role may not do this."),
    404: _("Not found, or not visible to the user's role."),
    406: _("No representation matches the Accept header."),
    409: _("The request breaks a business rule in the resource's current state (see `code`)."),
    413: _("The request body is too large or too deeply nested."),
    415: _("The request body's media type is not supported."),
    429: _("Too many requests: try again after Retry-After seconds."),
}


class AutoSchema(openapi.AutoSchema):
    def map_parsers(self) -> list[str]:
        """JSON is the API's request format; form encodings, which DRF also parses, are documented
        only where a view declares its own parsers for uploads."""
        media_types = super().map_parsers()
        if list(self.view.parser_classes) == list(api_settings.DEFAULT_PARSER_CLASSES):
            return [media_type for media_type in media_types if media_type == "application/json"]
        return media_types

    def _get_response_bodies(self, direction: Direction = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            response = OpenApiResponse(ErrorSerializer, description=ERRORS[status])
            responses.setdefault(str(status), self._get_response_for_code(response, str(status), direction=direction))
        return responses

    def _error_statuses(self) -> list[int]:
        checks = self.view.get_permissions()
        writes = self.method in WRITES
        found = [400, 406]
        if {} not in self.get_auth():
            found.append(401)
        if writes or any(not isinstance(check, (permissions.IsAuthenticated, NotFoundUnless)) for check in checks):
            found.append(403)
        paginated = self._is_list_view() and self._get_paginator() is not None  # a page or cursor not there
        if "{" in self.path or paginated or any(isinstance(check, NotFoundUnless) for check in checks):
            found.append(404)
        if writes:
            found.append(409)
        if self.method in BODIES:
            found += [413, 415]
        if self.view.get_throttles():
            found.append(429)
        return sorted(found)
