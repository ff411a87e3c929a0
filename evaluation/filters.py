"""Filters of the evaluation lists, shared by the HTML pages and the REST API."""

import django_filters
from django.db.models import Q, QuerySet
from django.forms import NullBooleanSelect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from dispatch.models import ReviewStatus
from evaluation.api.serializers import MONTH_PATTERN
from evaluation.forms import MonthField
from evaluation.models import Appeal, AppealKind, Callback, MonthlyRanking, UnitResult
from hotline.filters import IntegerFilter
from hotline.models import Unit, UnitKind


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN})
class MonthFilter(django_filters.Filter):
    """A calendar month as YYYY-MM (a date in the month works too)."""

    field_class = MonthField


def _districts() -> QuerySet[Unit]:
    return Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code", "name")


def _in_district(prefix: str, queryset: QuerySet, district: Unit | None) -> QuerySet:
    if district is None:
        return queryset
    return queryset.filter(Q(**{f"{prefix}unit": district}) | Q(**{f"{prefix}unit__parent": district}))


class RankingFilter(django_filters.FilterSet):
    """Rankings: the current version of each month and kind unless ?version= asks for another.

    `district` does not drop rankings: it limits the lines each ranking lists (see the API view).
    """

    month = MonthFilter(label=_("Month"), help_text=_("YYYY-MM"))
    unit_kind = django_filters.ChoiceFilter(label=_("Unit kind"), choices=UnitKind.choices)
    version = extend_schema_field({"type": "integer", "minimum": 1})(
        IntegerFilter(label=_("Version"), min_value=1, help_text=_("default: the current version"))
    )
    district = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            label=_("District"),
            queryset=_districts(),
            method="keep",
            help_text=_("list only the lines of this district's units"),
        )
    )

    class Meta:
        model = MonthlyRanking
        fields = ["month", "unit_kind", "version", "district"]

    def keep(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("version") is None:
            queryset = queryset.filter(is_current=True)
        return queryset


class UnitResultFilter(django_filters.FilterSet):
    """Unit lines of the current rankings."""

    month = MonthFilter(label=_("Month"), field_name="ranking__month", help_text=_("YYYY-MM"))
    unit_kind = django_filters.ChoiceFilter(
        label=_("Unit kind"), field_name="ranking__unit_kind", choices=UnitKind.choices
    )
    unit = IntegerFilter(label=_("Unit"), field_name="unit_id")
    district = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(label=_("District"), queryset=_districts(), method="filter_district")
    )

    class Meta:
        model = UnitResult
        fields = ["month", "unit_kind", "unit", "district"]

    def filter_district(self, queryset: QuerySet, name: str, value: Unit | None) -> QuerySet:
        return _in_district("", queryset, value)


class YesNoOrAll(NullBooleanSelect):
    """A yes/no filter's select on the pages: the neutral choice reads "All", not "Unknown"; the
    values (true/false) are the API's."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("All")), *self.choices[1:]]


class CallbackFilter(django_filters.FilterSet):
    """The callback queue's filter, for the page and the API: past the window (call back by) or not."""

    overdue = extend_schema_field(OpenApiTypes.BOOL)(
        django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue", widget=YesNoOrAll)
    )

    class Meta:
        model = Callback
        fields = ["overdue"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.filter(due_at__lt=now) if value else queryset.filter(due_at__gte=now)


class AppealFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReviewStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("Appeal type"), choices=AppealKind.choices)
    unit = IntegerFilter(label=_("Unit"), field_name="unit_id")
    ticket = IntegerFilter(label=_("Ticket"), field_name="ticket_id")

    class Meta:
        model = Appeal
        fields = ["status", "kind", "unit", "ticket"]
