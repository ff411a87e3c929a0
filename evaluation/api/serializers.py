"""API shapes of evaluation: rankings and unit results, the callback queue, appeals, action inputs.

Months are written YYYY-MM. Rates are decimal strings between 0 and 1.
"""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluation.models import (
    Appeal,
    AppealKind,
    Callback,
    CallbackStatus,
    MonthlyRanking,
    Resolution,
    Satisfaction,
    UnitResult,
)
from evaluation.rankings import RANKED_KINDS
from hotline.api import fields
from hotline.models import UnitKind

MONTH_INPUT_FORMATS = ["%Y-%m", "%Y-%m-%d"]


# YYYY-MM, or a date whose day every month has (the schema cannot say which days a month has).
MONTH_PATTERN = r"^[1-9]\d{3}-(0[1-9]|1[0-2])(-(0[1-9]|1\d|2[0-8]))?$"


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN})
class MonthField(serializers.DateField):
    """A calendar month: YYYY-MM in and out (a date in the month is accepted too)."""

    def __init__(self, **kwargs: object):
        super().__init__(format="%Y-%m", input_formats=MONTH_INPUT_FORMATS, **kwargs)

    def to_internal_value(self, value: object) -> object:
        return super().to_internal_value(value).replace(day=1)


class ResultLineSerializer(serializers.ModelSerializer):
    """One unit's line in a ranking: the counts behind each rate, the rates, score, rank and class.
    A rate is null when nothing counts towards it; a unit below the minimum sample
    (`sample_sufficient` false) has no composite score, rank or class."""

    unit_name = fields.CharField(source="unit.name", read_only=True)
    rank_change = serializers.IntegerField(allow_null=True, read_only=True, help_text=_("positive: moved up"))

    class Meta:
        model = UnitResult
        fields = [
            "unit",
            "unit_name",
            "rank",
            "sample_sufficient",
            "previous_rank",
            "rank_change",
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "adjustment",
            "composite",
            "previous_composite",
            "is_advanced",
            "is_improved",
            "is_rectify",
            "is_governance_focus",
            "governance_met",
            "demand",
            "required_response",
            "responded_in_time",
            "callbacks_answered",
            "resolved",
            "partly_resolved",
            "satisfied",
            "basically_satisfied",
            "excluded",
        ]


class UnitResultSerializer(ResultLineSerializer):
    """A unit's line with the ranking it belongs to (the results list across months)."""

    ranking = serializers.IntegerField(source="ranking_id", read_only=True)
    month = MonthField(source="ranking.month", read_only=True)
    unit_kind = serializers.ChoiceField(source="ranking.unit_kind", choices=UnitKind.choices, read_only=True)
    version = serializers.IntegerField(source="ranking.version", read_only=True)

    class Meta(ResultLineSerializer.Meta):
        fields = ["id", "ranking", "month", "unit_kind", "version", *ResultLineSerializer.Meta.fields]


class RankingSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    computed_by = serializers.StringRelatedField(read_only=True)
    published_by = serializers.StringRelatedField(read_only=True)
    is_draft = serializers.BooleanField(read_only=True, help_text=_("computed but not published (admins only)"))
    scheme = serializers.DictField(read_only=True, help_text=_("the weights and parameters used"))
    results = ResultLineSerializer(many=True, read_only=True)

    class Meta:
        model = MonthlyRanking
        fields = [
            "id",
            "month",
            "unit_kind",
            "version",
            "is_current",
            "scheme",
            "computed_at",
            "computed_by",
            "is_draft",
            "published_at",
            "published_by",
            "reason",
            "results",
        ]


class RecomputeInputSerializer(serializers.Serializer):
    month = MonthField()
    unit_kind = serializers.ChoiceField(choices=UnitKind.choices, help_text=_("a kind of unit that is ranked"))
    reason = fields.CharField(
        max_length=200,
        required=False,
        default="",
        help_text=_("why a published month is computed again (required then)"),
    )

    def validate_unit_kind(self, value: str) -> str:
        if value not in RANKED_KINDS:
            raise serializers.ValidationError(_("Units of this kind are not ranked."))
        return value


class CallbackSerializer(serializers.ModelSerializer):
    """A callback as the queue shows it; the caller's phone is on the callback page only."""

    ticket_number = fields.CharField(source="ticket.number", read_only=True)
    category = fields.CharField(source="ticket.category.name", read_only=True)
    unit_name = fields.CharField(source="unit.name", default="", read_only=True)
    reply = serializers.SerializerMethodField(help_text=_("the lead unit's reply"))
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Callback
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "category",
            "unit",
            "unit_name",
            "round",
            "is_primary",
            "due_at",
            "overdue",
            "status",
            "attempts",
            "reply",
            "resolution",
            "satisfaction",
            "unit_at_fault",
            "comment",
            "completed_at",
        ]

    def get_reply(self, callback: Callback) -> str:
        return getattr(callback, "reply_text", None) or ""

    def get_overdue(self, callback: Callback) -> bool:
        return callback.status == CallbackStatus.PENDING and callback.due_at < timezone.now()


class CallbackAttemptInputSerializer(serializers.Serializer):
    reached = serializers.BooleanField()
    resolution = serializers.ChoiceField(choices=Resolution.choices, required=False, allow_blank=True, default="")
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    unit_at_fault = serializers.BooleanField(required=False, default=False)
    comment = fields.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AppealSerializer(serializers.ModelSerializer):
    ticket_number = fields.CharField(source="ticket.number", read_only=True)
    unit_name = fields.CharField(source="unit.name", read_only=True)
    requested_by = serializers.StringRelatedField(read_only=True)
    decided_by = serializers.StringRelatedField(read_only=True)
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "unit",
            "unit_name",
            "kind",
            "callback",
            "reason",
            "has_attachment",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]

    def get_has_attachment(self, appeal: Appeal) -> bool:
        return bool(appeal.attachment)


class AppealCreateSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(help_text=_("a ticket your unit led"))
    kind = serializers.ChoiceField(choices=AppealKind.choices)
    callback = serializers.IntegerField(required=False, allow_null=True, help_text=_("for a callback result"))
    reason = fields.CharField(max_length=2000)
    attachment = serializers.FileField(
        required=False, allow_null=True, validators=[FileExtensionValidator(settings.HOTLINE_ATTACHMENT_TYPES)]
    )


class AppealDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = fields.CharField(
        required=False, allow_blank=True, max_length=2000, default="", help_text=_("required when rejecting")
    )
