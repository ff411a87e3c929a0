"""The webhook requests in the OpenAPI schema (SPECTACULAR_SETTINGS["WEBHOOKS"])."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema

from webhooks.api.serializers import WebhookEventSerializer
from webhooks.models import EventType

DESCRIPTION = (
    "POSTed to the subscription's URL for each subscribed event, as JSON. Headers: "
    "`X-Hotline-Event` (the type), `X-Hotline-Event-Id` (deduplicate on it: delivery is at least once), "
    "`X-Hotline-Timestamp` (unix seconds) and `X-Hotline-Signature: sha256=<hex HMAC-SHA256(secret, "
    '"{timestamp}.{body}")>`. Reject a timestamp more than 300 s from your clock. Answer 2xx within 10 s; '
    "anything else is retried with exponential backoff until the delivery is dead."
)


def _webhook(event_type: EventType) -> OpenApiWebhook:
    return OpenApiWebhook(
        name=event_type.value,
        decorator=extend_schema(
            summary=event_type.label,  # lazy: rendered in the language the schema is generated in
            description=DESCRIPTION,
            request=WebhookEventSerializer,
            responses={200: OpenApiResponse(description="received (any 2xx)")},
        ),
    )


# One per event type, each named in SPECTACULAR_SETTINGS["WEBHOOKS"].
TICKET_CREATED = _webhook(EventType.TICKET_CREATED)
TICKET_DISPATCHED = _webhook(EventType.TICKET_DISPATCHED)
TICKET_SIGNED = _webhook(EventType.TICKET_SIGNED)
TICKET_REPLIED = _webhook(EventType.TICKET_REPLIED)
TICKET_CLOSED = _webhook(EventType.TICKET_CLOSED)
TICKET_REOPENED = _webhook(EventType.TICKET_REOPENED)
TICKET_OVERDUE = _webhook(EventType.TICKET_OVERDUE)
RANKING_PUBLISHED = _webhook(EventType.RANKING_PUBLISHED)


def webhooks_in_openapi_30(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """OpenAPI 3.0 has no `webhooks`: list them as `x-webhooks` (the extension Redoc reads). The
    API's error responses, which the AutoSchema adds to every operation, are the API's, not the
    receiver's: a webhook documents only the answer it expects."""
    for item in result.get("webhooks", {}).values():
        for operation in item.values():
            operation["responses"] = {code: answer for code, answer in operation["responses"].items() if code == "200"}
            operation.pop("security", None)
    if "webhooks" in result and str(result.get("openapi", "")).startswith("3.0"):
        result["x-webhooks"] = result.pop("webhooks")
    return result
