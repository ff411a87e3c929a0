"""The ticket filter, shared by the HTML ticket list and the REST API; the knowledge-base filter of the API."""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import DateRangeWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from hotline.models import Category, Unit, UnitKind
from intake import selectors
from intake.forms import DataSelect
from intake.lifecycle import Status
from intake.models import Channel, Kind, KnowledgeArticle, Ticket


class CategoryChoiceField(django_filters.fields.ModelChoiceField):
    """Shows the tree by indenting each level, so one select covers all three levels."""

    def label_from_instance(self, obj: Category) -> str:
        return "\u3000" * (obj.level - 1) + obj.label


@extend_schema_field(OpenApiTypes.INT)
class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


class TicketFilter(django_filters.FilterSet):
    """Filters of the ticket lists; `category` matches the chosen node and everything below it."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        method="filter_category",
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"), queryset=Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code")
    )
    street = django_filters.ModelChoiceFilter(
        label=_("Street/township"),
        queryset=Unit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.FUNCTIONAL_ZONE]).order_by("code"),
        # Options know their district, so the HTML list can chain the two selects.
        widget=DataSelect(option_data=lambda unit: {"parent": unit.parent_id}, attrs={"data-chain": "id_district"}),
    )
    # ?created_after=2024-01-01&created_before=2024-01-31, both days inclusive.
    created = django_filters.DateFromToRangeFilter(
        label=_("Received between"), field_name="created_at", widget=DateRangeWidget(attrs={"type": "date"})
    )

    class Meta:
        model = Ticket
        fields = ["q", "status", "kind", "channel", "category", "district", "street", "created"]

    def filter_category(self, queryset: QuerySet[Ticket], name: str, value: Category | None) -> QuerySet[Ticket]:
        if value is None:
            return queryset
        # Tickets always carry a leaf: match it through the ancestor at the chosen level.
        lookup = {3: "category", 2: "category__parent", 1: "category__parent__parent"}[value.level]
        return queryset.filter(**{lookup: value})

    def filter_text(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(selectors.text_match(user=getattr(self.request, "user", None), value=value))


class ArticleFilter(django_filters.FilterSet):
    """Knowledge-base articles by text (every term in title or body) and by category, where a
    branch of the tree matches the articles of the leaves below it."""

    q = extend_schema_field({"type": "string", "maxLength": 100})(
        django_filters.CharFilter(label=_("Search"), max_length=100, method="filter_text")
    )
    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        method="filter_category",
    )

    class Meta:
        model = KnowledgeArticle
        fields = ["q", "category"]

    def filter_text(self, queryset: QuerySet[KnowledgeArticle], name: str, value: str) -> QuerySet[KnowledgeArticle]:
        return selectors.with_terms(articles=queryset, query=value)

    def filter_category(
        self, queryset: QuerySet[KnowledgeArticle], name: str, value: Category | None
    ) -> QuerySet[KnowledgeArticle]:
        if value is None:
            return queryset
        lookup = {3: "categories", 2: "categories__parent", 1: "categories__parent__parent"}[value.level]
        # An article may carry several leaves of one branch: without distinct() it comes once per leaf.
        return queryset.filter(**{lookup: value}).distinct()
