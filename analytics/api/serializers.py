"""Shapes of the analytics API: query parameters in, the pages' series out (read-only)."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.selectors import ZoneLine
from hotline.api import fields
from hotline.models import Zone
from intake.models import Channel, Kind

PERIOD_HELP = _("A year (2026) or a month (2026-10); default: the current month.")
# The years analytics.periods.Period reads, so that the schema says which values are accepted.
YEAR = r"(20\d\d|2100)"
MONTH = r"(0[1-9]|1[0-2])"


class PeriodQuerySerializer(fields.QuerySerializer):
    period = fields.CharField(
        required=False,
        allow_blank=True,
        max_length=7,
        help_text=PERIOD_HELP,
        validators=[RegexValidator(rf"^{YEAR}(-{MONTH})?$", _("Give a year (2026) or a month (2026-10)."))],
    )


class TopCategoriesQuerySerializer(PeriodQuerySerializer):
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, help_text=_("only requests of this kind"))
    level = serializers.ChoiceField(
        choices=[(1, "1"), (2, "2"), (3, "3")], required=False, default=1, help_text=_("category level")
    )


class HotSpotQuerySerializer(fields.QuerySerializer):
    month = fields.CharField(
        required=False,
        allow_blank=True,
        max_length=7,
        help_text=_("A month (2026-10); default: the current month."),
        validators=[RegexValidator(rf"^{YEAR}-{MONTH}$", _("Give a month (2026-10)."))],
    )


class KindCountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    count = serializers.IntegerField()


class ChannelCountSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    count = serializers.IntegerField()


class MonthVolumeSerializer(serializers.Serializer):
    month = fields.CharField(help_text=_("YYYY-MM"))
    received = serializers.IntegerField()
    answered_directly = serializers.IntegerField()
    dispatched = serializers.IntegerField()
    by_kind = KindCountSerializer(many=True)
    by_channel = ChannelCountSerializer(many=True)


class VolumeSerializer(serializers.Serializer):
    period = fields.CharField()
    months = MonthVolumeSerializer(
        many=True, help_text=_("the year's twelve months, or the twelve ending with the month")
    )


class MonthRatesSerializer(serializers.Serializer):
    """Of the requests received in a month: the share of dispatched tickets signed for in time, and
    the resolution and satisfaction of their callbacks; and the repeat-contact rate (重复反映率), the
    share of the month's requests merged into an open matter. A rate is null when its denominator is 0.

    This is not the rankings' measure (which counts by month dispatched and month called back,
    and whose response also needs the caller contacted in time): that one is in
    /api/v1/ranking-results/ and, per district, in /api/v1/analytics/districts/."""

    month = fields.CharField(help_text=_("YYYY-MM"))
    response_required = serializers.IntegerField(source="counts.response_required")
    callbacks_answered = serializers.IntegerField(source="counts.callbacks_answered")
    signed_in_time_rate = serializers.DecimalField(
        source="rates.response", max_digits=5, decimal_places=4, allow_null=True
    )
    resolution_rate = serializers.DecimalField(
        source="rates.resolution",
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text=_("of the callbacks of the requests received in the month"),
    )
    satisfaction_rate = serializers.DecimalField(
        source="rates.satisfaction",
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text=_("of the callbacks of the requests received in the month"),
    )
    received = serializers.IntegerField(source="counts.received")
    repeat_contacts = serializers.IntegerField(
        source="counts.repeat_contacts", help_text=_("requests received in the month merged into an open matter")
    )
    repeat_contact_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text=_("repeat_contacts / received: the share of the month's requests that were repeats"),
    )


class RatesSerializer(serializers.Serializer):
    period = fields.CharField()
    months = MonthRatesSerializer(
        many=True, help_text=_("the year's twelve months, or the twelve ending with the month")
    )


class CategoryLineSerializer(serializers.Serializer):
    category = serializers.IntegerField(source="category_id")
    name = fields.CharField()
    count = serializers.IntegerField()
    previous = serializers.IntegerField(help_text=_("in the previous period of the same length"))
    change = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    share = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    tickets_url = fields.CharField(source="url")


class TopCategoriesSerializer(serializers.Serializer):
    period = fields.CharField()
    total = serializers.IntegerField()
    results = CategoryLineSerializer(many=True)


class DistrictLineSerializer(serializers.Serializer):
    """Volume by the requests' place; the three rates as the district ranking counts them (the
    district and the units under it, by month dispatched and month called back), equal to a
    published month's /api/v1/ranking-results/?unit_kind=district."""

    district = serializers.IntegerField(source="district.pk")
    name = fields.CharField(source="district.name")
    population = serializers.IntegerField(source="district.population", allow_null=True)
    received = serializers.IntegerField()
    per_10k = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    response_rate = serializers.DecimalField(source="rates.response", max_digits=5, decimal_places=4, allow_null=True)
    resolution_rate = serializers.DecimalField(
        source="rates.resolution", max_digits=5, decimal_places=4, allow_null=True
    )
    satisfaction_rate = serializers.DecimalField(
        source="rates.satisfaction", max_digits=5, decimal_places=4, allow_null=True
    )


class DistrictTableSerializer(serializers.Serializer):
    period = fields.CharField()
    results = DistrictLineSerializer(many=True)


class ZoneLineSerializer(serializers.Serializer):
    """The sums of the zone's district lines (the same figures as /api/v1/analytics/districts/):
    rates and ratios computed from the summed counts, never averaged."""

    zone = serializers.ChoiceField(choices=[*Zone.choices, ("", "")], help_text=_("empty: districts without a zone"))
    name = fields.CharField(source="label")
    districts = serializers.SerializerMethodField(help_text=_("the districts summed (those the reader may see)"))
    population = serializers.IntegerField(allow_null=True)
    received = serializers.IntegerField()
    per_10k = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    direct_answer_ratio = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text=_("answered directly at intake / received")
    )
    response_rate = serializers.DecimalField(source="rates.response", max_digits=5, decimal_places=4, allow_null=True)
    resolution_rate = serializers.DecimalField(
        source="rates.resolution", max_digits=5, decimal_places=4, allow_null=True
    )
    satisfaction_rate = serializers.DecimalField(
        source="rates.satisfaction", max_digits=5, decimal_places=4, allow_null=True
    )

    def get_districts(self, line: ZoneLine) -> list[int]:
        return [district_line.district.pk for district_line in line.districts]


class ZoneTableSerializer(serializers.Serializer):
    period = fields.CharField()
    results = ZoneLineSerializer(many=True)


class HotSpotLineSerializer(serializers.Serializer):
    category = serializers.IntegerField(source="category_id")
    category_name = fields.CharField(source="category")
    street = serializers.IntegerField(source="street_id")
    street_name = fields.CharField(source="street")
    district_name = fields.CharField(source="district")
    count = serializers.IntegerField()
    baseline = serializers.ListField(child=serializers.IntegerField(), help_text=_("previous months, oldest first"))
    mean = serializers.FloatField()
    sd = serializers.FloatField()
    score = serializers.FloatField(help_text=_("standard deviations above the mean"))
    tickets_url = fields.CharField(source="url")


class HotSpotsSerializer(serializers.Serializer):
    month = fields.CharField()
    enough_history = serializers.BooleanField()
    baseline_months = serializers.ListField(child=fields.CharField())
    results = HotSpotLineSerializer(many=True)


class ScreenCategorySerializer(serializers.Serializer):
    category = serializers.IntegerField(source="category_id")
    name = fields.CharField(source="label", help_text=_("in the reader's language"))
    count = serializers.IntegerField(help_text=_("requests received today"))
    share = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text=_("of today's requests")
    )


class ScreenTileSerializer(serializers.Serializer):
    district = serializers.IntegerField(source="district_id")
    name = fields.CharField(source="label", help_text=_("in the reader's language"))
    row = serializers.IntegerField(help_text=_("tile row in the map, 0 at the top"))
    column = serializers.IntegerField(help_text=_("tile column in the map, 0 at the left"))
    population = serializers.IntegerField(allow_null=True)
    received_month = serializers.IntegerField(help_text=_("requests received this month, by the place"))
    received_today = serializers.IntegerField(help_text=_("requests received today, by the place"))
    per_10k = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text=_("this month's requests per 10,000 residents; null without a population"),
    )
    level = serializers.IntegerField(
        allow_null=True, help_text=_("colour class of per_10k on the scale (0 lowest); null without a population")
    )


class ScaleStepSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    lower = serializers.DecimalField(max_digits=12, decimal_places=2)
    upper = serializers.DecimalField(max_digits=12, decimal_places=2)


class ScreenSerializer(serializers.Serializer):
    """The big screen (大屏): today's requests (from today's rollup), live deadlines (live), this
    month's three rates by month received and each district's volume per 10,000 residents."""

    generated_at = serializers.DateTimeField(source="now")
    rollups_as_of = serializers.DateTimeField(
        allow_null=True, help_text=_("changes up to this time are counted in today's and this month's figures")
    )
    today = serializers.DateField()
    month = serializers.DateField(help_text=_("first day of the month"))
    received_today = serializers.IntegerField(source="today_counts.received")
    dispatched_today = serializers.IntegerField(
        source="today_counts.dispatched", help_text=_("of the requests received today")
    )
    answered_directly_today = serializers.IntegerField(source="today_counts.answered_directly")
    overdue = serializers.IntegerField(help_text=_("live lead assignments past their deadline"))
    due_soon = serializers.IntegerField(help_text=_("live lead assignments due within due_within_hours"))
    due_within_hours = serializers.IntegerField()
    received_month = serializers.IntegerField(source="month_counts.received")
    signed_in_time_rate = serializers.DecimalField(
        source="rates.response", max_digits=5, decimal_places=4, allow_null=True
    )
    resolution_rate = serializers.DecimalField(
        source="rates.resolution", max_digits=5, decimal_places=4, allow_null=True
    )
    satisfaction_rate = serializers.DecimalField(
        source="rates.satisfaction", max_digits=5, decimal_places=4, allow_null=True
    )
    top_categories = ScreenCategorySerializer(many=True, help_text=_("second-level categories, most requests first"))
    districts = ScreenTileSerializer(many=True, source="tiles")
    scale = ScaleStepSerializer(many=True, help_text=_("the tile map's colour classes of per_10k"))
    rows = serializers.IntegerField(help_text=_("rows of the tile map"))
    columns = serializers.IntegerField(help_text=_("columns of the tile map"))
