"""Serializers of the monthly-topic API; every field says what it holds (the OpenAPI schema)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from hotline.api import fields
from hotline.models import Category, Community, Unit
from topics.models import Topic, TopicAttachment, TopicMeasure, TopicProgress, TopicSource, TopicStatus


class TopicSerializer(serializers.ModelSerializer):
    keywords = serializers.ListField(
        source="keyword_list", child=serializers.CharField(), read_only=True, help_text=_("the rule's keywords")
    )
    communities = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("12-digit codes of the rule's communities")
    )
    lead_unit_name = serializers.CharField(source="lead_unit.label", read_only=True, help_text=_("the lead unit"))
    ticket_count = serializers.IntegerField(read_only=True, help_text=_("tickets linked by the rule"))
    measure_count = serializers.IntegerField(read_only=True, help_text=_("reform measures"))
    measures_done = serializers.IntegerField(read_only=True, help_text=_("reform measures completed"))

    class Meta:
        model = Topic
        fields = [
            "id",
            "title",
            "problem",
            "status",
            "source",
            "categories",
            "keywords",
            "places",
            "communities",
            "lead_unit",
            "lead_unit_name",
            "co_units",
            "month",
            "tracked_from",
            "adopted_at",
            "linked_at",
            "ticket_count",
            "measure_count",
            "measures_done",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "categories": {"help_text": _("ids of the rule's categories (any level: those below count too)")},
            "places": {"help_text": _("ids of the rule's districts and streets; none: the whole city")},
            "co_units": {"help_text": _("ids of the co-units")},
        }


class TopicInputSerializer(serializers.Serializer):
    title = fields.CharField(max_length=100)
    problem = fields.CharField(max_length=4000, help_text=_("the problem statement"))
    categories = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text=_("category ids: a ticket of one of them, or of a category below one, belongs"),
    )
    keywords = serializers.ListField(
        child=fields.CharField(max_length=50),
        required=False,
        default=list,
        max_length=30,
        help_text=_("a ticket whose summary or description names one belongs"),
    )
    places = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text=_("ids of districts, streets/townships or functional zones; none: the whole city"),
    )
    communities = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Community.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text=_("12-digit community codes, beside the places"),
    )
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), help_text=_("the lead unit's id"))
    co_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False, default=list, help_text=_("the co-units' ids")
    )
    month = serializers.DateField(help_text=_("the topic's month (any day of it)"))
    tracked_from = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("first month of the volume before; default: 6 months before"),
    )
    source = serializers.ChoiceField(choices=TopicSource.choices, required=False, default=TopicSource.MANUAL)


class TopicStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=TopicStatus.choices, help_text=_("adopted → in progress → resolved or continuing")
    )


class TopicRelinkedSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text=_("tickets newly linked"))
    removed = serializers.IntegerField(help_text=_("tickets the rule no longer matches"))


class TopicMeasureSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.label", read_only=True, help_text=_("the owner unit"))
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = TopicMeasure
        fields = ["id", "text", "owner", "owner_name", "due_date", "done_at", "is_done"]
        read_only_fields = fields


class TopicMeasureInputSerializer(serializers.Serializer):
    text = fields.CharField(max_length=500, help_text=_("the reform measure"))
    owner = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), help_text=_("the owner unit's id"))
    due_date = serializers.DateField()


class TopicAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("download address (for those who see the topic)"))

    class Meta:
        model = TopicAttachment
        fields = ["id", "name", "size", "content_type", "url"]
        read_only_fields = fields

    def get_url(self, attachment: TopicAttachment) -> str:
        return reverse("topics:attachment", args=[attachment.pk])


class TopicProgressSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.label", read_only=True, default="", help_text=_("the posting unit"))
    author = serializers.StringRelatedField(read_only=True)
    attachments = TopicAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TopicProgress
        fields = ["id", "measure", "measure_done", "unit", "unit_name", "author", "text", "created_at", "attachments"]
        read_only_fields = fields


class TopicProgressInputSerializer(serializers.Serializer):
    text = fields.CharField(max_length=4000)
    measure = fields.IntegerField(required=False, allow_null=True, default=None, help_text=_("a measure of the topic"))
    measure_done = serializers.BooleanField(required=False, default=False, help_text=_("the measure is completed"))
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10, help_text=_("photos or documents")
    )


class TopicMonthVolumeSerializer(serializers.Serializer):
    month = serializers.DateField()
    count = serializers.IntegerField(help_text=_("tickets received in the month"))
    after = serializers.BooleanField(help_text=_("the topic's month or later"))


class TopicPlaceVolumeSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("district and street"))
    before = serializers.IntegerField(help_text=_("tickets before the topic's month"))
    after = serializers.IntegerField(help_text=_("tickets from the topic's month on"))


class TopicRatesSerializer(serializers.Serializer):
    response = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    resolution = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    satisfaction = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    required = serializers.IntegerField(help_text=_("tickets requiring a response"))
    answered = serializers.IntegerField(help_text=_("callbacks answered"))


class TopicFiguresSerializer(serializers.Serializer):
    months = TopicMonthVolumeSerializer(many=True)
    places = TopicPlaceVolumeSerializer(many=True)
    before_average = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    after_average = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    change = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text=_("monthly average after against before")
    )
    rates_before = TopicRatesSerializer()
    rates_after = TopicRatesSerializer()
