"""API shapes of dispatch: assignments (callers always masked), requests, the catalogue, action inputs."""

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch import selectors
from dispatch.models import (
    OVERRIDE_REASON_MAX_LENGTH,
    Assignment,
    Attachment,
    ExtensionRequest,
    Level,
    ProgressNote,
    ReplyOutcome,
    ReturnReason,
    ReturnRequest,
    RoutingRule,
)
from dispatch.services import RuleData
from dispatch.steps import StepName
from hotline.api import fields
from hotline.models import Category, Unit, User
from intake import selectors as intake_selectors
from intake.models import Ticket, TicketEvent
from intake.phones import mask_name, mask_phone


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "kind"]


class TicketSummarySerializer(serializers.ModelSerializer):
    """The ticket as a unit sees it: the caller's phone and name are masked, and summary,
    description and address come without the caller's identity (phone and ID numbers, e-mail
    addresses as ***, the caller's name as 张**) unless the reader is hotline staff."""

    category = fields.CharField(source="category.name")
    district = fields.CharField(source="district.name", default="")
    street = fields.CharField(source="street.name", default="")
    caller_phone = serializers.SerializerMethodField()
    caller_name = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "status",
            "kind",
            "channel",
            "category",
            "district",
            "street",
            "address",
            "title",
            "description",
            "urgency",
            "deadline_tier",
            "confidential",
            "caller_phone",
            "caller_name",
            "created_at",
        ]

    def to_representation(self, ticket: Ticket) -> dict:
        data = super().to_representation(ticket)
        request = self.context.get("request")
        if request is None or not intake_selectors.reads_callers_words(user=request.user):
            for name in ("title", "description", "address"):
                data[name] = intake_selectors.without_identity(data[name], ticket=ticket)
        return data

    def get_caller_phone(self, ticket: Ticket) -> str:
        return mask_phone(ticket.caller.phone) if ticket.caller else ""

    def get_caller_name(self, ticket: Ticket) -> str:
        return mask_name(ticket.caller.name) if ticket.caller else ""


class AssignmentSerializer(serializers.ModelSerializer):
    ticket = TicketSummarySerializer()
    unit = UnitRefSerializer()
    allowed_steps = serializers.SerializerMethodField(
        help_text=_(
            "The steps the user may take on this assignment now, exactly those the actions accept: "
            "sign and assist_sign POST sign/, record_contact first-contact/, add_progress progress/, "
            "request_extension extension/, request_return return/, whistle whistle/, reply and "
            "assist_reply reply/, supervise supervise/, reveal_phone caller-phone/, reveal_description "
            "reveal-description/; below a district, sub_sign sign/, sub_request_return return/, sub_reply "
            "reply/; for a district's sub-centre, subdispatch subdispatch/. urge is the deadline "
            "sweep's and never listed."
        )
    )
    level = serializers.ChoiceField(
        choices=Level.choices,
        read_only=True,
        help_text=_("hotline: dispatched by the hotline; district: passed down by the district in `parent`"),
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "ticket",
            "unit",
            "role",
            "status",
            "level",
            "parent",
            "whistled_by",
            "dispatched_at",
            "sign_due_at",
            "signed_at",
            "first_contact_due_at",
            "first_contacted_at",
            "due_at",
            "replied_at",
            "reply",
            "outcome",
            "explanation",
            "returned",
            "ended_at",
            "allowed_steps",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[s.value for s in StepName])))
    def get_allowed_steps(self, assignment: Assignment) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return selectors.available_steps(user=request.user, assignment=assignment)


def assignment_rows(assignments: Iterable[Assignment], *, user: User) -> list[dict]:
    """The assignments as `AssignmentSerializer` renders them for `user`, built by hand for the
    unit inbox: through the serializer's field machinery a page of 50 cost ~20 ms of CPU. The
    serializer stays the schema's source; a test holds the two to the same output. Reads what the
    serializer reads (the list's select_related, prefetch_related and reference rows)."""
    now = timezone.now()
    zone = timezone.get_current_timezone()

    def time(value: datetime | None) -> str | None:
        """DRF's DateTimeField: ISO 8601 in the current time zone, UTC as Z."""
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    redacted = not intake_selectors.reads_callers_words(user=user)
    return [
        {
            "id": assignment.pk,
            "ticket": _ticket_summary(assignment.ticket, time=time, redacted=redacted),
            "unit": {"id": assignment.unit.pk, "name": assignment.unit.name, "kind": assignment.unit.kind},
            "role": assignment.role,
            "status": assignment.status,
            "level": str(assignment.level),
            "parent": assignment.parent_id,
            "whistled_by": assignment.whistled_by_id,
            "dispatched_at": time(assignment.dispatched_at),
            "sign_due_at": time(assignment.sign_due_at),
            "signed_at": time(assignment.signed_at),
            "first_contact_due_at": time(assignment.first_contact_due_at),
            "first_contacted_at": time(assignment.first_contacted_at),
            "due_at": time(assignment.due_at),
            "replied_at": time(assignment.replied_at),
            "reply": assignment.reply,
            "outcome": assignment.outcome,
            "explanation": assignment.explanation,
            "returned": assignment.returned,
            "ended_at": time(assignment.ended_at),
            "allowed_steps": selectors.available_steps(user=user, assignment=assignment, now=now),
        }
        for assignment in assignments
    ]


def _ticket_summary(ticket: Ticket, *, time: Callable[[datetime | None], str | None], redacted: bool) -> dict:
    """`TicketSummarySerializer`'s output, for `assignment_rows`."""
    caller = ticket.caller

    def text(value: str) -> str:
        return intake_selectors.without_identity(value, ticket=ticket) if redacted else value

    return {
        "id": ticket.pk,
        "number": ticket.number,
        "status": ticket.status,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "category": ticket.category.name,
        "district": "" if ticket.district is None else ticket.district.name,
        "street": "" if ticket.street is None else ticket.street.name,
        "address": text(ticket.address),
        "title": text(ticket.title),
        "description": text(ticket.description),
        "urgency": ticket.urgency,
        "deadline_tier": ticket.deadline_tier,
        "confidential": ticket.confidential,
        "caller_phone": "" if caller is None else mask_phone(caller.phone),
        "caller_name": "" if caller is None else mask_name(caller.name),
        "created_at": time(ticket.created_at),
    }


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "url"]

    def get_url(self, attachment: Attachment) -> str:
        return reverse("api-attachment", args=[attachment.pk])


class ProgressNoteSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = ProgressNote
        fields = ["id", "assignment", "author", "text", "created_at", "attachments"]


class ReturnRequestSerializer(serializers.ModelSerializer):
    assignment = AssignmentSerializer()

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "assignment",
            "reason",
            "legal_basis",
            "note",
            "requested_at",
            "needs_supervisor",
            "status",
            "decided_at",
            "decision_note",
            "redispatched_to",
        ]


class ExtensionRequestSerializer(serializers.ModelSerializer):
    assignment = AssignmentSerializer()

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "assignment",
            "extra_days",
            "reason",
            "requested_at",
            "previous_due_at",
            "status",
            "decided_at",
            "decision_note",
            "granted_due_at",
            "passed_up_to",
        ]


class RequestRefSerializer(serializers.Serializer):
    """A review request in an assignment's detail, without the assignment again."""

    id = serializers.IntegerField()
    status = fields.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = fields.CharField()


class AssignmentDetailSerializer(AssignmentSerializer):
    """One assignment with its handling record and the ticket's other units (the lead reads the
    assisting units' replies here)."""

    notes = ProgressNoteSerializer(many=True)
    units = serializers.SerializerMethodField()
    return_requests = RequestRefSerializer(many=True)
    extension_requests = RequestRefSerializer(many=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "notes", "units", "return_requests", "extension_requests"]

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField()),
    )
    def get_units(self, assignment: Assignment) -> list[dict]:
        return [
            {
                "id": other.pk,
                "unit": other.unit.name,
                "role": other.role,
                "level": other.level,
                "parent": other.parent_id,
                "status": other.status,
                "reply": other.reply,
                "outcome": other.outcome,
                "replied_at": other.replied_at,
            }
            for other in assignment.ticket.assignments.all()
            if other.pk != assignment.pk
        ]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["id", "ticket", "action", "from_status", "to_status", "unit", "note", "payload", "created_at"]


class TabCountsSerializer(serializers.Serializer):
    to_sign = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    due_soon = serializers.IntegerField()
    overdue = serializers.IntegerField()
    replied = serializers.IntegerField()
    review = serializers.IntegerField()
    # A district's staff only: the district sub-centre's tabs.
    to_pass_down = serializers.IntegerField(required=False)
    passed_down = serializers.IntegerField(required=False)
    to_confirm = serializers.IntegerField(required=False)
    to_decide = serializers.IntegerField(required=False)


# Inputs of the unit's steps


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)


class BulkFailureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = fields.CharField()
    message = fields.CharField()


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField(), help_text=_("ids of the created or changed rows"))
    failed = BulkFailureSerializer(many=True)


class NoteSerializer(serializers.Serializer):
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ProgressInputSerializer(serializers.Serializer):
    text = fields.CharField(max_length=4000)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10, help_text=_("photos or documents")
    )


class ReturnInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    legal_basis = fields.CharField(max_length=2000)
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ExtensionInputSerializer(serializers.Serializer):
    extra_days = serializers.IntegerField(min_value=1)
    reason = fields.CharField(max_length=2000)


class WhistleInputSerializer(serializers.Serializer):
    units = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20)
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReplyInputSerializer(serializers.Serializer):
    text = fields.CharField(max_length=4000)
    outcome = serializers.ChoiceField(choices=ReplyOutcome.choices)
    explanation = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")


class SubdispatchInputSerializer(serializers.Serializer):
    lead = serializers.IntegerField(help_text=_("the unit inside the district that leads the handling"))
    assisting = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        max_length=20,
        help_text=_("assisting units: inside the district, or city-wide utilities"),
    )
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")
    due_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("the handling deadline below the district (default and latest: the district's own)"),
    )
    override_reason = fields.CharField(
        required=False,
        allow_blank=True,
        max_length=OVERRIDE_REASON_MAX_LENGTH,
        default="",
        help_text=_("why a functional-department matter goes to a street/township"),
    )


class ConfirmInputSerializer(serializers.Serializer):
    """What the district changes in its unit's reply; an empty body confirms it as it is."""

    text = fields.CharField(required=False, allow_blank=True, max_length=4000, default="")
    outcome = serializers.ChoiceField(choices=ReplyOutcome.choices, required=False, allow_blank=True, default="")
    explanation = fields.CharField(required=False, allow_blank=True, allow_null=True, max_length=2000, default=None)


class SuperviseInputSerializer(serializers.Serializer):
    comment = fields.CharField(max_length=2000)


class CallerPhoneSerializer(serializers.Serializer):
    phone = fields.CharField()


class RevealedTextSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField()
    address = serializers.CharField()


# Inputs of the dispatcher


def override_reason_field() -> serializers.CharField:
    return fields.CharField(
        required=False,
        allow_blank=True,
        max_length=OVERRIDE_REASON_MAX_LENGTH,
        default="",
        help_text=(
            "Why a functional-department matter goes to a street/township against the dispatch catalogue. "
            "Without it such a dispatch is refused: 409 `functional_to_street`. Kept in the DISPATCH event."
        ),
    )


class DispatchInputSerializer(serializers.Serializer):
    lead_unit = serializers.IntegerField()
    assist_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")
    override_reason = override_reason_field()


class BulkDispatchItemSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    lead_unit = serializers.IntegerField()
    assist_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)


class BulkDispatchInputSerializer(serializers.Serializer):
    items = BulkDispatchItemSerializer(many=True, min_length=1, max_length=200)
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")


class SuggestionSerializer(serializers.Serializer):
    unit = UnitRefSerializer()
    reason = fields.CharField()
    rule = serializers.IntegerField(source="rule_id", allow_null=True)


class QueueTicketSerializer(TicketSummarySerializer):
    suggestions = serializers.SerializerMethodField()

    class Meta(TicketSummarySerializer.Meta):
        fields = [*TicketSummarySerializer.Meta.fields, "suggestions"]

    @extend_schema_field(SuggestionSerializer(many=True))
    def get_suggestions(self, ticket: Ticket) -> list[dict]:
        return SuggestionSerializer(self.context["suggestions"].get(ticket.pk, []), many=True).data


class ApproveReturnInputSerializer(serializers.Serializer):
    note = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")
    redispatch_to = serializers.IntegerField(required=False, allow_null=True, default=None)
    assist_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)
    override_reason = override_reason_field()


class ReasonInputSerializer(serializers.Serializer):
    note = fields.CharField(max_length=2000)


# The dispatch catalogue


class CatalogueQuerySerializer(fields.QuerySerializer):
    on = serializers.DateField(required=False, help_text="the catalogue in effect on this day (default: today)")
    history = serializers.BooleanField(required=False, default=False, help_text="every version, past and future")


class RoutingRuleSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: fields.CharField,
        models.TextField: fields.CharField,
    }
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    district = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    street = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "category",
            "district",
            "street",
            "unit",
            "valid_from",
            "valid_until",
            "note",
            "replaces",
            "created_at",
        ]
        read_only_fields = ["replaces", "created_at"]

    def rule_data(self) -> RuleData:
        data = self.validated_data
        return RuleData(
            category=data["category"],
            unit=data["unit"],
            valid_from=data["valid_from"],
            district=data.get("district"),
            street=data.get("street"),
            valid_until=data.get("valid_until"),
            note=data.get("note", ""),
        )
