"""Filters of the dispatch lists, shared by the HTML workbench and the REST API."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import DateRangeWidget

from dispatch.models import (
    HANDLING_KINDS,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ExtensionRequest,
    ReturnRequest,
    ReviewStatus,
    RoutingRule,
)
from dispatch.permissions import acting_district_ids, visible_unit_ids
from dispatch.selectors import Tab, tab_condition
from hotline.filters import IntegerFilter
from hotline.models import Category, Unit, UnitKind
from hotline.widgets import UnitPicker
from intake.filters import CategoryFilter
from intake.models import Ticket
from intake.selectors import text_match


def _by_category(queryset: QuerySet, prefix: str, value: Category | None) -> QuerySet:
    """Tickets carry a leaf: match the chosen node through the ancestor at its level."""
    if value is None:
        return queryset
    lookup = {3: "category", 2: "category__parent", 1: "category__parent__parent"}[value.level]
    return queryset.filter(**{f"{prefix}{lookup}": value})


class AssignmentFilter(django_filters.FilterSet):
    tab = django_filters.ChoiceFilter(label=_("Tab"), choices=Tab.choices, method="filter_tab")
    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AssignmentStatus.choices)
    role = django_filters.ChoiceFilter(label=_("Role"), choices=AssignmentRole.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=Unit.objects.order_by("kind", "code", "name"))
    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        method="filter_category",
    )
    street = django_filters.ModelChoiceFilter(
        label=_("Street/township"),
        field_name="ticket__street",
        queryset=Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE]).order_by("code"),
    )
    # ?due_after=2024-01-01&due_before=2024-01-31, both days inclusive.
    due = django_filters.DateFromToRangeFilter(
        label=_("Deadline between"), field_name="due_at", widget=DateRangeWidget(attrs={"type": "date"})
    )

    class Meta:
        model = Assignment
        fields = ["tab", "q", "status", "role", "unit", "category", "street", "due"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Offer only the units the user can see (a whole district for its supervisors).
        user = getattr(self.request, "user", None)
        unit_ids = visible_unit_ids(user=user) if user is not None else None
        if unit_ids is not None:
            self.filters["unit"].queryset = Unit.objects.filter(pk__in=unit_ids).order_by("kind", "code", "name")
        else:  # every unit: searched, never listed
            self.filters["unit"].extra["widget"] = UnitPicker(kinds=HANDLING_KINDS)
        self.filters["street"].queryset = self.filters["street"].queryset.select_related("parent")

    def filter_tab(self, queryset: QuerySet[Assignment], name: str, value: str) -> QuerySet[Assignment]:
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        district_ids = acting_district_ids(user=user) if user is not None else set()
        return queryset.filter(tab_condition(value, now=timezone.now(), district_ids=district_ids))

    def filter_category(self, queryset: QuerySet[Assignment], name: str, value: Category | None) -> QuerySet:
        return _by_category(queryset, "ticket__", value)

    def filter_text(self, queryset: QuerySet[Assignment], name: str, value: str) -> QuerySet[Assignment]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(text_match(user=getattr(self.request, "user", None), value=value, prefix="ticket__"))


class QueueFilter(django_filters.FilterSet):
    """The dispatch queue (tickets awaiting dispatch)."""

    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        method="filter_category",
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"), queryset=Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code")
    )

    class Meta:
        model = Ticket
        fields = ["category", "district"]

    def filter_category(self, queryset: QuerySet, name: str, value: Category | None) -> QuerySet:
        return _by_category(queryset, "", value)


class ReturnRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReviewStatus.choices)
    unit = IntegerFilter(label=_("Unit"), field_name="assignment__unit_id")

    class Meta:
        model = ReturnRequest
        fields = ["status", "unit"]


class ExtensionRequestFilter(ReturnRequestFilter):
    class Meta:
        model = ExtensionRequest
        fields = ["status", "unit"]


class RoutingRuleFilter(django_filters.FilterSet):
    """?on=2024-05-01 reads the catalogue of that day; ?history=true lists every version."""

    category = IntegerFilter(field_name="category_id")
    unit = IntegerFilter(field_name="unit_id")
    district = IntegerFilter(field_name="district_id")
    street = IntegerFilter(field_name="street_id")

    class Meta:
        model = RoutingRule
        fields = ["category", "unit", "district", "street"]
