import django_filters

from hotline.models import Category, Unit, UnitKind


class UnitFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=UnitKind.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Unit
        fields = ["kind", "parent", "code", "name", "is_active"]


class CategoryFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Category
        fields = ["level", "parent", "name", "is_functional", "default_tier", "is_active"]
