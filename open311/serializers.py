"""Open311 input validation and the spec's representations of services, requests and discovery.

Representations are plain dicts in the spec's field order; open311/renderers.py writes them
as JSON or as the spec's XML. Requests show public-safe fields only: never the caller.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import URLValidator
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from rest_framework import serializers

from hotline.models import Category
from intake.api.serializers import normalized_phone
from intake.lifecycle import Action
from intake.models import Ticket
from intake.selectors import without_identity
from open311 import selectors
from open311.selectors import RequestQuery
from open311.services import ServiceRequest

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-22T00:00:00+08:00"
# The spec's defaults for GET requests: a span of at most 90 days, at most 1,000 requests.
MAX_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
# Paging reaches this far into a result; beyond it clients narrow the dates (deep offsets are slow).
MAX_WINDOW = 10_000
MAX_ATTRIBUTES = 50

ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
# Public labels of the events in the `extensions=true` notes history.
NOTE_TYPES: dict[str, tuple[str, Any]] = {
    Action.DISPATCH: ("dispatched", gettext_lazy("Dispatched to the handling unit")),
    Action.SIGN: ("signed", gettext_lazy("Signed for by the handling unit")),
    Action.REPLY: ("replied", gettext_lazy("The handling unit replied")),
    Action.CLOSE: ("closed", gettext_lazy("Closed after the callback")),
    Action.ANSWER_DIRECTLY: ("closed", gettext_lazy("Answered directly and closed")),
    Action.CLOSE_AT_INTAKE: ("closed", gettext_lazy("Closed at intake")),
    Action.MERGE: ("closed", gettext_lazy("Merged into another request on the same matter")),
}


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, in the hotline's time zone."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(timespec="seconds")


def _name(category: Category) -> str:
    english = (get_language() or "").startswith("en")
    return category.name_en if english and category.name_en else category.name


# --- Services -----------------------------------------------------------------------------


def service(category: Category) -> dict[str, Any]:
    branch = category.parent
    group = branch.parent
    return {
        "service_code": category.code,
        "service_name": _name(category),
        "description": " / ".join(_name(node) for node in (group, branch, category)),
        "metadata": False,
        "type": "realtime",
        "keywords": _name(branch),
        "group": _name(group),
    }


def service_definition(category: Category) -> dict[str, Any]:
    # No service asks for attributes (metadata is false): the definition lists none.
    return {"service_code": category.code, "attributes": []}


# --- Requests -----------------------------------------------------------------------------


def _status_notes(ticket: Ticket) -> str | None:
    if ticket.public_reply:
        return without_identity(ticket.public_reply, ticket=ticket)
    if ticket.parent is not None:
        return _("Duplicate request: handled together with request %(number)s.") % {"number": ticket.parent.number}
    return None


def service_request(ticket: Ticket, *, extensions: bool = False) -> dict[str, Any]:
    """One ticket as an Open311 request; `ticket` comes from open311.selectors (prefetched)."""
    leads = ticket.live_leads
    lead = leads[0] if leads else None
    creation = next((event for event in ticket.public_events if event.action == Action.CREATE), None)
    media_url = (creation.payload.get("open311") or {}).get("media_url") if creation else None
    # A caller who asked for confidentiality gets no location or text published.
    hidden = ticket.confidential
    data: dict[str, Any] = {
        "service_request_id": ticket.number,
        "status": "closed" if ticket.closed_at else "open",
        "status_notes": _status_notes(ticket),
        "service_name": _name(ticket.category),
        "service_code": ticket.category.code,
        "description": None if hidden else without_identity(ticket.description, ticket=ticket),
        "agency_responsible": lead.unit.name if lead else None,
        "service_notice": "",
        "requested_datetime": iso(ticket.created_at),
        "updated_datetime": iso(ticket.updated_at),
        "expected_datetime": iso(lead.due_at) if lead else None,
        "address": None if hidden else without_identity(ticket.address, ticket=ticket),
        "address_id": ticket.street.code if ticket.street and not hidden else None,
        "lat": float(ticket.latitude) if ticket.latitude is not None and not hidden else None,
        "long": float(ticket.longitude) if ticket.longitude is not None and not hidden else None,
        "media_url": None if hidden else media_url or None,
    }
    if extensions:
        notes = []
        for event in ticket.public_events:
            if event.action in NOTE_TYPES:
                kind, label = NOTE_TYPES[event.action]
                notes.append({"type": kind, "datetime": iso(event.created_at), "summary": str(label)})
        data["extended_attributes"] = {"detailed_status": ticket.status, "notes": notes}
    return data


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _parse_date(value: str | None, name: str, errors: dict[str, list[str]]) -> datetime | None:
    if not value:
        return None
    if "T" in value:
        # An unencoded "+08:00" offset arrives as " 08:00".
        value = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", value)
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = [_("Give a date and time in ISO 8601 format, e.g. 2026-01-31T08:00:00+08:00.")]
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    try:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
        return parsed.astimezone(UTC)
    except OverflowError:
        errors[name] = [_("The dates are out of range.")]
        return None


def _positive_int(value: str | None, name: str, default: int, maximum: int, errors: dict[str, list[str]]) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        errors[name] = [_("Give a whole number from 1 to %(maximum)s.") % {"maximum": maximum}]
        return default
    return int(value)


def request_query(params: QueryDict, *, now: datetime) -> RequestQuery:
    """The GET requests parameters, with the spec's defaults; ValidationError (400) when invalid."""
    errors: dict[str, list[str]] = {}
    limit = _positive_int(params.get("page_size"), "page_size", MAX_REQUESTS, MAX_REQUESTS, errors)
    page = _positive_int(params.get("page"), "page", 1, 1_000_000, errors)
    if page * limit > MAX_WINDOW:
        errors["page"] = [
            _("Page through at most the first %(maximum)s results; narrow the dates to see more.")
            % {"maximum": MAX_WINDOW}
        ]
    numbers = _csv(params.get("service_request_id"))
    if len(numbers) > MAX_REQUESTS:
        errors["service_request_id"] = [_("Ask for at most %(maximum)s requests at once.") % {"maximum": MAX_REQUESTS}]
    codes = _csv(params.get("service_code"))
    if len(codes) > MAX_REQUESTS:
        errors["service_code"] = [_("Ask for at most %(maximum)s services at once.") % {"maximum": MAX_REQUESTS}]
    statuses = _csv(params.get("status"))
    if any(status not in ("open", "closed") for status in statuses):
        errors["status"] = [_("The status is open or closed (or both, comma-separated).")]
    start = _parse_date(params.get("start_date"), "start_date", errors)
    end = _parse_date(params.get("end_date"), "end_date", errors)
    if start and end and end < start:
        errors["end_date"] = [_("The end date must not be before the start date.")]
    elif start and end and end - start > MAX_SPAN:
        errors["end_date"] = [_("The dates may not span more than 90 days.")]
    if errors:
        raise serializers.ValidationError(errors)
    offset = (page - 1) * limit
    if numbers:
        return RequestQuery(numbers=numbers, offset=offset, limit=limit)
    try:
        if start is None and end is None:
            end, start = now, now - MAX_SPAN
        elif start is None:
            start = end - MAX_SPAN
        elif end is None:
            end = start + MAX_SPAN
    except OverflowError as error:
        raise serializers.ValidationError({"start_date": [_("The dates are out of range.")]}) from error
    is_open = {"open": True, "closed": False}[statuses[0]] if len(set(statuses)) == 1 else None
    return RequestQuery(
        service_codes=codes or None,
        is_open=is_open,
        start=start,
        end=end,
        offset=offset,
        limit=limit,
    )


class ServiceRequestSerializer(serializers.Serializer):
    """The POST requests body (form-encoded), as GeoReport v2 defines it."""

    service_code = serializers.CharField(max_length=12)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    long = serializers.FloatField(required=False, min_value=-180, max_value=180)
    address_string = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_id = serializers.CharField(max_length=12, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    device_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    account_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=30, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=30, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    media_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )

    def validate_service_code(self, value: str) -> Category:
        category = selectors.service_by_code(code=value)
        if category is None:
            raise serializers.ValidationError(_("service_code %(code)s not found.") % {"code": value})
        return category

    def validate_address_id(self, value: str) -> str:
        if value and selectors.street_by_code(code=value) is None:
            raise serializers.ValidationError(_("address_id must be the 12-digit code of a street or township."))
        return value

    def validate_phone(self, value: str) -> str:
        return normalized_phone(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("lat" in attrs) != ("long" in attrs):
            raise serializers.ValidationError({"long" if "lat" in attrs else "lat": [_("Give both lat and long.")]})
        if "lat" not in attrs and not attrs.get("address_string") and not attrs.get("address_id"):
            raise serializers.ValidationError(_("A location is required: lat and long, address_string or address_id."))
        return attrs

    def service_request(self, *, attributes: dict[str, str | list[str]]) -> ServiceRequest:
        data = self.validated_data
        first, last = data.get("first_name", "").strip(), data.get("last_name", "").strip()
        # Chinese names are family name first, without a space; Latin ones given name first.
        name = f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"
        coordinate = Decimal("0.000001")
        address_id = data.get("address_id")
        return ServiceRequest(
            category=data["service_code"],
            description=data.get("description", ""),
            latitude=Decimal(str(data["lat"])).quantize(coordinate) if "lat" in data else None,
            longitude=Decimal(str(data["long"])).quantize(coordinate) if "long" in data else None,
            address=data.get("address_string", ""),
            street=selectors.street_by_code(code=address_id) if address_id else None,
            phone=data.get("phone", ""),
            caller_name=name[:64],
            device_id=data.get("device_id", ""),
            account_id=data.get("account_id", ""),
            media_url=data.get("media_url", ""),
            attributes=attributes,
        )


def attributes(params: QueryDict) -> dict[str, str | list[str]]:
    """attribute[CODE]=value and attribute[CODE][]=value (multi-value lists), bounded in size."""
    found: dict[str, str | list[str]] = {}
    for key in params:
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        if len(found) >= MAX_ATTRIBUTES:
            raise serializers.ValidationError(
                {"attribute": [_("Send at most %(maximum)s attributes.") % {"maximum": MAX_ATTRIBUTES}]}
            )
        values = [value[:500] for value in params.getlist(key) if isinstance(value, str)]
        if values:
            found[match.group(1)] = values if match.group(2) else values[-1]
    return found


def discovery(*, base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": settings.OPEN311_ENDPOINT_TYPE,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
