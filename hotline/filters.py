import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from hotline.models import Category, Unit, UnitKind


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter takes decimals); for a row's id, the row need not exist."""

    field_class = forms.IntegerField


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=UnitKind.choices)
    parent = IntegerFilter(field_name="parent_id")
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Unit
        fields = ["kind", "parent", "code", "name", "is_active"]


class CategoryFilter(django_filters.FilterSet):
    parent = IntegerFilter(field_name="parent_id")
    name = django_filters.CharFilter(lookup_expr="icontains")
    level = IntegerFilter()

    class Meta:
        model = Category
        fields = ["level", "parent", "name", "is_functional", "default_tier", "is_active"]
