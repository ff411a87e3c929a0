"""The subscriptions API's serializers, and the webhook bodies as documented schema components."""

from rest_framework import serializers

from hotline.models import Category, Unit
from intake.lifecycle import Status
from intake.models import Channel, Kind, Urgency
from webhooks.models import Delivery, DeliveryStatus, EventType, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """A webhook subscription. The signing secret is shown only when it is made (create, rotate)."""

    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), min_length=1)
    units = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all()), required=False, default=list
    )
    categories = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Category.objects.all()), required=False, default=list
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False, default=list
    )
    max_in_flight = serializers.IntegerField(min_value=1, max_value=100, required=False, default=4)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "units",
            "categories",
            "channels",
            "include_caller",
            "is_active",
            "max_in_flight",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def to_representation(self, instance: Subscription) -> dict:
        data = super().to_representation(instance)
        data["units"] = list(instance.units)
        data["categories"] = list(instance.categories)
        return data

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        for name in ("units", "categories"):
            if name in data:
                data[name] = sorted({row.pk for row in data[name]})
        for name in ("event_types", "channels"):
            if name in data:
                data[name] = sorted(set(data[name]))
        return data


class SubscriptionSecretSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="the signing secret: store it, it is shown only now")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    event_type = serializers.ChoiceField(choices=EventType.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_latency_ms",
            "last_error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


# --- The webhook request bodies (documented only: services builds them) --------------------------


class WebhookUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WebhookCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class WebhookTicketSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    external_id = serializers.CharField(
        allow_blank=True, help_text="the transferring platform's id of the request (empty for the hotline's own)"
    )
    external_url = serializers.CharField(allow_blank=True, help_text="the request's page on that platform, if given")
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    category = WebhookCategorySerializer(allow_null=True)
    district = WebhookUnitSerializer(allow_null=True)
    street = WebhookUnitSerializer(allow_null=True)
    lead_unit = WebhookUnitSerializer(allow_null=True)
    title = serializers.CharField(help_text="redacted; empty for confidential callers")
    public_reply = serializers.CharField(help_text="the lead unit's public reply, redacted; empty before the reply")
    confidential = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class WebhookTicketEventSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="the event log's action (e.g. create, dispatch, reply)")
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.ChoiceField(choices=Status.choices)


class WebhookCallerSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField()
    is_enterprise = serializers.BooleanField()
    enterprise_name = serializers.CharField(allow_blank=True)


class WebhookRankingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = serializers.CharField(help_text="YYYY-MM")
    unit_kind = serializers.CharField()
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()


class WebhookEventSerializer(serializers.Serializer):
    """The body of every webhook request (schema_version 1). Signed: see the X-Hotline-* headers."""

    schema_version = serializers.IntegerField(help_text="1; a change that breaks receivers gets a new version")
    event_id = serializers.UUIDField(help_text="the same on every retry and replay: deduplicate on it")
    type = serializers.ChoiceField(choices=EventType.choices)
    occurred_at = serializers.DateTimeField()
    event = WebhookTicketEventSerializer(allow_null=True, help_text="ticket events only")
    ticket = WebhookTicketSerializer(allow_null=True, help_text="ticket events only")
    caller = WebhookCallerSerializer(
        allow_null=True,
        help_text="only for subscriptions allowed caller data (include_caller), never for confidential callers",
    )
    ranking = WebhookRankingSerializer(allow_null=True, help_text="ranking.published only")
