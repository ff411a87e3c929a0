from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hotline.api import fields
from hotline.api.serializers import ReferenceField, ShallowFieldsMixin
from hotline.models import Category, DeadlineTier, Unit
from intake.lifecycle import Status
from intake.models import (
    CITIZEN_CHANNELS,
    CLOSING_DISPOSITIONS,
    EXTERNAL_ID_MAX_LENGTH,
    Caller,
    Channel,
    Disposition,
    Kind,
    KnowledgeArticle,
    Ticket,
    TicketEvent,
    Urgency,
)
from intake.phones import mask_name, mask_phone, normalize_phone
from intake.selectors import REPEAT_REASONS, reads_callers_words, without_identity
from intake.services import NewTicket, Outcome, RiskPoint

# In the enum's own order, so that the generated schema is the same on every run.
CLOSING_CHOICES = [(d.value, d.label) for d in Disposition if d in CLOSING_DISPOSITIONS]
CITIZEN_CHANNEL_CHOICES = [(c.value, c.label) for c in Channel if c in CITIZEN_CHANNELS]
OUTCOMES = [
    (Outcome.DISPATCH, _("Queue for dispatch")),
    (Outcome.ANSWER, _("Answer directly")),
    (Outcome.CLOSE, _("Close at intake")),
    (Outcome.MERGE, _("Merge into an open ticket")),
]


def normalized_phone(value: str) -> str:
    """A serializer's phone input in its stored form (blank stays blank); a field error otherwise."""
    if not value:
        return value
    try:
        return normalize_phone(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from error


class TicketCreateSerializer(ShallowFieldsMixin, serializers.Serializer):
    """One citizen contact, and what the agent (or client system) decided to do with it."""

    # Proactive tickets have their own endpoint (/proactive-tickets/): they have no caller.
    channel = serializers.ChoiceField(
        choices=CITIZEN_CHANNEL_CHOICES,
        required=False,
        help_text=_(
            "required, except from an external platform's client, whose channel its credential decides "
            "(another channel is 400)"
        ),
    )
    external_id = fields.CharField(
        max_length=EXTERNAL_ID_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text=_(
            "the external platform's reference of the request: required from a platform's client, refused "
            "from anyone else. Posted again, the first ticket answers (200) and nothing changes"
        ),
    )
    external_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text=_("the request's page on the external platform (http or https)"),
    )
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = ReferenceField(Category, help_text=_("id of a third-level category"))
    description = fields.CharField(max_length=4000)
    title = fields.CharField(max_length=100, required=False, allow_blank=True)
    phone = fields.CharField(max_length=20, required=False, allow_blank=True)
    caller_name = fields.CharField(max_length=64, required=False, allow_blank=True)
    is_enterprise = serializers.BooleanField(required=False, default=False)
    enterprise_name = fields.CharField(max_length=128, required=False, allow_blank=True)
    confidential = serializers.BooleanField(required=False, default=False)
    sms_opt_out = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "the caller asked to get no SMS (reply results, callback surveys); false never undoes an earlier request"
        ),
    )
    district = ReferenceField(Unit, required=False, allow_null=True)
    street = ReferenceField(Unit, required=False, allow_null=True)
    address = fields.CharField(max_length=200, required=False, allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    deadline_tier = serializers.ChoiceField(
        choices=DeadlineTier.choices, required=False, help_text=_("omit for the category's default")
    )
    tier_override_reason = fields.CharField(max_length=200, required=False, allow_blank=True)
    outcome = serializers.ChoiceField(choices=OUTCOMES, required=False, default=Outcome.DISPATCH)
    article = serializers.PrimaryKeyRelatedField(
        queryset=KnowledgeArticle.objects.all(), required=False, allow_null=True
    )
    answer = fields.CharField(max_length=4000, required=False, allow_blank=True)
    disposition = serializers.ChoiceField(choices=CLOSING_CHOICES, required=False, allow_blank=True)
    merge_into = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), required=False, allow_null=True, help_text=_("id of the open ticket")
    )

    def validate_phone(self, value: str) -> str:
        return normalized_phone(value)

    def validate(self, attrs: dict) -> dict:
        errors = {}
        if ("latitude" in attrs) != ("longitude" in attrs):
            errors["longitude" if "latitude" in attrs else "latitude"] = [_("Give both coordinates or neither.")]
        outcome = attrs.get("outcome", Outcome.DISPATCH)
        if outcome == Outcome.ANSWER and not attrs.get("article") and not attrs.get("answer", "").strip():
            errors["answer"] = [_("Choose a knowledge-base article or write the answer.")]
        if outcome == Outcome.CLOSE and not attrs.get("disposition"):
            errors["disposition"] = [_("Choose how the ticket was closed.")]
        if outcome == Outcome.MERGE and not attrs.get("merge_into"):
            errors["merge_into"] = [_("Choose the ticket to merge into.")]
        if attrs.get("channel") in (Channel.PHONE, Channel.ENTERPRISE_LINE) and not attrs.get("phone"):
            errors["phone"] = [_("A phone contact needs the caller's number.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def validate_external_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError(_("Enter an http or https address."))
        return value

    def new_ticket(self) -> NewTicket:
        data = self.validated_data
        return NewTicket(
            channel=data.get("channel", ""),
            external_id=data.get("external_id", ""),
            external_url=data.get("external_url", ""),
            kind=data["kind"],
            category=data["category"],
            description=data["description"],
            title=data.get("title", ""),
            phone=data.get("phone", ""),
            caller_name=data.get("caller_name", ""),
            is_enterprise=data["is_enterprise"],
            enterprise_name=data.get("enterprise_name", ""),
            confidential=data["confidential"],
            sms_opt_out=data["sms_opt_out"],
            district=data.get("district"),
            street=data.get("street"),
            address=data.get("address", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            urgency=data["urgency"],
            deadline_tier=data.get("deadline_tier"),
            tier_override_reason=data.get("tier_override_reason", ""),
        )


class CallerSerializer(serializers.ModelSerializer):
    """The caller as the reader may see them: `masked` tells whether phone and name are masked."""

    phone = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Caller
        fields = ["id", "phone", "name", "is_enterprise", "enterprise_name", "masked"]

    def _unmasked(self) -> bool:
        return self.context.get("unmask", False)

    def get_phone(self, caller: Caller) -> str:
        return caller.phone if self._unmasked() else mask_phone(caller.phone)

    def get_name(self, caller: Caller) -> str:
        return caller.name if self._unmasked() else mask_name(caller.name)

    def get_masked(self, caller: Caller) -> bool:
        return not self._unmasked()


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True)
    unit = serializers.StringRelatedField(allow_null=True)
    action_label = fields.CharField(source="get_action_display")

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "action",
            "action_label",
            "from_status",
            "to_status",
            "actor",
            "unit",
            "note",
            "payload",
            "created_at",
        ]


class TicketListSerializer(serializers.ModelSerializer):
    """Unless the reader is hotline staff, the free text (summary; in the detail also address,
    description, answer, public reply and the events' notes) comes without the caller's identity:
    phone and ID numbers and e-mail addresses as ***, the caller's name as 张**."""

    # The reader is the context's `request` user; `full_text` says the text is the reader's own.

    category_name = fields.CharField(source="category.name")
    district_name = fields.CharField(source="district.name", default=None, allow_null=True)
    street_name = fields.CharField(source="street.name", default=None, allow_null=True)
    status_label = fields.CharField(source="get_status_display")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "channel",
            "kind",
            "category",
            "category_name",
            "district",
            "district_name",
            "street",
            "street_name",
            "title",
            "urgency",
            "deadline_tier",
            "disposition",
            "status",
            "status_label",
            "external_id",
            "external_url",
            "created_at",
            "closed_at",
        ]

    redacted = ("title",)

    def to_representation(self, ticket: Ticket) -> dict:
        data = super().to_representation(ticket)
        request = self.context.get("request")
        full = self.context.get("full_text", request is not None and reads_callers_words(user=request.user))
        if not full:
            for name in self.redacted:
                data[name] = without_identity(data[name], ticket=ticket)
            for event in data.get("events", ()):
                event["note"] = without_identity(event["note"], ticket=ticket)
        return data


_TIME = serializers.DateTimeField()


def ticket_summary(ticket: Ticket) -> dict:
    """One ticket as the list shows it (`TicketListSerializer`'s shape), as the client just wrote
    it: the title in full. Built by hand for the intake's hot path, where rendering it through the
    serializer cost 0.4 ms of CPU a request; a test holds the two to the same output."""
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "channel": str(ticket.channel),
        "kind": str(ticket.kind),
        "category": ticket.category_id,
        "category_name": ticket.category.name,
        "district": ticket.district_id,
        "district_name": ticket.district.name if ticket.district else None,
        "street": ticket.street_id,
        "street_name": ticket.street.name if ticket.street else None,
        "title": ticket.title,
        "urgency": str(ticket.urgency),
        "deadline_tier": str(ticket.deadline_tier),
        "disposition": str(ticket.disposition),
        "status": str(ticket.status),
        "status_label": str(Status(ticket.status).label),  # get_status_display() hashes every choice
        "created_at": _TIME.to_representation(ticket.created_at),
        "closed_at": None if ticket.closed_at is None else _TIME.to_representation(ticket.closed_at),
        "external_id": ticket.external_id,
        "external_url": ticket.external_url,
    }


class TicketDetailSerializer(TicketListSerializer):
    caller = serializers.SerializerMethodField()
    events = TicketEventSerializer(many=True, read_only=True)
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    merged = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "caller",
            "confidential",
            "address",
            "latitude",
            "longitude",
            "description",
            "tier_override_reason",
            "article",
            "answer",
            "public_reply",
            "parent",
            "merged",
            "events",
        ]

    redacted = ("title", "address", "description", "answer", "public_reply")

    @extend_schema_field(CallerSerializer(allow_null=True))
    def get_caller(self, ticket: Ticket) -> dict | None:
        if ticket.caller is None:
            return None
        return CallerSerializer(ticket.caller, context=self.context).data


class AnswerSerializer(serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(
        queryset=KnowledgeArticle.objects.all(), required=False, allow_null=True
    )
    answer = fields.CharField(max_length=4000, required=False, allow_blank=True)


class CloseAtIntakeSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=CLOSING_CHOICES)
    note = fields.CharField(max_length=2000, required=False, allow_blank=True)


class MergeSerializer(serializers.Serializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.exclude(status__in=[Status.CLOSED, Status.MERGED])
    )


class CandidateQuerySerializer(fields.QuerySerializer):
    """What the agent desk's repeat panel looks at, for a contact not yet taken in (all optional)."""

    phone = fields.CharField(max_length=20, required=False, allow_blank=True)
    # Ids, not checked against the rows: an id that names none matches no ticket, like any search.
    category = fields.IntegerField(required=False, help_text=_("id of a third-level category"))
    street = fields.IntegerField(required=False, help_text=_("id of a street/township"))
    description = fields.CharField(max_length=4000, required=False, allow_blank=True)

    def validate_phone(self, value: str) -> str:
        return normalized_phone(value)


class RepeatCandidateSerializer(serializers.Serializer):
    """An open ticket that a contact may repeat, and why it matched. Without caller data, as
    on the agent desk's repeat panel."""

    ticket = TicketListSerializer()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=list(REPEAT_REASONS.items())))
    reason_labels = serializers.ListField(child=fields.CharField())


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeArticle
        fields = [
            "id",
            "title",
            "body",
            "title_en",
            "body_en",
            "categories",
            "is_public",
            "valid_from",
            "valid_until",
            "updated_at",
        ]
        read_only_fields = fields


class ProactiveTicketSerializer(serializers.Serializer):
    """One proactive ticket (未诉先办): no caller, queued for dispatch."""

    place = fields.CharField(
        max_length=200, help_text=_("a district, street/township or address the gazetteer resolves")
    )
    category = ReferenceField(Category, help_text=_("id of a third-level category"))
    note = fields.CharField(max_length=4000)

    def risk_point(self) -> RiskPoint:
        data = self.validated_data
        return RiskPoint(place=data["place"], category=data["category"], note=data["note"])


class ProactiveImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("UTF-8 CSV with the header place,category,note (category: its code)"))


class ProactiveImportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    ticket_count = serializers.IntegerField()
    created = serializers.BooleanField(help_text=_("false: the same file was imported before, nothing was created"))
