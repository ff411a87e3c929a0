"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under /open311/v2/.

Every resource answers in .json and .xml; every error is the spec's error list
([{"code": 404, "description": "…"}], or <errors><error>… in XML). Reads are public and
limited per client IP; creating a request needs an api_key and is limited per key.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView, set_rollback

from hotline.errors import DomainError
from intake.models import Ticket
from open311 import selectors, serializers, services
from open311.permissions import ApiKeyAuthentication, ApiKeyRequired, parameters
from open311.renderers import RENDERERS, SuffixNegotiation, XMLRenderer
from open311.throttling import ReadThrottle, SubmitThrottle

logger = logging.getLogger(__name__)


def _errors(exc: exceptions.APIException) -> list[str]:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        messages = []
        for field, field_errors in detail.items():
            for message in field_errors if isinstance(field_errors, list) else [field_errors]:
                messages.append(str(message) if field == "non_field_errors" else f"{field}: {message}")
        return messages
    return [str(exc.detail)]


def exception_handler(exc: Exception, context: dict) -> Response:
    """Every error as the spec's list of {code, description}."""
    set_rollback()
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        code = exc.status
        messages = [exc.message, *(f"{field}: {m}" for field, ms in exc.fields.items() for m in ms)]
    else:
        if isinstance(exc, Http404):
            exc = exceptions.NotFound()
        elif isinstance(exc, PermissionDenied):
            exc = exceptions.PermissionDenied()
        if isinstance(exc, exceptions.APIException):
            code = exc.status_code
            messages = _errors(exc)
            if getattr(exc, "wait", None):
                headers["Retry-After"] = str(int(exc.wait))
        else:
            logger.exception("Unhandled Open311 error", exc_info=exc)
            code = status.HTTP_500_INTERNAL_SERVER_ERROR
            messages = [_("Internal server error.")]
    return Response([{"code": code, "description": message} for message in messages], status=code, headers=headers)


def error_response(*, path: str, status: int, message: str) -> HttpResponse:
    """The spec's error list outside a view (input refused before routing): XML for a .xml path."""
    errors = [{"code": status, "description": message}]
    if path.endswith(".xml"):
        body = XMLRenderer().render(errors, renderer_context={"response": HttpResponse(status=status)})
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(errors, status=status, safe=False)


class Open311View(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [ApiKeyRequired]
    parser_classes = [FormParser, MultiPartParser]
    renderer_classes = RENDERERS
    content_negotiation_class = SuffixNegotiation
    # HTTP methods that need a valid api_key.
    key_required_for: frozenset[str] = frozenset()
    # The XML root element (list items are named after it, see renderers.ITEM_TAGS).
    xml_root = "service_requests"

    def get_exception_handler(self) -> Callable[[Exception, dict], Response]:
        return exception_handler

    def get_throttles(self) -> list[BaseThrottle]:
        return [SubmitThrottle() if self.request.method == "POST" else ReadThrottle()]

    def perform_authentication(self, request: Request) -> None:
        # First of all checks: a request for another jurisdiction is 404 whatever its key.
        jurisdiction = parameters(request).get("jurisdiction_id")
        if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION_ID:
            raise exceptions.NotFound(_("jurisdiction_id %(id)s not found.") % {"id": jurisdiction})
        super().perform_authentication(request)

    @property
    def extensions(self) -> bool:
        return self.request.query_params.get("extensions", "").lower() == "true"


class DiscoveryView(Open311View):
    """Where the endpoint is, which formats it speaks, whom to ask for a key."""

    xml_root = "discovery"

    def get(self, request: Request, format: str) -> Response:
        base = request.build_absolute_uri(reverse("open311:services", kwargs={"format": format})).rsplit("/", 1)[0]
        return Response(serializers.discovery(base_url=base))


class ServiceListView(Open311View):
    xml_root = "services"

    def get(self, request: Request, format: str) -> Response:
        return Response([serializers.service(category) for category in selectors.services()])


class ServiceDefinitionView(Open311View):
    xml_root = "service_definition"

    def get(self, request: Request, service_code: str, format: str) -> Response:
        category = selectors.service_by_code(code=service_code)
        if category is None:
            raise exceptions.NotFound(_("service_code %(code)s not found.") % {"code": service_code})
        return Response(serializers.service_definition(category))


class RequestListView(Open311View):
    key_required_for = frozenset({"POST"})

    def get(self, request: Request, format: str) -> Response:
        query = serializers.request_query(request.query_params, now=timezone.now())
        tickets = selectors.public_requests(query=query, with_notes=self.extensions)
        return Response([serializers.service_request(ticket, extensions=self.extensions) for ticket in tickets])

    def post(self, request: Request, format: str) -> Response:
        params = parameters(request)
        serializer = serializers.ServiceRequestSerializer(data={k: v for k, v in params.items() if v != ""})
        serializer.is_valid(raise_exception=True)
        merged = request.query_params.copy()
        merged.update(request.data)
        data = serializer.service_request(attributes=serializers.attributes(merged))
        token = request.headers.get("Idempotency-Key", "").strip()
        if len(token) > 64:
            raise exceptions.ValidationError({"Idempotency-Key": [_("Use at most 64 characters.")]})
        ticket = services.submit_request(client=request.auth, request=data, token=token or None)
        return Response([{"service_request_id": ticket.number, "service_notice": "", "account_id": None}])


class RequestDetailView(Open311View):
    """GET requests/{id}: the spec's list of one request (service_requests > request)."""

    def _ticket(self, service_request_id: str) -> Ticket:
        ticket = selectors.public_request(number=service_request_id, with_notes=self.extensions)
        if ticket is None:
            raise exceptions.NotFound(_("service_request_id %(id)s not found.") % {"id": service_request_id})
        return ticket

    def get(self, request: Request, service_request_id: str, format: str) -> Response:
        ticket = self._ticket(service_request_id)
        return Response([serializers.service_request(ticket, extensions=self.extensions)])


class SingleRequestView(RequestDetailView):
    """GET request/{id}, the path of the spec's Swagger file: the request object itself."""

    xml_root = "request"

    def get(self, request: Request, service_request_id: str, format: str) -> Response:
        ticket = self._ticket(service_request_id)
        return Response(serializers.service_request(ticket, extensions=self.extensions))


class TokenView(Open311View):
    """GET tokens/{token}: the request a client created with `Idempotency-Key: {token}`.

    Tokens are chosen by the client, so only that client (its api_key) may resolve them.
    """

    key_required_for = frozenset({"GET"})

    def get(self, request: Request, token: str, format: str) -> Response:
        number = selectors.ticket_number_by_token(client=request.auth, token=token)
        if number is None:
            raise exceptions.NotFound(_("token %(token)s not found.") % {"token": token})
        return Response([{"service_request_id": number, "token": token}])


class NotFoundView(Open311View):
    """Any other path under /open311/v2/: 404 in the spec's format (XML for a .xml path)."""

    def get_format_suffix(self, **kwargs: Any) -> str:
        return "xml" if self.request.path.endswith(".xml") else "json"

    def get_throttles(self) -> list[BaseThrottle]:
        return [ReadThrottle()]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()
